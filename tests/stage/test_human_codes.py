"""The human-codes stage names the corpus's own codebook in its errors."""

from __future__ import annotations

import shutil

import pytest

from pipeline import human_codes
from pipeline.core.errors import PipelineError
from tests.conftest import ROOT
from tests.unit.test_human_codes import SEGMENTS


def test_the_stage_names_a_corpus_codebook_in_its_error(tmp_path):
    codebook = tmp_path / "corpus" / "codebook.yaml"
    codebook.parent.mkdir()
    shutil.copy(ROOT / "config" / "codebook.yaml", codebook)
    SEGMENTS.to_parquet(tmp_path / "segments.parquet")
    turns = SEGMENTS.assign(speaker="participant")[["participant_id", "wave", "speaker", "text"]]
    turns.to_parquet(tmp_path / "turns.parquet")
    codes = tmp_path / "corpus" / "codes.csv"
    codes.write_text("participant_id,wave,code,quote\nA,1,time_pressure,Time is\n")
    out = tmp_path / "out" / "human_codes.parquet"
    with pytest.raises(PipelineError) as info:
        human_codes.import_human_codes(
            codes, [tmp_path / "segments.parquet"], [tmp_path / "turns.parquet"], codebook, out
        )
    assert info.value.line == 2 and f"the codebook ({codebook})" in info.value.fix
    assert not out.exists()
