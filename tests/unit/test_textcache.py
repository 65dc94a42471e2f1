"""Per-text results kept between runs (pipeline.core.textcache): the codebook phrases found in a segment and a
segment's sentiment scores. A result read from the cache equals the one computed afresh; only new texts are
computed; a cache made with other settings or code is not reused; no transcript text is stored."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd

from pipeline.codebook import load_codebook
from pipeline.coding.patterns import PatternCoder
from pipeline.core.textcache import TextCache, text_key
from pipeline.sentiment import Thresholds, score_segments, vader
from tests.conftest import ROOT

TEXTS = [
    "He noticed the warning signs and took a time-out. The cartoons held their attention.",
    "The videos were great. But the laptop was awful, awful.",
    "It was fine, I suppose, most weeks.",
]


def test_values_are_computed_once_and_reused_only_under_the_same_identity(tmp_path):
    calls = []

    def compute(texts):
        calls.append(list(texts))
        return [[len(t), ("a", t[:1])] for t in texts]

    first = TextCache(tmp_path, {"what": "length", "version": 1})
    values = first.map(["x", "yy", "x"], compute)
    first.save()
    assert values == [[1, ["a", "x"]], [2, ["a", "y"]], [1, ["a", "x"]]]  # as JSON gives them back
    assert calls == [["x", "yy"]] and first.computed == 2

    again = TextCache(tmp_path, {"version": 1, "what": "length"})  # the same identity, keys in another order
    assert again.map(["yy", "zzz"], compute) == [[2, ["a", "y"]], [3, ["a", "z"]]]
    assert calls[-1] == ["zzz"] and again.computed == 1

    other = TextCache(tmp_path, {"what": "length", "version": 2})
    other.map(["x"], compute)
    assert calls[-1] == ["x"], "made under another identity: computed again"

    stored = (tmp_path / "values.json").read_text()
    assert text_key("yy") in stored and '"yy"' not in stored, "hashes, never the texts"
    (tmp_path / "values.json").write_text("{not json")
    assert TextCache(tmp_path, {"what": "length", "version": 1}).values == {}
    assert TextCache(None, {"what": "length"}).map(["x"], compute) == [[1, ["a", "x"]]]


def test_codebook_phrases_from_the_cache_equal_a_fresh_match_and_only_new_texts_are_matched(tmp_path, monkeypatch):
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    fresh = PatternCoder(codebook).hits(TEXTS)
    assert any(fresh) and all(isinstance(hit, tuple) for hits in fresh for hit in hits)

    cached = PatternCoder(codebook, tmp_path / "patterns")
    assert cached.hits(TEXTS[:2]) == fresh[:2]
    matched = []
    original = PatternCoder._hits
    monkeypatch.setattr(PatternCoder, "_hits", lambda self, texts: matched.extend(texts) or original(self, texts))
    assert PatternCoder(codebook, tmp_path / "patterns").hits(TEXTS) == fresh
    assert matched == TEXTS[2:], "only the new text is matched"

    # another codebook's phrases: the cache is not reused
    smaller = load_codebook(ROOT / "config" / "codebook.yaml")
    smaller.codes[0] = dataclasses.replace(smaller.codes[0], patterns=smaller.codes[0].patterns[:-1])
    matched.clear()
    PatternCoder(smaller, tmp_path / "patterns").hits(TEXTS)
    assert matched == TEXTS


def test_sentiment_scores_from_the_cache_equal_fresh_ones_and_a_changed_lexicon_scores_again(tmp_path, monkeypatch):
    segments = pd.DataFrame({"segment_id": ["a", "b", "c"], "text": TEXTS})
    thresholds = Thresholds(0.05, -0.05, 0.5)
    lexicon = {"neutral": ["offence"], "words": {"videos": 1.5}}
    fresh = score_segments(segments, lexicon, thresholds)
    folder = tmp_path / "sentiment"
    score_segments(segments.iloc[:2], lexicon, thresholds, folder)
    assert json.loads((folder / "about.json").read_text())["lexicon"] == lexicon

    scored = []
    original = vader._scores
    monkeypatch.setattr(vader, "_scores", lambda texts, lx, t: scored.extend(texts) or original(texts, lx, t))
    pd.testing.assert_frame_equal(score_segments(segments, lexicon, thresholds, folder), fresh)
    assert scored == TEXTS[2:]

    scored.clear()
    changed = score_segments(segments, {**lexicon, "words": {"videos": -1.5}}, thresholds, folder)
    assert scored == TEXTS and list(changed.columns) == list(fresh.columns)
    assert (
        changed.loc[0, "compound"] != fresh.loc[0, "compound"] or changed.loc[1, "compound"] != fresh.loc[1, "compound"]
    )
    scored.clear()
    score_segments(segments, lexicon, Thresholds(0.1, -0.1, 0.5), folder)
    assert scored == TEXTS, "other thresholds: scored again"


def test_no_segments_give_an_empty_table(tmp_path):
    table = score_segments(pd.DataFrame({"segment_id": [], "text": []}), {}, Thresholds(), tmp_path / "s")
    assert table.empty
