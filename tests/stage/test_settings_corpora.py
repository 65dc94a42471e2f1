"""Transcripts from other settings (issue 25): other speakers, redaction marks and the gate on whole fixture
corpora, and every problem of a corpus reported in one pass by check-corpus."""

from __future__ import annotations

import shutil

import pandas as pd
import yaml

from pipeline.core.text import count_words
from pipeline.corpus import load_corpus
from pipeline.describe import interviews_table, participants_table
from pipeline.gate.detect import detect
from pipeline.gate.policy import AllowList, Policy
from pipeline.ingest import ingest_corpus
from pipeline.segment import segment_turns
from tests.conftest import FIXTURES, ROOT, cli, error_lines

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_other_speakers_are_kept_not_segmented_and_counted_in_table_1():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    corpus = load_corpus(FIXTURES / "clinical", config)
    turns = ingest_corpus(corpus)
    carer = turns[turns["speaker"] == "other"]
    assert len(carer) == 5 and set(carer["interview_id"]) == {"A074_w1"}
    segments = pd.concat([segment_turns(g, 150) for _, g in turns.groupby("interview_id")])
    assert not set(carer["text"]) & set(segments["text"])  # the carer's words are not coded
    table = participants_table(turns, corpus.roles)
    assert int(table.loc[table["role"] == "total", "other_speaker_turns"].iloc[0]) == 5
    assert table["other_speaker_words"].iloc[-1] == carer["word_count"].sum()
    assert interviews_table(turns.assign(source_format="inline", encoding="utf-8"))["other_turns"].tolist() == [0, 5, 0]
    # a corpus without other speakers keeps Table 1 as it was
    demo = participants_table(turns[turns["speaker"] != "other"], corpus.roles)
    assert "other_speaker_words" not in demo.columns


def test_redaction_marks_count_as_one_word_and_are_never_flagged():
    text = "So @@@ told me on @@/@@/@@ at XXX that <name> had *** left, [redacted]."
    assert count_words(text) == 14
    assert count_words("<name> and @@@") == 3
    policy = Policy.from_settings("us", 1_000_000, 100_000)
    assert detect([text], AllowList([]), policy=policy) == [[]]
    # a corpus's own mark: counted as one word, never flagged
    own = Policy.from_settings("uk", 1_000_000, 100_000, redactions=("#{2,}",))
    assert detect(["I told ## about it and Kayleigh"], AllowList([]), policy=own)[0][0].value == "Kayleigh"
    assert count_words("I told ## about it", own.marks) == 5


def test_clinical_consultations_pass_the_gate_in_check_mode():
    """Drugs, tests and months alone in de-identified consultations stop nothing (issue 20: 17 of 20 stopped)."""
    corpus = load_corpus(FIXTURES / "clinical", CONFIG)
    turns = ingest_corpus(corpus)
    policy = Policy.from_settings(corpus.gate["locale"], 1_000_000, 100_000)
    found = detect(list(turns["text"]), AllowList(corpus.allow), policy=policy)
    assert [f.value for fs in found for f in fs] == []


def test_check_corpus_lists_every_problem_of_a_corpus_in_one_pass(tmp_path):
    corpus = tmp_path / "clinic"
    shutil.copytree(FIXTURES / "clinical", corpus)
    settings = (corpus / "corpus.yaml").read_text()
    settings = settings.replace("name: clinical", "name: clinic").replace('  other: ["CARER *"]\n', "")
    (corpus / "corpus.yaml").write_text(settings)  # the carer undeclared
    a090 = corpus / "transcripts" / "A090.txt"
    a090.write_text(a090.read_text().replace("DOCTOR A090: Any fever", "NURSE A090: Any fever"))
    a071 = corpus / "transcripts" / "A071.txt"
    a071.write_text(a071.read_text() + "PATIENT A071: My neighbour Kayleigh drives me, her number is (555) 013-2289.\n")
    (corpus / "codes.csv").write_text(
        "participant_id,wave,code,quote\n"
        "A071,1,no_such_code,The knee still bothers me\n"
        "A071,1,structure_focus,words nobody said\n"
    )
    result = cli("check-corpus", str(corpus))
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert any("A074.txt" in e and "unknown speaker label 'CARER A074' (5 lines)" in e for e in errors)
    assert any("A090.txt" in e and "unknown speaker label 'NURSE A090'" in e for e in errors)
    assert any("codes.csv:2: unknown code id 'no_such_code'" in e for e in errors)
    assert any("codes.csv:3: the quote was not found in a participant turn of A071_w1" in e for e in errors)
    assert any("A071.txt" in e and "possible identifier(s)" in e for e in errors)
    assert "Kayleigh" not in result.stderr + result.stdout
    assert len(errors) == 5
    # the labels of every file, with how each resolved, for setting corpus.yaml up in one pass
    assert "'CARER A074' x5 -> UNKNOWN" in result.stdout
    assert "'DOCTOR A071' x15 -> interviewer (pattern DOCTOR *)" in result.stdout
    audit = ROOT / "private" / "clinic" / "audit" / "check-corpus.csv"
    assert "Kayleigh" in audit.read_text()
    shutil.rmtree(ROOT / "private" / "clinic")
