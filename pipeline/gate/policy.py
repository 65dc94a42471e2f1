"""What is an identifier and what identifies no one (README.md here): the ``Policy``
settings and the corpus's allow-list."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipeline.core.text import REDACTION_RE, redaction_pattern
from pipeline.gate.gazetteers import (
    BRAND_SCORE,
    DEMONYMS,
    PublicPlaces,
    first_names,
    is_common_word,
    is_public_word,
    proper_noun_score,
)

CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z'’]+(?:[ -](?:in|upon|on|under|le)[ -][A-Z][a-z]+|\s+[A-Z][a-z'’]+){0,2}\b")


PLACE_CUE_BEFORE = re.compile(
    r"(?i:\b(?:live[sd]?|living|moved|grew up|born|from|near|over|down|up|round|in|to|at|out of|outside|"
    r"towards|back to|go(?:ing)? to|went to|come from|came from))\s+$"
)


@dataclass(frozen=True)
class Policy:
    """What the gate treats as an identifier beyond the allow-list (README.md here).

    ``locale`` picks the fixed shapes (phone numbers, postcodes or ZIP codes, national numbers) and the study's
    own countries; ``places`` which towns and cities identify no one; ``keep_public``: countries, large places,
    world-known organisations, platforms, products and public events are kept (false: every name the
    detectors find is an identifier, as before issue 20).
    """

    locale: str = "uk"
    places: PublicPlaces = PublicPlaces()
    keep_public: bool = True
    marks: re.Pattern = REDACTION_RE  # redaction marks already in the text (text.redaction_pattern)

    @classmethod
    def from_settings(
        cls,
        locale: str,
        home_population: int,
        abroad_population: int,
        keep_public: bool = True,
        redactions: tuple[str, ...] = (),
    ):
        places = PublicPlaces(locale, home_population, abroad_population)
        return cls(locale, places, keep_public, redaction_pattern(redactions))

    def public_region(self, name: str) -> bool:
        """A country, state, continent or large region (India, Georgia): never a first name in this text."""
        return self.keep_public and self.places.is_region(_plain_letters(name))

    def public_place(self, name: str) -> bool:
        return self.keep_public and self.places.covers(_plain_letters(name))

    def public_name(self, words: list[str], brands: bool = True) -> bool:
        """Every word of a name is public evidence (a nationality, a world-known or product-shaped word, with
        ``brands`` a brand-like one, an acronym or a public place) and none is a person's name: "Google
        Classroom", "Scottish Government", "NHS Scotland", "Tylenol". Without ``brands`` (names of streets and
        buildings, made of common words) at least one word must be public evidence of another kind."""
        if not self.keep_public or not words:
            return False
        if any(w in first_names() and proper_noun_score(w) > BRAND_SCORE for w in words):
            return False  # a first name used as a name (Claude, Stacey)
        evidence = [is_public_word(w, brands) or _is_acronym(w) or (brands and self.public_place(w)) for w in words]
        if brands and evidence[0] and len(words) > 1 and not is_common_word(words[0]) and words[0] not in DEMONYMS:
            return True  # a brand's product: Microsoft Teams, Apple Watch
        if brands:
            return all(e or is_common_word(w) for e, w in zip(evidence, words, strict=True))
        return any(evidence) and all(e or is_common_word(w) for e, w in zip(evidence, words, strict=True))


def _plain_letters(text: str) -> str:
    """São Paulo -> Sao Paulo (the gazetteer's English names are ASCII)."""

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _is_acronym(word: str) -> bool:
    return word.isupper() and 2 <= len(word.strip(".")) <= 5


class AllowList:
    """Non-identifying proper nouns (case-insensitive, whole phrases; a possessive is covered by its noun:
    "Anthropic" covers "Anthropic's")."""

    def __init__(self, phrases):
        self.phrases = sorted({self.plain(p) for p in phrases}, key=len, reverse=True)
        self.words = {w for p in self.phrases for w in re.findall(r"[\w'’-]+", p)}

    @staticmethod
    def plain(text: str) -> str:
        return re.sub(r"(?<=\w)[’']s?(?!\w)", "", " ".join(text.casefold().split()))

    def covers(self, text: str) -> bool:
        t = self.plain(" ".join(text.casefold().replace("the ", " ").split()))
        return t in self.phrases or all(w in self.words for w in re.findall(r"[\w'’-]+", t))
