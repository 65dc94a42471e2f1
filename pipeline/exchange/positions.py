"""Coding positions in a REFI-QDA project -> character offsets in its text, whatever tool wrote them.

The standard counts Unicode code points from 0 in the plain-text file, end exclusive. Real tools differ:
NVivo for Windows counts UTF-16 code units (an emoji counts 2), ATLAS.ti counts a CRLF as one character, and
some count a BOM before the text. A convention is (unit, CRLF counted as 1 or 2, BOM counted); ``detect``
tries each on a source's spans and keeps the one under which every span lands on character boundaries inside
the text and spans start and end best at word boundaries (``edge_score``), preferring the file's ``origin``
(its tool) and then the standard on a tie. Texts without emoji, CRLF or BOM give the same offsets under every
convention.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from itertools import product


@dataclass(frozen=True)
class Convention:
    utf16: bool = False  # positions count UTF-16 code units (NVivo for Windows)
    crlf_as_one: bool = False  # a CRLF counts 1 (ATLAS.ti); the standard counts its two code points
    bom: bool = False  # a BOM before the text counts 1

    def describe(self) -> str:
        unit = "UTF-16 code units" if self.utf16 else "code points"
        return f"{unit}, CRLF as {1 if self.crlf_as_one else 2}" + (", BOM counted" if self.bom else "")


STANDARD = Convention()


def boundaries(text: str, convention: Convention, had_bom: bool = False) -> list[int]:
    """The position, under ``convention``, of each character boundary of ``text`` (len(text) + 1 values)."""
    out = [1 if (convention.bom and had_bom) else 0]
    pos = out[0]
    for i, ch in enumerate(text):
        if convention.crlf_as_one and ch == "\r" and text[i + 1 : i + 2] == "\n":
            step = 0
        else:
            step = 2 if convention.utf16 and ord(ch) > 0xFFFF else 1
        pos += step
        out.append(pos)
    return out


def to_index(bounds: list[int], position: int, end: bool = False) -> int | None:
    """The character index whose boundary is at ``position`` (None if none is): the last such boundary for a
    start (a CRLF counted once has two boundaries at one position: a span starts after the CR), the first for
    an end."""
    i = bisect_left(bounds, position)
    if i == len(bounds) or bounds[i] != position:
        return None
    if not end:
        while i + 1 < len(bounds) and bounds[i + 1] == position:
            i += 1
    return i


def edge_score(text: str, i: int, start: bool) -> int:
    """How well a span's start or end sits at ``i``: 1 at a word boundary, 2 where the span also starts after
    white space or ends before it (a coder selects whole words, and mostly whole sentences)."""
    before = text[i - 1] if i > 0 else " "
    after = text[i] if i < len(text) else " "
    if before.isalnum() and after.isalnum():
        return 0
    inside, outside = (after, before) if start else (before, after)
    return 1 + (not inside.isspace() and outside.isspace())


def candidates(origin: str = "") -> list[Convention]:
    """Every convention, the origin's tool's own first (on a tie it wins), then the standard."""
    origin = origin.lower()
    preferred = []
    if "nvivo" in origin:
        preferred = [Convention(utf16=True), Convention(utf16=True, bom=True)]
    elif "atlas" in origin:
        preferred = [Convention(crlf_as_one=True)]
    rest = [Convention(u, c, b) for u, c, b in product((False, True), repeat=3)]
    return list(dict.fromkeys([*preferred, STANDARD, *rest]))


def detect(text: str, spans: list[tuple[int, int]], origin: str = "", had_bom: bool = False) -> Convention | None:
    """The convention under which ``spans`` fit ``text`` best (see the module's docstring); None if under none
    of them every span lies on character boundaries within the text."""
    best, best_score = None, -1
    for convention in candidates(origin):
        bounds = boundaries(text, convention, had_bom)
        score = 0
        for start, end in spans:
            a, b = to_index(bounds, start), to_index(bounds, end, end=True)
            if a is None or b is None or b < a:
                score = -1
                break
            score += edge_score(text, a, True) + edge_score(text, b, False)
        if score > best_score:
            best, best_score = convention, score
    return best


def normalised_index(text: str) -> list[int]:
    """For each character boundary of ``text`` (as in the project file), its offset in the text as ingest reads it
    (ingest._check_text: CRLF and CR -> LF, NFC), so a span of the project lands on ingest's turns."""
    out, pos, i = [0], 0, 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\r" and text[i + 1 : i + 2] == "\n":
            out.extend([pos, pos + 1])
            pos += 1
            i += 2
            continue
        # a character and the combining marks after it are normalised together
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        cluster = "\n" if ch == "\r" else text[i:j]
        width = len(unicodedata.normalize("NFC", cluster))
        out.extend(min(pos + k + 1, pos + width) for k in range(j - i))
        pos += width
        i = j
    return out
