"""Human coding in: codes.csv rows checked and mapped onto segments.

Each row names a participant, a wave, a code and a verbatim quote. The quote is found in that
participant's turns (after normalising whitespace, quote characters, dashes and case) and mapped
to every segment it overlaps; a passage copied across a speaker change is kept for each participant
turn it covers (``turn_pieces``), with a warning that counts them. Rows whose quote cannot be found, or
whose code is not in the codebook, stop the run with the row's line number (every such row in one run).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from pipeline.codebook import load_codebook
from pipeline.core.errors import PipelineError, raise_all
from pipeline.core.files import read_csv_text, read_table, require_columns, spreadsheet_reader, write_parquet
from pipeline.core.text import normalise_for_matching

log = logging.getLogger(__name__)

REQUIRED = ("participant_id", "wave", "code", "quote")
SENTIMENTS = {"positive", "negative", "neutral", "mixed"}
HUMAN_CODE_COLUMNS = [
    "segment_id",
    "interview_id",
    "participant_id",
    "role",
    "wave",
    "code_id",
    "coder",
    "sentiment",
    "row",
]


def read_codes(path: Path) -> list[dict]:
    """Rows of codes.csv with their line numbers; structural problems raise."""
    text = read_csv_text(path)
    reader = spreadsheet_reader(text)
    require_columns(
        reader.fieldnames,
        REQUIRED,
        path,
        "Its header must hold participant_id, wave, code, quote (optional: coder, sentiment)",
    )
    rows = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        values["row"] = reader.line_num
        rows.append(values)
    return rows


def codebook_name(codebook_path=None) -> str:
    """How errors name the codebook in use: its file where known (a corpus may have its own)."""
    return f"the codebook ({codebook_path})" if codebook_path else "the codebook"


def check_row(row: dict, code_ids: set[str], path, codebook_path=None, interviews=None) -> tuple[str, int, str]:
    """(participant_id, wave, code) of a codes.csv row whose wave, code, sentiment and quote are well formed (and
    whose participant and wave are in ``interviews``, a set of (participant_id, wave), where given)."""
    line = row["row"]
    pid, wave_text, code = row["participant_id"], row["wave"], row["code"]
    if not wave_text.isdigit():
        raise PipelineError(
            f"wave '{wave_text}' is not a whole number", "Write the wave as in manifest.csv", file=path, line=line
        )
    if code not in code_ids:
        raise PipelineError(
            f"unknown code id '{code}'",
            f"Use a code id from {codebook_name(codebook_path)}, or add the code there",
            file=path,
            line=line,
        )
    sentiment = row.get("sentiment", "").lower()
    if sentiment and sentiment not in SENTIMENTS:
        raise PipelineError(
            f"sentiment '{row['sentiment']}' is not one of positive, negative, neutral, mixed",
            "Correct it or leave the cell empty",
            file=path,
            line=line,
        )
    if interviews is not None and (pid, int(wave_text)) not in interviews:
        raise PipelineError(
            f"participant {pid} has no wave-{wave_text} interview in manifest.csv",
            "Check participant_id and wave against manifest.csv",
            file=path,
            line=line,
        )
    if not row["quote"].strip():
        raise PipelineError("the quote is empty", "Copy the coded passage into the quote cell", file=path, line=line)
    return pid, int(wave_text), code


def check_codes(path: Path, code_ids: set[str], interviews: set[tuple[str, int]], codebook_path=None) -> int:
    """codes.csv checked when the workflow starts, before any job: its columns, and every row's wave, code,
    sentiment, participant and quote (whether each quote is in its transcript is checked once the transcripts
    are prepared). Returns the number of rows."""
    rows = read_codes(path)
    problems = []
    for row in rows:
        try:
            check_row(row, code_ids, path, codebook_path, interviews)
        except PipelineError as exc:
            problems.append(exc)  # every row's problem in one run, not one per rerun
    raise_all(problems)
    return len(rows)


def segment_index(segments: pd.DataFrame) -> dict[tuple[str, int], list[tuple[int, str, int, int]]]:
    """(participant_id, wave) -> [(turn_index, normalised turn text, ...)] with segment boundaries.

    The normalised turn is the normalised segments joined by one space, so offsets of a quote in it
    fall in known segments.
    """
    index: dict[tuple[str, int], list] = {}
    for (pid, wave, _turn), group in segments.sort_values(["turn_index", "segment_index"]).groupby(
        ["participant_id", "wave", "turn_index"], sort=False
    ):
        pieces, bounds, pos = [], [], 0
        for seg in group.itertuples(index=False):
            norm = normalise_for_matching(seg.text)
            pieces.append(norm)
            bounds.append((pos, pos + len(norm), seg.segment_id))
            pos += len(norm) + 1
        index.setdefault((str(pid), int(wave)), []).append((" ".join(pieces), bounds))
    return index


def pseudonymise_quote(quote: str, replacements: list[tuple[str, str]]) -> str:
    """Apply an interview's pseudonymisation (value -> placeholder, longest first) to a coder's quote, as the
    gate applied it to the transcript: never inside a bracketed placeholder already there ("[Twitter hashtag]"),
    nor inside a placeholder it has just put in."""
    if not replacements:
        return quote
    pattern = re.compile(
        r"\[[^\[\]]*\]|"
        + "|".join(
            rf"(?<!\w){re.escape(v)}(?!\w)" for v, _ in sorted(replacements, key=lambda r: len(r[0]), reverse=True)
        )
    )
    placeholder = dict(replacements)
    return pattern.sub(lambda m: m.group(0) if m.group(0).startswith("[") else placeholder[m.group(0)], quote)


def map_codes(
    rows: list[dict],
    segments: pd.DataFrame,
    code_ids: set[str],
    path,
    interviewer_text: dict | None = None,
    replacements: dict | None = None,
    codebook_path=None,
) -> pd.DataFrame:
    """Pure core: codes.csv rows -> one row per (segment, code, coder).

    ``replacements`` maps (participant_id, wave) to the (value, placeholder) pairs the identifier
    gate applied to that interview, so quotes match pseudonymised text. ``codebook_path`` is the
    codebook the code ids come from (the corpus's own or the study's), named in errors.
    """
    index = segment_index(segments)
    meta = segments.drop_duplicates("segment_id").set_index("segment_id")
    out, problems = [], []
    for row in rows:
        try:
            out.extend(_map_row(row, index, meta, code_ids, path, interviewer_text, replacements, codebook_path))
        except PipelineError as exc:
            problems.append(exc)  # every row's problem in one run
    raise_all(problems)
    spanning = sorted({r["row"] for r in out if r["spans_turns"]})
    if spanning:
        log.warning(
            "%s: %d coded passage(s) cross a speaker change; each is kept for the participant turns it covers "
            "(interviewer speech and speaker labels dropped): line(s) %s",
            path,
            len(spanning),
            ", ".join(map(str, spanning[:20])) + (" ..." if len(spanning) > 20 else ""),
        )
    df = pd.DataFrame(out, columns=HUMAN_CODE_COLUMNS)
    return df.drop_duplicates(["segment_id", "code_id", "coder"], keep="first").reset_index(drop=True)


# a piece of a passage is matched in a participant turn when it has at least this many words (or is all of it)
MIN_PIECE_WORDS = 3


def turn_pieces(quote: str, turns: list, interviewer: str = "") -> list[tuple[int, int, int]]:
    """A normalised passage that no single participant turn holds, split into the pieces that participant turns
    do hold: [(turn number, start, end)] in the turn's normalised text. Left to right, each piece is the longest
    run of the passage's words found in one turn (at least ``MIN_PIECE_WORDS``, or the passage's last words). The
    pieces must follow the transcript: each ends its turn and the next starts the next turn it is in, in turn
    order; and what stands between them is interviewer speech or speaker labels ("Interviewer:", "Case
    manager:"). Otherwise the passage is not in the transcript as written, and [] is returned."""
    words = quote.split(" ")
    parts, gap, i = [], [], 0
    while i < len(words):
        best = None
        for j in range(len(words), i, -1):
            if j - i < MIN_PIECE_WORDS and j < len(words):
                break
            text = " ".join(words[i:j])
            hits = [(t, turn_text.find(text)) for t, (turn_text, _) in enumerate(turns) if text in turn_text]
            if hits:
                t, at = hits[0]
                best = (j, (t, at, at + len(text)))
                break
        if best is None:
            gap.append(words[i])
            i += 1
            continue
        parts += [gap, best[1]] if gap else [best[1]]
        gap, i = [], best[0]
    if gap:
        parts.append(gap)
    pieces = [p for p in parts if isinstance(p, tuple)]
    if not pieces or any(isinstance(p, list) and not _between_turns(p, interviewer) for p in parts):
        return []
    for k, (t, at, end) in enumerate(pieces):
        turn_text = turns[t][0]
        if k + 1 < len(pieces) and (end != len(turn_text) or pieces[k + 1][0] <= t):
            return []
        if (k > 0 or isinstance(parts[0], list)) and at != 0:
            return []
    return pieces


def _between_turns(words: list[str], interviewer: str) -> bool:
    """Words between two participant turns of a passage: speaker labels (a word ending in a colon, with at most
    two words before it: "case manager:") and interviewer speech."""
    chunk = []
    for word in words:
        if word.endswith(":"):
            speech = " ".join(chunk)
            if chunk and speech not in interviewer and len(chunk) > 2:
                trimmed = " ".join(chunk[:-2]) if len(chunk) > 2 else ""
                if not (trimmed in interviewer or " ".join(chunk[:-1]) in interviewer):
                    return False
            chunk = []
        else:
            chunk.append(word)
    return not chunk or " ".join(chunk) in interviewer


def _map_row(row, index, meta, code_ids, path, interviewer_text, replacements, codebook_path) -> list[dict]:
    """One codes.csv row -> its rows of the human codes table (one per segment the quote falls in)."""
    line = row["row"]
    pid, wave, code = check_row(row, code_ids, path, codebook_path)
    sentiment = row.get("sentiment", "").lower()
    if (pid, wave) not in index:
        raise PipelineError(
            f"participant {pid} has no wave-{wave} interview with participant turns",
            "Check participant_id and wave against manifest.csv",
            file=path,
            line=line,
        )
    quote = normalise_for_matching(pseudonymise_quote(row["quote"], (replacements or {}).get((pid, wave), [])))
    if not quote:
        raise PipelineError("the quote is empty", "Copy the coded passage into the quote cell", file=path, line=line)
    hits, spanned = [], False
    for turn_text, bounds in index[(pid, wave)]:
        at = turn_text.find(quote)
        if at >= 0:
            hits = [sid for a, b, sid in bounds if a < at + len(quote) and at < b]
            break
    if not hits:  # a passage coded across a speaker change: kept for each participant turn it covers
        pieces = turn_pieces(quote, index[(pid, wave)], (interviewer_text or {}).get((pid, wave), ""))
        hits = [sid for t, at, end in pieces for a, b, sid in index[(pid, wave)][t][1] if a < end and at < b]
        spanned = bool(hits)
    if not hits:
        where = ""
        if interviewer_text and quote in interviewer_text.get((pid, wave), ""):
            where = " (it is in an interviewer turn)"
        raise PipelineError(
            f"the quote was not found in a participant turn of {pid}'s wave-{wave} transcript{where}",
            "Copy the passage verbatim from the transcript (it may run across a speaker change)",
            file=path,
            line=line,
        )
    return [
        {
            "segment_id": sid,
            "interview_id": meta.at[sid, "interview_id"],
            "participant_id": pid,
            "role": meta.at[sid, "role"],
            "wave": wave,
            "code_id": code,
            "coder": row.get("coder") or "coder1",
            "sentiment": sentiment,
            "row": line,
            "spans_turns": spanned,
        }
        for sid in dict.fromkeys(hits)
    ]


def load_replacements(audit_paths, segments: pd.DataFrame) -> dict:
    """(participant_id, wave) -> [(value, placeholder)] from the gate's private audits."""
    ids = segments.drop_duplicates("interview_id").set_index("interview_id")
    out: dict = {}
    for path in audit_paths or []:
        if not Path(path).exists():
            continue
        audit = pd.read_csv(path, dtype=str, keep_default_na=False)
        for r in audit[audit["placeholder"] != ""].itertuples(index=False):
            if r.interview_id in ids.index:
                key = (str(ids.at[r.interview_id, "participant_id"]), int(ids.at[r.interview_id, "wave"]))
                out.setdefault(key, []).append((r.text, r.placeholder))
    return out


def import_human_codes(codes_path, segments_paths, turns_paths, codebook_path, out, audit_paths=None) -> pd.DataFrame:
    codebook = load_codebook(codebook_path)
    segments = pd.concat([read_table(p) for p in segments_paths], ignore_index=True)
    turns = pd.concat([read_table(p) for p in turns_paths], ignore_index=True)
    interviewer = {
        (str(pid), int(w)): normalise_for_matching(" ".join(g["text"]))
        for (pid, w), g in turns[turns["speaker"] == "interviewer"].groupby(["participant_id", "wave"])
    }
    codes_path = Path(codes_path)
    rows = read_codes(codes_path) if codes_path.exists() else []
    replacements = load_replacements(audit_paths, segments)
    mapped = map_codes(rows, segments, set(codebook.ids), codes_path, interviewer, replacements, codebook_path)
    write_parquet(mapped, out)
    log.info("%d coded rows -> %d segment codes by %d coder(s)", len(rows), len(mapped), mapped["coder"].nunique())
    return mapped
