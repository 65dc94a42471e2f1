"""Transcripts from other settings (issue 25): speaker patterns, header and note lines, codes.csv problems in
one pass. The fixtures were written by another writer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.core.errors import PipelineError
from pipeline.corpus import load_corpus
from pipeline.human_codes import check_codes
from pipeline.ingest import Layout, Speakers, ingest_interview
from tests.conftest import FIXTURES, ROOT

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
LAYOUT = Layout(**{k: tuple(v) for k, v in CONFIG["ingest"].items()})
META = {"interview_id": "X_w1", "participant_id": "X", "role": "patient", "wave": 1}


def turns_of(text: str, speakers: Speakers, layout: Layout = LAYOUT) -> list[tuple[str, str]]:
    frame, _, _ = ingest_interview(Path("t.txt"), text.encode(), speakers, META, layout=layout)
    return list(zip(frame["speaker"], frame["text"], strict=True))


@pytest.mark.parametrize(
    "rules,label,kind",
    [
        (("DOCTOR *",), "DOCTOR A074", "interviewer"),
        (("DOCTOR *",), "doctor  b12", "interviewer"),
        (("re:INT\\d+",), "INT2", "interviewer"),
        (("Interviewer *",), "Interviewer 2", "interviewer"),
    ],
)
def test_label_patterns_resolve_labels_that_carry_an_id(rules, label, kind):
    speakers = Speakers(list(rules), ["PATIENT *", "re:[MFP]\\d+", "Participant *"], other=["CARER *"])
    assert speakers.resolve(label) == kind
    assert speakers.resolve("PATIENT A074") == "participant" and speakers.resolve("F2") == "participant"
    assert speakers.resolve("Participant 3") == "participant" and speakers.resolve("CARER A074") == "other"
    assert speakers.resolve("DOCTOR") is None and speakers.resolve("NURSE A074") is None
    assert speakers.rule("Participant 3") == ("participant", "Participant *")


def test_stage_notes_and_headers_are_kept_out_of_turns_and_time_is_stays_speech():
    text = (
        "Date of Encounter: @@/@@/@@\nTime of Encounter: 14:05\nVisit type: new patient\n\n"
        "DOCTOR X: What brings you in?\n"
        "PATIENT X: This cough.\nTime is: it's been three weeks now.\n"
        "DOCTOR OUT: 147:40  DOCTOR IN: 159:01\n"
        "[inaudible 00:12:03]\n"
        "DOCTOR X: Any fever?\nPATIENT X: No.\n"
    )
    speakers = Speakers(["DOCTOR *"], ["PATIENT *"])
    turns = turns_of(text, speakers)
    assert turns == [
        ("interviewer", "What brings you in?"),
        ("participant", "This cough. Time is: it's been three weeks now."),
        ("interviewer", "Any fever?"),
        ("participant", "No."),
    ]
    assert speakers.skipped == {"header": 3, "note": 2}
    # without the note rules, "DOCTOR *" would take the stage note for a turn of the doctor's
    plain = turns_of(text, Speakers(["DOCTOR *"], ["PATIENT *"]), Layout(header=LAYOUT.header))
    assert ("interviewer", "147:40 DOCTOR IN: 159:01 [inaudible 00:12:03]") in plain


def test_all_unknown_labels_of_a_file_in_one_error_with_counts_and_a_pattern_to_declare(tmp_path):
    text = "Date of Encounter: @@/@@/@@\nDOCTOR A1: Hi.\nPATIENT A1: Hello.\nDOCTOR A1: Well?\nCARER A1: He's fine.\n"
    with pytest.raises(PipelineError) as info:
        turns_of(text, Speakers(["Interviewer"], ["Participant"]))
    message = info.value.message()
    assert "3 unknown speaker labels: 'DOCTOR A1' (2 lines), 'PATIENT A1' (1 line), 'CARER A1' (1 line)" in message
    assert info.value.line == 2 and "'DOCTOR *'" in message and "'PATIENT *'" in message


def test_a_bad_label_pattern_is_named_before_any_job(tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURES / "two_interviewers", corpus)
    settings = (corpus / "corpus.yaml").read_text().replace("re:INT\\\\d+", "re:INT(\\\\d+")
    (corpus / "corpus.yaml").write_text(settings)
    with pytest.raises(PipelineError, match=r"speakers rule 're:INT\(\\d\+' is not a valid regular expression"):
        load_corpus(corpus, CONFIG)


def test_every_codes_csv_row_problem_in_one_run(tmp_path):
    codes = tmp_path / "codes.csv"
    codes.write_text(
        "participant_id,wave,code,sentiment,quote\n"
        "P01,1,no_such_code,,a quote\n"
        "P01,x,structure_focus,,a quote\n"
        "P01,1,structure_focus,angry,a quote\n"
        "P01,1,structure_focus,,a fine quote\n"
    )
    with pytest.raises(PipelineError) as info:
        check_codes(codes, {"structure_focus"}, {("P01", 1)})
    assert [e.line for e in info.value.errors] == [2, 3, 4]


def test_a_webvtt_file_whose_speakers_are_all_unknown_lists_them(tmp_path):
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Dr Patel>How are you?</v>\n\n"
        "00:00:04.000 --> 00:00:06.000\nFine, thanks.\n\n"
        "00:00:07.000 --> 00:00:09.000\n<v Mr Smith>Much better.</v>\n"
    )
    with pytest.raises(PipelineError) as info:
        ingest_interview(Path("t.vtt"), vtt.encode(), Speakers(["Interviewer"], ["Participant"]), META)
    assert "2 unknown speaker labels: 'Dr Patel' (1 line), 'Mr Smith' (1 line)" in info.value.message()
