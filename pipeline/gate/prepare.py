"""Per-interview preparation in batches: transcript -> turns -> the identifier gate -> segments.

One job prepares a batch of interviews of one wave (``batches``), in one process: starting Python and loading
spaCy and the gate's word tables cost about 3 s per process, while preparing one interview costs about 0.2 s.
Each interview is still prepared on its own (its own speaker labels, its own pseudonym numbering), so the
results do not depend on how interviews are batched. New interviews are appended to a wave's last batch or
form new batches, so adding a wave or a few interviews reruns only the batches they join.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core.errors import PipelineError, PipelineErrors
from pipeline.core.files import write_csv, write_parquet
from pipeline.ingest import Layout, Speakers, ingest_interview
from pipeline.segment import segment_turns

log = logging.getLogger(__name__)


def batches(interviews, size: int) -> dict[str, list[str]]:
    """Batch id (``w<wave>-<k>``, k from 1) -> interview ids: each wave's interviews in manifest order, ``size``
    at a time."""
    by_wave: dict[int, list[str]] = {}
    for it in interviews:
        by_wave.setdefault(it.wave, []).append(it.interview_id)
    out = {}
    for wave, ids in by_wave.items():
        for k in range(0, len(ids), size):
            out[f"w{wave}-{k // size + 1:03d}"] = ids[k : k + size]
    return out


@dataclass(frozen=True)
class Settings:
    """Everything preparation depends on besides the transcripts (the rule passes it as one JSON param)."""

    interviews: list[dict]  # manifest rows: interview_id, participant_id, role, wave
    interviewer_labels: list[str]
    participant_labels: list[str]
    label_mode: str
    mode: str  # check | pseudonymise
    allow: list[str]
    max_words: int
    gate: dict = field(default_factory=dict)  # the gate's policy: locale, keep_public, home/abroad population
    other_labels: list[str] = field(default_factory=list)  # other speakers (interpreter, carer): kept, not coded
    layout: dict = field(default_factory=dict)  # ingest rules: header, notes, redactions

    def policy(self):
        # the identifier gate loads spaCy and its word lists (seconds): only where text is screened
        from pipeline.gate.policy import Policy

        defaults = {"locale": "uk", "home_population": 1_000_000, "abroad_population": 100_000}
        return Policy.from_settings(**{**defaults, **self.gate}, redactions=tuple(self.layout.get("redactions", ())))

    @classmethod
    def from_json(cls, spec: dict) -> Settings:
        return cls(**spec)


def prepare_interview(path: Path, row: dict, settings: Settings, allow, display: str | None = None):
    """Pure core for one interview: (turns as they passed the gate, audit of identifiers, segments)."""
    # the identifier gate loads spaCy and its word lists (seconds): only where text is screened
    from pipeline.gate.anonymise import screen_turns

    speakers = Speakers(
        settings.interviewer_labels,
        [*settings.participant_labels, row["participant_id"]],
        settings.label_mode,
        settings.other_labels,
    )
    layout = Layout(**{k: tuple(v) for k, v in settings.layout.items()})
    turns, fmt, encoding = ingest_interview(path, path.read_bytes(), speakers, row, display=display, layout=layout)
    turns["source_format"] = fmt
    turns["encoding"] = encoding
    policy = settings.policy()
    screened, audit = screen_turns(turns, allow, settings.mode, policy=policy)
    return screened, audit, segment_turns(screened, settings.max_words, policy.marks)


def check_failure(audit: pd.DataFrame, audit_path, source) -> PipelineError:
    """The gate's stop in check mode: what was found (categories and counts, never values) and where."""
    # the identifier gate loads spaCy and its word lists (seconds): only where text is screened
    from pipeline.gate.anonymise import category_counts

    found = {r.category: r.count for r in category_counts(audit).itertuples() if r.count}
    return PipelineError(
        f"{len(audit)} possible identifier(s) in this transcript "
        f"({', '.join(f'{k} {v}' for k, v in found.items())}), the first on this line",
        f"The audit listing each one is {audit_path} (private, never in outputs/). Anonymise them in the "
        "transcript, add non-identifying names to anonymisation.allow (config.yaml or corpus.yaml), or set "
        "anonymisation.mode: pseudonymise",
        file=source,
        line=audit["line"].iloc[0],
    )


def prepare_interviews(
    transcripts, settings: Settings, out_turns, out_segments, out_counts, audit_path
) -> pd.DataFrame:
    """Edge: prepare every interview of a batch and write the batch's turns, segments, identifier counts (no
    values) and private audit. Every interview is tried: the problems found (one ERROR line each, naming the
    file and line) stop the job before any output is written, except the audit (private: what the gate
    found)."""
    # the identifier gate loads spaCy and its word lists (seconds): only where text is screened
    from pipeline.gate.anonymise import category_counts

    # the identifier gate loads spaCy and its word lists (seconds): only where text is screened
    from pipeline.gate.policy import AllowList

    if len(transcripts) != len(settings.interviews):
        raise ValueError(f"{len(transcripts)} transcripts for {len(settings.interviews)} manifest rows")
    allow = AllowList(settings.allow)
    turns, segments, counts, audits, problems = [], [], [], [], []
    for path, row in zip(map(Path, transcripts), settings.interviews, strict=True):
        started = time.perf_counter()
        try:
            screened, audit, segs = prepare_interview(path, row, settings, allow, display=str(path))
        except PipelineError as exc:
            problems.append(exc)
            continue
        audits.append(audit)
        if settings.mode == "check" and len(audit):
            problems.append(check_failure(audit, audit_path, path))
            continue
        turns.append(screened)
        segments.append(segs)
        counts.append(category_counts(audit).assign(interview_id=row["interview_id"]))
        found = {r.category: r.count for r in counts[-1].itertuples() if r.count}
        log.info(
            "%s: %s format, %s, %d turns (%d participant) -> %d segments; identifiers: %s (%.2fs)",
            row["interview_id"],
            screened["source_format"].iloc[0],
            screened["encoding"].iloc[0],
            len(screened),
            int((screened["speaker"] == "participant").sum()),
            len(segs),
            ", ".join(f"{k} {v}" for k, v in found.items()) or "none",
            time.perf_counter() - started,
        )
    if audits:
        write_csv(pd.concat(audits, ignore_index=True), audit_path, private=True)  # values found, placeholders
    if problems:
        raise problems[0] if len(problems) == 1 else PipelineErrors(problems)
    all_segments = pd.concat(segments, ignore_index=True)
    write_parquet(pd.concat(turns, ignore_index=True), out_turns)
    write_parquet(all_segments, out_segments)
    write_csv(pd.concat(counts, ignore_index=True), out_counts)
    log.info("%d interviews prepared", len(turns))
    return all_segments
