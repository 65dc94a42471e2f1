"""Segmentation: participant turns -> analysis segments.

A participant turn is the unit of analysis. A turn longer than ``max_words`` is split at
sentence boundaries into passages of similar length; each segment keeps the interviewer's
preceding question as context. ``segment_id`` is ``<interview_id>_t<turn>_s<part>``, stable
across runs.
"""

from __future__ import annotations

import itertools
import math
import re
from functools import cache

import pandas as pd

from pipeline.core.nlp import import_spacy
from pipeline.core.text import REDACTION_RE, count_words

SEGMENT_COLUMNS = [
    "segment_id",
    "interview_id",
    "participant_id",
    "role",
    "wave",
    "turn_index",
    "segment_index",
    "segments_in_turn",
    "text",
    "word_count",
    "question",
    "timestamp",
    "start_char",
    "end_char",
]


@cache
def sentencizer():
    """A rule-based sentence splitter (spaCy blank English + sentencizer): no model, no download."""
    spacy = import_spacy()  # seconds to import, without PyTorch: only where text is parsed

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


OPENING = "[("


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``.

    spaCy's sentencizer keeps punctuation that follows a full stop with the sentence it ends, so an opening
    bracket goes with it: "It helped. [laughs] Yes." gives "It helped. [" and "laughs] Yes.". An opening bracket
    that ends a sentence is moved to the start of the next one, so a transcription note ([pause], [laughs],
    (inaudible)) is never cut in two.
    """
    doc = sentencizer()(text)
    spans = [[s.start_char, s.end_char] for s in doc.sents]
    for this, after in itertools.pairwise(spans):
        kept = text[this[0] : this[1]].rstrip().rstrip(OPENING).rstrip()
        if kept and len(kept) < this[1] - this[0]:
            cut = this[0] + len(kept)
            moved = text[cut : this[1]]
            if any(c in OPENING for c in moved):
                this[1] = cut
                after[0] = cut + (len(moved) - len(moved.lstrip()))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def split_turn(text: str, max_words: int, marks: re.Pattern = REDACTION_RE) -> list[tuple[int, int]]:
    """Character spans of the passages a turn is split into (one span if it is short enough).

    Sentences are packed in order into ceil(words / max_words) passages of about equal length;
    a passage never exceeds max_words unless one sentence does.
    """
    total = count_words(text, marks)
    if total <= max_words:
        return [(0, len(text))]
    sentences = sentence_spans(text)
    parts = math.ceil(total / max_words)
    target = total / parts
    spans: list[tuple[int, int]] = []
    start, words, prev_end = None, 0, 0
    for s_start, s_end in sentences:
        n = count_words(text[s_start:s_end], marks)
        if start is not None and (words + n > max_words or (words >= target and len(spans) < parts - 1)):
            spans.append((start, prev_end))
            start, words = None, 0
        if start is None:
            start = s_start
        words += n
        prev_end = s_end
    if start is not None:
        spans.append((start, prev_end))
    return spans


def segment_turns(turns: pd.DataFrame, max_words: int, marks: re.Pattern = REDACTION_RE) -> pd.DataFrame:
    """Pure core: one interview's turns -> its segments: the participant's turns (an interviewer's turn is the
    question of the answers after it; other speakers, such as an interpreter, are not segmented)."""
    rows = []
    question = ""
    for turn in turns.sort_values("turn_index").itertuples(index=False):
        if turn.speaker == "interviewer":
            question = turn.text
            continue
        if turn.speaker != "participant":
            continue
        spans = split_turn(turn.text, max_words, marks)
        for k, (a, b) in enumerate(spans, start=1):
            text = turn.text[a:b].strip()
            rows.append(
                {
                    "segment_id": f"{turn.interview_id}_t{turn.turn_index:03d}_s{k}",
                    "interview_id": turn.interview_id,
                    "participant_id": turn.participant_id,
                    "role": turn.role,
                    "wave": turn.wave,
                    "turn_index": turn.turn_index,
                    "segment_index": k,
                    "segments_in_turn": len(spans),
                    "text": text,
                    "word_count": count_words(text, marks),
                    "question": question,
                    "timestamp": turn.timestamp,
                    "start_char": a,
                    "end_char": b,
                }
            )
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


def segment_corpus(turns: pd.DataFrame, max_words: int) -> pd.DataFrame:
    """Segments of every interview in ``turns`` (interviews in their order of appearance)."""
    frames = [segment_turns(group, max_words) for _, group in turns.groupby("interview_id", sort=False)]
    return pd.concat(frames, ignore_index=True)
