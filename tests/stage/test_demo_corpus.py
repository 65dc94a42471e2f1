"""The bundled demonstration corpus: its design, its coding and the README that describes them."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from pipeline import describe, human_codes
from pipeline.codebook import load_codebook
from pipeline.corpus import load_corpus
from pipeline.findings import human_code_matrix
from pipeline.gate.detect import detect
from pipeline.gate.policy import AllowList
from pipeline.ingest import ingest_corpus
from pipeline.segment import segment_corpus
from tests.conftest import DEMO, ROOT

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
CORPUS = load_corpus(DEMO, CONFIG)
CODEBOOK = load_codebook(ROOT / "config" / "codebook.yaml")


@pytest.fixture(scope="module")
def turns() -> pd.DataFrame:
    return ingest_corpus(CORPUS)


def test_the_readme_matrix_equals_codes_csv():
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- matrix:start -->\n(.*?)<!-- matrix:end -->", readme, re.S).group(1)
    assert table == human_code_matrix(CORPUS, CODEBOOK)


def test_the_design_nine_and_seven_then_two_and_two(turns):
    table = describe.participants_table(turns, CORPUS.roles).set_index(["role", "wave"])
    assert table.loc[("practitioner", "1"), "interviews"] == 9
    assert table.loc[("service_user", "1"), "interviews"] == 7
    assert table.loc[("practitioner", "2"), "interviews"] == 2
    assert table.loc[("service_user", "2"), "interviews"] == 2


def test_interview_lengths_follow_the_design(turns):
    per = turns.groupby(["interview_id", "wave"]).agg(words=("word_count", "sum"), turns=("turn_index", "size"))
    wave1, wave2 = per.xs(1, level="wave"), per.xs(2, level="wave")
    assert wave1["words"].between(1200, 2500).all() and wave1["turns"].between(30, 60).all()
    assert wave2["words"].between(800, 1500).all()


def test_every_format_and_encoding_is_represented(turns):
    seen = set(zip(turns["source_format"], turns["encoding"], strict=True))
    assert {
        ("block", "utf-8"),
        ("vtt", "utf-8"),
        ("inline", "docx"),
        ("inline", "cp1252"),
        ("inline", "utf-16"),
        ("inline", "utf-8-sig"),
    } <= seen


def test_every_quote_maps_onto_a_segment(turns):
    segments = segment_corpus(turns, CONFIG["segmentation"]["max_words"])
    rows = human_codes.read_codes(CORPUS.codes_path)
    mapped = human_codes.map_codes(rows, segments, set(CODEBOOK.ids), CORPUS.codes_path)
    assert set(mapped["row"]) == {r["row"] for r in rows}
    assert set(mapped["coder"]) == {"coder1", "coder2"}
    second = mapped[mapped["coder"] == "coder2"]["participant_id"]
    assert set(second) == {"CM1", "CM3", "SU2", "SU4"}
    assert not (mapped["wave"] == 2).any(), "wave 2 stays uncoded"


def test_the_identifier_gate_finds_nothing_in_the_clean_corpus(turns):
    found = detect(list(turns["text"]), AllowList(CORPUS.allow))
    assert sum(len(f) for f in found) == 0


def test_no_code_ids_in_the_transcripts(turns):
    """Compound ids (structure_focus) would be keyword stuffing; plain words (responsibility) are speech."""
    text = " ".join(turns["text"]).lower()
    assert not [c for c in CODEBOOK.ids if "_" in c and (c in text or c.replace("_", " ") in text)]


def test_the_heldout_corpus_is_valid_and_every_quote_maps():
    """tests/fixtures/heldout: four interviews written and coded independently, for the coding benchmark."""
    heldout = load_corpus(ROOT / "tests" / "fixtures" / "heldout", CONFIG)
    segments = segment_corpus(ingest_corpus(heldout), 150)
    rows = human_codes.read_codes(heldout.codes_path)
    mapped = human_codes.map_codes(rows, segments, set(CODEBOOK.ids), heldout.codes_path)
    assert set(mapped["row"]) == {r["row"] for r in rows} and set(mapped["participant_id"]) == {
        "CM10",
        "CM11",
        "SU8",
        "SU9",
    }
