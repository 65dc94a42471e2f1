"""Small text rules shared by every stage: words, annotations, placeholders, normalisation."""

from __future__ import annotations

import re
import unicodedata

TIMESTAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# [NAME], [PROBATION OFFICE], [PERSON_1]: anonymisation placeholders, counted as one word each.
PLACEHOLDER_RE = re.compile(r"\[[A-Z0-9][A-Z0-9 _/&'’-]*\]")
# [laughs], [inaudible 00:12:03], [crosstalk]: transcriber's annotations, kept but not counted.
BRACKET_RE = re.compile(r"\[[^\[\]]*\]")
INLINE_TIMESTAMP_RE = re.compile(rf"[\[(]{TIMESTAMP}[\])]")
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


def strip_annotations(text: str) -> str:
    """Text without annotations; placeholders stay."""
    return BRACKET_RE.sub(lambda m: m.group(0) if PLACEHOLDER_RE.fullmatch(m.group(0)) else " ", text)


def count_words(text: str) -> int:
    """Words spoken: annotations do not count, a placeholder counts as one word."""
    text = PLACEHOLDER_RE.sub(" X ", strip_annotations(text))
    return len(WORD_RE.findall(text))


def clean(text: str) -> str:
    """Canonical form of a turn's text: NFC, inline timestamps removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = INLINE_TIMESTAMP_RE.sub(" ", text)
    return " ".join(text.split())


def normalise_for_matching(text: str) -> str:
    """Form used to find a coder's quote in a transcript: quotes, dashes, whitespace and case folded."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split()).casefold()
