"""Agreement between two coders on segments as units, per code (present/absent) and pooled.

Percent agreement, Cohen's kappa (scikit-learn), Krippendorff's alpha (krippendorff, nominal) and
Gwet's AC1. Kappa and alpha collapse when a code is rare even if coders agree almost always (the
"kappa paradox"); AC1 does not, so the table reports all of them side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def percent_agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.asarray(a) == np.asarray(b))) if len(a) else float("nan")


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import cohen_kappa_score

    a, b = np.asarray(a), np.asarray(b)
    if not len(a):
        return float("nan")
    if len(set(a) | set(b)) < 2:
        return 1.0  # both coders gave one and the same value everywhere: perfect, if uninformative
    return float(cohen_kappa_score(a, b))


def krippendorff_alpha(a: np.ndarray, b: np.ndarray) -> float:
    import krippendorff

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


def validation_table(y_true: np.ndarray, y_pred: np.ndarray, code_ids: list[str]) -> pd.DataFrame:
    """Precision, recall, F1 and Cohen's kappa of machine against human codes, per code and pooled."""
    from sklearn.metrics import f1_score, precision_score, recall_score

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
            }
        )
    return pd.DataFrame(rows)
