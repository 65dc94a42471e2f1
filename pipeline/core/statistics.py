"""Agreement between two coders on segments as units, per code (present/absent) and pooled.

Percent agreement, Cohen's kappa (scikit-learn), Krippendorff's alpha (krippendorff, nominal) and
Gwet's AC1. Kappa and alpha collapse when a code is rare even if coders agree almost always (the
"kappa paradox"); AC1 does not, so the table reports all of them side by side.

The machine coder's validation also carries a 95% interval for each kappa, from a bootstrap that resamples
whole participants (a participant's segments are not independent of one another, so resampling segments would
give intervals that are too narrow). Each draw sums the participants' agreement counts, so it is exact and fast.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd


def percent_agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.asarray(a) == np.asarray(b))) if len(a) else float("nan")


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.metrics import cohen_kappa_score

    a, b = np.asarray(a), np.asarray(b)
    if not len(a):
        return float("nan")
    if len(set(a) | set(b)) < 2:
        return 1.0  # both coders gave one and the same value everywhere: perfect, if uninformative
    return float(cohen_kappa_score(a, b))


def krippendorff_alpha(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not len(a):
        return float("nan")
    if len(set(a) | set(b)) < 2:
        return 1.0
    return float(krippendorff.alpha(reliability_data=np.vstack([a, b]), level_of_measurement="nominal"))


def gwet_ac1(a: np.ndarray, b: np.ndarray) -> float:
    """Gwet's AC1 for two coders and nominal categories: (pa - pe) / (1 - pe), pe = sum_k pi_k (1 - pi_k) / (K - 1)."""
    a, b = np.asarray(a), np.asarray(b)
    if not len(a):
        return float("nan")
    categories = sorted(set(a) | set(b)) or [0, 1]
    k = max(len(categories), 2)
    pa = np.mean(a == b)
    pi = [(np.mean(a == c) + np.mean(b == c)) / 2 for c in categories]
    pe = sum(p * (1 - p) for p in pi) / (k - 1)
    return float((pa - pe) / (1 - pe)) if pe < 1 else 1.0


METRICS = {
    "percent_agreement": percent_agreement,
    "cohen_kappa": cohen_kappa,
    "krippendorff_alpha": krippendorff_alpha,
    "gwet_ac1": gwet_ac1,
}


def agreement_table(a: np.ndarray, b: np.ndarray, code_ids: list[str], comparison: str) -> pd.DataFrame:
    """Rows per code and a pooled row: metrics over segments (pooled: over every segment x code decision)."""
    rows = []
    for j, code in enumerate([*code_ids, "pooled"]):
        x, y = (a.ravel(), b.ravel()) if code == "pooled" else (a[:, j], b[:, j])
        row = {
            "comparison": comparison,
            "code_id": code,
            "units": len(x),
            "coder_a_yes": int(x.sum()),
            "coder_b_yes": int(y.sum()),
        }
        row.update({name: round(f(x, y), 4) for name, f in METRICS.items()})
        rows.append(row)
    return pd.DataFrame(rows)


BOOTSTRAP_DRAWS = 2000


def cluster_bootstrap_interval(
    counts: np.ndarray, statistic, seed: int, n: int = BOOTSTRAP_DRAWS
) -> tuple[float, float]:
    """95% percentile interval of ``statistic`` when whole clusters are resampled with replacement.

    ``counts`` holds additive counts per cluster, shape (clusters, ...); ``statistic`` maps summed counts of
    shape (draws, ...) to one value per draw. Draws where the statistic is undefined (nan) are left out.
    (nan, nan) with fewer than 2 clusters: there is nothing to resample."""
    counts = np.asarray(counts, dtype=float)
    k = len(counts)
    if k < 2:
        return float("nan"), float("nan")
    weights = np.random.default_rng(seed).multinomial(k, np.full(k, 1.0 / k), size=n)  # times each cluster is drawn
    values = np.asarray(statistic((weights @ counts.reshape(k, -1)).reshape(n, *counts.shape[1:])), dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def kappa_from_counts(c: np.ndarray) -> np.ndarray:
    """Cohen's kappa of a binary decision from counts (..., 4) = (both yes, only a yes, only b yes, both no);
    1 where both coders gave one and the same value throughout (as ``cohen_kappa``), nan without units."""
    both, only_a, only_b, neither = np.moveaxis(np.asarray(c, dtype=float), -1, 0)
    n = both + only_a + only_b + neither
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = (both + neither) / n
        a_yes, b_yes = (both + only_a) / n, (both + only_b) / n
        expected = a_yes * b_yes + (1 - a_yes) * (1 - b_yes)
        kappa = (observed - expected) / (1 - expected)
    return np.where(n == 0, np.nan, np.where(np.isclose(expected, 1.0), 1.0, kappa))


def agreement_counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 4) counts (both yes, only a yes, only b yes, both no) over the first axis of two 0/1 arrays."""
    a, b = np.asarray(a).astype(bool), np.asarray(b).astype(bool)
    return np.stack([(a & b).sum(0), (a & ~b).sum(0), (~a & b).sum(0), (~a & ~b).sum(0)], axis=-1)


def kappa_intervals(y_true: np.ndarray, y_pred: np.ndarray, groups, seed: int) -> np.ndarray:
    """(codes + 1, 2): participant-resampled 95% interval of each code's kappa and of the pooled kappa."""
    groups = np.asarray(groups)
    labels = sorted(set(groups.tolist()))
    per_code = np.stack([agreement_counts(y_true[groups == g], y_pred[groups == g]) for g in labels])  # (k, codes, 4)
    counts = np.concatenate([per_code, per_code.sum(axis=1, keepdims=True)], axis=1)  # pooled: all decisions
    out = np.full((counts.shape[1], 2), np.nan)
    for j in range(counts.shape[1]):
        out[j] = cluster_bootstrap_interval(counts[:, j], kappa_from_counts, seed + j)
    return out


def validation_table(
    y_true: np.ndarray, y_pred: np.ndarray, code_ids: list[str], groups=None, seed: int = 0
) -> pd.DataFrame:
    """Precision, recall, F1 and Cohen's kappa of machine against human codes, per code and pooled, with the
    kappa's 95% interval from resampling participants (``groups``: one per row; nan without two of them)."""
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.metrics import f1_score, precision_score, recall_score

    intervals = (
        kappa_intervals(y_true, y_pred, groups, seed)
        if groups is not None and len(y_true)
        else np.full((len(code_ids) + 1, 2), np.nan)
    )
    rows = []
    for j, code in enumerate([*code_ids, "pooled"]):
        t, p = (y_true.ravel(), y_pred.ravel()) if code == "pooled" else (y_true[:, j], y_pred[:, j])
        if not len(t):  # no human-coded segments to validate against
            rows.append(
                {
                    "code_id": code,
                    "segments": 0,
                    "human_yes": 0,
                    "machine_yes": 0,
                    "precision": float("nan"),
                    "recall": float("nan"),
                    "f1": float("nan"),
                    "cohen_kappa": float("nan"),
                    "kappa_ci_low": float("nan"),
                    "kappa_ci_high": float("nan"),
                }
            )
            continue
        rows.append(
            {
                "code_id": code,
                "segments": len(t),
                "human_yes": int(t.sum()),
                "machine_yes": int(p.sum()),
                "precision": round(float(precision_score(t, p, zero_division=0)), 4),
                "recall": round(float(recall_score(t, p, zero_division=0)), 4),
                "f1": round(float(f1_score(t, p, zero_division=0)), 4),
                "cohen_kappa": round(cohen_kappa(t, p), 4),
                "kappa_ci_low": round(intervals[j, 0], 4),
                "kappa_ci_high": round(intervals[j, 1], 4),
            }
        )
    return pd.DataFrame(rows)
