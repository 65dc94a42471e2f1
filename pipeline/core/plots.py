"""Figures in one style: matplotlib, a colour-blind-safe palette (Okabe-Ito), words not ids, PNG (300 dpi) + SVG;
the helpers every stage's figures share."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pipeline.core.files import atomic_path

OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}


PNG_DPI = 300

ROLE_COLOURS = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"]]


def _runs(values: list) -> list[tuple[int, int, object]]:
    """(start, end, value) of each run of equal neighbours: [a, a, b] -> [(0, 2, a), (2, 3, b)]."""
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            out.append((start, i, values[start]))
            start = i
    return out


def _pyplot():
    # matplotlib loads slowly (and sets its backend): only where a figure is drawn
    import matplotlib

    matplotlib.use("Agg")
    # matplotlib loads slowly (and sets its backend): only where a figure is drawn
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "qualeval",
            "svg.fonttype": "none",
            "figure.dpi": 100,
        }
    )
    return plt


def save(fig, png_path) -> None:
    """PNG at 300 dpi and SVG beside it, written atomically, with no timestamps (same bytes every run)."""

    # matplotlib loads slowly (and sets its backend): only where a figure is drawn
    import matplotlib.pyplot as plt

    png_path = Path(png_path)
    # the tight bounding box, found once for both files (with bbox_inches="tight" each savefig laid the figure
    # out again to find it; draw_figures at 1,250 interviews: 4.2 -> 3.7 CPU-s), at the PNG's resolution, where
    # text is measured as the PNG draws it: the PNG is the one bbox_inches="tight" gives (tested)
    dpi = fig.dpi
    fig.set_dpi(PNG_DPI)
    try:
        fig.draw_without_rendering()
        box = fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
    finally:
        fig.set_dpi(dpi)
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=PNG_DPI, bbox_inches=box, metadata={"Software": None})
    with atomic_path(png_path.with_suffix(".svg")) as tmp:
        fig.savefig(tmp, format="svg", bbox_inches=box, metadata={"Date": None, "Creator": None})
    plt.close(fig)


def _empty(plt, message: str, png_path) -> None:
    fig, ax = plt.subplots(figsize=(6, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    save(fig, png_path)


def _wrap(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)
