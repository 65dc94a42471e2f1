"""The cold start: a coder built from the codebook alone (no human coding yet), and taught by review decisions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.coding.coder import (
    FORMAT_VERSION,
    SEEDED_KIND,
    Coder,
    CoderSettings,
    library_versions,
    logistic,
    save_model,
)

# ---------------------------------------------------------------- the cold start: a coder from the codebook alone

# The codebook's own texts weigh as much as five segments each: they are the team's statement of the code.
PROTOTYPE_WEIGHT = 5.0


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
        # scikit-learn takes about a second to import: loaded only by the steps that fit or score
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

    def save(self, target, provenance: dict | None = None) -> None:
        save_model(
            target,
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
