"""Sentiment figures: code-level labels by code and role, mean sentiment by wave and role."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.plots import OKABE_ITO, ROLE_COLOURS, _pyplot, save

SENTIMENT_COLOURS = {
    "negative": OKABE_ITO["vermillion"],
    "mixed": OKABE_ITO["orange"],
    "neutral": "#D9D9D9",
    "positive": OKABE_ITO["blue"],
}


def sentiment_by_code(by_code: pd.DataFrame, roles: dict, png_path) -> None:
    """Diverging stacked bars: share of each code's segments by sentiment label, one panel per role.

    Uses the code-level labels (human where coded, else the supervised model) where the table has them
    (``code_n_*`` columns), else the segment's VADER label."""
    plt = _pyplot()
    prefix = "code_n_" if "code_n_positive" in by_code.columns else "n_"
    labels = list(dict.fromkeys(by_code["label"]))
    fig, axes = plt.subplots(
        1, len(roles), figsize=(4.2 * len(roles), 0.32 * len(labels) + 1.6), sharey=True, squeeze=False
    )
    for ax, (role, role_label) in zip(axes[0], roles.items(), strict=True):
        sub = by_code[by_code["role"] == role].set_index("label").reindex(labels)
        counts = sub[[f"{prefix}{k}" for k in ("negative", "mixed", "neutral", "positive")]].fillna(0).to_numpy()
        totals = counts.sum(axis=1)
        share = (
            np.divide(counts, totals[:, None], out=np.zeros_like(counts, dtype=float), where=totals[:, None] > 0) * 100
        )
        y = np.arange(len(labels))[::-1]
        left = -(share[:, 0] + share[:, 1] + share[:, 2] / 2)
        for k, name in enumerate(("negative", "mixed", "neutral", "positive")):
            ax.barh(y, share[:, k], left=left, color=SENTIMENT_COLOURS[name], label=name.capitalize(), height=0.7)
            left = left + share[:, k]
        for yi, n in zip(y, totals, strict=True):
            ax.text(102, yi, f"n={int(n)}", va="center", fontsize=7, color="#444444")
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xlim(-100, 115)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"])
        ax.set_title(role_label, fontsize=10)
        ax.set_yticks(y, labels)
    axes[0][0].legend(
        loc="upper center", bbox_to_anchor=(len(roles) / 2 * 1.05, -0.06), ncol=4, frameon=False, fontsize=8
    )
    source = "human labels where coded, else the model" if prefix == "code_n_" else "VADER"
    fig.suptitle(f"How participants felt about each code (share of coded segments; {source})", fontsize=10)
    save(fig, png_path)


def sentiment_by_wave(by_wave: pd.DataFrame, roles: dict, png_path) -> None:
    """Mean compound sentiment per wave and role with bootstrap 95% intervals."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    waves = sorted(by_wave["wave"].unique())
    for i, (role, role_label) in enumerate(roles.items()):
        sub = by_wave[by_wave["role"] == role].set_index("wave").reindex(waves)
        x = np.arange(len(waves)) + (i - (len(roles) - 1) / 2) * 0.12
        err = np.vstack([sub["mean_compound"] - sub["ci_low"], sub["ci_high"] - sub["mean_compound"]]).clip(min=0)
        ax.errorbar(
            x,
            sub["mean_compound"],
            yerr=np.nan_to_num(err),
            fmt="o-",
            capsize=3,
            color=ROLE_COLOURS[i % 4],
            label=f"{role_label}",
        )
        for xi, low, n in zip(x, sub["ci_low"].fillna(sub["mean_compound"]), sub["segments"], strict=True):
            if pd.notna(low):  # the number of segments, centred under the interval
                ax.annotate(
                    f"n={int(n)}",
                    (xi, low),
                    textcoords="offset points",
                    xytext=(0, -10),
                    ha="center",
                    fontsize=7,
                    color=ROLE_COLOURS[i % 4],
                )
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.margins(y=0.15)
    ax.set_xticks(range(len(waves)), [f"Wave {w}" for w in waves])
    ax.set_ylabel("Mean compound sentiment (VADER, -1 to 1)")
    ax.set_title("Sentiment by wave (95% bootstrap intervals)", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    save(fig, png_path)
