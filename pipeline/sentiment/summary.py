"""Sentiment aggregates with intervals that resample participants, and validation against human labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.statistics import cluster_bootstrap_interval
from pipeline.sentiment.vader import LABELS


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
    groups = scores.groupby(by, sort=True)
    # the label counts of every group at once (one pandas comparison per group and label took 1.2 s for 1,250
    # participants); integers, so the same whichever way they are counted
    counts = groups["label"].value_counts().unstack(fill_value=0).reindex(columns=LABELS, fill_value=0)
    label_counts = {
        k if isinstance(k, tuple) else (k,): row for k, row in zip(counts.index, counts.to_numpy(), strict=True)
    }
    none = np.zeros(len(LABELS), dtype=int)  # a group whose segments have no label
    for i, (key, g) in enumerate(groups):
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
        row.update({f"n_{lab}": int(n) for lab, n in zip(LABELS, label_counts.get(key, none), strict=True)})
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
    resampling participants (``pipeline.core.statistics.cluster_bootstrap_interval``)."""
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
            # scikit-learn takes about a second to import: loaded only where there are human labels to score
            from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

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
