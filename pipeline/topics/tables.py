"""Topic tables: topics, segment topics, topics per role and wave, and the topic x code crosswalk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.tables import as_bool
from pipeline.topics.model import OUTLIER, TopicResult, _topic_vectors, topic_labels


def segment_topics(seg: pd.DataFrame, keep: pd.Series, result: TopicResult) -> pd.DataFrame:
    """One row per segment: its topic (-1: outlier or too short to model), probability and how it was assigned."""
    out = seg[["segment_id"]].copy()
    out["topic_id"] = OUTLIER
    out["probability"] = 0.0
    out["assignment"] = "too_short"
    idx = np.flatnonzero(keep.to_numpy())
    out.loc[out.index[idx], "topic_id"] = result.topics
    out.loc[out.index[idx], "probability"] = np.round(result.probability, 6)
    assignment = np.where(result.reassigned, "reassigned", np.where(result.topics == OUTLIER, "outlier", "cluster"))
    if result.applied is not None:
        assignment = np.where(result.applied, "frozen_model", assignment)
    out.loc[out.index[idx], "assignment"] = assignment
    out["topic_id"] = out["topic_id"].astype(int)
    return out


def topic_table(
    seg: pd.DataFrame, st: pd.DataFrame, result: TopicResult, embeddings: np.ndarray | None, keep: pd.Series
) -> pd.DataFrame:
    """id, size, share, label, top words and the three segments closest to each topic's centre."""
    labels = topic_labels(result.words)
    merged = st.merge(seg[["segment_id", "participant_id", "text"]], on="segment_id")
    modelled_rows = merged[st["assignment"].ne("too_short").to_numpy()]
    total = len(modelled_rows)
    rows = []
    kept_ids = list(seg.loc[keep, "segment_id"])
    position = {sid: i for i, sid in enumerate(kept_ids)}
    vectors = _topic_vectors(embeddings, result.topics) if embeddings is not None and result.words else {}
    for t in sorted(modelled_rows["topic_id"].unique()):
        members = modelled_rows[modelled_rows["topic_id"] == t]
        if t in vectors:
            sims = np.array([embeddings[position[s]] @ vectors[t] for s in members["segment_id"]])
            order = np.lexsort((members["segment_id"].to_numpy(), -sims))
        else:
            order = np.argsort(members["segment_id"].to_numpy(), kind="stable")
        reps = members.iloc[order[:3]]
        row = {
            "topic_id": int(t),
            "label": labels.get(int(t), "(outliers)"),
            "size": len(members),
            "share": round(len(members) / total, 6) if total else 0.0,
            "participants": members["participant_id"].nunique(),
            "top_words": ", ".join(result.words.get(int(t), [])),
            "representative_ids": " ".join(reps["segment_id"]),
        }
        for i in range(3):
            row[f"representative_{i + 1}"] = (
                f"{reps.iloc[i]['participant_id']}: {reps.iloc[i]['text']}" if i < len(reps) else ""
            )
        rows.append(row)
    columns = ["topic_id", "label", "size", "share", "participants", "top_words", "representative_ids"]
    return pd.DataFrame(rows, columns=columns + [f"representative_{i}" for i in (1, 2, 3)])


def topics_per_group(
    seg: pd.DataFrame, st: pd.DataFrame, topics: pd.DataFrame, by: str, words: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Segments and participants per topic in each group (role or wave), with the share of the group's segments."""
    m = st[st["assignment"] != "too_short"].merge(seg[["segment_id", "participant_id", by]], on="segment_id")
    totals = m.groupby(by)["segment_id"].count()
    counts = m.groupby(["topic_id", by]).agg(
        segments=("segment_id", "count"), participants=("participant_id", "nunique")
    )
    grid = pd.MultiIndex.from_product([sorted(m["topic_id"].unique()), sorted(m[by].unique())], names=["topic_id", by])
    out = counts.reindex(grid, fill_value=0).reset_index()
    out["share"] = (out["segments"] / out[by].map(totals)).round(6)
    out["group_segments"] = out[by].map(totals)
    out = out.merge(topics[["topic_id", "label"]], on="topic_id", how="left")
    if words is not None and len(words):
        out = out.merge(words, on=["topic_id", by], how="left")
        out["words"] = out["words"].fillna("")
    else:
        out["words"] = ""
    return out[["topic_id", "label", by, "segments", "participants", "group_segments", "share", "words"]]


def class_words(model, docs: list[str], topics: np.ndarray, classes: list[str], by: str) -> pd.DataFrame:
    """BERTopic's topics_per_class: the c-TF-IDF words of each topic within each group.

    ``topics`` are the documents' topics: BERTopic reads them from the model (``topics_``), which knows only the
    documents it was fitted on; under models.freeze the later waves' documents are placed in its topics too."""
    if model is None:
        return pd.DataFrame(columns=["topic_id", by, "words"])
    fitted = model.topics_
    model.topics_ = [int(t) for t in topics]
    try:
        table = model.topics_per_class(docs, classes=classes)
    finally:
        model.topics_ = fitted
    table = table.rename(columns={"Topic": "topic_id", "Class": by, "Words": "words"})
    return table[["topic_id", by, "words"]].astype({"topic_id": int, by: str})


def dominant_codes(segment_codes: pd.DataFrame) -> pd.Series:
    """segment_id -> its most confident final code (ties: the first code id)."""
    final = segment_codes[as_bool(segment_codes["final"])].copy()
    final["confidence"] = pd.to_numeric(final["confidence"], errors="coerce").fillna(0.0)
    final = final.sort_values(["segment_id", "confidence", "code_id"], ascending=[True, False, True])
    return final.drop_duplicates("segment_id").set_index("segment_id")["code_id"]


def crosswalk(
    st: pd.DataFrame,
    segment_codes: pd.DataFrame,
    topics: pd.DataFrame,
    code_ids: list[str],
    code_labels: dict[str, str],
) -> tuple[pd.DataFrame, float]:
    """Topic x code contingency (segments carrying each final code), each topic's dominant code, and the NMI
    between topic and each segment's dominant code (uncoded segments count as their own category)."""
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.metrics import normalized_mutual_info_score

    m = st[st["assignment"] != "too_short"]
    final = segment_codes[as_bool(segment_codes["final"])]
    # a final code has a row per source that gave it (human coders, model, patterns): count segments, not rows
    final = final.drop_duplicates(["segment_id", "code_id"])
    pairs = m[["segment_id", "topic_id"]].merge(final[["segment_id", "code_id"]], on="segment_id")
    table = pd.crosstab(pairs["topic_id"], pairs["code_id"]).reindex(
        index=sorted(m["topic_id"].unique()), columns=code_ids, fill_value=0
    )
    table = table.fillna(0).astype(int)
    sizes = m.groupby("topic_id")["segment_id"].count()
    out = topics[["topic_id", "label"]].set_index("topic_id").reindex(table.index)
    out["size"] = sizes.reindex(table.index).fillna(0).astype(int)
    dom = table.idxmax(axis=1).where(table.max(axis=1) > 0, "")
    out["dominant_code_id"] = dom
    out["dominant_code_label"] = dom.map(lambda c: code_labels.get(c, ""))
    out["dominant_segments"] = table.max(axis=1)
    out["dominant_share"] = (out["dominant_segments"] / out["size"].replace(0, np.nan)).fillna(0).round(6)
    out = pd.concat([out, table], axis=1).reset_index()
    dominant = dominant_codes(segment_codes)
    codes_of = m["segment_id"].map(dominant).fillna("(uncoded)")
    nmi = float(normalized_mutual_info_score(codes_of, m["topic_id"])) if len(m) else float("nan")
    return out, round(nmi, 6)
