"""codes.csv: quotes mapped to the segments they fall in; bad rows named by line."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from pipeline import human_codes
from pipeline.errors import PipelineError
from tests.conftest import ROOT

SEGMENTS = pd.DataFrame(
    [
        # one long turn split in two segments, then a short turn
        ("A_w1_t001_s1", "A_w1", "A", "practitioner", 1, 1, 1, "The videos were great. They held attention."),
        ("A_w1_t001_s2", "A_w1", "A", "practitioner", 1, 1, 2, "But the laptop had no sound. It’s “always” broken."),
        ("A_w1_t003_s1", "A_w1", "A", "practitioner", 1, 3, 1, "Time is the main thing."),
    ],
    columns=["segment_id", "interview_id", "participant_id", "role", "wave", "turn_index", "segment_index", "text"],
)


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
        human_codes.run(codes, [tmp_path / "segments.parquet"], [tmp_path / "turns.parquet"], codebook, out)
    assert info.value.line == 2 and f"the codebook ({codebook})" in info.value.fix
    assert not out.exists()
