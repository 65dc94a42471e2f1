"""Every format and encoding parses to the same turns as its plain-text equivalent; bad files fail clearly."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from pipeline.core.errors import PipelineError
from pipeline.ingest import Speakers, ingest_interview

CONVERSATION = [
    ("interviewer", "Thanks for coming in. Is it okay if I record this?"),
    ("participant", "Yeah, that’s fine. [laughs]"),
    ("interviewer", "What did you make of the videos?"),
    (
        "participant",
        "Honestly, they were better than I expected. The one with the couple in the kitchen, I saw myself in him.",
    ),
    ("participant", "And my officer [NAME] went through the worksheet with me, £5 of printing or whatever."),
    ("interviewer", "Thank you."),
]
EXPECTED = [(s, t) for s, t in CONVERSATION]
META = {"interview_id": "X1_w1", "participant_id": "X1", "role": "service_user", "wave": 1}
SPEAKERS = Speakers(["Interviewer", "I", "INT", "Researcher"], ["Participant", "R", "X1", "Speaker 2"])


def parse(name: str, data: bytes, speakers=SPEAKERS):
    turns, fmt, enc = ingest_interview(Path(name), data, speakers, META)
    return [(r.speaker, r.text) for r in turns.itertuples()], fmt, enc, turns


def inline(labels=("Interviewer", "Participant"), stamp=None, sep="\n") -> str:
    lines = ["[Transcript – recorded on Teams – 41 mins]"]
    for i, (speaker, text) in enumerate(CONVERSATION):
        label = labels[0] if speaker == "interviewer" else labels[1]
        ts = f"00:0{i}:1{i}"
        if stamp == "before":
            lines.append(f"[{ts}] {label}: {text}")
        elif stamp == "after":
            lines.append(f"{label} [{ts}]: {text}")
        else:
            lines.append(f"{label}: {text}")
    return sep.join(lines) + sep


def otter() -> str:
    out = ["SUMMARY KEYWORDS", "videos, worksheet, kitchen", "", "SPEAKERS", "Researcher, Speaker 2", ""]
    for i, (speaker, text) in enumerate(CONVERSATION):
        out += [f"{'Researcher' if speaker == 'interviewer' else 'Speaker 2'}  {i}:0{i}", text, ""]
    return "\n".join(out + ["Transcribed by https://otter.ai"])


def vtt(style: str) -> str:
    out = ["WEBVTT", ""]
    n = 0
    for speaker, text in CONVERSATION:
        label = "Interviewer" if speaker == "interviewer" else "X1"
        # Teams cuts a turn into short cues; consecutive cues of one speaker must be merged again
        parts = text.split(". ", 1) if len(text) > 60 else [text]
        parts = [p + "." if i < len(parts) - 1 else p for i, p in enumerate(parts)]
        for part in parts:
            n += 1
            out += [str(n), f"00:00:{n:02d}.000 --> 00:00:{n:02d}.900"]
            out += [f"<v {label}>{part}</v>" if style == "voice" else f"{label}: {part}", ""]
    return "\n".join(out)


def word_doc(table=False) -> bytes:
    document = docx.Document()
    document.add_paragraph("Interview transcript")
    if table:
        t = document.add_table(rows=0, cols=2)
        for speaker, text in CONVERSATION:
            cells = t.add_row().cells
            cells[0].text, cells[1].text = ("I" if speaker == "interviewer" else "R"), text
    else:
        for speaker, text in CONVERSATION:
            document.add_paragraph(f"{'Interviewer' if speaker == 'interviewer' else 'Participant'}: {text}")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,data",
    [
        ("a.txt", inline().encode("utf-8")),
        ("a.txt", inline(("I", "R")).encode("utf-8")),
        ("a.txt", inline(("INT", "X1"), stamp="before").encode("utf-8")),
        ("a.txt", inline(("interviewer", "participant"), stamp="after").encode("utf-8")),
        ("a.txt", inline().encode("utf-8-sig")),
        ("a.txt", inline(sep="\r\n").encode("utf-8")),
        ("a.txt", inline().encode("utf-16")),
        ("a.txt", inline().encode("utf-16-le")),
        ("a.txt", inline(sep="\r\n").encode("cp1252")),
        ("a.txt", otter().encode("utf-8")),
        ("a.docx", word_doc()),
    ],
    ids=["inline", "I/R", "ts-before", "ts-after", "bom", "crlf", "utf16-bom", "utf16le", "cp1252", "otter", "docx"],
)
def test_formats_parse_to_the_same_turns(name, data):
    turns, _, _, _ = parse(name, data)
    assert turns == EXPECTED


@pytest.mark.parametrize("style", ["voice", "colon"])
def test_webvtt_merges_consecutive_cues_of_one_speaker(style):
    turns, fmt, _, table = parse("a.vtt", vtt(style).encode("utf-8"))
    assert fmt == "vtt"
    # the two consecutive participant turns of the plain text are one run of cues in VTT
    expected = EXPECTED[:3] + [("participant", EXPECTED[3][1] + " " + EXPECTED[4][1])] + EXPECTED[5:]
    assert turns == expected
    assert table["timestamp"].iloc[0] == "00:00:01.000"


def test_docx_table_of_speaker_and_text():
    turns, _, enc, _ = parse("a.docx", word_doc(table=True))
    assert turns == EXPECTED and enc == "docx"


def test_docx_table_cells_of_several_paragraphs_are_one_turn_each():
    document = docx.Document()
    t = document.add_table(rows=0, cols=2)
    for speaker, text in CONVERSATION:
        cells = t.add_row().cells
        cells[0].text = "I" if speaker == "interviewer" else "R"
        cells[1].text = text.replace(". ", ".\n")  # each sentence its own paragraph in the cell
    buf = io.BytesIO()
    document.save(buf)
    turns, _, _, _ = parse("a.docx", buf.getvalue())
    assert turns == EXPECTED


def test_a_utf8_file_with_a_stray_windows_1252_byte_is_refused_with_its_line():
    text = inline()
    data = text.encode("utf-8").replace(b"Thank you.", b"Thank you\x92s.")
    assert "’".encode() in data, "the file has UTF-8 characters elsewhere"
    err = error_of("a.txt", data)
    assert "UTF-8 except for byte 0x92" in err.problem and "Windows-1252" in err.problem
    assert err.line == text.split("\n").index("Interviewer: Thank you.") + 1
    assert parse("a.txt", text.encode("cp1252"))[2] == "cp1252", "a whole Windows-1252 file is still read"


def test_encoding_is_detected_not_assumed():
    assert parse("a.txt", inline().encode("cp1252"))[2] == "cp1252"
    assert parse("a.txt", inline().encode("utf-16"))[2] == "utf-16"


def test_timestamps_and_offsets_are_kept():
    text = inline(stamp="before")
    _, _, _, table = parse("a.txt", text.encode("utf-8"))
    assert table["timestamp"].iloc[1] == "00:01:11"
    first = table.iloc[1]
    assert text[first.start_char : first.end_char] == CONVERSATION[1][1]
    assert first.line == "3"


def test_continuation_lines_belong_to_the_turn():
    text = (
        "Interviewer: So how was it?\nParticipant: It was alright\nbut I struggled with the reading\n\nand the sound.\n"
    )
    turns, *_ = parse("a.txt", text.encode())
    assert turns[1] == ("participant", "It was alright but I struggled with the reading and the sound.")


def test_lowercase_colon_phrases_are_speech_not_labels():
    text = "Interviewer: What happened?\nParticipant: Well\nand I said: no way.\n"
    assert parse("a.txt", text.encode())[0][1] == ("participant", "Well and I said: no way.")


def test_declared_mode_keeps_word_colon_lines_as_speech():
    text = "AI: What do you ask it?\nUser: Things like this\nMe: could you find sources?\nChosen AI: [returns a list]\n"
    speakers = Speakers(["AI"], ["User"], mode="declared")
    turns, *_ = parse("a.md", text.encode(), speakers)
    assert turns == [
        ("interviewer", "What do you ask it?"),
        ("participant", "Things like this Me: could you find sources? Chosen AI: [returns a list]"),
    ]


def error_of(name, data, speakers=SPEAKERS) -> PipelineError:
    with pytest.raises(PipelineError) as info:
        ingest_interview(Path(name), data, speakers, META)
    return info.value


def test_unknown_label_names_file_line_and_label():
    err = error_of("a.txt", b"Interviewer: Hello?\nParticipant: Hi.\nDr Jones: Can I come in?\n")
    assert err.line == 3 and "'Dr Jones'" in err.problem and "corpus.yaml" in err.fix


def test_unknown_speaker_in_block_export():
    err = error_of("a.txt", b"Researcher  0:01\nHello?\n\nJane Doe  0:04\nHi.\n")
    assert err.line == 4 and "'Jane Doe'" in err.problem


def test_unknown_voice_in_webvtt():
    err = error_of("a.vtt", b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Someone Else>Hello</v>\n")
    assert err.line == 5 and "'Someone Else'" in err.problem


@pytest.mark.parametrize(
    "data,problem",
    [
        (b"", "empty"),
        (b"  \r\n\r\n ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20, "binary"),
        (bytes(range(256)) * 8, "binary"),
        (b"Just some notes about the interview.\nNo speakers here.\n", "no speaker labels"),
        (b"Interviewer: Hello?\nInterviewer: Anyone there?\n", "no participant turns"),
    ],
    ids=["empty", "blank", "png", "random-bytes", "no-labels", "no-participant"],
)
def test_bad_files_fail_with_a_clear_problem(data, problem):
    err = error_of("bad.txt", data)
    assert problem in err.problem and err.file == "bad.txt" and err.fix


def test_damaged_docx():
    assert "cannot be opened" in error_of("bad.docx", b"PK\x03\x04 not really a zip").problem
