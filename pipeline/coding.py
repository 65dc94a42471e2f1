"""Automated thematic coding: a supervised coder trained on human-coded segments, combined with patterns.

Features per segment: its sentence embedding, the embedding of the interviewer's question before it
(weighted), and TF-IDF of its words (1-2 grams). One class-weighted logistic regression per code
(one-vs-rest), with a decision threshold per code: fixed, or tuned by cross-validation grouped by
participant on the training data. Fitted state is saved as safetensors (weights) + JSON (vocabulary,
thresholds, settings, library versions): never pickle, which runs code on load.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.files import read_csv_text, spreadsheet_reader
from pipeline.human_codes import HUMAN_CODE_COLUMNS

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


def _vectorizer(vocabulary=None):
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
        from scipy.sparse import csr_matrix, hstack

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
        return hstack([csr_matrix(dense), tfidf]).tocsr()

    def fit(self, texts, emb, qemb, y, groups=None, prior=None) -> Coder:
        """Learn each code from the segments whose label for it is known (``y`` 1 / 0; ``UNKNOWN`` elsewhere, so
        full coding, partial coding and single review decisions all teach).

        ``prior`` (texts, embeddings, owner code of each text): the codebook's own texts, added to every code's
        training as positives of their code and negatives of the others (the cold start taught by review
        decisions). With a prior a code is learned from its first known positive and negative; without one it
        needs ``min_positives``.
        """
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

    # ------------------------------------------------------------ persistence (no pickle)

    def save(self, folder: str | Path, provenance: dict | None = None) -> None:
        save_model(
            folder,
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
        from safetensors.numpy import load_file

        folder = Path(folder)
        meta_path, weights_path = folder / "coder.json", folder / "weights.safetensors"
        if not meta_path.exists() or not weights_path.exists():
            raise PipelineError(
                "no trained coder here (coder.json and weights.safetensors are needed)",
                "Name a folder written by the workflow, e.g. outputs/demo/models/coder",
                file=folder,
            )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise PipelineError(
                f"the coder's description cannot be read ({type(exc).__name__}: {_short(str(exc), 60)})",
                "Copy the whole model folder again from the run that wrote it, or retrain (remove coding.model)",
                file=meta_path,
            ) from None
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


# ---------------------------------------------------------------- the cold start: a coder from the codebook alone

# The codebook's own texts weigh as much as five segments each: they are the team's statement of the code.
PROTOTYPE_WEIGHT = 5.0
SEEDED_KIND = "codebook-seeded"
# review decisions including a code before it is learned from them rather than from the codebook alone
TAUGHT_MIN_POSITIVES = 3


def codebook_texts(codebook) -> tuple[list[str], np.ndarray]:
    """Each code's own text in the codebook (label and definition, include criteria, examples) and its code."""
    texts, owner = [], []
    for j, code in enumerate(codebook.codes):
        own = [f"{code.label}. {' '.join(code.definition.split())}", *code.include, *code.examples]
        texts += [" ".join(t.split()) for t in own]
        owner += [j] * len(own)
    return texts, np.asarray(owner)


@dataclass
class SeededCoder:
    """A coder for a corpus with no human coding yet, built from the codebook alone (benchmarks/cold_start.py).

    For each code a class-weighted logistic regression on segment embeddings, taught by weak labels: the code's
    own texts in the codebook (weight ``PROTOTYPE_WEIGHT``) as positives and the other codes' texts as negatives,
    and every segment of the corpus, positive where the code's indicator phrases occur. Each code is then given
    to as many segments as its phrases hit (the phrases say how common a code is, the model says where): its
    threshold is the probability of the last segment so chosen. A code whose phrases never occur is not given.
    """

    code_ids: list[str]
    seed: int = 0
    coef_: np.ndarray | None = None
    intercept_: np.ndarray | None = None
    thresholds_: np.ndarray | None = None
    positives_: np.ndarray | None = None  # pattern hits per code: how many segments each code is given

    def fit(self, emb: np.ndarray, weak: np.ndarray, proto: np.ndarray, owner: np.ndarray) -> SeededCoder:
        from sklearn.linear_model import LogisticRegression

        n_codes, dim = len(self.code_ids), emb.shape[1]
        self.coef_ = np.zeros((n_codes, dim), dtype=np.float32)
        self.intercept_ = np.full(n_codes, -20.0, dtype=np.float32)
        self.thresholds_ = np.full(n_codes, np.inf, dtype=np.float32)
        self.positives_ = weak.sum(axis=0).astype(np.int32)
        weights = np.concatenate([np.ones(len(emb)), np.full(len(proto), PROTOTYPE_WEIGHT)])
        x = np.vstack([emb, proto])
        for j in range(n_codes):
            if not self.positives_[j]:
                continue
            labels = np.concatenate([weak[:, j], (owner == j).astype(np.int8)])
            model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000, random_state=self.seed)
            model.fit(x, labels, sample_weight=weights)
            self.coef_[j], self.intercept_[j] = model.coef_[0], model.intercept_[0]
        probs = self.predict_proba(emb)
        for j in np.nonzero(self.positives_)[0]:
            self.thresholds_[j] = np.sort(probs[:, j])[::-1][self.positives_[j] - 1]
        return self

    def predict_proba(self, emb: np.ndarray) -> np.ndarray:
        return logistic(emb @ self.coef_.T + self.intercept_)

    def predict(self, probs: np.ndarray) -> np.ndarray:
        return (probs >= self.thresholds_).astype(np.int8)

    def save(self, folder: str | Path, provenance: dict | None = None) -> None:
        save_model(
            folder,
            {"coef": self.coef_, "intercept": self.intercept_},
            self.thresholds_,
            self.positives_,
            {
                "format_version": FORMAT_VERSION,
                "kind": SEEDED_KIND,
                "code_ids": self.code_ids,
                "features": "all-MiniLM-L6-v2 segment embedding",
                "prototype_weight": PROTOTYPE_WEIGHT,
                "library_versions": library_versions(),
                **(provenance or {}),
            },
        )


def seeded_codes(codebook, segments: pd.DataFrame, emb: np.ndarray, patterns: pd.DataFrame, proto: np.ndarray, seed=0):
    """Pure core of the cold start: (coder, probabilities, decisions) for every segment."""
    code_ids = codebook.ids
    row = {s: i for i, s in enumerate(segments["segment_id"])}
    weak = np.zeros((len(segments), len(code_ids)), dtype=np.int8)
    column = {c: j for j, c in enumerate(code_ids)}
    for r in patterns.itertuples(index=False):
        if r.code_id in column:
            weak[row[r.segment_id], column[r.code_id]] = 1
    _, owner = codebook_texts(codebook)
    coder = SeededCoder(code_ids, seed).fit(emb, weak, proto, owner)
    probs = coder.predict_proba(emb)
    return coder, probs, coder.predict(probs)


def taught_coder(seeded: SeededCoder, texts, emb, qemb, known, prior, settings: CoderSettings) -> Coder:
    """A corpus with no human coding, taught by review decisions: each code with at least
    ``TAUGHT_MIN_POSITIVES`` included segments is learned from its decided segments and the codebook's texts
    (``prior``); every other code keeps the codebook-seeded coder's model (``Coder.adopt``)."""
    coder = Coder(seeded.code_ids, settings).fit(texts, emb, qemb, known, prior=prior)
    untaught = (known == 1).sum(axis=0) < TAUGHT_MIN_POSITIVES
    return coder.adopt(seeded, untaught | ~np.isfinite(coder.thresholds_))


def save_model(folder: str | Path, weights: dict, thresholds, positives, meta: dict) -> None:
    """A coder's folder: ``weights.safetensors`` (the weights, thresholds with -1 for never, positives per code)
    and ``coder.json`` (``meta``); never pickle, which runs code on load."""
    from safetensors.numpy import save_file

    from pipeline.files import atomic_path, write_json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        **weights,
        "thresholds": np.where(np.isfinite(thresholds), thresholds, -1).astype(np.float32),
        "positives": positives,
    }
    with atomic_path(folder / "weights.safetensors") as tmp:
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp))
    write_json(meta, folder / "coder.json")


def library_versions() -> dict:
    from importlib.metadata import version

    return {p: version(p) for p in ("scikit-learn", "numpy", "sentence-transformers", "safetensors", "spacy")}


def cross_validated_predictions(texts, emb, qemb, y, groups, code_ids, settings) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, decisions) out of fold; thresholds (fixed or tuned within each training fold)."""
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


# ---------------------------------------------------------------- combining sources and the stage edge

SEGMENT_CODE_COLUMNS = [
    "segment_id",
    "participant_id",
    "role",
    "wave",
    "code_id",
    "source",
    "coder",
    "confidence",
    "final",
]
# decision values a reviewer may write (case and surrounding spaces do not matter); written back as include / exclude
ACCEPT = ("include", "accept", "yes", "y", "true", "1")
REJECT = ("exclude", "reject", "no", "n", "false", "0")
REVIEW_COLUMNS = ["segment_id", "code_id", "decision", "reviewer"]
QUEUE_COLUMNS = [
    "rank",
    "purpose",
    "segment_id",
    "participant_id",
    "role",
    "wave",
    "code_id",
    "code_label",
    "machine_decision",
    "confidence",
    "uncertainty",
    "pattern_phrases",
    "text",
    "decision",
    "reviewer",
]


def _short(value: str, n: int = 40) -> str:
    """A cell value quoted in an error: cut short, so a misplaced column cannot put transcript text on the console."""
    return value if len(value) <= n else value[:n] + "..."


def read_review(path: Path | None, code_ids, segment_ids=None, codebook_path=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A filled-in review queue: (decisions, notes).

    Rows with a `decision` become human decisions (include or exclude). Columns a reviewer added to the queue
    (a note, a memo, a second opinion: any column the workflow does not write) are notes: one row per segment x
    code pair with a value in any of them (columns segment_id, code_id and the added columns, in file order), so
    that the next queue carries them. Every decided or annotated row is checked before anything is written: its
    segment must exist (where ``segment_ids`` is given), its code must be in the codebook, its decision one of
    ACCEPT or REJECT, and a segment x code pair may be decided (or annotated) only once; repeats of the same
    decision (or notes) are dropped. The file may be in any encoding Excel saves (see
    ``files.read_csv_text``).
    """
    from pipeline.human_codes import codebook_name

    if not path or not Path(path).exists():
        return pd.DataFrame(columns=REVIEW_COLUMNS), pd.DataFrame(columns=["segment_id", "code_id"])
    path = Path(path)
    reader = spreadsheet_reader(read_csv_text(path))
    missing = [c for c in ("segment_id", "code_id", "decision") if c not in reader.fieldnames]
    if missing:
        raise PipelineError(
            f"the review queue lacks the column(s) {', '.join(missing)}",
            "Fill in the `decision` column of the review_queue.csv the workflow wrote, keeping its other columns",
            file=path,
            line=1,
        )
    added = list(dict.fromkeys(c.strip() for c in reader.fieldnames if c and c.strip() not in QUEUE_COLUMNS))
    known = set(segment_ids) if segment_ids is not None else None
    out, seen, noted = [], {}, {}
    for row in reader:
        line = reader.line_num
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        written, note = values["decision"], tuple(values.get(c, "") for c in added)
        if not written and not any(note):
            continue
        sid, code = values["segment_id"], values["code_id"]
        if written and written.lower() not in ACCEPT + REJECT:
            raise PipelineError(
                f"decision '{_short(written)}' is neither include nor exclude",
                f"Write one of {', '.join(ACCEPT)} to include the code, one of {', '.join(REJECT)} to exclude it,"
                " or leave the cell empty",
                file=path,
                line=line,
            )
        if known is not None and sid not in known:
            raise PipelineError(
                f"unknown segment '{_short(sid)}'",
                "Use a segment_id of the review_queue.csv the workflow wrote for this corpus (outputs/<corpus>/tables/)"
                " or delete the row; segment ids change when transcripts are edited or segmented differently",
                file=path,
                line=line,
            )
        if code not in code_ids:
            raise PipelineError(
                f"unknown code id '{_short(code)}'",
                f"Use a code id from {codebook_name(codebook_path)}, or delete the row",
                file=path,
                line=line,
            )
        if any(note):
            if (sid, code) in noted and noted[(sid, code)][1] != note:
                raise PipelineError(
                    f"segment '{sid}' and code '{code}' have other notes on line {noted[(sid, code)][0]}",
                    "Keep the notes of each segment and code on one row: merge them and delete the other row",
                    file=path,
                    line=line,
                )
            noted.setdefault((sid, code), (line, note))
        if not written:
            continue
        decision = "include" if written.lower() in ACCEPT else "exclude"
        if (sid, code) in seen:
            first_line, first = seen[(sid, code)]
            if first != decision:
                raise PipelineError(
                    f"segment '{sid}' and code '{code}' were decided {first} on line {first_line} and {decision} here",
                    "Keep one decision for each segment and code: empty the other row's decision",
                    file=path,
                    line=line,
                )
            continue
        seen[(sid, code)] = (line, decision)
        out.append((sid, code, decision, values.get("reviewer") or "reviewer"))
    notes = [(sid, code, *note) for (sid, code), (_, note) in noted.items()]
    return pd.DataFrame(out, columns=REVIEW_COLUMNS), pd.DataFrame(notes, columns=["segment_id", "code_id", *added])


def combine(
    segments: pd.DataFrame,
    code_ids: list[str],
    human: pd.DataFrame,
    primary: str,
    probs: np.ndarray,
    decisions: np.ndarray,
    patterns: pd.DataFrame,
    review: pd.DataFrame,
    machine: str = "model",
) -> pd.DataFrame:
    """One row per (segment, code, source, coder); ``final`` marks the code set the findings use.

    ``machine`` names the machine coder's rows: ``model`` (trained on human codes) or ``codebook`` (the
    codebook-seeded coder of a corpus with no human coding).

    Final codes: the primary human coder's where the interview was human-coded, otherwise the model's;
    review decisions (include/exclude) override both.
    """
    meta = segments.set_index("segment_id")[["participant_id", "role", "wave"]]
    primary_rows = human[human["coder"] == primary]
    human_coded = segments["interview_id"].isin(set(primary_rows["interview_id"])).to_numpy()
    final: set[tuple[str, str]] = set(zip(primary_rows["segment_id"], primary_rows["code_id"], strict=True))
    ids = list(segments["segment_id"])
    order = {c: j for j, c in enumerate(code_ids)}
    for i, j in zip(*np.nonzero(decisions), strict=True):
        if not human_coded[i]:
            final.add((ids[i], code_ids[j]))
    for r in review.itertuples(index=False):
        (final.add if r.decision == "include" else final.discard)((r.segment_id, r.code_id))
    rows = []
    for r in human.itertuples(index=False):
        rows.append((r.segment_id, r.code_id, "human", r.coder, 1.0))
    for r in review[review["decision"] == "include"].itertuples(index=False):
        rows.append((r.segment_id, r.code_id, "human", r.reviewer, 1.0))
    for i, j in zip(*np.nonzero(decisions), strict=True):
        rows.append((ids[i], code_ids[j], machine, machine, float(probs[i, j])))
    for r in patterns.itertuples(index=False):
        if r.code_id in order:
            rows.append((r.segment_id, r.code_id, "pattern", "pattern", round(1 - 0.5**r.hits, 4)))
    out = pd.DataFrame(rows, columns=["segment_id", "code_id", "source", "coder", "confidence"])
    # a reviewer named like a human coder who gave the same code: one row
    out = out.drop_duplicates(["segment_id", "code_id", "source", "coder"]).join(meta, on="segment_id")
    out["final"] = [(s, c) in final for s, c in zip(out["segment_id"], out["code_id"], strict=True)]
    missing_final = final - set(zip(out["segment_id"], out["code_id"], strict=True))
    assert not missing_final, "every final code has a row"
    out = out.assign(_seg=out["segment_id"].map({s: i for i, s in enumerate(ids)}), _code=out["code_id"].map(order))
    out = out.sort_values(["_seg", "_code", "source", "coder"]).drop(columns=["_seg", "_code"])
    return out[SEGMENT_CODE_COLUMNS].reset_index(drop=True)


def closeness(probs, thresholds) -> np.ndarray:
    """How close each probability is to its code's threshold: 1 at the threshold (the coder is least sure), 0 at
    the far end of the scale; NaN where the code has no threshold."""
    p, t = np.asarray(probs, dtype=np.float64), np.asarray(thresholds, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(t), 1 - np.abs(p - t) / np.maximum(t, 1 - t), np.nan)


def teaching_batch(probs, thresholds, open_pairs, participants, includes, size: int) -> list[tuple[int, int]]:
    """The segment x code decisions that teach the coder most, at most ``size`` (README, "Review rounds").

    Every open pair (``open_pairs[i, j]``: a segment without human coding, a pair not yet decided) is scored:
    for a code that is taught (``includes``, its known included segments, reach ``TAUGHT_MIN_POSITIVES``), how
    close its probability is to the code's threshold (1 at the threshold, the coder is least sure there); for a
    code not yet taught, the codebook-seeded coder's most likely segments first (probability over threshold), so
    that the first decisions find the positives a code is learned from. Pairs are then taken best first while no
    code has more than ceil(size / codes) (a code not yet taught: at least twice the includes it still lacks, so
    a round can teach it) and no participant more than max(2, ceil(2 x size / participants)), so one round
    covers many codes and people; ties go to the earlier segment and code.
    """
    k = probs.shape[1]
    includes = np.asarray(includes)
    taught = includes >= TAUGHT_MIN_POSITIVES
    t = np.where(np.isfinite(thresholds), thresholds, 0.5)
    score = np.where(taught[None, :], closeness(probs, t), probs / np.maximum(t, 1e-6))
    rows, cols = np.nonzero(open_pairs)
    order = np.lexsort((cols, rows, -score[rows, cols]))
    people = sorted(set(participants[rows])) if len(rows) else []
    per_person = max(2, -(-2 * size // max(len(people), 1)))
    per_code = np.where(taught, -(-size // k), np.maximum(-(-size // k), 2 * (TAUGHT_MIN_POSITIVES - includes)))
    chosen, codes, persons, rest = [], {}, {}, []
    for i, j in zip(rows[order], cols[order], strict=True):
        if len(chosen) == size:
            break
        who = participants[i]
        if codes.get(j, 0) >= per_code[j] or persons.get(who, 0) >= per_person:
            rest.append((int(i), int(j)))
            continue
        chosen.append((int(i), int(j)))
        codes[j], persons[who] = codes.get(j, 0) + 1, persons.get(who, 0) + 1
    return chosen + rest[: size - len(chosen)]


def review_queue(
    segments,
    code_ids,
    labels,
    probs,
    thresholds,
    patterns,
    machine_rows,
    size: int,
    reviewed=None,
    notes=None,
    batch=(),
) -> pd.DataFrame:
    """The review queue: decisions that teach the coder, machine decisions a person should check, then the
    decisions already made (``purpose`` teach / check / decided).

    First, ranked, ``batch``: the round's segment x code pairs chosen by ``teaching_batch``. Then, ranked on,
    the machine decisions closest to the threshold and the pattern hits the model disagrees with (most
    uncertain first, at most ``size``), leaving out every segment x code pair already decided in ``reviewed``
    (the imported queue's decisions, see ``read_review``) or in the batch. Then, without a rank, every one of those
    decided pairs with its decision and reviewer filled in, in the order of the imported file. A user who fills
    in this queue and copies it over the corpus's review_queue.csv therefore keeps all earlier decisions.
    Columns the reviewer added (``notes``, see ``read_review``) follow the queue's own, filled in wherever a pair
    had notes; an annotated pair that is neither ranked nor decided is listed last, so no note is lost.
    """
    reviewed = reviewed if reviewed is not None else pd.DataFrame(columns=REVIEW_COLUMNS)
    notes = notes if notes is not None else pd.DataFrame(columns=["segment_id", "code_id"])
    added = [c for c in notes.columns if c not in ("segment_id", "code_id")]
    note_of = {(r[0], r[1]): dict(zip(added, r[2:], strict=True)) for r in notes.itertuples(index=False)}
    blank = dict.fromkeys(added, "")
    pattern_map = {(r.segment_id, r.code_id): r.phrases for r in patterns.itertuples(index=False)}
    decided = set(zip(reviewed["segment_id"], reviewed["code_id"], strict=True))

    sids = segments["segment_id"].to_numpy()
    column_of = {c: segments[c].tolist() for c in ("participant_id", "role", "wave", "text")}

    def uncertainty(i: int, j: int) -> float:
        return round(float(closeness(probs[i, j], thresholds[j])), 4)

    def entry(i: int, j: int, purpose: str = "check") -> dict:
        p, code = float(probs[i, j]), code_ids[j]
        return {
            "purpose": purpose,
            "segment_id": sids[i],
            "participant_id": column_of["participant_id"][i],
            "role": column_of["role"][i],
            "wave": column_of["wave"][i],
            "code_id": code,
            "code_label": labels[code],
            "machine_decision": "include" if p >= thresholds[j] else "exclude",
            "confidence": round(p, 4),
            "uncertainty": uncertainty(i, j),
            "pattern_phrases": pattern_map.get((sids[i], code), ""),
            "text": column_of["text"][i],
            "decision": "",
            "reviewer": "",
            **note_of.get((sids[i], code), blank),
        }

    teach = [entry(i, j, "teach") for i, j in batch]
    taken = decided | {(sids[i], code_ids[j]) for i, j in batch}
    rows = []
    for i in np.nonzero(machine_rows)[0]:
        for j, code in enumerate(code_ids):
            if not np.isfinite(thresholds[j]) or (sids[i], code) in taken:
                continue
            below = probs[i, j] < thresholds[j]
            if uncertainty(i, j) < 0.5 and not (pattern_map.get((sids[i], code)) and below):
                continue
            rows.append(entry(i, j))
    columns = QUEUE_COLUMNS[1:] + added
    queue = pd.DataFrame(rows, columns=columns)
    if not queue.empty:
        queue = queue.sort_values(["uncertainty", "segment_id", "code_id"], ascending=[False, True, True]).head(size)
    queue = pd.concat([pd.DataFrame(teach, columns=columns), queue], ignore_index=True) if teach else queue
    position = {sid: i for i, sid in enumerate(segments["segment_id"])}
    column = {c: j for j, c in enumerate(code_ids)}
    done = [
        {
            **entry(position[r.segment_id], column[r.code_id], "decided"),
            "decision": r.decision,
            "reviewer": r.reviewer,
        }
        for r in reviewed.itertuples(index=False)
    ]
    listed = decided | set(zip(queue["segment_id"], queue["code_id"], strict=True))
    done += [
        entry(position[sid], column[code], "note")
        for sid, code in note_of
        if (sid, code) not in listed and sid in position and code in column
    ]
    ranks = list(range(1, len(queue) + 1)) + [None] * len(done)
    queue = pd.concat([queue, pd.DataFrame(done, columns=columns)], ignore_index=True)
    queue.insert(0, "rank", pd.array(ranks, dtype="Int64"))
    return queue


def run(
    segments_csv,
    embeddings_path,
    human_path,
    codebook_path,
    settings: CoderSettings,
    primary: str,
    out: dict,
    pretrained: str = "",
    review_path: str = "",
    queue_size: int = 200,
    fit_waves: list[int] | None = None,
    batch_size: int = 40,
) -> dict:
    """Edge: train (or load) the coder, validate it, code every segment, write tables and the model."""
    import time

    from pipeline import embeddings as emb_store
    from pipeline.codebook import load_codebook
    from pipeline.files import read_table, write_csv, write_parquet
    from pipeline.patterns import PatternCoder
    from pipeline.reliability import agreement_table, validation_table

    started = time.perf_counter()
    codebook = load_codebook(codebook_path)
    code_ids = codebook.ids
    segments = read_table(segments_csv)
    segments["wave"] = segments["wave"].astype(int)
    ids, emb, qemb = emb_store.load(embeddings_path)
    if ids != list(segments["segment_id"]):
        raise PipelineError("the embeddings do not match segments.csv", "Rerun the workflow", file=embeddings_path)
    # a filled-in review queue is checked before anything is written
    review, notes = read_review(review_path or None, set(code_ids), set(segments["segment_id"]), codebook_path)
    human = (
        pd.read_parquet(human_path)
        if human_path and Path(human_path).exists()
        else pd.DataFrame(columns=HUMAN_CODE_COLUMNS)
    )
    primary_codes = human[human["coder"] == primary]
    coded = segments["interview_id"].isin(set(primary_codes["interview_id"])).to_numpy()
    if fit_waves:  # models.freeze: learn from the listed waves only; later waves do not change the coder
        coded = coded & segments["wave"].isin(fit_waves).to_numpy()
    y = label_matrix(list(segments.loc[coded, "segment_id"]), primary_codes, code_ids)
    groups = segments.loc[coded, "participant_id"].to_numpy()
    texts = segments["text"].to_numpy(dtype=object)
    # everything known teaches: the human coding, then every review decision kept across rounds
    known = known_labels(list(segments["segment_id"]), coded, primary_codes, review, code_ids)
    if fit_waves:
        known[~segments["wave"].isin(fit_waves).to_numpy()] = UNKNOWN
    decided = int(((known != UNKNOWN) & ~coded[:, None]).sum())

    patterns = PatternCoder(codebook).code(segments)
    # validation: out-of-fold machine codes for every human-coded segment
    machine = "model"
    probs = np.zeros((len(segments), len(code_ids)), dtype=np.float32)
    decisions = np.zeros(probs.shape, dtype=np.int8)
    if pretrained:
        coder = Coder.load(pretrained)
        theirs = coder.codebook_.get("version", "unknown")
        if coder.code_ids != code_ids or (coder.codebook_ and theirs != codebook.version):
            other = sorted(set(coder.code_ids) ^ set(code_ids))
            differ = f"; codes in one only: {', '.join(other[:5])}" if other else ""
            raise PipelineError(
                f"the trained coder was made for codebook version {theirs}, this corpus uses version "
                f"{codebook.version} of {Path(codebook_path).name}{differ}",
                "Use a coder trained with this codebook version, or retrain (remove coding.model)",
                file=Path(pretrained) / "coder.json",
            )
        probs = coder.predict_proba(texts, emb, qemb)
        decisions = coder.predict(probs)
        how = f"applied the coder from {pretrained}"
        coder.save(
            out["model"], {"applied_from": str(pretrained), **json.loads((Path(pretrained) / "coder.json").read_text())}
        )
    elif not coded.any():  # the cold start: no human coding yet, a coder built from the codebook alone
        from pipeline.embeddings import embed  # the model loads only here: other runs read cached embeddings

        texts_of_codebook, owner = codebook_texts(codebook)
        proto = embed(texts_of_codebook)
        coder, probs, decisions = seeded_codes(codebook, segments, emb, patterns, proto, settings.seed)
        machine = "codebook"
        how = "coded by the codebook-seeded coder (no human coding: not validated)"
        provenance = {"codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256}}
        if decided:  # review rounds: each decision teaches its code; codes not yet taught keep the seeded model
            coder = taught_coder(coder, texts, emb, qemb, known, (texts_of_codebook, proto, owner), settings)
            probs = coder.predict_proba(texts, emb, qemb)
            decisions = coder.predict(probs)
            how = f"codebook-seeded coder taught by {decided} review decisions (not validated)"
            provenance["taught_by"] = {"review_decisions": decided}
        coder.save(out["model"], provenance)
    else:
        if len(set(groups)) >= 2:
            p, d = cross_validated_predictions(texts[coded], emb[coded], qemb[coded], y, groups, code_ids, settings)
            probs[coded], decisions[coded] = p, d
        coder = Coder(code_ids, settings).fit(texts, emb, qemb, known, segments["participant_id"].to_numpy())
        rest = ~coded
        if rest.any():
            probs[rest] = coder.predict_proba(texts[rest], emb[rest], qemb[rest])
            decisions[rest] = coder.predict(probs[rest])
        how = f"trained on {int(coded.sum())} human-coded segments of {len(set(groups))} participants"
        how += f" and {decided} review decisions" if decided else ""
        coder.save(
            out["model"],
            {
                "trained_on": {
                    "segments": int(coded.sum()),
                    "participants": len(set(groups)),
                    "coder": primary,
                    "review_decisions": decided,
                },
                "codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256},
            },
        )

    validation = (
        validation_table(y, decisions[coded], code_ids, groups, settings.seed)
        if coded.any()
        else validation_table(np.zeros((0, len(code_ids)), np.int8), np.zeros((0, len(code_ids)), np.int8), code_ids)
    )
    method = "pretrained coder" if pretrained else "participant-grouped cross-validation"
    validation.insert(0, "method", "codebook-seeded coder, not validated" if machine == "codebook" else method)
    write_csv(validation, out["validation"])

    # reliability: human vs human on double-coded segments, human vs machine on human-coded segments
    tables = []
    for other in sorted(set(human["coder"]) - {primary}):
        both = set(human.loc[human["coder"] == other, "interview_id"]) & set(primary_codes["interview_id"])
        mask = segments["interview_id"].isin(both).to_numpy()
        if mask.any():
            sids = list(segments.loc[mask, "segment_id"])
            a = label_matrix(sids, primary_codes, code_ids)
            b = label_matrix(sids, human[human["coder"] == other], code_ids)
            tables.append(agreement_table(a, b, code_ids, f"{primary} vs {other}"))
    if coded.any():
        tables.append(agreement_table(y, decisions[coded], code_ids, f"{primary} vs machine"))
    reliability = (
        pd.concat(tables, ignore_index=True)
        if tables
        else agreement_table(np.zeros((0, len(code_ids))), np.zeros((0, len(code_ids))), code_ids, "none")
    )
    write_csv(reliability, out["reliability"])

    table = combine(segments, code_ids, human, primary, probs, decisions, patterns, review, machine)
    write_csv(table, out["segment_codes"])
    thresholds = coder.thresholds_
    labels = {c.id: c.label for c in codebook.codes}
    open_pairs = (known == UNKNOWN) & ~coded[:, None] & np.isfinite(thresholds)[None, :]
    participants = segments["participant_id"].to_numpy()
    batch = teaching_batch(probs, thresholds, open_pairs, participants, (known == 1).sum(axis=0), batch_size)
    queue = review_queue(
        segments, code_ids, labels, probs, thresholds, patterns, ~coded, queue_size, review, notes, batch
    )
    write_csv(queue, out["review_queue"])
    prob_table = pd.DataFrame(probs, columns=code_ids)
    prob_table.insert(0, "segment_id", segments["segment_id"].to_numpy())
    write_parquet(prob_table, out["probabilities"])
    pooled = validation.set_index("code_id").loc["pooled"]
    log.info(
        "%s; %d segments coded (%d by humans); pooled kappa vs %s %.3f; %.1fs",
        how,
        len(segments),
        int(coded.sum()),
        primary,
        pooled["cohen_kappa"],
        time.perf_counter() - started,
    )
    return {"kappa": float(pooled["cohen_kappa"])}
