"""Topic figures: top words per topic, topics by role, the topic x code heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.plots import OKABE_ITO, ROLE_COLOURS, _empty, _pyplot, save

# ---------------------------------------------------------------- topics


def _topic_name(topic_id: int, label: str) -> str:
    return f"T{topic_id}: {label}" if topic_id >= 0 else "Outliers"


def topic_words(topics: pd.DataFrame, weights: dict[int, list[tuple[str, float]]], png_path, max_topics=12) -> None:
    """Small multiples: the top c-TF-IDF words of the largest topics (outliers left out)."""
    plt = _pyplot()
    shown = topics[topics["topic_id"] >= 0].sort_values(["size", "topic_id"], ascending=[False, True]).head(max_topics)
    if shown.empty:
        _empty(plt, "No topics: too little structure for topic modelling in this corpus.", png_path)
        return
    cols = min(3, len(shown))
    rows = int(np.ceil(len(shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 1.9 * rows), squeeze=False)
    for ax, (_, topic) in zip(axes.ravel(), shown.iterrows(), strict=False):
        pairs = [(w, s) for w, s in weights.get(int(topic["topic_id"]), []) if w][:6]
        words = [w for w, _ in pairs][::-1]
        scores = [s for _, s in pairs][::-1]
        ax.barh(words, scores, color=OKABE_ITO["blue"], height=0.7)
        ax.set_title(f"Topic {topic['topic_id']} ({topic['size']} segments)", fontsize=8, loc="left")
        ax.tick_params(axis="both", labelsize=7)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
    for ax in axes.ravel()[len(shown) :]:
        ax.axis("off")
    fig.suptitle("Topic words: the highest c-TF-IDF words of the largest topics", x=0.01, ha="left", fontsize=9)
    fig.tight_layout()
    save(fig, png_path)


def topics_by_role(per_role: pd.DataFrame, roles: dict, png_path, max_topics=15) -> None:
    """Share of each role's modelled segments in each topic (largest topics first)."""
    plt = _pyplot()
    data = per_role.copy()
    data["topic_id"] = data["topic_id"].astype(int)
    data["share"] = data["share"].astype(float)
    data["segments"] = data["segments"].astype(int)
    sizes = data.groupby("topic_id")["segments"].sum()
    order = [t for t in sizes.sort_values(ascending=False, kind="stable").index if t >= 0][:max_topics]
    if not order:
        _empty(plt, "No topics: too little structure for topic modelling in this corpus.", png_path)
        return
    labels = data.drop_duplicates("topic_id").set_index("topic_id")["label"]
    role_ids = [r for r in roles if r in set(data["role"])] + sorted(set(data["role"]) - set(roles))
    height = 0.8 / max(1, len(role_ids))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(order) + 1.2))
    y = np.arange(len(order))
    for i, role in enumerate(role_ids):
        share = data[data["role"] == role].set_index("topic_id")["share"].reindex(order).fillna(0)
        ax.barh(
            y + i * height,
            share * 100,
            height=height,
            color=ROLE_COLOURS[i % len(ROLE_COLOURS)],
            label=roles.get(role, role),
        )
    ax.set_yticks(y + height * (len(role_ids) - 1) / 2)
    ax.set_yticklabels([_topic_name(t, labels.get(t, "")) for t in order])
    ax.invert_yaxis()
    ax.set_xlabel("% of the group's modelled segments")
    ax.set_title("Topics by participant group", loc="left")
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    save(fig, png_path)


def topic_code_heatmap(cross: pd.DataFrame, codebook, png_path, max_topics=20) -> None:
    """Share of each topic's segments that carry each final code: where inductive topics meet the codebook."""
    plt = _pyplot()
    data = cross[cross["topic_id"].astype(int) >= 0].sort_values(["size", "topic_id"], ascending=[False, True])
    data = data.head(max_topics)
    if data.empty:
        _empty(plt, "No topics: too little structure for topic modelling in this corpus.", png_path)
        return
    code_ids = [c for c in codebook.ids if c in data.columns]
    counts = data[code_ids].astype(int).to_numpy()
    share = counts / np.maximum(data["size"].astype(int).to_numpy()[:, None], 1)
    fig, ax = plt.subplots(figsize=(0.42 * len(code_ids) + 3.5, 0.38 * len(data) + 2.6))
    im = ax.imshow(share * 100, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(code_ids)))
    ax.set_xticklabels([codebook.label(c) for c in code_ids], rotation=55, ha="right", fontsize=7)
    ax.set_yticks(range(len(data)))
    ax.set_yticklabels(
        [_topic_name(int(t), lab) for t, lab in zip(data["topic_id"], data["label"], strict=True)], fontsize=7
    )
    for (i, j), value in np.ndenumerate(counts):
        if value:
            ax.text(
                j, i, str(value), ha="center", va="center", fontsize=6, color="white" if share[i, j] > 0.55 else "black"
            )
    bar = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label("% of the topic's segments with the code", fontsize=7)
    ax.set_title("Topics x codes (numbers: segments)", loc="left")
    ax.spines[:].set_visible(False)
    fig.tight_layout()
    save(fig, png_path)
