"""codes.csv: quotes mapped to the segments they fall in; bad rows named by line."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.errors import PipelineError
from pipeline.core.text import normalise_for_matching
from pipeline.human_codes import map_codes, read_codes

SEGMENTS = pd.DataFrame(
    [
        # one long turn split in two segments, then a short turn
        ("A_w1_t001_s1", "A_w1", "A", "practitioner", 1, 1, 1, "The videos were great. They held attention."),
        ("A_w1_t001_s2", "A_w1", "A", "practitioner", 1, 1, 2, "But the laptop had no sound. It’s “always” broken."),
        ("A_w1_t003_s1", "A_w1", "A", "practitioner", 1, 3, 1, "Time is the main thing."),
    ],
    columns=["segment_id", "interview_id", "participant_id", "role", "wave", "turn_index", "segment_index", "text"],
)
CODES = {"engaging_media", "technology_barriers", "workload_time"}


def row(quote, code="engaging_media", line=2, **kw):
    return {"participant_id": "A", "wave": "1", "code": code, "quote": quote, "row": line, **kw}


def test_quote_maps_to_its_segment():
    out = map_codes([row("They held attention.")], SEGMENTS, CODES, "codes.csv")
    assert list(out["segment_id"]) == ["A_w1_t001_s1"] and out["coder"][0] == "coder1"


def test_quote_spanning_a_split_maps_to_both_segments():
    out = map_codes([row("held attention. But the laptop", "technology_barriers")], SEGMENTS, CODES, "codes.csv")
    assert list(out["segment_id"]) == ["A_w1_t001_s1", "A_w1_t001_s2"]


def test_whitespace_quote_characters_and_case_are_normalised():
    out = map_codes([row('it\'s  "ALWAYS" broken', "technology_barriers")], SEGMENTS, CODES, "codes.csv")
    assert list(out["segment_id"]) == ["A_w1_t001_s2"]


def test_coders_are_kept_apart():
    rows = [
        row("Time is the main thing.", "workload_time", coder="coder1"),
        row("Time is", "workload_time", 3, coder="coder2"),
    ]
    out = map_codes(rows, SEGMENTS, CODES, "codes.csv")
    assert sorted(out["coder"]) == ["coder1", "coder2"]


@pytest.mark.parametrize(
    "bad,problem",
    [
        (row("The DVDs were great.", line=7), "not found"),
        (row("Time is", "time_pressure", line=7), "unknown code id 'time_pressure'"),
        (row("Time is", line=7, sentiment="angry"), "sentiment 'angry'"),
        ({**row("Time is", line=7), "participant_id": "B"}, "no wave-1 interview"),
        (row("Time is the main thing. The videos", line=7), "not found"),
    ],
    ids=["quote-not-found", "unknown-code", "bad-sentiment", "unknown-participant", "spans-two-turns"],
)
def test_bad_rows_name_the_line(bad, problem):
    with pytest.raises(PipelineError) as info:
        map_codes([bad], SEGMENTS, CODES, "codes.csv")
    assert info.value.line == 7 and problem in info.value.problem


def test_quote_from_an_interviewer_turn_says_so():
    with pytest.raises(PipelineError) as info:
        map_codes([row("How did you find it")], SEGMENTS, CODES, "codes.csv", {("A", 1): "how did you find it?"})
    assert "interviewer turn" in info.value.problem


def test_read_codes_reports_line_numbers_and_missing_columns(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text('participant_id,wave,code,quote\nA,1,workload_time,"Time\nis"\nA,1,engaging_media,x\n')
    rows = read_codes(path)
    assert [r["row"] for r in rows] == [3, 4]
    path.write_text("participant_id,wave,quote\n")
    with pytest.raises(PipelineError) as info:
        read_codes(path)
    assert info.value.line == 1 and "code" in info.value.problem


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16"])
def test_codes_csv_saved_by_excel_is_read_in_its_encoding(tmp_path, encoding):
    path = tmp_path / "codes.csv"
    quote = "It\u2019s \u201calways\u201d broken"
    text = f"participant_id,wave,code,quote,coder\nA,1,technology_barriers,{quote},Zo\u00eb\n"
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    rows = read_codes(path)
    assert [(r["quote"], r["coder"], r["row"]) for r in rows] == [(quote, "Zo\u00eb", 2)]
    assert list(map_codes(rows, SEGMENTS, CODES, path)["segment_id"]) == ["A_w1_t001_s2"]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_codes_csv_with_semicolons_or_tabs_from_excel_is_read(tmp_path, separator):
    path = tmp_path / "codes.csv"
    path.write_text(separator.join(["participant_id", "wave", "code", "quote", "coder"]) + "\n")
    with path.open("a") as f:
        f.write(separator.join(["A", "1", "technology_barriers", "But the laptop had no sound", "Zo"]) + "\n")
    rows = read_codes(path)
    assert [(r["code"], r["coder"], r["row"]) for r in rows] == [("technology_barriers", "Zo", 2)]
    assert list(map_codes(rows, SEGMENTS, CODES, path)["segment_id"]) == ["A_w1_t001_s2"]


def test_codes_csv_in_no_readable_encoding_is_a_pipeline_error(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(PipelineError) as info:
        read_codes(path)
    assert info.value.file == str(path) and "CSV UTF-8" in info.value.fix


def test_unknown_code_names_the_codebook_in_use(tmp_path):
    with pytest.raises(PipelineError) as info:
        map_codes([row("Time is", "time_pressure")], SEGMENTS, CODES, "codes.csv", codebook_path="data/x/codebook.yaml")
    assert "data/x/codebook.yaml" in info.value.fix and "config/codebook.yaml" not in info.value.fix


TWO_TURNS = pd.DataFrame(
    [
        ("A_w1_t001_s1", "A_w1", "A", "practitioner", 1, 1, 1, "The videos were great, they held attention."),
        ("A_w1_t003_s1", "A_w1", "A", "practitioner", 1, 3, 1, "Mostly the scenarios about jealousy, to be honest."),
    ],
    columns=SEGMENTS.columns,
)
INTERVIEWER = {("A", 1): normalise_for_matching("Which ones did you use?")}


@pytest.mark.parametrize(
    "quote",
    [
        # copied from the transcript across the interviewer's question, speaker labels and all
        "they held attention. Interviewer: Which ones did you use? A: Mostly the scenarios about jealousy",
        # the speaker label taken in with one turn
        "A: The videos were great, they held attention.",
    ],
)
def test_a_passage_across_a_speaker_change_is_kept_for_each_participant_turn_with_a_warning(quote, caplog):
    out = map_codes([row(quote, line=5)], TWO_TURNS, CODES, "codes.csv", INTERVIEWER)
    expected = ["A_w1_t001_s1", "A_w1_t003_s1"] if "jealousy" in quote else ["A_w1_t001_s1"]
    assert list(out["segment_id"]) == expected
    assert "1 coded passage(s) cross a speaker change" in caplog.text and "line(s) 5" in caplog.text


def test_a_passage_with_words_in_no_turn_is_still_not_found():
    """Between the pieces found in participant turns only interviewer speech or a speaker label may stand."""
    quote = "they held attention. and then we talked about the weather for ages. Mostly the scenarios"
    with pytest.raises(PipelineError, match="not found"):
        map_codes([row(quote)], TWO_TURNS, CODES, "codes.csv", INTERVIEWER)
