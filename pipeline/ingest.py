"""Ingest: one transcript file -> one row per turn.

Reads the four formats researchers receive (inline ``Label: text``; block exports from
transcription services; WebVTT from Teams or Zoom; .docx holding either text format),
in any common encoding, and resolves every speaker label to interviewer or participant.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.text import TIMESTAMP, clean, count_words

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
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


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


@dataclass
class Speakers:
    """Label resolution: case-insensitive, trailing dots ignored; the participant's own id is a participant label."""

    interviewer: list[str]
    participant: list[str]
    mode: str = "strict"

    def __post_init__(self):
        self._map = {self.key(x): "participant" for x in self.participant}
        self._map.update({self.key(x): "interviewer" for x in self.interviewer})

    @staticmethod
    def key(label: str) -> str:
        return " ".join(label.strip().rstrip(".").split()).casefold()

    def resolve(self, label: str) -> str | None:
        return self._map.get(self.key(label))


def looks_like_label(label: str) -> bool:
    """'CM3', 'Speaker 2', 'Dr Jones', 'INTERVIEWER' look like labels; 'And I said' does not."""
    words = label.split()
    return 0 < len(words) <= 3 and all(w[0].isupper() or w[0].isdigit() for w in words)


# ---------------------------------------------------------------- decoding


def decode(data: bytes, file) -> tuple[str, str]:
    """Bytes -> (text, encoding). UTF-8 (with or without BOM), UTF-16 and legacy code pages are detected."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise PipelineError(
            "the file is empty", "Replace it with the transcript, or remove its manifest row", file=file
        )
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    elif b"\x00" in data:
        even, odd = data[0::2].count(0), data[1::2].count(0)
        if odd > len(data) / 4 and even == 0:
            encoding, body = "utf-16-le", data
        elif even > len(data) / 4 and odd == 0:
            encoding, body = "utf-16-be", data
        else:
            raise _binary(file)
    else:
        try:
            return _check_text(data.decode("utf-8"), file), "utf-8"
        except UnicodeDecodeError as exc:
            if UTF8_MULTIBYTE_RE.search(data):
                raise _mixed(data, exc.start, file) from None
            encoding, body = _guess_legacy_encoding(data, file), data
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise _binary(file) from None
    return _check_text(text, file), encoding


# Transcripts from UK and other English-language projects that are not UTF-8 are nearly always
# Windows-1252; when the detector finds it about as plausible as its first choice, take it.
WESTERN = ("cp1252", "latin_1", "iso8859_15")


def _guess_legacy_encoding(data: bytes, file) -> str:
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise _binary(file)
    best = matches[0]
    for match in matches:
        close = match.chaos <= best.chaos + 0.01 and match.coherence >= best.coherence - 0.05
        western = next((e for e in WESTERN if e in match.could_be_from_charset), None)
        if close and western:
            return western
    return best.encoding


# A UTF-8 character of two to four bytes: a Windows-1252 file almost never holds one, so a file that has some and
# also bytes that are not UTF-8 mixes the two (a Word quote or dash pasted into a UTF-8 file)
UTF8_MULTIBYTE_RE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mixed(data: bytes, first: int, file) -> PipelineError:
    """Read as UTF-8 the file's accents would be right and the stray bytes wrong; read as Windows-1252, the
    reverse: either way part of the text would be garbled, so the user must mend it."""
    lines = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            lines.append(number)
    others = f" (and {len(lines) - 1} more line(s))" if len(lines) > 1 else ""
    return PipelineError(
        f"the file is UTF-8 except for byte 0x{data[first]:02x} on this line{others}, probably a Windows-1252 "
        "character (a curly quote or dash pasted from Word)",
        "Open the file in a text editor, retype the character(s) on the line(s) named, and save it as UTF-8",
        file=file,
        line=lines[0],
    )


def _binary(file) -> PipelineError:
    return PipelineError(
        "the file is binary or in an encoding that cannot be read as text",
        "Export the transcript as plain text (.txt, UTF-8), .docx or .vtt",
        file=file,
    )


def _check_text(text: str, file) -> str:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    bad = len(CONTROL_RE.findall(text))
    if bad > max(3, len(text) // 200):
        raise _binary(file)
    if not text.strip():
        raise PipelineError(
            "the file is empty", "Replace it with the transcript, or remove its manifest row", file=file
        )
    return text


def lines_of(text: str) -> list[Line]:
    out, offset = [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        out.append(Line(number, line, offset))
        offset += len(line) + 1
    return out


def docx_lines(data: bytes, file) -> list[Line]:
    """Paragraphs (and two-column table rows, 'speaker | text') of a Word document, in order."""
    import docx  # python-docx
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


def _unknown_label(file, locator, label: str) -> PipelineError:
    return PipelineError(
        f"unknown speaker label '{label}'",
        "Use a standard label (Interviewer, Participant, I, R, ...) or declare it under speakers: in corpus.yaml; "
        "if this line is speech, not a speaker, set speakers: {mode: declared} in corpus.yaml",
        file=file,
        line=locator,
    )


def parse_inline(lines: list[Line], speakers: Speakers, file) -> list[RawTurn]:
    turns: list[RawTurn] = []
    for line in lines:
        stripped = line.text.strip()
        if not stripped:
            continue
        lead = len(line.text) - len(line.text.lstrip())
        m = INLINE_RE.match(stripped)
        speaker = speakers.resolve(m["label"]) if m else None
        if m and speaker is None and turns and speakers.mode == "strict" and looks_like_label(m["label"]):
            raise _unknown_label(file, line.locator, m["label"].strip())
        if speaker:
            ts = m["ts1"] or m["ts2"] or m["ts3"]
            turn = RawTurn(speaker, line.locator, ts)
            start = line.offset + lead + m.start("text")
            if m["text"].strip():
                turn.pieces.append((start, line.offset + lead + len(stripped), m["text"]))
            turns.append(turn)
        elif turns:
            turns[-1].pieces.append((line.offset + lead, line.offset + lead + len(stripped), stripped))
        # lines before the first turn are header lines ([Transcript – recorded on Teams], titles): skipped
    return turns


def parse_block(lines: list[Line], speakers: Speakers, file) -> list[RawTurn]:
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
        if in_header or stripped.lower().startswith("transcribed by"):
            continue
        m = BLOCK_SPEAKER_RE.match(stripped)
        label, ts = (m["label"], m["ts"]) if m else (stripped, None)
        speaker = speakers.resolve(label)
        if m and speaker is None:
            raise _unknown_label(file, line.locator, label.strip())
        if speaker:
            turns.append(RawTurn(speaker, line.locator, ts))
        elif turns:
            lead = len(line.text) - len(line.text.lstrip())
            turns[-1].pieces.append((line.offset + lead, line.offset + lead + len(stripped), stripped))
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
            speaker = speakers.resolve(label)
            if speaker is None:
                raise _unknown_label(file, number, label.strip())
            if not turns or turns[-1].speaker != speaker:
                turns.append(RawTurn(speaker, number, caption.start))
        elif not turns:
            raise PipelineError(
                "the first cue names no speaker",
                "Export the captions with speaker names (<v Name> tags or 'Name: text' cues)",
                file=file,
                line=number,
            )
        if body:
            start = body_line.offset
            turns[-1].pieces.append((start, start + len(body_line.text), body))
    return turns


def parse_transcript(path: Path, data: bytes, speakers: Speakers, display: str) -> tuple[list[RawTurn], str, str]:
    """Parse one transcript's bytes. Returns (turns, format, encoding)."""
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
    return parser(lines, speakers, display), fmt, encoding


def build_turns(raw: list[RawTurn], meta: dict, display) -> pd.DataFrame:
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
                "word_count": count_words(text),
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


def ingest_interview(path: Path, data: bytes, speakers: Speakers, meta: dict, display: str | None = None):
    """Pure core: bytes of one transcript -> (turns table, format, encoding)."""
    display = display or str(path)
    raw, fmt, encoding = parse_transcript(path, data, speakers, display)
    return build_turns(raw, meta, display), fmt, encoding


def ingest_corpus(corpus) -> pd.DataFrame:
    """Every interview of a corpus ingested in-process (benchmarks, tests, notebooks), with format and encoding."""
    frames = []
    for it in corpus.interviews:
        path = corpus.root / it.file
        speakers = Speakers(
            corpus.interviewer_labels, corpus.participant_labels + [it.participant_id], corpus.label_mode
        )
        meta = {"interview_id": it.interview_id, "participant_id": it.participant_id, "role": it.role, "wave": it.wave}
        turns, fmt, encoding = ingest_interview(path, path.read_bytes(), speakers, meta)
        frames.append(turns.assign(source_format=fmt, encoding=encoding))
    return pd.concat(frames, ignore_index=True)
