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


def test_the_scan_counts_what_the_whole_pattern_counts_and_searches_a_changed_file_only(tmp_path, monkeypatch):
    """The scan gives the pattern only the values the automaton finds as whole words (``ValueSearch``): that set is
    the pattern's own, and the counts are those of the pattern of every value. A file searched before for the same
    values is not searched again."""
    from pipeline.gate import scan
    from pipeline.gate.anonymise import value_pattern

    values = {"Sarah", "Sarah Jones", "07700 900123", "+44 7700 900123", "j.smith@example.org", "St. Mary's", "O'Neil"}
    texts = [
        "Sarah Jones rang. Sarah rang back on +44 7700 900123, or 07700 900123.",
        "Sarahs, Sarah-like; Jones Sarah; mail j.smith@example.org or j.smith@example.orgs",
        "at St. Mary's with O'Neil, and St Mary's, and ONeil",
        "no one here",
        "",
        "Sarah_2, 2Sarah, Sarah2, éSarah, Sarahé, «Sarah», Sarah\nJones, (Sarah Jones), +44 7700 900123x, "
        "x+44 7700 900123",
        "St. Mary's St. Mary's O'Neil's O'Neil_ Sarah Jones Jones",
        "Sarah2 and Sarah_x and éSarah; call 07700 9001234 or 207700 900123",  # no whole word at all
    ]
    search = scan.ValueSearch(values)
    for text in texts:
        assert search.count(text) == len(value_pattern(values).findall(text)), text
        # the automaton's whole-word test is the pattern's: no value it has no match of, none it has one of missed
        assert search.present(text) == {v for v in values if value_pattern([v]).search(text)}
    assert [search.count(t) for t in texts[5:]] == [3, 4, 0]  # digits, "_", accents join a word

    out, cache = tmp_path / "outputs", tmp_path / "private" / "scan"
    out.mkdir()
    for i, text in enumerate(texts[:4]):
        (out / f"{i}.md").write_text(text)
    first = find_values(out, values, cache_folder=cache)
    assert first == find_values(out, values) and [n for _, n in first] == [4, 3, 2]
    searched = []
    original = scan._searchable_text
    monkeypatch.setattr(scan, "_searchable_text", lambda path: searched.append(path.name) or original(path))
    (out / "3.md").write_text("now Sarah is here")
    assert find_values(out, values, cache_folder=cache) == [*first, (str(out / "3.md"), 1)]
    assert searched == ["3.md"]
    searched.clear()
    find_values(out, values | {"Kevin"}, cache_folder=cache)
    assert sorted(searched) == ["0.md", "1.md", "2.md", "3.md"], "other values: every file searched again"


def test_a_large_scan_shared_between_processes_counts_what_one_process_counts(tmp_path, monkeypatch):
    """Past ``PARALLEL_FROM_BYTES`` the files are shared out by size between worker processes; each file's count is
    the one a single process gives, in the order of the files (set to 0 here, so these small files are shared)."""
    from pipeline.gate import scan

    values = {"Sarah", "Sarah Jones", "07700 900123"}
    texts = ["Sarah Jones rang Sarah", "no one", "call 07700 900123 " * 50, "Sarah " * 200, "", "Sarah2 Sarah_x"]
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"{i}.md")
        paths[-1].write_text(text)
    pd.DataFrame({"text": ["and then Sarah said"] * 30}).to_parquet(tmp_path / "t.parquet")
    paths.append(tmp_path / "t.parquet")
    alone = scan.count_in_files(values, paths, workers=1)
    assert alone == [2, 0, 50, 200, 0, 0, 30]
    monkeypatch.setattr(scan, "PARALLEL_FROM_BYTES", 0)
    pools = []

    class Pool(scan.ProcessPoolExecutor):
        def __init__(self, max_workers, mp_context):
            pools.append(max_workers)
            super().__init__(max_workers=max_workers, mp_context=mp_context)

    monkeypatch.setattr(scan, "ProcessPoolExecutor", Pool)
    assert scan.count_in_files(values, paths, workers=3) == alone
    assert pools == [3], "the files were shared between 3 processes"
    assert find_values(tmp_path, values, workers=2) == find_values(tmp_path, values) and pools == [3, 2]
