"""Build the labelled identifier fixture: interview sentences with injected identifiers and their spans.

    .venv/bin/python benchmarks/make_anonymisation_fixture.py                 # the tuning set
    .venv/bin/python benchmarks/make_anonymisation_fixture.py --set heldout   # the held-out set

Reads tests/fixtures/anonymisation/templates.yaml (or templates_heldout.yaml: a second set by another
writer, never used to tune the detector) (sentences in interview speech with slots such
as {PERSON} or {PHONE}, written without reference to the detector's rules) and fills every slot
with a generated value: names from faker's en_GB provider, real UK towns, streets from faker,
and valid-shaped phone, postcode, NI, NHS, CRN, PNC, prison and vehicle numbers. Deterministic
(seed 20211, 20212 for the held-out set) so the committed labelled*.jsonl can be rebuilt exactly.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import yaml
from faker import Faker

HERE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "anonymisation"
SEED = 20211
COPIES = 3  # each template is filled this many times with different values

TOWNS = [
    "Bolton",
    "Salford",
    "Wigan",
    "Stockport",
    "Oldham",
    "Rochdale",
    "Bury",
    "Preston",
    "Blackburn",
    "Burnley",
    "Leeds",
    "Bradford",
    "Wakefield",
    "Huddersfield",
    "Halifax",
    "Doncaster",
    "Rotherham",
    "Barnsley",
    "Sheffield",
    "Hull",
    "Grimsby",
    "Middlesbrough",
    "Sunderland",
    "Gateshead",
    "Durham",
    "Carlisle",
    "Swansea",
    "Cardiff",
    "Newport",
    "Wrexham",
    "Bangor",
    "Merthyr",
    "Stoke",
    "Derby",
    "Nottingham",
    "Leicester",
    "Coventry",
    "Wolverhampton",
    "Walsall",
    "Dudley",
    "Telford",
    "Shrewsbury",
    "Hereford",
    "Worcester",
    "Gloucester",
    "Swindon",
    "Reading",
    "Luton",
    "Bedford",
    "Peterborough",
    "Norwich",
    "Ipswich",
    "Colchester",
    "Chelmsford",
    "Basildon",
    "Southend",
    "Margate",
    "Dover",
    "Hastings",
    "Brighton",
    "Crawley",
    "Portsmouth",
    "Southampton",
    "Bournemouth",
    "Plymouth",
    "Exeter",
    "Torquay",
    "Taunton",
    "Bristol",
    "Bath",
    "Cheltenham",
    "Oxford",
    "Northampton",
    "Kettering",
    "Lincoln",
    "Scunthorpe",
    "Blackpool",
    "Lancaster",
    "Barrow",
    "Workington",
    "Warrington",
    "Widnes",
    "Runcorn",
    "Crewe",
    "Chester",
]
ESTATES = ["Meadowbank", "Park Farm", "Hollins", "Brookside", "Thornley", "Ashfield", "Kingsway", "Longmoor"]
EMPLOYERS = [
    "Greggs",
    "Tesco",
    "Asda",
    "Sainsbury's",
    "Amazon",
    "Royal Mail",
    "Balfour Beatty",
    "Wetherspoons",
    "Screwfix",
    "Argos",
]
OFFICES = ["Bolton", "Salford", "Wigan", "Leeds", "Hull", "Derby", "Luton", "Exeter"]
PNC_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(4, 4)] + [rng.randint(0, 9) for _ in range(8)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            s = "".join(map(str, digits + [check]))
            return f"{s[:3]} {s[3:6]} {s[6:]}" if rng.random() < 0.7 else s


def generators(fake: Faker, rng: random.Random) -> dict:
    letters = "ABCEGHJKLMNOPRSTWXYZ"
    return {
        "PERSON": lambda: rng.choice([fake.first_name(), fake.first_name(), f"{fake.first_name()} {fake.last_name()}"]),
        "FIRST": fake.first_name,
        "SURNAME": fake.last_name,
        "PLACE": lambda: rng.choice(TOWNS),
        "ESTATE": lambda: f"the {rng.choice(ESTATES)} estate" if rng.random() < 0.5 else f"{rng.choice(ESTATES)}",
        "STREET": fake.street_name,
        "ORG": lambda: rng.choice(EMPLOYERS),
        "OFFICE": lambda: f"{rng.choice(OFFICES)} probation office",
        "ADDRESS": lambda: f"{fake.building_number().split()[-1]} {fake.street_name()}",
        "DATE": lambda: fake.date_between("-40y", "-1y").strftime(rng.choice(["%d %B %Y", "%d/%m/%Y", "%B %d, %Y"])),
        "PHONE": lambda: rng.choice([fake.phone_number(), f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"]),
        "EMAIL": fake.email,
        "POSTCODE": fake.postcode,
        "NI": lambda: (
            f"{rng.choice(letters)}{rng.choice(letters)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)} {rng.choice('ABCD')}"
        ).replace(" ", "" if rng.random() < 0.4 else " "),
        "NHS": lambda: nhs_number(rng),
        "CRN": lambda: f"{rng.choice('ABCDEFGHJKLMNPRSTVWXY')}{rng.randint(100000, 999999)}",
        "PNC": lambda: f"{rng.randint(0, 99):02d}/{rng.randint(1000, 999999)}{rng.choice(PNC_LETTERS)}",
        "PRISON": lambda: f"{rng.choice('AG')}{rng.randint(1000, 9999)}{rng.choice(letters)}{rng.choice(letters)}",
        "VEHICLE": fake.license_plate,
    }


# slot -> the category it is scored as
CATEGORY = {"FIRST": "PERSON", "SURNAME": "PERSON", "ESTATE": "PLACE", "STREET": "PLACE", "OFFICE": "PLACE"}
SLOT = re.compile(r"\{([A-Z]+)\}")


def fill(template: str, gen: dict) -> dict:
    text, spans, pos = "", [], 0
    for m in SLOT.finditer(template):
        text += template[pos : m.start()]
        value = gen[m.group(1)]()
        spans.append(
            {"start": len(text), "end": len(text) + len(value), "category": CATEGORY.get(m.group(1), m.group(1))}
        )
        text += value
        pos = m.end()
    return {"text": text + template[pos:], "spans": spans}


SETS = {
    "tuning": ("templates.yaml", "labelled.jsonl", SEED),
    "heldout": ("templates_heldout.yaml", "labelled_heldout.jsonl", SEED + 1),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=list(SETS), default="tuning")
    templates_name, out_name, seed = SETS[parser.parse_args().set]
    templates = yaml.safe_load((HERE / templates_name).read_text(encoding="utf-8"))
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    gen = generators(fake, rng)
    rows = []
    for group, sentences in templates.items():
        for template in sentences:
            for _ in range(COPIES if SLOT.search(template) else 1):
                rows.append({"group": group, **fill(template, gen)})
    out = HERE / out_name
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} labelled texts, {sum(len(r['spans']) for r in rows)} identifiers -> {out}")


if __name__ == "__main__":
    main()
