"""Corpus description: Table 1 (participants), the interview list and the segments table."""

from __future__ import annotations

import logging

import pandas as pd

from pipeline.core.files import read_table, write_csv

log = logging.getLogger(__name__)


def participants_table(turns: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    """Table 1: interviews per role and wave, participant words and turns, median turn length; totals row."""
    part = turns[turns["speaker"] == "participant"]

    def summarise(group: pd.DataFrame, interviews: pd.Series) -> dict:
        return {
            "interviews": int(interviews.nunique()),
            "participants": int(group["participant_id"].nunique()),
            "participant_words": int(group["word_count"].sum()),
            "participant_turns": int(len(group)),
            "median_turn_words": float(group["word_count"].median()) if len(group) else 0.0,
            "words_per_interview": round(group["word_count"].sum() / max(interviews.nunique(), 1), 1),
        }

    rows = []
    order = {r: i for i, r in enumerate(roles)}
    keys = sorted(
        turns[["role", "wave"]].drop_duplicates().itertuples(index=False), key=lambda k: (k.wave, order.get(k.role, 99))
    )
    for role, wave in keys:
        group = part[(part["role"] == role) & (part["wave"] == wave)]
        ids = turns.loc[(turns["role"] == role) & (turns["wave"] == wave), "interview_id"]
        rows.append({"role": role, "role_label": roles.get(role, role), "wave": str(wave), **summarise(group, ids)})
    rows.append({"role": "total", "role_label": "Total", "wave": "all", **summarise(part, turns["interview_id"])})
    table = pd.DataFrame(rows)
    other = turns[turns["speaker"] == "other"]
    if len(other):  # other speakers (an interpreter, a carer): their words and turns, not coded
        groups = other.assign(wave=other["wave"].astype(str)).groupby(["role", "wave"])
        words, turns_n = groups["word_count"].sum(), groups.size()
        keys = list(zip(table["role"], table["wave"], strict=True))
        total = [k[0] == "total" for k in keys]
        table["other_speaker_words"] = [
            int(other["word_count"].sum()) if t else int(words.get(k, 0)) for k, t in zip(keys, total, strict=True)
        ]
        table["other_speaker_turns"] = [
            len(other) if t else int(turns_n.get(k, 0)) for k, t in zip(keys, total, strict=True)
        ]
    return table


def interviews_table(turns: pd.DataFrame, attributes: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per interview: format, encoding, turns and words by speaker (plus manifest attributes)."""
    g = turns.groupby("interview_id", sort=False)
    out = g.agg(
        participant_id=("participant_id", "first"),
        role=("role", "first"),
        wave=("wave", "first"),
        source_format=("source_format", "first"),
        encoding=("encoding", "first"),
        turns=("turn_index", "size"),
    ).reset_index()
    present = (
        ("participant", "interviewer", "other")
        if (turns["speaker"] == "other").any()
        else ("participant", "interviewer")
    )
    for speaker in present:
        sub = turns[turns["speaker"] == speaker].groupby("interview_id")
        out[f"{speaker}_turns"] = out["interview_id"].map(sub.size()).fillna(0).astype(int)
        out[f"{speaker}_words"] = out["interview_id"].map(sub["word_count"].sum()).fillna(0).astype(int)
    if attributes is not None and len(attributes.columns) > 1:
        out = out.merge(attributes, on="interview_id", how="left")
    return out


def describe_corpus(
    turns_paths, roles: dict[str, str], attributes: list[dict] | None, participants_out, interviews_out
) -> None:
    """Edge: every interview's turns -> Table 1 (participants) and the interview list."""
    turns = pd.concat([read_table(p) for p in turns_paths], ignore_index=True)
    write_csv(participants_table(turns, roles), participants_out)
    write_csv(interviews_table(turns, pd.DataFrame(attributes) if attributes else None), interviews_out)
    log.info("described %d interviews", turns["interview_id"].nunique())


def collect_segments(segments_paths, out) -> None:
    """Edge: every interview's segments -> the corpus's segments table."""
    segments = pd.concat([read_table(p) for p in segments_paths], ignore_index=True)
    write_csv(segments, out)
    log.info("%d segments from %d interviews", len(segments), segments["interview_id"].nunique())
