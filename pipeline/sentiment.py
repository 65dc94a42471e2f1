"""Sentiment: how participants feel about what they talk about (VADER, with a domain lexicon).

VADER scores each sentence (its lexicon ships inside the vaderSentiment wheel: no download); a
segment's compound is the mean over its sentences; its label is positive, negative or neutral by
thresholds on that mean, or mixed where a strongly positive and a strongly negative sentence meet.
A domain lexicon (config/sentiment_lexicon.yaml) neutralises words that only describe the subject
matter here (abuse, offence, risk ...) and adds words and phrases of the domain.

How a participant feels about one code in a segment ("the videos were great, the laptop never worked")
is learnt from the human sentiment labels of codes.csv where the corpus has them: a class-weighted
logistic regression over the segment's sentence embedding, the code, and VADER's scores (the mean, plain
and adapted, and their spread over the segment's sentences) and its contrast words, validated by
participant-grouped cross-validation. Human labels stay final where they exist.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.embeddings import DIMENSIONS as EMBEDDING_DIM
from pipeline.errors import PipelineError
from pipeline.reliability import cluster_bootstrap_interval
from pipeline.schemas import load_yaml

log = logging.getLogger(__name__)

LABELS = ["positive", "negative", "neutral", "mixed"]


@dataclass(frozen=True)
class Thresholds:
    positive: float = 0.05
    negative: float = -0.05
    strong: float = 0.5


class Scorer:
    """VADER, plain or with a domain lexicon applied on top."""

    def __init__(self, lexicon: dict | None = None):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()
        self.phrases: list[tuple[re.Pattern, str]] = []
        if lexicon:
            for word in lexicon.get("neutral", []):
                self.analyzer.lexicon[word.lower()] = 0.0
            for word, valence in (lexicon.get("words") or {}).items():
                self.analyzer.lexicon[word.lower()] = float(valence)
            for phrase, valence in sorted((lexicon.get("phrases") or {}).items(), key=lambda p: -len(p[0])):
                token = "dom" + re.sub(r"\W+", "", phrase.lower())  # one token VADER can look up
                self.analyzer.lexicon[token] = float(valence)
                self.phrases.append((re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE), token))

    def sentence_scores(self, text: str) -> list[float]:
        from pipeline.segment import sentence_spans

        out = []
        for a, b in sentence_spans(text) or [(0, len(text))]:
            sentence = text[a:b]
            for pattern, token in self.phrases:
                sentence = pattern.sub(token, sentence)
            out.append(self.analyzer.polarity_scores(sentence)["compound"])
        return out or [0.0]


def label(scores: list[float], t: Thresholds) -> tuple[float, str]:
    """(mean compound, label) of a segment from its sentences' compound scores."""
    mean = float(np.mean(scores))
    if max(scores) >= t.strong and min(scores) <= -t.strong:
        return mean, "mixed"
    if mean >= t.positive:
        return mean, "positive"
    if mean <= t.negative:
        return mean, "negative"
    return mean, "neutral"


# words that turn a sentence or a turn round ("it was good, but ..."): mixed feelings are often marked by them
CONTRAST = re.compile(r"\b(?:but|however|although|though)\b", re.IGNORECASE)


def score_segments(segments: pd.DataFrame, lexicon: dict, t: Thresholds) -> pd.DataFrame:
    """Pure core: segment_id, compound, label (adapted lexicon) and the same with plain VADER; with the adapted
    lexicon also the spread over sentences (highest and lowest compound, shares of positive and negative
    sentences) and the contrast words (up to 3), which the code-level model learns from."""
    adapted, plain = Scorer(lexicon), Scorer()
    rows = []
    for sid, text in zip(segments["segment_id"], segments["text"], strict=True):
        sentences = adapted.sentence_scores(text)
        c, lab = label(sentences, t)
        pc, plab = label(plain.sentence_scores(text), t)
        rows.append(
            {
                "segment_id": sid,
                "compound": round(c, 4),
                "label": lab,
                "compound_plain": round(pc, 4),
                "label_plain": plab,
                "compound_max": round(max(sentences), 4),
                "compound_min": round(min(sentences), 4),
                "share_positive": round(float(np.mean([v >= t.positive for v in sentences])), 4),
                "share_negative": round(float(np.mean([v <= t.negative for v in sentences])), 4),
                "contrast_words": min(len(CONTRAST.findall(text)), 3),
            }
        )
    return pd.DataFrame(rows)


VADER_FEATURES = [
    "compound",
    "compound_plain",
    "compound_max",
    "compound_min",
    "share_positive",
    "share_negative",
    "contrast_words",
]
FEATURES_DESCRIPTION = "all-MiniLM-L6-v2 segment embedding (384) + code one-hot (codebook order) + VADER: " + ", ".join(
    f"{name} / 3" if name == "contrast_words" else name for name in VADER_FEATURES
)


def pair_features(pairs: pd.DataFrame, vectors: dict, scores: pd.DataFrame, code_ids: list[str]) -> np.ndarray:
    """One row per (segment, code): [segment embedding, code one-hot, adapted and plain compound, highest and
    lowest sentence compound, shares of positive and negative sentences, contrast words / 3]."""
    s = scores.set_index("segment_id")
    emb = np.stack([vectors[sid] for sid in pairs["segment_id"]]) if len(pairs) else np.zeros((0, EMBEDDING_DIM))
    onehot = np.zeros((len(pairs), len(code_ids)), dtype=np.float32)
    index = {c: i for i, c in enumerate(code_ids)}
    onehot[np.arange(len(pairs)), [index[c] for c in pairs["code_id"]]] = 1.0
    vader = s.loc[pairs["segment_id"], VADER_FEATURES].to_numpy(dtype=np.float32)
    vader[:, -1] /= 3.0  # contrast words, 0-3 -> 0-1
    return np.hstack([emb, onehot, vader]).astype(np.float32)


def _classifier(c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)


def supervised(x_train, y_train, groups, x_all, c: float, seed: int, folds: int = 8):
    """Pure core: out-of-fold predictions for the labelled pairs (participant-grouped), the model trained on all
    of them applied to every pair, and that model. None when the labels cannot train a model (fewer than 2
    classes)."""
    from sklearn.model_selection import GroupKFold

    y_train = np.asarray(y_train)
    if len(set(y_train)) < 2 or len(set(groups)) < 2:
        return None
    oof = np.empty(len(y_train), dtype=object)
    for train, test in GroupKFold(n_splits=min(folds, len(set(groups)))).split(x_train, y_train, groups):
        if len(set(y_train[train])) < 2:
            oof[test] = y_train[train][0]
            continue
        oof[test] = _classifier(c, seed).fit(x_train[train], y_train[train]).predict(x_train[test])
    model = _classifier(c, seed).fit(x_train, y_train)
    proba = model.predict_proba(x_all) if len(x_all) else np.zeros((0, len(model.classes_)))
    predicted = model.classes_[proba.argmax(axis=1)] if len(x_all) else np.array([], dtype=object)
    return oof, predicted, proba.max(axis=1) if len(x_all) else np.array([]), model


# ---------------------------------------------------------------- the model carried to another corpus

SENTIMENT_FORMAT_VERSION = 1
SENTIMENT_FILES = ("sentiment.json", "sentiment.safetensors")
_FIX_COPY = "Copy the whole model folder again from the run that wrote it, or retrain (remove coding.model)"


@dataclass
class SentimentModel:
    """The fitted code-level sentiment model without scikit-learn's object: its classes, coefficients and
    intercepts (multinomial logistic regression), the code ids its one-hot part stands for, and where it came
    from. Saved beside the coder (``sentiment.json`` and ``sentiment.safetensors``; never pickle), so
    ``coding.model`` carries both to another corpus."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    code_ids: list[str]
    about: dict = field(default_factory=dict)

    @classmethod
    def from_classifier(cls, model, code_ids: list[str], about: dict) -> SentimentModel:
        return cls(
            [str(c) for c in model.classes_],
            np.asarray(model.coef_),
            np.asarray(model.intercept_),
            list(code_ids),
            about,
        )

    @property
    def n_features(self) -> int:
        return self.coef.shape[1]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """As scikit-learn's LogisticRegression.predict_proba: the logistic of the decision for two classes,
        its softmax for more."""
        from scipy.special import expit, softmax

        decision = np.asarray(x) @ self.coef.T + self.intercept
        if len(self.classes) == 2:
            p = expit(decision[:, 0])
            return np.column_stack([1 - p, p])
        return softmax(decision, axis=1)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(labels, probability of each label) for feature rows made by ``pair_features``."""
        if not len(x):
            return np.array([], dtype=object), np.array([])
        proba = self.predict_proba(x)
        return np.asarray(self.classes, dtype=object)[proba.argmax(axis=1)], proba.max(axis=1)


def save_sentiment_model(meta_path, weights_path, model: SentimentModel | None, about: dict) -> None:
    """``sentiment.json`` (what the model is, where it came from; ``trained: false`` with the reason when the
    corpus had no human sentiment labels to learn from) and ``sentiment.safetensors`` (its weights; empty when
    untrained), both written atomically."""
    from safetensors.numpy import save_file

    from pipeline.files import atomic_path, write_json

    Path(weights_path).parent.mkdir(parents=True, exist_ok=True)
    meta = {"format_version": SENTIMENT_FORMAT_VERSION, "trained": model is not None, **about}
    tensors = {}
    if model is not None:
        meta.update({"classes": model.classes, "code_ids": model.code_ids, "features": FEATURES_DESCRIPTION})
        meta.update({k: v for k, v in model.about.items() if k not in meta})
        tensors = {"coef": np.ascontiguousarray(model.coef), "intercept": np.ascontiguousarray(model.intercept)}
    with atomic_path(weights_path) as tmp:
        save_file(tensors, str(tmp))
    write_json(meta, meta_path)


def load_sentiment_model(folder: str | Path, code_ids: list[str], codebook_version: str) -> SentimentModel | None:
    """The sentiment model of a model folder (``coding.model``); None when the folder says it was never trained
    (its corpus had no human sentiment labels). A missing, partial or corrupt file, or a model for another
    codebook, stops naming the file."""
    from safetensors.numpy import load_file

    folder = Path(folder)
    meta_path, weights_path = (folder / name for name in SENTIMENT_FILES)
    for path in (meta_path, weights_path):
        if not path.exists():
            raise PipelineError(
                f"the model folder has no {path.name} (the code-level sentiment model saved beside the coder)",
                _FIX_COPY,
                file=path,
            )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PipelineError(
            f"the sentiment model's description cannot be read ({type(exc).__name__})", _FIX_COPY, file=meta_path
        ) from None
    if meta.get("format_version") != SENTIMENT_FORMAT_VERSION:
        raise PipelineError(
            f"the sentiment model was saved in format {meta.get('format_version')}, this pipeline reads "
            f"{SENTIMENT_FORMAT_VERSION}",
            "Retrain it with this version of the pipeline",
            file=meta_path,
        )
    if not meta.get("trained"):
        return None
    missing = [k for k in ("classes", "code_ids") if k not in meta]
    if missing:
        raise PipelineError(
            f"the sentiment model's description lacks {', '.join(missing)}: the folder is partial or was edited",
            _FIX_COPY,
            file=meta_path,
        )
    theirs = (meta.get("codebook") or {}).get("version", "unknown")
    if meta["code_ids"] != list(code_ids) or theirs != codebook_version:
        raise PipelineError(
            f"the sentiment model was made for codebook version {theirs}, this corpus uses version {codebook_version}",
            "Use a model folder trained with this codebook version, or retrain (remove coding.model)",
            file=meta_path,
        )
    try:
        w = load_file(str(weights_path))
        coef, intercept = w["coef"], w["intercept"]
    except Exception as exc:  # safetensors raises its own error types for truncated or foreign files
        raise PipelineError(
            f"the sentiment model's weights cannot be read ({type(exc).__name__}): the file is partial or corrupt",
            _FIX_COPY,
            file=weights_path,
        ) from None
    rows = 1 if len(meta["classes"]) == 2 else len(meta["classes"])
    expected = EMBEDDING_DIM + len(code_ids) + len(VADER_FEATURES)
    if coef.shape != (rows, expected) or intercept.shape != (rows,):
        raise PipelineError(
            "the sentiment model's weights do not fit its description (sentiment.json): the two files come from "
            "different runs",
            "Copy both files of the model folder from the same run, or retrain (remove coding.model)",
            file=weights_path,
        )
    about = {k: v for k, v in meta.items() if k not in ("classes", "code_ids", "format_version", "trained")}
    return SentimentModel(list(meta["classes"]), coef, intercept, list(meta["code_ids"]), about)


def code_sentiment(
    final: pd.DataFrame,
    human: pd.DataFrame,
    scores: pd.DataFrame,
    vectors: dict,
    participants: dict,
    code_ids: list[str],
    c: float,
    seed: int,
    carried: SentimentModel | None = None,
):
    """Sentiment of every final (segment, code) pair: the human label where there is one, else the model's
    (or, without human labels to learn from, the segment's VADER label). With a ``carried`` model (trained on
    another corpus) that model labels every pair and is scored on this corpus's human labels, which it never
    saw; nothing is learnt here. Returns (table, predictions of the human-labelled pairs: out of fold, or the
    carried model's; None without either, fitted model or None)."""
    pairs = final[["segment_id", "code_id"]].drop_duplicates().reset_index(drop=True)
    labelled = (
        human[human["sentiment"].isin(LABELS) & human["code_id"].isin(code_ids)]
        .drop_duplicates(["segment_id", "code_id"])[["segment_id", "code_id", "sentiment"]]
        .reset_index(drop=True)
    )
    labelled = labelled[labelled["segment_id"].isin(scores["segment_id"])]
    groups = labelled["segment_id"].map(participants).to_numpy()
    fit = None
    if carried is not None:
        predicted, probability = carried.predict(pair_features(pairs, vectors, scores, code_ids))
        held_out, _ = carried.predict(pair_features(labelled, vectors, scores, code_ids))
        fit = (held_out, predicted, probability, None)
    elif len(labelled):
        fit = supervised(
            pair_features(labelled, vectors, scores, code_ids),
            labelled["sentiment"].to_numpy(),
            groups,
            pair_features(pairs, vectors, scores, code_ids),
            c,
            seed,
        )
    out = pairs.copy()
    if fit is None:
        out = out.merge(scores[["segment_id", "label"]], on="segment_id", how="left")
        out["source"], out["probability"] = "vader", np.nan
    else:
        _, predicted, probability, _ = fit
        out["label"], out["source"], out["probability"] = predicted, "model", np.round(probability, 4)
    out = out.merge(labelled.rename(columns={"sentiment": "human"}), on=["segment_id", "code_id"], how="left")
    is_human = out["human"].notna()
    out.loc[is_human, "label"], out.loc[is_human, "source"] = out.loc[is_human, "human"], "human"
    out.loc[is_human, "probability"] = 1.0
    oof = None if fit is None else labelled.assign(predicted=fit[0])
    model = None if fit is None or fit[3] is None else fit[3]
    return out.drop(columns="human"), oof, model


def bootstrap_ci(values: np.ndarray, seed: int, n: int = 2000) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean (nan with fewer than 2 values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n, len(values)), replace=True).mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def mean_interval(group: pd.DataFrame, by: list[str], seed: int) -> tuple[float, float]:
    """95% interval of a group's mean compound. Where the table names participants and the group is not one
    participant's own, whole participants are resampled (their segments together: one person's segments are not
    independent, so resampling segments would give intervals that are too narrow); (nan, nan) if the group has
    only one participant. Within one participant (``participant_id`` in ``by``), or without participants, its
    segments are resampled."""
    if "participant_id" not in group.columns or "participant_id" in by:
        return bootstrap_ci(group["compound"].to_numpy(), seed)
    per_participant = group.groupby("participant_id", sort=True)["compound"].agg(["sum", "count"]).to_numpy()
    return cluster_bootstrap_interval(per_participant, lambda c: c[..., 0] / c[..., 1], seed)


def aggregate(scores: pd.DataFrame, by: list[str], seed: int) -> pd.DataFrame:
    """Mean compound with a bootstrap 95% interval (``mean_interval``) and counts per label, for each group."""
    rows = []
    for i, (key, g) in enumerate(scores.groupby(by, sort=True)):
        key = key if isinstance(key, tuple) else (key,)
        low, high = mean_interval(g, by, seed + i)
        row = dict(zip(by, key, strict=True))
        row.update(
            {
                "segments": len(g),
                "mean_compound": round(g["compound"].mean(), 4),
                "ci_low": round(low, 4),
                "ci_high": round(high, 4),
            }
        )
        row.update({f"n_{lab}": int((g["label"] == lab).sum()) for lab in LABELS})
        rows.append(row)
    # the same columns when no group has a segment (a corpus where no code was assigned)
    columns = [*by, "segments", "mean_compound", "ci_low", "ci_high", *(f"n_{lab}" for lab in LABELS)]
    return pd.DataFrame(rows, columns=columns)


def macro_f1_from_confusion(m: np.ndarray) -> np.ndarray:
    """Macro-F1 from confusion matrices (..., labels, labels) (rows human, columns machine); a label neither
    side used scores 0, as scikit-learn's f1_score(labels=..., average="macro", zero_division=0)."""
    m = np.asarray(m, dtype=float)
    hits = np.diagonal(m, axis1=-2, axis2=-1)
    both = m.sum(axis=-1) + m.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(both > 0, 2 * hits / both, 0.0)
    return f1.mean(axis=-1)


def validation(
    human: pd.DataFrame,
    scores: pd.DataFrame,
    oof: pd.DataFrame | None = None,
    seed: int = 0,
    method: str = "supervised (participant-grouped CV)",
) -> pd.DataFrame:
    """Plain and adapted VADER against human sentiment labels (one per coded segment and code), and the
    supervised model's predictions where there are any (``method``: out of fold, or a model carried from
    another corpus). Macro-F1 carries a 95% interval from
    resampling participants (``pipeline.reliability.cluster_bootstrap_interval``)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labelled = human[human["sentiment"].isin(LABELS)].merge(scores, on="segment_id")
    participant = dict(zip(human["segment_id"], human["participant_id"], strict=True)) if len(human) else {}
    methods = [("plain VADER", labelled, "label_plain"), ("domain-adapted", labelled, "label")]
    if oof is not None:
        methods.append((method, oof, "predicted"))
    rows = []
    for name, labelled, column in methods:
        y, p = labelled["sentiment"], labelled[column]
        row = {"lexicon": name, "n": len(labelled)}
        if len(labelled):
            groups = labelled["segment_id"].map(participant).to_numpy()
            per_participant = np.stack(
                [confusion_matrix(y[groups == g], p[groups == g], labels=LABELS) for g in sorted(set(groups))]
            )
            low, high = cluster_bootstrap_interval(per_participant, macro_f1_from_confusion, seed)
            row.update(
                {
                    "accuracy": round(accuracy_score(y, p), 4),
                    "macro_f1": round(f1_score(y, p, labels=LABELS, average="macro", zero_division=0), 4),
                    "macro_f1_ci_low": round(low, 4),
                    "macro_f1_ci_high": round(high, 4),
                }
            )
            matrix = confusion_matrix(y, p, labels=LABELS)
            row.update(
                {
                    f"human_{a}_machine_{b}": int(matrix[i, j])
                    for i, a in enumerate(LABELS)
                    for j, b in enumerate(LABELS)
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def load_lexicon(path) -> dict:
    return load_yaml(path, "lexicon", "the sentiment lexicon")


def run_score(segments_csv, lexicon_path, thresholds: Thresholds, out) -> pd.DataFrame:
    from pipeline.files import read_table, write_csv

    scores = score_segments(read_table(segments_csv), load_lexicon(lexicon_path), thresholds)
    write_csv(scores, out)
    log.info("%d segments scored: %s", len(scores), scores["label"].value_counts().to_dict())
    return scores


def run_summary(
    scores_csv,
    segments_csv,
    segment_codes_csv,
    human_path,
    codebook_path,
    roles: dict,
    seed: int,
    primary: str,
    out: dict,
    embeddings_path=None,
    c: float = 1.0,
    pretrained: str = "",
    lexicon_path=None,
):
    from pipeline.codebook import load_codebook
    from pipeline.files import read_table, write_csv

    codebook = load_codebook(codebook_path)
    carried = load_sentiment_model(pretrained, codebook.ids, codebook.version) if pretrained else None
    lexicon_sha = _sha256(lexicon_path) if lexicon_path else None
    if carried is not None and lexicon_sha and carried.about.get("lexicon_sha256") not in (None, lexicon_sha):
        log.warning("the carried sentiment model learnt VADER scores from another domain lexicon than this corpus's")
    scores = pd.read_csv(scores_csv)
    segments = read_table(segments_csv)[["segment_id", "participant_id", "role", "wave"]]
    segments["wave"] = segments["wave"].astype(int)
    data = scores.merge(segments, on="segment_id")
    write_csv(aggregate(data, ["role"], seed), out["by_role"])
    write_csv(aggregate(data, ["role", "wave"], seed), out["by_wave"])
    write_csv(aggregate(data, ["role", "participant_id"], seed), out["by_participant"])
    codes = pd.read_csv(segment_codes_csv, keep_default_na=False)
    final = codes[codes["final"].astype(str).str.lower() == "true"].drop_duplicates(["segment_id", "code_id"])
    by_code = aggregate(final[["segment_id", "code_id"]].merge(data, on="segment_id"), ["code_id", "role"], seed)
    human = (
        pd.read_parquet(human_path)
        if human_path and Path(human_path).exists()
        else pd.DataFrame(columns=["segment_id", "code_id", "sentiment", "coder"])
    )
    primary_human = human[human["coder"] == primary] if len(human) else human
    oof = None
    if embeddings_path:
        from pipeline import embeddings as emb_store

        ids, vectors, _ = emb_store.load(embeddings_path)
        participants = dict(zip(segments["segment_id"], segments["participant_id"], strict=True))
        pairs, oof, model = code_sentiment(
            final,
            primary_human,
            scores,
            dict(zip(ids, vectors, strict=True)),
            participants,
            codebook.ids,
            c,
            seed,
            carried,
        )
        pairs = pairs.merge(segments, on="segment_id")[
            ["segment_id", "participant_id", "role", "wave", "code_id", "label", "source", "probability"]
        ]
        write_csv(pairs, out["code_sentiment"])
        counts = pairs.groupby(["code_id", "role"])["label"].value_counts().unstack(fill_value=0)
        counts = counts.reindex(columns=LABELS, fill_value=0).add_prefix("code_n_").reset_index()
        by_code = by_code.merge(counts, on=["code_id", "role"], how="left")
        log.info(
            "code-level sentiment of %d (segment, code) pairs: %s", len(pairs), pairs["source"].value_counts().to_dict()
        )
        if out.get("model_meta"):
            labelled = 0 if oof is None else len(oof)
            about = {
                "codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256},
                "lexicon_sha256": lexicon_sha,
            }
            if carried is not None:
                about = {**carried.about, "applied_from": str(pretrained)}
                model = carried
            elif model is not None:
                about["trained_on"] = {
                    "pairs": labelled,
                    "participants": int(oof["segment_id"].map(participants).nunique()),
                    "coder": primary,
                }
                about["settings"] = {"C": c, "seed": seed}
                model = SentimentModel.from_classifier(model, codebook.ids, {})
            else:
                about["reason"] = "the corpus had no human sentiment labels of two or more kinds to learn from"
            save_sentiment_model(out["model_meta"], out["model_weights"], model, about)
    order = {c: i for i, c in enumerate(codebook.ids)}
    by_code = by_code.sort_values(["code_id", "role"], key=lambda s: s.map(order) if s.name == "code_id" else s)
    by_code.insert(1, "label", by_code["code_id"].map({c.id: c.label for c in codebook.codes}))
    write_csv(by_code, out["by_code"])
    method = (
        f"carried model (trained on {carried.about.get('trained_on', {}).get('participants', '?')} participants "
        "of another corpus)"
        if carried is not None
        else "supervised (participant-grouped CV)"
    )
    table = validation(primary_human, scores, oof, seed, method)
    write_csv(table, out["validation"])
    from pipeline.figures import sentiment_by_code, sentiment_by_wave

    sentiment_by_code(by_code, roles, out["figure_by_code"])
    sentiment_by_wave(aggregate(data, ["role", "wave"], seed), roles, out["figure_by_wave"])
    return table


def _sha256(path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
