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

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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


def pair_features(pairs: pd.DataFrame, vectors: dict, scores: pd.DataFrame, code_ids: list[str]) -> np.ndarray:
    """One row per (segment, code): [segment embedding, code one-hot, adapted and plain compound, highest and
    lowest sentence compound, shares of positive and negative sentences, contrast words / 3]."""
    s = scores.set_index("segment_id")
    emb = np.stack([vectors[sid] for sid in pairs["segment_id"]]) if len(pairs) else np.zeros((0, 384))
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
    """Pure core: out-of-fold predictions for the labelled pairs (participant-grouped) and the model trained
    on all of them applied to every pair. None when the labels cannot train a model (fewer than 2 classes)."""
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
    return oof, predicted, proba.max(axis=1) if len(x_all) else np.array([])


def code_sentiment(
    final: pd.DataFrame,
    human: pd.DataFrame,
    scores: pd.DataFrame,
    vectors: dict,
    participants: dict,
    code_ids: list[str],
    c: float,
    seed: int,
):
    """Sentiment of every final (segment, code) pair: the human label where there is one, else the model's
    (or, without human labels to learn from, the segment's VADER label). Returns (table, out-of-fold
    predictions of the human-labelled pairs or None)."""
    pairs = final[["segment_id", "code_id"]].drop_duplicates().reset_index(drop=True)
    labelled = (
        human[human["sentiment"].isin(LABELS) & human["code_id"].isin(code_ids)]
        .drop_duplicates(["segment_id", "code_id"])[["segment_id", "code_id", "sentiment"]]
        .reset_index(drop=True)
    )
    labelled = labelled[labelled["segment_id"].isin(scores["segment_id"])]
    groups = labelled["segment_id"].map(participants).to_numpy()
    fit = None
    if len(labelled):
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
        _, predicted, probability = fit
        out["label"], out["source"], out["probability"] = predicted, "model", np.round(probability, 4)
    out = out.merge(labelled.rename(columns={"sentiment": "human"}), on=["segment_id", "code_id"], how="left")
    is_human = out["human"].notna()
    out.loc[is_human, "label"], out.loc[is_human, "source"] = out.loc[is_human, "human"], "human"
    out.loc[is_human, "probability"] = 1.0
    oof = None if fit is None else labelled.assign(predicted=fit[0])
    return out.drop(columns="human"), oof


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
    human: pd.DataFrame, scores: pd.DataFrame, oof: pd.DataFrame | None = None, seed: int = 0
) -> pd.DataFrame:
    """Plain and adapted VADER against human sentiment labels (one per coded segment and code), and the
    supervised model's out-of-fold predictions where there are any. Macro-F1 carries a 95% interval from
    resampling participants (``pipeline.reliability.cluster_bootstrap_interval``)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labelled = human[human["sentiment"].isin(LABELS)].merge(scores, on="segment_id")
    participant = dict(zip(human["segment_id"], human["participant_id"], strict=True)) if len(human) else {}
    methods = [("plain VADER", labelled, "label_plain"), ("domain-adapted", labelled, "label")]
    if oof is not None:
        methods.append(("supervised (participant-grouped CV)", oof, "predicted"))
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
):
    from pipeline.codebook import load_codebook
    from pipeline.files import read_table, write_csv

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
    codebook = load_codebook(codebook_path)
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
        pairs, oof = code_sentiment(
            final, primary_human, scores, dict(zip(ids, vectors, strict=True)), participants, codebook.ids, c, seed
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
    order = {c: i for i, c in enumerate(codebook.ids)}
    by_code = by_code.sort_values(["code_id", "role"], key=lambda s: s.map(order) if s.name == "code_id" else s)
    by_code.insert(1, "label", by_code["code_id"].map({c.id: c.label for c in codebook.codes}))
    write_csv(by_code, out["by_code"])
    table = validation(primary_human, scores, oof, seed)
    write_csv(table, out["validation"])
    from pipeline.figures import sentiment_by_code, sentiment_by_wave

    sentiment_by_code(by_code, roles, out["figure_by_code"])
    sentiment_by_wave(aggregate(data, ["role", "wave"], seed), roles, out["figure_by_wave"])
    return table
