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

What identifies no one is kept (``Policy``, with the evidence in ``pipeline.gate.gazetteers``): countries,
regions and large cities, world-known organisations, brands, products, nationalities, named storms.
Bracketed placeholders and redaction marks already present (``[NAME]``, ``@@@``, ``XXX``) count as
anonymised, and an allow-list keeps what is left. ``pseudonymise`` replaces each identifier by a
typed placeholder that is consistent within an interview (``[PERSON_1]`` is the same person
every time). Identifier values never go to logs or to ``outputs/``; the audit and the
replacement map stay under ``private/``.
"""

from __future__ import annotations

import re

from faker.providers.address.en_GB import Provider as AddressProvider

from pipeline.gate.gazetteers import (
    BRAND_SCORE,
    CALENDAR,
    DEMONYMS,
    STOP_WORDS,
    STORM,
    any_names,
    first_names,
    is_common_word,
    is_known_name,
    is_namelike,
    place_names,
    proper_noun_score,
    surnames,
)
from pipeline.gate.ner import ner_model
from pipeline.gate.policy import CAPITALISED_RUN, PLACE_CUE_BEFORE, AllowList, Policy, _is_acronym
from pipeline.gate.shapes import HOLIDAY_NAME, Finding, _masked, detect_patterns

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


NER_CATEGORY = {"PERSON": "PERSON", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE", "ORG": "ORG"}


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


def _name_token(token) -> bool:
    """A token an entity found by the NER is judged on: capitalised, and no stop word, pronoun, month or day."""
    word = _word(token)
    return (
        token.text[:1].isupper()
        and not token.is_stop
        and word.lower() not in STOP_WORDS
        and word.lower() not in PRONOUNS
        and word not in CALENDAR
    )


def _name_evidence(word: str) -> bool:
    """The word is written mostly capitalised, or is a known name: without one such word an entity is dropped."""
    return proper_noun_score(word) > 0.3 or is_namelike(word)


def may_hold_entity(doc) -> bool:
    """Whether ``detect_ner`` could keep an entity in this tokenised text: only if some token passes the same two
    tests it applies to an entity's tokens (``_name_token``, ``_name_evidence``). Most turns of speech have no such
    token ("Yeah, I think so"), and the NER is not run on them: their findings are the same, empty, either way."""
    return any(_name_token(t) and _name_evidence(_word(t)) for t in doc)


def detect_ner(doc, allow: AllowList, policy: Policy = Policy()) -> list[Finding]:
    out = []
    for ent in doc.ents:
        category = NER_CATEGORY.get(ent.label_)
        if category is None or allow.covers(ent.text):
            continue
        tokens = [t for t in ent if _name_token(t)]
        if not tokens:
            continue
        words = [_word(t) for t in tokens]
        if category == "ORG" and all(_is_acronym(w) for w in words):
            continue  # acronyms (IT, PSO, ADHD, NPS) are rarely identifying; named employers have words
        if not any(_name_evidence(w) for w in words):
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
    # tokenised once; the NER runs only on texts where it could find something (``may_hold_entity``). Each text is
    # its own document: its entities do not depend on which others are in the batch (tests/stage/test_anonymise.py)
    docs = [nlp.make_doc(text) for text in masked]
    worth = [may_hold_entity(doc) for doc in docs]
    parsed = nlp.pipe((doc for doc, w in zip(docs, worth, strict=True) if w), batch_size=64)  # in order, lazily
    results = []
    for text, w in zip(masked, worth, strict=True):
        entities = detect_ner(next(parsed), allow, policy) if w else []
        findings = detect_patterns(text, policy) + detect_rules(text, allow, policy) + entities
        holidays = [m.span() for m in HOLIDAY_NAME.finditer(text)]  # Christmas Eve, Easter: no person, no place
        findings = [
            f for f in findings if f.category == "DATE" or not any(a <= f.start and f.end <= b for a, b in holidays)
        ]
        results.append(merge(findings))
    return results
