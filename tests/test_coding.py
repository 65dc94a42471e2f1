"""The automated coder: learning, persistence without pickle, combination rules, the review queue, patterns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.codebook import load_codebook
from pipeline.coding import (
    Coder,
    CoderSettings,
    combine,
    cross_validated_predictions,
    label_matrix,
    read_review_decisions,
)
from pipeline.errors import PipelineError
from pipeline.patterns import PatternCoder
from tests.conftest import ROOT

CODES = ["a", "b", "c"]


def toy(n=60, seed=0):
    """Separable toy data: code a <- 'videos', code b <- 'laptop'; c never occurs."""
    rng = np.random.default_rng(seed)
    texts, y = [], np.zeros((n, 3), dtype=np.int8)
    for i in range(n):
        words = ["we", "talked", "about", "things"]
        if i % 3 == 0:
            words += ["videos", "videos"]
            y[i, 0] = 1
        if i % 4 == 0:
            words += ["laptop", "broken"]
            y[i, 1] = 1
        texts.append(" ".join(words + [f"filler{i % 7}"]))
    emb = rng.normal(size=(n, 8)).astype(np.float32)
    emb[:, 0] += 3 * y[:, 0]
    qemb = rng.normal(size=(n, 8)).astype(np.float32)
    groups = np.array([f"P{i // 10}" for i in range(n)])  # labels vary within every participant
    return np.array(texts, dtype=object), emb, qemb, y, groups


def test_coder_learns_and_never_assigns_an_unlearnable_code():
    texts, emb, qemb, y, groups = toy()
    coder = Coder(CODES).fit(texts, emb, qemb, y, groups)
    pred = coder.predict(coder.predict_proba(texts, emb, qemb))
    assert (pred[:, :2] == y[:, :2]).mean() > 0.95
    assert pred[:, 2].sum() == 0 and np.isinf(coder.thresholds_[2])


def test_save_and_load_round_trip_without_pickle(tmp_path):
    texts, emb, qemb, y, groups = toy()
    coder = Coder(CODES, CoderSettings(C=2.0, tune_thresholds=True)).fit(texts, emb, qemb, y, groups)
    coder.save(tmp_path / "coder", {"trained_on": {"segments": 60}})
    assert sorted(p.name for p in (tmp_path / "coder").iterdir()) == ["coder.json", "weights.safetensors"]
    meta = json.loads((tmp_path / "coder" / "coder.json").read_text())
    assert meta["settings"]["C"] == 2.0 and "scikit-learn" in meta["library_versions"]
    loaded = Coder.load(tmp_path / "coder")
    assert np.array_equal(loaded.predict_proba(texts, emb, qemb), coder.predict_proba(texts, emb, qemb))
    assert np.array_equal(loaded.thresholds_, coder.thresholds_)


def test_loading_something_else_fails_clearly(tmp_path):
    with pytest.raises(PipelineError, match="no trained coder here"):
        Coder.load(tmp_path)


def test_cross_validation_keeps_participants_apart():
    texts, emb, qemb, y, groups = toy()
    probs, decisions = cross_validated_predictions(texts, emb, qemb, y, groups, CODES, CoderSettings(folds=3))
    assert probs.shape == y.shape and (decisions[:, 0] == y[:, 0]).mean() > 0.9


def segments():
    return pd.DataFrame(
        {
            "segment_id": ["A_w1_t001_s1", "A_w1_t003_s1", "B_w1_t001_s1"],
            "interview_id": ["A_w1", "A_w1", "B_w1"],
            "participant_id": ["A", "A", "B"],
            "role": ["practitioner", "practitioner", "service_user"],
            "wave": [1, 1, 1],
        }
    )


def test_human_codes_win_where_they_exist_and_review_overrides():
    human = pd.DataFrame(
        {
            "segment_id": ["A_w1_t001_s1", "A_w1_t001_s1"],
            "interview_id": ["A_w1"] * 2,
            "code_id": ["a", "b"],
            "coder": ["coder1", "coder2"],
        }
    )
    probs = np.array([[0.9, 0.1, 0.1], [0.8, 0.1, 0.1], [0.7, 0.6, 0.1]], dtype=np.float32)
    decisions = (probs >= 0.5).astype(np.int8)
    patterns = pd.DataFrame({"segment_id": ["B_w1_t001_s1"], "code_id": ["c"], "phrases": ["x"], "hits": [2]})
    review = pd.DataFrame(
        {"segment_id": ["B_w1_t001_s1"], "code_id": ["b"], "decision": ["exclude"], "reviewer": ["R"]}
    )
    out = combine(segments(), CODES, human, "coder1", probs, decisions, patterns, review)
    final = set(zip(out.loc[out["final"], "segment_id"], out.loc[out["final"], "code_id"], strict=True))
    # A was human-coded by coder1: only coder1's code is final, the model's out-of-fold codes are kept as rows
    assert ("A_w1_t001_s1", "a") in final and ("A_w1_t003_s1", "a") not in final
    assert ("A_w1_t001_s1", "b") not in final, "coder2 is not the primary coder"
    # B is machine-coded; the reviewer excluded b; a pattern hit alone does not make c final
    assert ("B_w1_t001_s1", "a") in final and ("B_w1_t001_s1", "b") not in final and ("B_w1_t001_s1", "c") not in final
    assert out.loc[out["source"] == "pattern", "confidence"].item() == 0.75
    assert set(out["source"]) == {"human", "model", "pattern"}


def test_review_queue_import(tmp_path):
    path = tmp_path / "review_queue.csv"
    path.write_text("rank,segment_id,code_id,decision,reviewer\n1,S1,a,include,JB\n2,S2,b,,\n3,S3,c,Exclude,\n")
    got = read_review_decisions(path, set(CODES))
    assert got.values.tolist() == [["S1", "a", "include", "JB"], ["S3", "c", "exclude", "reviewer"]]
    path.write_text("rank,segment_id,code_id,decision\n1,S1,a,maybe\n")
    with pytest.raises(PipelineError) as info:
        read_review_decisions(path, set(CODES))
    assert info.value.line == 2 and "maybe" in info.value.problem


def test_label_matrix():
    human = pd.DataFrame({"segment_id": ["s2", "s1", "s9"], "code_id": ["b", "a", "a"]})
    assert label_matrix(["s1", "s2"], human, CODES).tolist() == [[1, 0, 0], [0, 1, 0]]


def test_patterns_match_on_lemmas_and_name_the_phrase():
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    coder = PatternCoder(codebook)
    found = coder.code(
        pd.DataFrame({"segment_id": ["s1"], "text": ["He noticed the warning signs and took a time-out."]})
    )
    assert "skills_insight" in set(found["code_id"])
    assert "warning sign" in found.set_index("code_id").loc["skills_insight", "phrases"]
