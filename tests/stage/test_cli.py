"""The CLI turns each known problem into one ERROR line naming the file, and exit status 2."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TINY, cli, error_lines

SETTINGS = {
    "interviews": [{"interview_id": "X_w1", "participant_id": "X", "role": "practitioner", "wave": 1}],
    "interviewer_labels": ["Interviewer"],
    "participant_labels": ["Participant"],
    "label_mode": "strict",
    "mode": "check",
    "allow": [],
    "max_words": 150,
}


def prepare(transcript, folder, *extra):
    outputs = {name: folder / f"{name}.{ext}" for name, ext in (("turns", "parquet"), ("segments", "parquet"))}
    result = cli(
        "prepare-interviews",
        "--transcripts",
        transcript,
        "--settings",
        json.dumps(SETTINGS),
        "--turns-out",
        outputs["turns"],
        "--segments-out",
        outputs["segments"],
        "--counts-out",
        folder / "counts.csv",
        "--audit",
        folder / "audit.csv",
        *extra,
    )
    return result, outputs


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02\x03\xff\xfe\x00\x00" * 64, "binary"),
        (b"no labels at all\n", "no speaker labels found"),
        (b"Interviewer: hi\nParticipant: hello\nDr Who: me\n", ":3: unknown speaker label 'Dr Who'"),
        (b"Interviewer: hi\nInterviewer: hello?\n", "no participant turns"),
    ],
    ids=["empty", "binary", "no-labels", "unknown-label", "no-participant"],
)
def test_transcript_errors_are_one_line_with_exit_2(tmp_path, content, expected):
    src = tmp_path / "t.txt"
    src.write_bytes(content)
    result, outputs = prepare(src, tmp_path, "--log", tmp_path / "x.log")
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and str(src) in errors[0] and expected in errors[0]
    assert not any(p.exists() for p in outputs.values()), "no half-written output"
    assert errors[0] in (tmp_path / "x.log").read_text(), "the log holds the same line"


def test_prepare_writes_turns_and_segments(tmp_path):
    result, outputs = prepare(TINY / "transcripts" / "P01_w1.txt", tmp_path)
    assert result.returncode == 0, result.stderr
    assert all(p.exists() for p in outputs.values())


def test_check_corpus_reports_manifest_problems(tmp_path):
    (tmp_path / "manifest.csv").write_text("participant_id,role,file\nA,practitioner,a.txt\n")
    result = cli("check-corpus", tmp_path)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"ERROR: {tmp_path}/manifest.csv:1: manifest.csv lacks the required column(s) wave. "
        "Add them to the header row: participant_id, role, wave, file."
    ]


def test_check_corpus_ok():
    result = cli("check-corpus", TINY)
    assert result.returncode == 0 and "5 interviews" in result.stdout


def test_unexpected_failures_point_to_the_log_without_a_traceback(tmp_path):
    result = cli(
        "collect-segments",
        "--segments",
        tmp_path / "missing.parquet",
        "--out",
        tmp_path / "o.csv",
        "--log",
        tmp_path / "s.log",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "s.log" in result.stderr
    assert "Traceback" in (tmp_path / "s.log").read_text()


def test_a_guided_topic_fit_without_the_codebook_is_one_error_line(tmp_path):
    """fit-topics needs the codebook only to seed guided topics: without it, --guided stops with one line."""
    outputs = (tmp_path / "topics.csv", tmp_path / "segment_topics.csv")
    result = cli(
        "fit-topics",
        "--guided",
        "--segments",
        tmp_path / "segments.csv",
        "--settings",
        "{}",
        "--topics",
        outputs[0],
        "--segment-topics",
        outputs[1],
    )
    errors = error_lines(result.stderr)
    assert result.returncode == 2 and len(errors) == 1 and "--guided needs --codebook" in errors[0], result.stderr
    assert not any(p.exists() for p in outputs)
