"""The identifier gate without the NER model: placeholders, public places and the output scan."""

from __future__ import annotations

import pandas as pd

from pipeline.gate import gazetteers
from pipeline.gate.anonymise import Pseudonymiser
from pipeline.gate.scan import find_values


def test_large_cities_identify_no_one_small_towns_do():
    places = gazetteers.PublicPlaces("uk", 1_000_000, 100_000)
    assert places.covers("London") and places.covers("Atlanta") and places.covers("Kathmandu")
    assert not places.covers("Barnsley") and not places.covers("Sheffield")
    assert not places.covers("Boston")  # a town in Lincolnshire too: the smaller one decides
    assert not gazetteers.PublicPlaces("uk", 1_000_000, 1_000_000).covers("Atlanta")


def test_pseudonyms_are_consistent_within_an_interview():
    p = Pseudonymiser()
    assert [p.placeholder("PERSON", v) for v in ("Sarah Jones", "Kevin", "Sarah", "sarah jones")] == [
        "[PERSON_1]",
        "[PERSON_2]",
        "[PERSON_1]",
        "[PERSON_1]",
    ]
    assert p.placeholder("PHONE", "07700 900123") == "[PHONE]"


def test_scan_outputs_finds_leaked_values(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "a.csv").write_text("segment,text\n1,[PERSON_1] was there\n")
    pd.DataFrame({"text": ["and then Sarah said"]}).to_parquet(tmp_path / "b.parquet")
    (tmp_path / "c.md").write_text("Sarahs are not Sarah-like? Sarahville")
    hits = find_values(tmp_path, {"Sarah"})
    assert [h[0].rsplit("/", 1)[1] for h in hits] == ["b.parquet", "c.md"]
    assert find_values(tmp_path, set()) == []
