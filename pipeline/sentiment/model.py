"""The code-level sentiment model: how a participant feels about one code in a segment, learnt from human labels,
saved beside the coder and carried to another corpus."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from safetensors.numpy import load_file, save_file

from pipeline.core.errors import PipelineError
from pipeline.core.files import atomic_path, read_json_object, write_json
from pipeline.embeddings import DIMENSIONS as EMBEDDING_DIM
from pipeline.sentiment.vader import LABELS

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
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)


def supervised(x_train, y_train, groups, x_all, c: float, seed: int, folds: int = 8):
    """Pure core: out-of-fold predictions for the labelled pairs (participant-grouped), the model trained on all
    of them applied to every pair, and that model. None when the labels cannot train a model (fewer than 2
    classes)."""
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
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
        # SciPy's submodules load slowly: only where they are used
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

    folder = Path(folder)
    meta_path, weights_path = (folder / name for name in SENTIMENT_FILES)
    for path in (meta_path, weights_path):
        if not path.exists():
            raise PipelineError(
                f"the model folder has no {path.name} (the code-level sentiment model saved beside the coder)",
                _FIX_COPY,
                file=path,
            )
    meta = read_json_object(meta_path, "the sentiment model's description", _FIX_COPY)
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
