"""Topic modelling without a fit: text clean-up, quality measures and the crosswalk on hand-checked examples,
exact neighbours, and the cache of tables."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from pipeline import topics
from tests.conftest import ROOT


@pytest.fixture
def settings():
    return topics.TopicSettings(fillers=("yeah", "erm"), min_cluster_size=10, quality_seeds=2)  # as in stage tests


# ---------------------------------------------------------------- text


def test_clean_turns_placeholders_into_words_and_drops_clitics():
    assert topics.clean("[PARTNER] didn't call; he's [PERSON_1]'s dad.") == "partner did not call he person dad"
    assert topics.clean("I can't, won't. It's a follow-up") == "I can not will not It a follow up"


def test_stop_words_include_english_and_interview_fillers(settings):
    words = set(topics.stop_words(settings))
    assert {"the", "and", "yeah", "erm"} <= words and "toolkit" not in words


def test_segments_shorter_than_min_words_are_not_modelled(settings):
    seg = pd.DataFrame({"text": ["Yes.", "one two three four five six seven eight", ""]})
    assert list(topics.modelled(seg, settings)) == [False, True, False]


# ---------------------------------------------------------------- quality measures


def test_npmi_on_a_hand_checked_example(settings):
    docs = ["apple banana", "apple banana", "cherry", "apple"]
    # p(apple)=3/4, p(banana)=1/2, p(both)=1/2: log(0.5 / 0.375) / -log(0.5) = 0.41504
    [score] = topics.npmi_coherence([["apple", "banana"]], docs, settings)
    assert score == pytest.approx(math.log(0.5 / 0.375) / -math.log(0.5)) and score == pytest.approx(0.41504, abs=1e-5)
    # never together: -1; always together: 1
    assert topics.npmi_coherence([["banana", "cherry"]], docs, settings) == [-1.0]
    assert topics.npmi_coherence([["apple", "banana"]], ["apple banana"] * 3, settings) == [1.0]


def test_diversity_and_stability_on_hand_checked_examples():
    assert topics.diversity([["a", "b"], ["b", "c"]]) == 0.75
    same = np.array([0, 0, 1, 1])
    relabelled = np.array([5, 5, 3, 3])
    assert topics.mean_pairwise_ari([same, relabelled, same]) == 1.0
    assert topics.mean_pairwise_ari([same, np.array([0, 1, 0, 1])]) < 0


# ---------------------------------------------------------------- crosswalk


def test_crosswalk_counts_dominant_codes_and_nmi_on_a_hand_checked_example():
    st = pd.DataFrame(
        {
            "segment_id": ["s1", "s2", "s3", "s4", "s5", "s6"],
            "topic_id": [0, 0, 0, 1, 1, -1],
            "probability": [1.0] * 5 + [0.0],
            "assignment": ["cluster"] * 5 + ["too_short"],
        }
    )
    codes = pd.DataFrame(
        {
            "segment_id": ["s1", "s1", "s2", "s2", "s3", "s4", "s6", "s5"],
            "code_id": ["A", "B", "A", "A", "B", "B", "A", "A"],
            "source": ["model", "model", "human", "pattern", "human", "human", "human", "model"],
            "confidence": ["0.9", "0.5", "1", "0.5", "1", "1", "1", "0.4"],
            "final": ["True", "True", "True", "True", "True", "True", "True", "False"],
        }
    )  # s2's code A has two rows (a human coder's and the patterns'), both in the final set: one segment
    table = pd.DataFrame({"topic_id": [0, 1], "label": ["zero", "one"]})
    cross, nmi = topics.crosswalk(st, codes, table, ["A", "B", "C"], {"A": "Code A", "B": "Code B", "C": "Code C"})
    cross = cross.set_index("topic_id")
    assert cross.loc[0, ["A", "B", "C"]].tolist() == [2, 2, 0] and cross.loc[1, ["A", "B", "C"]].tolist() == [0, 1, 0]
    assert cross.loc[0, "dominant_code_id"] == "A" and cross.loc[0, "dominant_share"] == pytest.approx(2 / 3, abs=1e-6)
    assert cross.loc[1, "dominant_code_label"] == "Code B" and cross.loc[1, "dominant_share"] == 0.5
    # dominant codes per segment: s1 A (0.9 beats 0.5), s2 A, s3 B, s4 B, s5 uncoded (its code is not final).
    # MI = 0.395753, H(topic) = 0.673012, H(code) = 1.054920 -> NMI (arithmetic mean) = 0.458066
    assert nmi == pytest.approx(0.458066, abs=1e-5)


# ---------------------------------------------------------------- fitting


def test_guided_seed_words_come_from_the_codebook(settings):
    from pipeline.codebook import load_codebook

    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    ids, lists = topics.seed_words(codebook, settings)
    assert len(ids) == len(codebook.codes) and all(lists)
    assert "video" in lists[ids.index("engaging_media")] or "videos" in lists[ids.index("engaging_media")]


# ---------------------------------------------------------------- speed without changing results


def test_the_word_counter_fitted_on_its_vocabulary_is_scikit_learns_without_reading_the_text(settings):
    """Given a vocabulary, ``fit`` counts nothing: the fitted state and every count are CountVectorizer's own, and
    the text is not read (a document that cannot be read would fail it). Without one it learns as before."""
    from sklearn.feature_extraction.text import CountVectorizer

    from pipeline.topics.vocabulary import vectorizer

    docs = ["the probation officer showed the video", "a video about anger", "Anger and the officer", "nothing"]
    vocab = ["anger", "officer", "probation officer", "video", "unused word"]
    ours = vectorizer(settings, vocabulary=vocab)
    theirs = CountVectorizer(**ours.get_params())
    assert ours.fit(docs) is ours and theirs.fit(docs) is theirs
    assert vars(ours).keys() == vars(theirs).keys() and ours.vocabulary_ == theirs.vocabulary_
    assert ours.fixed_vocabulary_ and (ours.transform(docs) != theirs.transform(docs)).nnz == 0

    class Unreadable(list):
        def __iter__(self):
            raise AssertionError("the documents were read")

    vectorizer(settings, vocabulary=vocab).fit(Unreadable(docs))
    with pytest.raises(ValueError, match="string object received"):
        vectorizer(settings, vocabulary=vocab).fit("one text, not a list")
    learnt, reference = (
        vectorizer(settings, min_df=1).fit(docs),
        CountVectorizer(**ours.get_params() | {"vocabulary": None}),
    )
    assert learnt.vocabulary_ == reference.fit(docs).vocabulary_


def test_the_comparisons_lda_is_scikit_learns_fit_without_its_perplexity():
    """``LDA_PASSES`` partial fits weighted for all the documents give ``fit``'s topics and document topics, bit
    for bit (``fit`` also computes a perplexity nothing reads)."""
    from sklearn.decomposition import LatentDirichletAllocation

    from pipeline.topics.comparison import LDA_PASSES, fit_lda

    counts = np.random.default_rng(2).poisson(0.3, size=(700, 60))  # three batches of 256, the last one short
    reference = LatentDirichletAllocation(
        n_components=4, random_state=7, learning_method="online", max_iter=LDA_PASSES, batch_size=256
    )
    expected = reference.fit_transform(counts)
    model, doc_topic = fit_lda(counts, 4, 7)
    assert np.array_equal(model.components_, reference.components_) and np.array_equal(doc_topic, expected)


def test_exact_neighbours_match_a_brute_force_search():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 20)).astype(np.float32)
    x[7] = x[8]  # a duplicate: still itself first
    indices, distances = topics.exact_cosine_neighbours(x, 6)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)

    def same_point(found):  # 7 and 8 are one point: BLAS may round their distances to a third point differently
        return sorted(7 if int(i) == 8 else int(i) for i in found)

    for row in range(len(x)):
        d = 1 - unit[row] @ unit.T
        d[row] = -1
        assert indices[row, 0] == row and distances[row, 0] == 0
        assert same_point(indices[row]) == same_point(np.argsort(d, kind="stable")[:6]) or row in (7, 8)
        np.testing.assert_allclose(distances[row, 1:], np.sort(np.clip(d, 0, 2))[1:6], atol=1e-5)
        assert (np.diff(distances[row]) >= 0).all()
    again = topics.exact_cosine_neighbours(x, 6)
    assert np.array_equal(again[0], indices) and np.array_equal(again[1], distances)


def test_exact_neighbours_break_ties_at_the_kth_place_by_index():
    """Ten copies of one point and ten of another (entries of +-1: every similarity is exact in float32). Each
    point's nearest are itself, then copies of it at distance 0: more than fit, so the smallest indices are kept,
    whichever way a selection algorithm would meet them."""
    rng = np.random.default_rng(5)
    a, b = rng.choice([-1.0, 1.0], size=(2, 16)).astype(np.float32)
    x = np.stack([a] * 10 + [b] * 10)[::-1].copy()  # the copies of b first
    indices, distances = topics.exact_cosine_neighbours(x, 4)
    for row in range(20):
        group = range(0, 10) if row < 10 else range(10, 20)
        assert indices[row].tolist() == [row] + [i for i in group if i != row][:3]
        assert distances[row].tolist() == [0.0] * 4


# ---------------------------------------------------------------- the cache of fits


def test_a_cached_table_comes_back_byte_for_byte(tmp_path):
    from pipeline.topics import cache as topic_cache

    table = tmp_path / "topic_quality.csv"
    table.write_text("model,npmi\nbertopic,0.105\nlda,-0.009\n")
    topic_cache.store_file(tmp_path / "cache", "quality", "k1", table)
    assert topic_cache.load_file(tmp_path / "cache", "quality", "k1", "topic_quality.csv") == table.read_text()
    assert topic_cache.load_file(tmp_path / "cache", "quality", "k2", "topic_quality.csv") is None


def _store_a_fit(folder, key):
    from pipeline.topics import cache as topic_cache

    fit = topics.TopicResult(np.array([0, 1, 0]), np.ones(3), np.zeros(3, bool), {0: ["a"], 1: ["b"]}, None)
    topic_cache.store_fit(folder, "main", key, dataclasses.replace(fit, selection="leaf"))


def test_the_comparison_waits_for_a_fit_only_while_another_process_computes_it(tmp_path):
    """wait_for_fit: the fit marked as under way (``fitting``) is waited for and loaded once stored; nothing is
    waited for where no fit of that key is under way, where its process ended without storing it (the mark gone,
    or left by a process that died) or, on another host, for longer than ``at_most``."""
    import json
    import socket
    import subprocess
    import sys
    import time
    from threading import Timer

    from pipeline.topics import cache as topic_cache

    def timed(*args, **kwargs):
        started = time.monotonic()
        return topic_cache.wait_for_fit(tmp_path, "main", *args, **kwargs), time.monotonic() - started

    assert timed("k1") == (None, pytest.approx(0, abs=0.2))
    with topic_cache.fitting(tmp_path, "main", "k1"):
        Timer(0.6, _store_a_fit, (tmp_path, "k1")).start()
        assert timed("another key")[0] is None
        found, waited = timed("k1")
    assert found is not None and found.selection == "leaf" and 0.5 < waited < 5
    assert not (tmp_path / "main.fitting").exists(), "the mark goes with the fit"
    with topic_cache.fitting(tmp_path, "main", "k2"):
        Timer(0.5, (tmp_path / "main.fitting").unlink).start()  # the fit failed
        found, waited = timed("k2")
    assert found is None and waited < 5
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    mark = {"key": "k3", "host": socket.gethostname(), "pid": int(ended.stdout)}
    (tmp_path / "main.fitting").write_text(json.dumps(mark))
    assert timed("k3") == (None, pytest.approx(0, abs=0.2)), "its process is gone: nothing to wait for"
    (tmp_path / "main.fitting").write_text(json.dumps({**mark, "host": "another-node"}))
    found, waited = timed("k3", at_most=0.6)
    assert found is None and 0.6 <= waited < 5


def test_a_failed_store_leaves_the_old_entry_and_nothing_half_written(tmp_path):
    from pipeline.topics import cache as topic_cache

    table = tmp_path / "topic_quality.csv"
    table.write_text("model,npmi\nbertopic,0.105\n")
    topic_cache.store_file(tmp_path / "cache", "quality", "k1", table)
    with pytest.raises(FileNotFoundError):
        topic_cache.store_file(tmp_path / "cache", "quality", "k2", tmp_path / "missing.csv")
    assert topic_cache.load_file(tmp_path / "cache", "quality", "k1", "topic_quality.csv") == table.read_text()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["quality"]


def test_the_quality_sample_is_every_segment_up_to_its_size_else_the_same_seeded_draw():
    settings = topics.TopicSettings(quality_sample=50)
    assert (
        topics.quality_sample(50, settings) is None
        and topics.quality_sample(10_000, settings.__class__(quality_sample=0)) is None
    )
    drawn = topics.quality_sample(200, settings)
    assert len(drawn) == 50 == len(set(drawn)) and list(drawn) == sorted(drawn) and drawn.max() < 200
    assert np.array_equal(drawn, topics.quality_sample(200, settings)), "the same draw every run"
    assert not np.array_equal(drawn, topics.quality_sample(200, topics.TopicSettings(quality_sample=50, seed=1)))
