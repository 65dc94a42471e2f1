"""Small text rules shared by every stage: words, annotations, placeholders, normalisation."""

from __future__ import annotations

import re
import unicodedata

TIMESTAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# [NAME], [PROBATION OFFICE], [PERSON_1], [redacted]: anonymisation placeholders, counted as one word each.
PLACEHOLDER_RE = re.compile(
    r"\[[A-Z0-9][A-Z0-9 _/&'’-]*\]"
    r"|\[(?i:redacted|removed|anonymi[sz]ed|deleted|withheld|name|surname|place|location|address|date|number)"
    r"(?:[ _-]?\d+)?\]"
)
# [laughs], [inaudible 00:12:03], [crosstalk]: transcriber's annotations, kept but not counted.
BRACKET_RE = re.compile(r"\[[^\[\]]*\]")
# Redaction marks other projects use where they removed an identifier: runs of @ ("@@@", "@@/@@/@@"), of X
# ("XXX", "XXXX") and of * ("***"), and tags in angle brackets ("<name>", "<PLACE>"). Like placeholders they are
# kept, count as one word, and the identifier check never flags or replaces anything inside them; a corpus may add
# its own (corpus.yaml, ingest: redactions).
REDACTION_MARKS = (
    r"@{2,}(?:[/.:-]@{2,})*",
    r"(?<![\w*])X{3,}(?![\w*])",
    r"(?<![\w*])\*{2,}(?![\w*])",
    r"<[A-Za-z][A-Za-z0-9 _/-]{0,30}>",
)


def redaction_pattern(extra=()) -> re.Pattern:
    """One pattern for the default redaction marks and a corpus's own (regular expressions)."""
    return re.compile("|".join(f"(?:{p})" for p in (*REDACTION_MARKS, *extra)))


REDACTION_RE = redaction_pattern()
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


def count_words(text: str, marks: re.Pattern = REDACTION_RE) -> int:
    """Words spoken: annotations do not count, a placeholder or a redaction mark counts as one word."""
    text = marks.sub(" X ", PLACEHOLDER_RE.sub(" X ", strip_annotations(text)))
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


def line_pattern(rule: str) -> re.Pattern:
    """A rule of corpus.yaml for labels or lines, as a pattern matched against the whole label or line: plain
    text (case-insensitive, whitespace-tolerant), ``*`` standing for the rest ("DOCTOR *", "Participant *"), or a
    regular expression written ``re:...`` (also case-insensitive). Raises ``re.error`` for a bad expression."""
    if rule.startswith("re:"):
        return re.compile(rule[3:].strip(), re.IGNORECASE)
    words = [re.escape(w).replace(r"\*", ".+") for w in rule.strip().split()]
    return re.compile(r"\s+".join(words), re.IGNORECASE)
