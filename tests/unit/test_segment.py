from __future__ import annotations

import pandas as pd

from pipeline.core.text import count_words
from pipeline.segment import segment_turns, sentence_spans, split_turn


def sentence(n: int, word: str = "word") -> str:
    return " ".join([word] * (n - 1)) + " end."


def turns(*rows):
    base = {"interview_id": "A_w1", "participant_id": "A", "role": "practitioner", "wave": 1, "timestamp": ""}
    return pd.DataFrame([{**base, "turn_index": i, "speaker": s, "text": t} for i, (s, t) in enumerate(rows)])


def test_short_turn_is_one_segment():
    assert split_turn(sentence(40), 150) == [(0, len(sentence(40)))]


def test_long_turn_splits_at_sentences_into_balanced_passages():
    text = " ".join(sentence(30) for _ in range(10))  # 300 words, ten sentences
    spans = split_turn(text, 150)
    parts = [text[a:b] for a, b in spans]
    assert len(parts) == 2
    assert all(p.endswith("end.") for p in parts)
    assert [count_words(p) for p in parts] == [150, 150]
    assert " ".join(parts) == text


def test_split_never_exceeds_max_unless_one_sentence_does():
    text = " ".join(sentence(n) for n in (20, 90, 60, 10, 200, 15))
    for a, b in split_turn(text, 100):
        piece = text[a:b]
        assert count_words(piece) <= 100 or piece.count(".") == 1


def test_a_transcription_note_after_a_full_stop_starts_the_next_sentence():
    text = "It helped. [laughs] It was good [inaudible 00:12:03] really. Yes. (pause) No. Hard [long pause] but fine."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "It helped.",
        "[laughs] It was good [inaudible 00:12:03] really.",
        "Yes.",
        "(pause) No.",
        "Hard [long pause] but fine.",
    ]


def test_a_long_turn_is_never_split_inside_a_transcription_note():
    text = " ".join(sentence(30) + " [laughs]" for _ in range(10))
    spans = split_turn(text, 150)
    assert len(spans) == 2
    assert [text[a:b].count("[") for a, b in spans] == [text[a:b].count("]") for a, b in spans]
    assert text[spans[1][0] :].startswith("[laughs]")


def test_segments_keep_question_and_stable_ids():
    t = turns(
        ("interviewer", "How was it?"),
        ("participant", "Fine."),
        ("interviewer", "Tell me more about the videos."),
        ("participant", " ".join(sentence(30) for _ in range(6))),
    )
    seg = segment_turns(t, 100)
    assert list(seg["segment_id"]) == ["A_w1_t001_s1", "A_w1_t003_s1", "A_w1_t003_s2"]
    assert list(seg["question"]) == ["How was it?"] + ["Tell me more about the videos."] * 2
    assert list(seg["segments_in_turn"]) == [1, 2, 2]
    assert seg.equals(segment_turns(t, 100))
