"""Text files in any encoding people save them in: UTF-8 with or without BOM, UTF-16, or a legacy code page
(detected, with the mixed and binary cases refused clearly)."""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

from pipeline.core.errors import PipelineError

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


# ---------------------------------------------------------------- decoding


UTF8_MULTIBYTE_RE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


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
