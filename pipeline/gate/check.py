"""check-corpus: a dry run of ingest, the human coding and the identifier check over a whole corpus folder.

Every transcript is read as the workflow reads it (format, encoding, speaker labels, header and note lines), every
quote of codes.csv is looked for in its participant's turns, and in check mode the gate screens every turn. All
problems of all files are collected, so a user sets up corpus.yaml and mends the files in one pass; nothing is
written except, where the gate finds something, its private audit (values never reach the console).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core.errors import PipelineError
from pipeline.core.files import write_csv
from pipeline.core.text import normalise_for_matching
from pipeline.gate.prepare import Settings, check_failure
from pipeline.human_codes import read_codes, turn_pieces
from pipeline.ingest import corpus_layout, corpus_speakers, ingest_interview

log = logging.getLogger(__name__)


@dataclass
class FileReport:
    """What ingest found in one transcript: format, encoding, turns by speaker, labels and how each resolved."""

    file: str
    format: str = ""
    encoding: str = ""
    turns: Counter = field(default_factory=Counter)
    labels: list[tuple[str, int, str]] = field(default_factory=list)  # (label, lines, resolved as)
    skipped: Counter = field(default_factory=Counter)

    def line(self) -> str:
        turns = ", ".join(f"{n} {kind}" for kind, n in sorted(self.turns.items()))
        labels = "; ".join(f"'{label}' x{n} -> {how}" for label, n, how in self.labels) or "none"
        skipped = ", ".join(f"{n} {kind} line(s)" for kind, n in sorted(self.skipped.items()))
        read = f"{self.format}, {self.encoding}; turns: {turns or 'none'}" if self.format else "NOT READ (error below)"
        return f"{self.file}: {read}; labels: {labels}" + (f"; kept out of turns: {skipped}" if skipped else "")


def ingest_all(corpus) -> tuple[list[FileReport], dict[str, pd.DataFrame], list[PipelineError]]:
    """Every transcript of the corpus ingested in-process: (reports, turns by interview id, problems)."""
    reports, turns, problems = [], {}, []
    layout = corpus_layout(corpus)
    for it in corpus.interviews:
        path = corpus.root / it.file
        speakers = corpus_speakers(corpus, it.participant_id)
        report = FileReport(str(path))
        reports.append(report)
        meta = {"interview_id": it.interview_id, "participant_id": it.participant_id, "role": it.role, "wave": it.wave}
        try:
            frame, report.format, report.encoding = ingest_interview(
                path, path.read_bytes(), speakers, meta, layout=layout
            )
        except PipelineError as exc:
            problems.append(exc)
        else:
            turns[it.interview_id] = frame
            report.turns = Counter(frame["speaker"])
        finally:
            report.skipped = speakers.skipped
            for label, n in speakers.seen.most_common():
                rule = speakers.rule(label)
                how = "UNKNOWN" if rule is None else rule[0] + ("" if rule[1] == "label" else f" (pattern {rule[1]})")
                report.labels.append((label, n, how))
    return reports, turns, problems


def check_quotes(corpus, turns: dict[str, pd.DataFrame]) -> tuple[int, list[PipelineError]]:
    """Every quote of codes.csv looked for in its participant's turns (before pseudonymisation)."""
    if not corpus.codes_path.exists():
        return 0, []
    by_interview = {(it.participant_id, it.wave): it.interview_id for it in corpus.interviews}
    rows, problems = read_codes(corpus.codes_path), []
    for row in rows:
        wave = int(row["wave"]) if row["wave"].isdigit() else None
        interview = by_interview.get((row["participant_id"], wave))
        if interview not in turns:
            continue  # an unknown participant or wave is reported by check_study_inputs; an unread file above
        frame = turns[interview]
        quote = normalise_for_matching(row["quote"])
        said = [normalise_for_matching(t) for t in frame.loc[frame["speaker"] == "participant", "text"]]
        others = [normalise_for_matching(t) for t in frame.loc[frame["speaker"] != "participant", "text"]]
        across = turn_pieces(quote, [(t, None) for t in said], " ".join(others)) if quote else []
        if quote and not any(quote in t for t in said) and not across:
            where = " (it is in another speaker's turn)" if any(quote in t for t in others) else ""
            problems.append(
                PipelineError(
                    f"the quote was not found in a participant turn of {interview}{where}",
                    "Copy the passage verbatim from the transcript (it may run across a speaker change)",
                    file=corpus.codes_path,
                    line=row["row"],
                )
            )
    return len(rows), problems


def check_identifiers(corpus, turns: dict[str, pd.DataFrame], audit_path: Path) -> list[PipelineError]:
    """In check mode, the gate over every turn: one problem per transcript with possible identifiers."""
    from pipeline.gate.anonymise import screen_turns  # loads the NER model: only when screening

    # the identifier gate loads spaCy and its word lists (seconds): only where text is screened
    from pipeline.gate.policy import AllowList

    if corpus.anonymisation_mode != "check" or not turns:
        return []
    policy = Settings([], [], [], "strict", "check", [], 150, corpus.gate, layout=corpus.layout).policy()
    allow = AllowList(corpus.allow)
    audits, problems = [], []
    files = {it.interview_id: corpus.root / it.file for it in corpus.interviews}
    for interview, frame in turns.items():
        _, audit = screen_turns(frame, allow, "check", policy=policy)
        if len(audit):
            audits.append(audit)
            problems.append(check_failure(audit, audit_path, files[interview]))
    if audits:
        write_csv(pd.concat(audits, ignore_index=True), audit_path, private=True)
    log.info("identifier check: %d of %d transcripts with possible identifiers", len(problems), len(turns))
    return problems
