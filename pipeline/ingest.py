"""Ingest: one transcript file -> one row per turn.

Reads the four formats researchers receive (inline ``Label: text``; block exports from
transcription services; WebVTT from Teams or Zoom; .docx holding either text format),
in any common encoding, and resolves every speaker label to interviewer or participant.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core.encodings import decode
from pipeline.core.errors import PipelineError
from pipeline.core.text import REDACTION_RE, TIMESTAMP, clean, count_words, line_pattern, redaction_pattern

TURN_COLUMNS = [
    "interview_id",
    "participant_id",
    "role",
    "wave",
    "turn_index",
    "speaker",
    "text",
    "word_count",
    "start_char",
    "end_char",
    "line",
    "timestamp",
]


# [00:01:24] Label: text | Label [00:01:24]: text | Label: [00:01:24] text | Label (01:24): text
INLINE_RE = re.compile(
    rf"^(?:[\[(](?P<ts1>{TIMESTAMP})[\])]\s*)?"
    r"(?P<label>[^\s:\[\]()][^:\[\]()]{0,39}?)"
    rf"\s*(?:[\[(](?P<ts2>{TIMESTAMP})[\])])?\s*"
    r":(?:\s+|$)"
    rf"(?:[\[(](?P<ts3>{TIMESTAMP})[\])]\s*)?"
    r"(?P<text>.*)$"
)


# Otter.ai and similar: "Speaker Name  1:02:13" alone on a line
BLOCK_SPEAKER_RE = re.compile(rf"^(?P<label>[^\s\d:][^:]{{0,40}}?)\s+(?P<ts>{TIMESTAMP})$")


BLOCK_HEADERS = {"SUMMARY KEYWORDS", "KEYWORDS", "SPEAKERS", "SUMMARY"}


BRACKET_LINE_RE = re.compile(r"^\[[^\]]*\]$")


@dataclass
class Line:
    locator: int | str  # line number, or "paragraph 12" for .docx
    text: str
    offset: int  # character offset of the line in the normalised transcript


@dataclass
class RawTurn:
    speaker: str
    locator: int | str
    timestamp: str | None
    pieces: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, text)


KINDS = ("interviewer", "participant", "other")


@dataclass
class Speakers:
    """Label resolution: exact labels first (case-insensitive, trailing dots ignored; the participant's own id is a
    participant label), then patterns (``DOCTOR *``, ``re:P\\d+``, see ``text.line_pattern``) in the order
    interviewer, participant, other. ``other`` speakers (a carer, an interpreter) are kept in the transcript, not
    coded. Labels met while parsing are counted in ``seen``; labels that resolve to nothing in ``unknown``."""

    interviewer: list[str]
    participant: list[str]
    mode: str = "strict"
    other: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._map, self._patterns = {}, []
        for kind, labels in (
            ("other", self.other),
            ("participant", self.participant),
            ("interviewer", self.interviewer),
        ):
            for label in labels:
                if "*" in label or label.startswith("re:"):
                    continue
                self._map[self.key(label)] = kind
        for kind in KINDS:
            for label in getattr(self, kind):
                if "*" in label or label.startswith("re:"):
                    self._patterns.append((kind, label, line_pattern(label)))
        self.start_file()

    def start_file(self) -> None:
        """Forget what was met in the previous file: labels seen, unknown labels, lines kept out of turns."""
        self.seen: Counter = Counter()
        self.skipped: Counter = Counter()  # header and note lines kept out of turns
        self.unknown: dict[str, list] = {}  # label -> [lines it starts, first locator, met after the first turn]

    @staticmethod
    def key(label: str) -> str:
        return " ".join(label.strip().rstrip(".").split()).casefold()

    def skip(self, kind: str | None) -> bool:
        """Count a header or note line (kept out of turns); False for speech."""
        if kind:
            self.skipped[kind] += 1
        return kind is not None

    def rule(self, label: str) -> tuple[str, str] | None:
        """(kind, the label or pattern that resolved it), or None."""
        key = self.key(label)
        if key in self._map:
            return self._map[key], "label"
        clean_label = " ".join(label.strip().rstrip(".").split())
        for kind, text, pattern in self._patterns:
            if pattern.fullmatch(clean_label):
                return kind, text
        return None

    def resolve(self, label: str) -> str | None:
        found = self.rule(label)
        return found[0] if found else None

    def meet(self, label: str, locator, opening: bool = False) -> str | None:
        """Resolve a label met on a line, counting it; an unresolved one is noted (reported after the file).
        ``opening``: met before the first turn, where a label-like line may be a header ("Transcript: ...")."""
        label = " ".join(label.strip().split())
        self.seen[label] += 1
        kind = self.resolve(label)
        if kind is None:
            entry = self.unknown.setdefault(label, [0, locator, False])
            entry[0] += 1
            entry[2] = entry[2] or not opening
        return kind

    def check(self, file, turns: int = 1) -> None:
        """Every unknown label of the file in one error, with the lines each starts and a pattern to declare.
        Labels met only before the first turn count only when no turn was found at all."""
        unknown = {k: v for k, v in self.unknown.items() if v[2] or not turns}
        if not unknown:
            return
        labels = sorted(unknown.items(), key=lambda kv: (-kv[1][0], _line_order(kv[1][1])))
        listed = ", ".join(f"'{label}' ({n} line{'s' if n > 1 else ''})" for label, (n, *_) in labels)
        first = min(unknown.values(), key=lambda v: _line_order(v[1]))
        hint = suggest_patterns(list(unknown))
        raise PipelineError(
            (
                f"{len(labels)} unknown speaker labels: {listed}; the first on this line"
                if len(labels) > 1
                else f"unknown speaker label {listed}"
            ),
            "Declare them under speakers: in corpus.yaml (interviewer:, participant: or other:)"
            + (f", e.g. {hint}" if hint else "")
            + "; if such lines are speech, not speakers, set speakers: {mode: declared}; "
            "python -m pipeline check-corpus lists every file's labels",
            file=file,
            line=first[1],
        )


def _line_order(locator) -> int:
    """A line number, or the number in a locator such as "paragraph 12", for ordering."""
    if isinstance(locator, int):
        return locator
    found = re.search(r"\d+", str(locator))
    return int(found.group(0)) if found else 0


def suggest_patterns(labels: list[str]) -> str:
    """'DOCTOR A074', 'DOCTOR A075' -> "'DOCTOR *'": the first word of labels that carry a varying id."""
    stems = sorted({label.split()[0] + " *" for label in labels if len(label.split()) > 1})
    return " or ".join(f"'{stem}'" for stem in stems[:4])


def looks_like_label(label: str) -> bool:
    """'CM3', 'Speaker 2', 'Dr Jones', 'INTERVIEWER' look like labels; 'And I said' does not."""
    words = label.split()
    return 0 < len(words) <= 3 and all(w[0].isupper() or w[0].isdigit() for w in words)


# A UTF-8 character of two to four bytes: a Windows-1252 file almost never holds one, so a file that has some and
# also bytes that are not UTF-8 mixes the two (a Word quote or dash pasted into a UTF-8 file)


def lines_of(text: str) -> list[Line]:
    out, offset = [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        out.append(Line(number, line, offset))
        offset += len(line) + 1
    return out


def docx_lines(data: bytes, file) -> list[Line]:
    """Paragraphs (and two-column table rows, 'speaker | text') of a Word document, in order."""
    import docx  # python-docx

    # python-docx loads only for Word transcripts
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:
        raise PipelineError(
            "the .docx file cannot be opened (damaged, or not a Word document)",
            "Open it in Word and save it again as .docx, or export it as .txt",
            file=file,
        ) from None
    out, offset, number = [], 0, 0
    for block in document.iter_inner_content():
        rows = []
        if isinstance(block, Table):
            for row in block.rows:
                # a cell of several paragraphs is one turn: its lines joined, or a line would lose its speaker
                cells = [" ".join(c.text.split()) for c in row.cells]
                rows.append(f"{cells[0]}: {' '.join(cells[1:])}" if len(cells) >= 2 and cells[0] else " ".join(cells))
        else:
            rows.extend(block.text.split("\n"))
        for text in rows:
            number += 1
            text = unicodedata.normalize("NFC", text)
            out.append(Line(f"paragraph {number}", text, offset))
            offset += len(text) + 1
    if not any(line.text.strip() for line in out):
        raise PipelineError(
            "the file is empty", "Replace it with the transcript, or remove its manifest row", file=file
        )
    return out


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Layout:
    """Lines that are not speech: header lines (``Date of Encounter: ...``, a repeated page header) and stage notes
    between turns (``DOCTOR OUT: 147:40  DOCTOR IN: 159:01``, ``[inaudible 00:12:03]``), each a pattern matched
    against the whole line (``text.line_pattern``); and the redaction marks of the project (``@@@``, ``XXX``), which
    count as one word. Such lines are kept out of turns (the file's ``Speakers.skipped`` counts them by kind)."""

    header: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    redactions: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "_header", [line_pattern(r) for r in self.header])
        object.__setattr__(self, "_notes", [line_pattern(r) for r in self.notes])
        object.__setattr__(self, "marks", redaction_pattern(self.redactions) if self.redactions else REDACTION_RE)

    def kind(self, line: str) -> str | None:
        """'header' or 'note' for a line that is not speech, else None."""
        if any(p.fullmatch(line) for p in self._notes):
            return "note"
        if any(p.fullmatch(line) for p in self._header):
            return "header"
        return None


def parse_inline(lines: list[Line], speakers: Speakers, file, layout: Layout = Layout()) -> list[RawTurn]:
    turns: list[RawTurn] = []
    for line in lines:
        stripped = line.text.strip()
        if not stripped or speakers.skip(layout.kind(stripped)):
            continue
        lead = len(line.text) - len(line.text.lstrip())
        m = INLINE_RE.match(stripped)
        speaker = speakers.resolve(m["label"]) if m else None
        if m and speaker is None and speakers.mode == "strict" and looks_like_label(m["label"]):
            speakers.meet(m["label"], line.locator, opening=not turns)  # reported with the file's other unknowns
            continue
        if speaker:
            speakers.meet(m["label"], line.locator)
            ts = m["ts1"] or m["ts2"] or m["ts3"]
            turn = RawTurn(speaker, line.locator, ts)
            start = line.offset + lead + m.start("text")
            if m["text"].strip():
                turn.pieces.append((start, line.offset + lead + len(stripped), m["text"]))
            turns.append(turn)
        elif turns:
            turns[-1].pieces.append((line.offset + lead, line.offset + lead + len(stripped), stripped))
        # lines before the first turn are header lines ([Transcript – recorded on Teams], titles): skipped
    speakers.check(file, len(turns))
    return turns


def parse_block(lines: list[Line], speakers: Speakers, file, layout: Layout = Layout()) -> list[RawTurn]:
    turns: list[RawTurn] = []
    in_header = False
    for line in lines:
        stripped = line.text.strip()
        if not stripped:
            in_header = False
            continue
        if stripped.upper() in BLOCK_HEADERS:
            in_header = True
            continue
        if in_header or stripped.lower().startswith("transcribed by") or speakers.skip(layout.kind(stripped)):
            continue
        m = BLOCK_SPEAKER_RE.match(stripped)
        label, ts = (m["label"], m["ts"]) if m else (stripped, None)
        speaker = speakers.resolve(label)
        if m and speaker is None:
            speakers.meet(label, line.locator)
            continue
        if speaker:
            speakers.meet(label, line.locator)
            turns.append(RawTurn(speaker, line.locator, ts))
        elif turns:
            lead = len(line.text) - len(line.text.lstrip())
            turns[-1].pieces.append((line.offset + lead, line.offset + lead + len(stripped), stripped))
    speakers.check(file, len(turns))
    return turns


def choose_text_format(lines: list[Line], speakers: Speakers) -> str:
    inline = block = 0
    for line in lines:
        stripped = line.text.strip()
        m = INLINE_RE.match(stripped)
        if m and speakers.resolve(m["label"]):
            inline += 1
        b = BLOCK_SPEAKER_RE.match(stripped)
        if (b and (speakers.resolve(b["label"]) or looks_like_label(b["label"]))) or (
            stripped and speakers.resolve(stripped)
        ):
            block += 1
        if stripped.upper() in BLOCK_HEADERS:
            block += 1
    return "block" if block > inline else "inline"


def parse_vtt(text: str, speakers: Speakers, file) -> list[RawTurn]:
    # webvtt-py loads only for WebVTT transcripts
    import webvtt

    try:
        captions = list(webvtt.from_string(text))
    except Exception:
        raise PipelineError(
            "the WebVTT file is malformed (a cue's timing line cannot be read)",
            "Export the captions again from Teams or Zoom, or convert the file to plain text",
            file=file,
        ) from None
    lines = lines_of(text)
    timing_lines = [ln for ln in lines if "-->" in ln.text]
    turns: list[RawTurn] = []
    for caption, timing in zip(captions, timing_lines, strict=False):
        number = timing.locator + 1
        body_line = lines[number - 1] if number - 1 < len(lines) else timing
        body = " ".join(caption.text.split())
        label = caption.voice
        if label is None:
            m = INLINE_RE.match(body)
            if m and (speakers.resolve(m["label"]) or (speakers.mode == "strict" and looks_like_label(m["label"]))):
                label, body = m["label"], m["text"]
        if label is not None:
            speaker = speakers.meet(label, number)
            if speaker is None:
                continue  # reported with the file's other unknown labels
            if not turns or turns[-1].speaker != speaker:
                turns.append(RawTurn(speaker, number, caption.start))
        elif not turns and not speakers.unknown:
            raise PipelineError(
                "the first cue names no speaker",
                "Export the captions with speaker names (<v Name> tags or 'Name: text' cues)",
                file=file,
                line=number,
            )
        if body and turns:  # (no turn yet: the first cues' speakers are unknown, reported below)
            start = body_line.offset
            turns[-1].pieces.append((start, start + len(body_line.text), body))
    speakers.check(file, len(turns))
    return turns


def parse_transcript(
    path: Path, data: bytes, speakers: Speakers, display: str, layout: Layout = Layout()
) -> tuple[list[RawTurn], str, str]:
    """Parse one transcript's bytes. Returns (turns, format, encoding)."""
    speakers.start_file()
    suffix = path.suffix.lower()
    if suffix == ".docx":
        lines, encoding = docx_lines(data, display), "docx"
        fmt = choose_text_format(lines, speakers)
    else:
        text, encoding = decode(data, display)
        if suffix == ".vtt" or text.lstrip().startswith("WEBVTT"):
            return parse_vtt(text, speakers, display), "vtt", encoding
        lines = lines_of(text)
        fmt = choose_text_format(lines, speakers)
    parser = parse_block if fmt == "block" else parse_inline
    return parser(lines, speakers, display, layout), fmt, encoding


def build_turns(raw: list[RawTurn], meta: dict, display, marks: re.Pattern = REDACTION_RE) -> pd.DataFrame:
    """Raw turns -> the turns table; empty turns are dropped; consecutive same-speaker turns are kept apart."""
    rows = []
    for turn in raw:
        text = clean(" ".join(p[2] for p in turn.pieces))
        if not text:
            continue
        rows.append(
            {
                **meta,
                "turn_index": len(rows),
                "speaker": turn.speaker,
                "text": text,
                "word_count": count_words(text, marks),
                "start_char": turn.pieces[0][0],
                "end_char": turn.pieces[-1][1],
                "line": str(turn.locator),
                "timestamp": normalise_timestamp(turn.timestamp),
            }
        )
    if not rows:
        raise PipelineError(
            "no speaker labels found",
            "Start each turn with a label such as 'Interviewer:' and 'Participant:' (or declare the labels "
            "used in corpus.yaml under speakers:)",
            file=display,
        )
    df = pd.DataFrame(rows, columns=TURN_COLUMNS)
    if not (df["speaker"] == "participant").any():
        raise PipelineError(
            "the interview has no participant turns (every label resolved to the interviewer)",
            "Check the participant's label, or declare it under speakers: participant in corpus.yaml",
            file=display,
        )
    return df


def normalise_timestamp(ts: str | None) -> str:
    if not ts:
        return ""
    main, _, frac = ts.replace(",", ".").partition(".")
    parts = [int(p) for p in main.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    h, m, s = parts
    return f"{h:02d}:{m:02d}:{s:02d}" + (f".{frac}" if frac else "")


def ingest_interview(
    path: Path, data: bytes, speakers: Speakers, meta: dict, display: str | None = None, layout: Layout = Layout()
):
    """Pure core: bytes of one transcript -> (turns table, format, encoding)."""
    display = display or str(path)
    raw, fmt, encoding = parse_transcript(path, data, speakers, display, layout)
    return build_turns(raw, meta, display, layout.marks), fmt, encoding


def ingest_corpus(corpus) -> pd.DataFrame:
    """Every interview of a corpus ingested in-process (benchmarks, tests, notebooks), with format and encoding."""
    frames = []
    for it in corpus.interviews:
        path = corpus.root / it.file
        speakers = corpus_speakers(corpus, it.participant_id)
        meta = {"interview_id": it.interview_id, "participant_id": it.participant_id, "role": it.role, "wave": it.wave}
        turns, fmt, encoding = ingest_interview(path, path.read_bytes(), speakers, meta, layout=corpus_layout(corpus))
        frames.append(turns.assign(source_format=fmt, encoding=encoding))
    return pd.concat(frames, ignore_index=True)


def corpus_speakers(corpus, participant_id: str) -> Speakers:
    """The speaker rules of one interview of a corpus (the participant's own id is a participant label)."""
    return Speakers(
        corpus.interviewer_labels, [*corpus.participant_labels, participant_id], corpus.label_mode, corpus.other_labels
    )


def corpus_layout(corpus) -> Layout:
    return Layout(**corpus.layout)
