"""Fixed shapes, by locale: phone numbers, postcodes and ZIP codes, national reference numbers, e-mail addresses,
URLs, street addresses, and every date more specific than a year (with or without a cue word)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.text import REDACTION_RE
from pipeline.gate.gazetteers import (
    STOP_WORDS,
    is_common_word,
    place_names,
)
from pipeline.gate.policy import Policy

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


SSN_CUE = re.compile(r"(?i:\bssn|\bsocial\b|security number|\bdashes\b)")


HOLIDAY_NAME = re.compile(rf"\b{HOLIDAY}\b")


PLACEHOLDER_SPAN = re.compile(r"\[[^\[\]]*\]")


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    category: str
    value: str
    source: str  # pattern | context | places | ner | gazetteer | repeat (found elsewhere in the interview)


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
