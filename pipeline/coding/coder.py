"""Automated thematic coding: a supervised coder trained on human-coded segments, combined with patterns.

Features per segment: its sentence embedding, the embedding of the interviewer's question before it
(weighted), and TF-IDF of its words (1-2 grams). One class-weighted logistic regression per code
(one-vs-rest), with a decision threshold per code: fixed, or tuned by cross-validation grouped by
participant on the training data. Fitted state is saved as safetensors (weights) + JSON (vocabulary,
thresholds, settings, library versions): never pickle, which runs code on load.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import sys
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from safetensors.numpy import load_file, save_file

from pipeline.core.errors import PipelineError
from pipeline.core.files import atomic_path, read_json_object, write_json
from pipeline.core.textcache import TextCache, source_digest, versions

if TYPE_CHECKING:  # for annotations only: seeded.py builds on this module
    from pipeline.coding.seeded import SeededCoder

log = logging.getLogger(__name__)


FORMAT_VERSION = 1


@dataclass
class CoderSettings:
    C: float = 1.0
    question_weight: float = 0.5
    threshold: float = 0.5
    tune_thresholds: bool = False
    min_positives: int = 3
    folds: int = 8
    seed: int = 0

    @classmethod
    def from_config(cls, block: dict) -> CoderSettings:
        keys = cls.__dataclass_fields__
        return cls(**{k: v for k, v in block.items() if k in keys})


def logistic(z: np.ndarray) -> np.ndarray:
    """Probabilities from a linear model's scores (float32; scores clipped to +-50)."""
    return (1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))).astype(np.float32)


# a segment x code whose label is not known: a review decision on one code says nothing about the segment's others
UNKNOWN = -1


def known_labels(segment_ids: list[str], coded: np.ndarray, human: pd.DataFrame, review: pd.DataFrame, code_ids):
    """Y[i, j] = 1 / 0 where known, ``UNKNOWN`` elsewhere: every code of a segment the primary coder coded
    (``coded``, with ``human`` their codes), then each review decision on its own segment x code (a decision
    overrides the coding it corrects)."""
    y = np.full((len(segment_ids), len(code_ids)), UNKNOWN, dtype=np.int8)
    y[coded] = label_matrix([s for s, c in zip(segment_ids, coded, strict=True) if c], human, code_ids)
    row = {sid: i for i, sid in enumerate(segment_ids)}
    column = {c: j for j, c in enumerate(code_ids)}
    for r in review.itertuples(index=False):
        if r.segment_id in row and r.code_id in column:
            y[row[r.segment_id], column[r.code_id]] = 1 if r.decision == "include" else 0
    return y


def label_matrix(segment_ids: list[str], human: pd.DataFrame, code_ids: list[str]) -> np.ndarray:
    """Y[i, j] = 1 where the human coder gave segment i the code j."""
    index = {sid: i for i, sid in enumerate(segment_ids)}
    col = {c: j for j, c in enumerate(code_ids)}
    y = np.zeros((len(segment_ids), len(code_ids)), dtype=np.int8)
    for sid, code in zip(human["segment_id"], human["code_id"], strict=True):
        if sid in index and code in col:
            y[index[sid], col[code]] = 1
    return y


def dense_csr(dense: np.ndarray):
    """``scipy.sparse.csr_matrix(dense)`` for a 2-D array, built directly: the same arrays (zeros left out, the
    rest row by row), without the general conversion's 0.65 s for 15,676 segments x 768 features."""
    # SciPy's submodules load slowly: only where they are used
    from scipy.sparse import csr_matrix

    kept = dense != 0
    per_row = kept.sum(axis=1)
    index = np.int32 if max(int(per_row.sum()), dense.shape[1]) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(dense.shape[0] + 1, dtype=index)
    np.cumsum(per_row, out=indptr[1:])
    columns = np.nonzero(kept)[1].astype(index)
    return csr_matrix((dense[kept], columns, indptr), shape=dense.shape)


def _vectorizer(vocabulary=None):
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, stop_words="english", vocabulary=vocabulary, dtype=np.float32
    )


@dataclass
class Coder:
    """A multi-label coder. ``fit`` learns from (texts, embeddings, question embeddings, labels)."""

    code_ids: list[str]
    settings: CoderSettings = field(default_factory=CoderSettings)
    # fitted state (trailing underscore)
    vocabulary_: dict | None = None
    idf_: np.ndarray | None = None
    coef_: np.ndarray | None = None  # (codes, features)
    intercept_: np.ndarray | None = None  # (codes,)
    thresholds_: np.ndarray | None = None  # (codes,); inf where a code had too few examples to learn
    positives_: np.ndarray | None = None
    codebook_: dict = field(default_factory=dict)  # name, version and sha256 of the codebook it was trained with

    def _features(self, texts, emb, qemb, fit=False):
        # SciPy's submodules load slowly: only where they are used
        from scipy.sparse import hstack

        if fit:
            vec = _vectorizer()
            tfidf = vec.fit_transform(texts)
            self.vocabulary_ = {k: int(v) for k, v in vec.vocabulary_.items()}
            self.idf_ = vec.idf_.astype(np.float32)
        else:
            vec = _vectorizer(self.vocabulary_)
            vec.idf_ = self.idf_
            tfidf = vec.transform(texts)
        dense = np.hstack([emb, self.settings.question_weight * qemb]).astype(np.float32)
        return hstack([dense_csr(dense), tfidf]).tocsr()

    def fit(self, texts, emb, qemb, y, groups=None, prior=None) -> Coder:
        """Learn each code from the segments whose label for it is known (``y`` 1 / 0; ``UNKNOWN`` elsewhere, so
        full coding, partial coding and single review decisions all teach).

        ``prior`` (texts, embeddings, owner code of each text): the codebook's own texts, added to every code's
        training as positives of their code and negatives of the others (the cold start taught by review
        decisions). With a prior a code is learned from its first known positive and negative; without one it
        needs ``min_positives``.
        """
        # scikit-learn takes about a second to import: loaded only by the steps that fit or score
        from sklearn.linear_model import LogisticRegression

        s = self.settings
        texts, y = np.asarray(list(texts), dtype=object), np.asarray(y)
        rows = (y != UNKNOWN).any(axis=1)  # segments that teach anything (all of them for full coding)
        texts, emb, qemb, y = texts[rows], emb[rows], qemb[rows], y[rows]
        n_prior = 0
        if prior is not None:
            prior_texts, prior_emb, owner = prior
            n_prior = len(prior_texts)
            texts = np.concatenate([texts, np.asarray(prior_texts, dtype=object)])
            emb, qemb = np.vstack([emb, prior_emb]), np.vstack([qemb, np.zeros_like(prior_emb)])
        x = self._features(list(texts), emb, qemb, fit=True)
        n_codes = len(self.code_ids)
        self.coef_ = np.zeros((n_codes, x.shape[1]), dtype=np.float32)
        self.intercept_ = np.full(n_codes, -20.0, dtype=np.float32)
        self.positives_ = (y == 1).sum(axis=0).astype(np.int32)
        negatives = (y == 0).sum(axis=0)
        self.thresholds_ = np.full(n_codes, np.inf, dtype=np.float32)
        enough = 1 if prior is not None else s.min_positives
        for j in range(n_codes):
            if self.positives_[j] < enough or not negatives[j]:
                continue  # too few examples to learn this code: the model never assigns it
            known = np.concatenate([y[:, j] != UNKNOWN, np.ones(n_prior, dtype=bool)])
            labels = np.concatenate([y[:, j], (owner == j).astype(np.int8) if n_prior else []])
            model = LogisticRegression(C=s.C, class_weight="balanced", max_iter=3000, random_state=s.seed)
            model.fit(x[known], labels[known].astype(np.int8))
            self.coef_[j] = model.coef_[0]
            self.intercept_[j] = model.intercept_[0]
            self.thresholds_[j] = s.threshold
        # thresholds are tuned on the fully coded segments (single review decisions teach, but do not tune)
        full = (y != UNKNOWN).all(axis=1)
        if s.tune_thresholds and groups is not None and prior is None and len(set(groups[rows][full])) >= 2:
            self.thresholds_ = self._tuned_thresholds(texts[full], emb[full], qemb[full], y[full], groups[rows][full])
        return self

    def adopt(self, seeded: SeededCoder, codes: np.ndarray) -> Coder:
        """Take the codebook-seeded coder's model for ``codes`` (those no decision has taught yet): its weights on
        the segment embedding, zero on the question and the words, and its threshold."""
        dim = seeded.coef_.shape[1]
        for j in np.nonzero(codes)[0]:
            self.coef_[j] = 0.0
            self.coef_[j, :dim] = seeded.coef_[j]
            self.intercept_[j], self.thresholds_[j] = seeded.intercept_[j], seeded.thresholds_[j]
        return self

    def _tuned_thresholds(self, texts, emb, qemb, y, groups) -> np.ndarray:
        """Per code, the threshold that maximises F1 on participant-grouped out-of-fold probabilities."""
        # scikit-learn takes about a second to import: loaded only by the steps that fit or score
        from sklearn.metrics import f1_score

        probs, _ = cross_validated_predictions(texts, emb, qemb, y, groups, self.code_ids, self._untuned())
        out = self.thresholds_.copy()
        for j in range(len(self.code_ids)):
            if np.isfinite(out[j]) and y[:, j].sum():
                grid = np.round(np.arange(0.2, 0.85, 0.05), 2)
                out[j] = max(grid, key=lambda t: (f1_score(y[:, j], probs[:, j] >= t, zero_division=0), -abs(t - 0.5)))
        return out

    def _untuned(self) -> CoderSettings:
        return CoderSettings(**{**self.settings.__dict__, "tune_thresholds": False})

    def predict_proba(self, texts, emb, qemb) -> np.ndarray:
        x = self._features(list(texts), emb, qemb)
        return logistic(np.asarray(x @ self.coef_.T) + self.intercept_)

    def predict(self, probs: np.ndarray) -> np.ndarray:
        return (probs >= self.thresholds_).astype(np.int8)

    def fitted_digest(self) -> str:
        """A sha256 over what ``predict_proba`` computes with besides a segment's own features: the weights, the
        vocabulary and its idf, the settings and the codes."""
        digest = hashlib.sha256()
        for name in ("coef_", "intercept_", "idf_"):
            array = np.ascontiguousarray(getattr(self, name), dtype=np.float32)
            digest.update(f"{name}{array.shape}".encode() + array.tobytes())
        state = {"codes": self.code_ids, "settings": self.settings.__dict__, "vocabulary": self.vocabulary_}
        digest.update(json.dumps(state, sort_keys=True).encode())
        return digest.hexdigest()

    # ------------------------------------------------------------ persistence (no pickle)

    def save(self, target, provenance: dict | None = None) -> None:
        """Into a model folder, or the two files (``model_files``)."""
        save_model(
            target,
            {"coef": self.coef_, "intercept": self.intercept_, "idf": self.idf_},
            self.thresholds_,
            self.positives_,
            {
                "format_version": FORMAT_VERSION,
                "code_ids": self.code_ids,
                "settings": self.settings.__dict__,
                "vocabulary": self.vocabulary_,
                "features": "all-MiniLM-L6-v2 segment embedding + question_weight x question embedding + TF-IDF",
                "library_versions": library_versions(),
                **(provenance or {}),
            },
        )

    @classmethod
    def load(cls, folder: str | Path) -> Coder:
        folder = Path(folder)
        meta_path, weights_path = model_files(folder)
        if not meta_path.exists() or not weights_path.exists():
            raise PipelineError(
                "no trained coder here (coder.json and weights.safetensors are needed)",
                "Name a folder written by the workflow, e.g. outputs/demo/models/coder",
                file=folder,
            )
        meta = read_json_object(
            meta_path,
            "the coder's description",
            "Copy the whole model folder again from the run that wrote it, or retrain (remove coding.model)",
        )
        if meta.get("kind") == SEEDED_KIND:
            raise PipelineError(
                "this coder was built from the codebook alone, for a corpus with no human coding yet: it is not "
                "carried to another corpus",
                "Name a coder trained on human codes (a corpus with codes.csv or review decisions), or remove "
                "coding.model to build one from the codebook here",
                file=meta_path,
            )
        if meta.get("format_version") != FORMAT_VERSION:
            raise PipelineError(
                f"the coder was saved in format {meta.get('format_version')}, this pipeline reads {FORMAT_VERSION}",
                "Retrain it with this version of the pipeline",
                file=meta_path,
            )
        missing = [k for k in ("code_ids", "settings", "vocabulary") if k not in meta]
        if missing:
            raise PipelineError(
                f"the coder's description lacks {', '.join(missing)}: the folder is partial or was edited",
                "Copy the whole model folder again from the run that wrote it, or retrain (remove coding.model)",
                file=meta_path,
            )
        try:
            w = load_file(str(weights_path))
            shapes_ok = w["coef"].shape == (len(meta["code_ids"]), w["coef"].shape[1]) and len(w["idf"]) == len(
                meta["vocabulary"]
            )
        except Exception as exc:  # safetensors raises its own error types for truncated or foreign files
            raise PipelineError(
                f"the coder's weights cannot be read ({type(exc).__name__}): the file is partial or corrupt",
                "Copy the whole model folder again from the run that wrote it, or retrain (remove coding.model)",
                file=weights_path,
            ) from None
        if not shapes_ok:
            raise PipelineError(
                "the coder's weights do not fit its description (coder.json): the two files come from different runs",
                "Copy both files of the model folder from the same run, or retrain (remove coding.model)",
                file=weights_path,
            )
        coder = cls(meta["code_ids"], CoderSettings(**meta["settings"]))
        coder.codebook_ = meta.get("codebook", {})
        coder.vocabulary_ = meta["vocabulary"]
        coder.coef_, coder.intercept_, coder.idf_ = w["coef"], w["intercept"], w["idf"]
        coder.thresholds_ = np.where(w["thresholds"] < 0, np.inf, w["thresholds"]).astype(np.float32)
        coder.positives_ = w["positives"]
        return coder


SEEDED_KIND = "codebook-seeded"


def model_files(target) -> tuple[Path, Path]:
    """(coder.json, weights.safetensors) of a model folder, or the two paths themselves when given as a pair (the
    workflow passes each declared output explicitly)."""
    if isinstance(target, (tuple, list)):
        return Path(target[0]), Path(target[1])
    return Path(target) / "coder.json", Path(target) / "weights.safetensors"


def save_model(target, weights: dict, thresholds, positives, meta: dict) -> None:
    """A coder's files: ``weights.safetensors`` (the weights, thresholds with -1 for never, positives per code)
    and ``coder.json`` (``meta``); never pickle, which runs code on load. ``target``: a folder, or the two paths
    (``model_files``)."""
    meta_path, weights_path = model_files(target)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        **weights,
        "thresholds": np.where(np.isfinite(thresholds), thresholds, -1).astype(np.float32),
        "positives": positives,
    }
    with atomic_path(weights_path) as tmp:
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp))
    write_json(meta, meta_path)


def library_versions() -> dict:
    return {p: version(p) for p in ("scikit-learn", "numpy", "sentence-transformers", "safetensors", "spacy")}


def predict_proba_cached(coder: Coder, texts, emb, qemb, folder: str | Path | None = None) -> np.ndarray:
    """``coder.predict_proba``, with each segment's probabilities kept in ``folder`` between runs: a new wave
    computes its own segments only.

    A segment's probabilities depend on its text, its two embeddings and the fitted coder alone (the features of a
    row never read another row), so a value from the cache is the one a clean run computes. The key is a sha256
    of the text and the embeddings' bytes; the cache is reused only for the same fitted coder
    (``Coder.fitted_digest``), packages and code. Values are the float32 bytes (base64), so they come back
    bit for bit."""
    texts = list(texts)
    if not folder:
        return coder.predict_proba(texts, emb, qemb)
    identity = {
        "what": "a segment's probabilities under the coder",
        "coder": coder.fitted_digest(),
        "packages": versions("numpy", "scikit-learn", "scipy"),
        "code": source_digest(sys.modules[__name__]),
    }
    cache = TextCache(folder, identity)
    emb, qemb = np.ascontiguousarray(emb, dtype=np.float32), np.ascontiguousarray(qemb, dtype=np.float32)

    def key(i: int) -> str:
        return hashlib.sha256(texts[i].encode("utf-8") + b"\0" + emb[i].tobytes() + qemb[i].tobytes()).hexdigest()

    def compute(rows: list[int]) -> list[str]:
        probs = coder.predict_proba([texts[i] for i in rows], emb[rows], qemb[rows]).astype(np.float32)
        return [base64.b64encode(row.tobytes()).decode("ascii") for row in probs]

    values = cache.map(list(range(len(texts))), compute, key=key)
    cache.save()
    log.info("coder probabilities: %d of %d segments computed, the rest from the cache", cache.computed, len(texts))
    n_codes = len(coder.code_ids)
    if not values:
        return np.zeros((0, n_codes), dtype=np.float32)
    return np.frombuffer(b"".join(base64.b64decode(v) for v in values), dtype=np.float32).reshape(-1, n_codes).copy()


def cross_validated_predictions(texts, emb, qemb, y, groups, code_ids, settings) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, decisions) out of fold; thresholds (fixed or tuned within each training fold)."""
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.model_selection import GroupKFold

    texts = np.asarray(list(texts), dtype=object)
    folds = min(settings.folds, len(set(groups)))
    probs = np.zeros(y.shape, dtype=np.float32)
    decisions = np.zeros(y.shape, dtype=np.int8)
    if folds < 2:
        return probs, decisions
    for train, test in GroupKFold(n_splits=folds).split(texts, y, groups):
        coder = Coder(code_ids, settings).fit(texts[train], emb[train], qemb[train], y[train], groups[train])
        probs[test] = coder.predict_proba(texts[test], emb[test], qemb[test])
        decisions[test] = coder.predict(probs[test])
    return probs, decisions


def _short(value: str, n: int = 40) -> str:
    """A cell value quoted in an error: cut short, so a misplaced column cannot put transcript text on the console."""
    return value if len(value) <= n else value[:n] + "..."
