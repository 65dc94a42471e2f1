"""The automated coder: learning, persistence without pickle, combination rules, the review queue, patterns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline import coding
from pipeline.codebook import load_codebook
from pipeline.coding import (
    ACCEPT,
    REJECT,
    Coder,
    CoderSettings,
    combine,
    cross_validated_predictions,
    label_matrix,
    read_review,
    review_queue,
)
from pipeline.coding.patterns import PatternCoder
from pipeline.core.errors import PipelineError
from pipeline.core.files import write_csv
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


def test_probabilities_from_the_cache_are_a_clean_computation_s_and_only_new_segments_are_computed(tmp_path):
    """A new wave computes its own segments' probabilities only (``predict_proba_cached``); a value read from the
    cache is the one computed without it, bit for bit. Another fitted coder, or an embedding that changed, does
    not reuse it."""
    from pipeline.coding.coder import predict_proba_cached

    texts, emb, qemb, y, groups = toy()
    coder = Coder(CODES).fit(texts, emb, qemb, y, groups)
    clean = coder.predict_proba(texts, emb, qemb)
    cache = tmp_path / "coder"
    first = predict_proba_cached(coder, texts[:40], emb[:40], qemb[:40], cache)
    assert np.array_equal(first, clean[:40]) and first.dtype == np.float32
    asked = []
    original = coder.predict_proba
    coder.predict_proba = lambda t, e, q: asked.append(len(t)) or original(t, e, q)
    assert np.array_equal(predict_proba_cached(coder, texts, emb, qemb, cache), clean)
    assert asked == [20], "only the 20 new segments are computed"
    moved = emb.copy()
    moved[0] += 1.0  # the same text with another embedding (another runtime): computed again
    predict_proba_cached(coder, texts, moved, qemb, cache)
    assert asked == [20, 1]
    other = Coder(CODES, CoderSettings(C=2.0)).fit(texts, emb, qemb, y, groups)
    assert np.array_equal(predict_proba_cached(other, texts, emb, qemb, cache), other.predict_proba(texts, emb, qemb))
    assert len(json.loads((cache / "values.json").read_text())) == 60, "another coder: the cache made again"
    none = predict_proba_cached(coder, texts[:0], emb[:0], qemb[:0], cache)
    assert none.shape == (0, 3) and none.dtype == np.float32


def test_thresholds_are_tuned_on_the_fully_coded_segments_when_decisions_teach_as_well():
    texts, emb, qemb, y, groups = toy()
    settings = CoderSettings(tune_thresholds=True)
    decided = np.full((20, 3), coding.UNKNOWN, dtype=np.int8)
    decided[:, 0] = 1  # twenty more segments with a decision on code a only
    with_decisions = Coder(CODES, settings).fit(
        np.concatenate([texts, texts[:20]]),
        np.vstack([emb, emb[:20]]),
        np.vstack([qemb, qemb[:20]]),
        np.vstack([y, decided]),
        np.concatenate([groups, groups[:20]]),
    )
    tuned_alone = Coder(CODES, settings).fit(texts, emb, qemb, y, groups)._tuned_thresholds(texts, emb, qemb, y, groups)
    fixed = Coder(CODES).fit(texts, emb, qemb, y, groups).thresholds_
    assert np.array_equal(with_decisions.thresholds_, tuned_alone)  # the same tuning: on the full coding only
    assert not np.array_equal(tuned_alone[:2], fixed[:2])  # and tuning happened


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
    got = read_review(path, set(CODES))[0]
    assert got.values.tolist() == [["S1", "a", "include", "JB"], ["S3", "c", "exclude", "reviewer"]]
    path.write_text("rank,segment_id,code_id,decision\n1,S1,a,maybe\n")
    with pytest.raises(PipelineError) as info:
        read_review(path, set(CODES))[0]
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


def test_pattern_wildcard_is_one_word_and_phrases_need_their_words_in_order():
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    hits = PatternCoder(codebook).hits(
        [
            "The cartoons held their attention.",  # hold * attention
            "They held attention.",  # no word where * stands
            "Attention, he held it.",  # the words, not in order
            "They held all of their attention.",  # * is one word, not three
        ]
    )
    phrase = ("engaging_media", "hold * attention")
    assert [phrase in found for found in hits] == [True, False, False, False]


# ---------------------------------------------------------------- the review queue round trip


def queue_inputs():
    """Six machine-coded segments whose probabilities all sit near the threshold of codes a and b."""
    sids = [f"B_w2_t{t:03d}_s1" for t in range(1, 7)]
    segs = pd.DataFrame(
        {
            "segment_id": sids,
            "interview_id": ["B_w2"] * 6,
            "participant_id": ["B"] * 6,
            "role": ["service_user"] * 6,
            "wave": [2] * 6,
            "text": [f"segment {i}" for i in range(6)],
        }
    )
    probs = np.array([[0.40 + 0.03 * i, 0.55 - 0.02 * i, 0.1] for i in range(6)], dtype=np.float32)
    thresholds = np.array([0.5, 0.5, np.inf], dtype=np.float32)
    patterns = pd.DataFrame(columns=["segment_id", "code_id", "phrases", "hits"])
    labels = {"a": "Code A", "b": "Code B", "c": "Code C"}
    return segs, probs, thresholds, patterns, labels


def next_queue(folder, reviewed_path=None, size=200):
    """One round: import the corpus's queue (if any), write the new outputs queue, read it back as a user would."""
    segs, probs, thresholds, patterns, labels = queue_inputs()
    reviewed, notes = read_review(reviewed_path, set(CODES), set(segs["segment_id"]))
    queue = review_queue(segs, CODES, labels, probs, thresholds, patterns, np.ones(6, bool), size, reviewed, notes)
    write_csv(queue, folder / "review_queue.csv")
    return pd.read_csv(folder / "review_queue.csv", dtype=str, keep_default_na=False)


def decisions_of(queue) -> dict:
    filled = queue[queue["decision"] != ""]
    return {(r.segment_id, r.code_id): (r.decision, r.reviewer) for r in filled.itertuples(index=False)}


def test_review_round_trip_keeps_every_earlier_decision(tmp_path):
    out, corpus = tmp_path / "outputs", tmp_path / "corpus"
    first = next_queue(out)
    assert len(first) == 12 and (first["decision"] == "").all()
    assert list(first["rank"]) == [str(i) for i in range(1, 13)]
    # round 1: two decisions, copied into the corpus folder
    first.loc[0, ["decision", "reviewer"]] = ["include", "JB"]
    first.loc[1, "decision"] = "No"
    corpus.mkdir()
    first.to_csv(corpus / "review_queue.csv", index=False)
    round1 = {
        (first.segment_id[0], first.code_id[0]): ("include", "JB"),
        (first.segment_id[1], first.code_id[1]): ("exclude", "reviewer"),
    }
    second = next_queue(out, corpus / "review_queue.csv")
    # the decided pairs come back filled in, after the ten still to review, without a rank; nothing else is lost
    assert decisions_of(second) == round1
    assert (second["decision"].iloc[:10] == "").all()
    assert list(second["rank"].iloc[:10]) == [str(i) for i in range(1, 11)]
    assert (second["decision"].iloc[10:] != "").all() and (second["rank"].iloc[10:] == "").all()
    assert len(second) == 12 and not second.duplicated(["segment_id", "code_id"]).any()
    # round 2: one more decision in the new file, copied over the corpus's file: both rounds survive
    second.loc[0, ["decision", "reviewer"]] = ["yes", "AK"]
    second.to_csv(corpus / "review_queue.csv", index=False)
    third = next_queue(out, corpus / "review_queue.csv")
    both = {**round1, (second.segment_id[0], second.code_id[0]): ("include", "AK")}
    assert decisions_of(third) == both and len(third) == 12
    # a round with nothing new changes nothing
    third.to_csv(corpus / "review_queue.csv", index=False)
    assert next_queue(out, corpus / "review_queue.csv").equals(third)


def test_decided_pairs_do_not_take_places_in_the_ranked_queue(tmp_path):
    first = next_queue(tmp_path, size=3)
    first.loc[:2, "decision"] = "include"
    first.to_csv(tmp_path / "reviewed.csv", index=False)
    second = next_queue(tmp_path, tmp_path / "reviewed.csv", size=3)
    ranked = second[second["rank"] != ""]
    assert len(ranked) == 3 and (ranked["decision"] == "").all()
    assert not set(zip(ranked["segment_id"], ranked["code_id"], strict=True)) & set(decisions_of(second))
    assert len(decisions_of(second)) == 3


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16"])
def test_review_queue_saved_by_excel_is_read_in_its_encoding(tmp_path, encoding):
    path = tmp_path / "review_queue.csv"
    text = "rank,segment_id,code_id,text,decision,reviewer\n"
    text += '1,S1,a,"It\u2019s \u201cgreat\u201d \u2013 caf\u00e9",include,Zo\u00eb\n'
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    got = read_review(path, set(CODES))[0]
    assert got.values.tolist() == [["S1", "a", "include", "Zo\u00eb"]]


def test_review_queue_saved_with_semicolons_is_read(tmp_path):
    path = tmp_path / "review_queue.csv"
    path.write_text('rank;segment_id;code_id;text;decision;reviewer\n1;S1;a;"Yes, it was good; really";yes;JB\n')
    assert read_review(path, set(CODES))[0].values.tolist() == [["S1", "a", "include", "JB"]]


def test_review_queue_in_no_readable_encoding_is_a_pipeline_error(tmp_path):
    path = tmp_path / "review_queue.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(PipelineError) as info:
        read_review(path, set(CODES))[0]
    assert info.value.file == str(path) and "CSV UTF-8" in info.value.fix


def bad_queue(tmp_path, line3: str):
    path = tmp_path / "review_queue.csv"
    path.write_text(f"rank,segment_id,code_id,decision,reviewer\n1,S1,a,include,JB\n{line3}\n")
    with pytest.raises(PipelineError) as info:
        read_review(path, set(CODES), {"S1", "S2"}, "data/study/codebook.yaml")[0]
    assert info.value.file == str(path) and info.value.line == 3
    return info.value


def test_review_queue_rows_are_checked(tmp_path):
    error = bad_queue(tmp_path, "2,C99_w1_t001_s1,a,include,")
    assert error.problem == "unknown segment 'C99_w1_t001_s1'" and "delete the row" in error.fix
    error = bad_queue(tmp_path, "2,S2,zz,exclude,")
    assert error.problem == "unknown code id 'zz'" and "data/study/codebook.yaml" in error.fix
    error = bad_queue(tmp_path, "2,S2,a,maybe,")
    assert "maybe" in error.problem and all(v in error.fix for v in ACCEPT + REJECT)
    error = bad_queue(tmp_path, "2,S1,a,no,")
    assert "decided include on line 2 and exclude here" in error.problem


def test_review_decision_values():
    assert set(ACCEPT) == {"include", "accept", "yes", "y", "true", "1"}
    assert set(REJECT) == {"exclude", "reject", "no", "n", "false", "0"}


def test_a_repeated_decision_is_taken_once(tmp_path):
    path = tmp_path / "review_queue.csv"
    path.write_text("segment_id,code_id,decision,reviewer\nS1,a, Include ,JB\nS1,a,yes,AK\nS1,b,TRUE,\n")
    got = read_review(path, set(CODES), {"S1"})[0]
    assert got.values.tolist() == [["S1", "a", "include", "JB"], ["S1", "b", "include", "reviewer"]]


# ---------------------------------------------------------------- the stage edge with a review queue


def test_columns_a_reviewer_adds_are_carried_into_the_next_queue(tmp_path):
    first = next_queue(tmp_path, size=3)
    assert list(first.columns)[-2:] == ["decision", "reviewer"]
    first["note"] = ""
    first.loc[0, ["decision", "note"]] = ["include", "clear case"]  # decided, with a note
    first.loc[1, "note"] = "ask AK"  # undecided: stays in the ranked queue
    # a pair the new queue would not list (the reviewer typed the row in), noted but undecided
    extra = first.iloc[[2]].assign(code_id="c", rank="", note="check the code c definition")
    pd.concat([first, extra]).to_csv(tmp_path / "reviewed.csv", index=False)
    second = next_queue(tmp_path, tmp_path / "reviewed.csv", size=3)
    assert list(second.columns)[-3:] == ["decision", "reviewer", "note"]
    notes = {(r.segment_id, r.code_id): r.note for r in second.itertuples(index=False) if r.note}
    assert notes == {
        (first.segment_id[0], first.code_id[0]): "clear case",
        (first.segment_id[1], first.code_id[1]): "ask AK",
        (first.segment_id[2], "c"): "check the code c definition",
    }
    ranked = second[second["rank"] != ""]
    assert len(ranked) == 3 and (first.segment_id[1], first.code_id[1]) in set(
        zip(ranked["segment_id"], ranked["code_id"], strict=True)
    )
    assert (second.iloc[-1][["segment_id", "code_id", "rank", "decision"]] == [first.segment_id[2], "c", "", ""]).all()
    # the next round changes nothing
    second.to_csv(tmp_path / "reviewed.csv", index=False)
    assert next_queue(tmp_path, tmp_path / "reviewed.csv", size=3).equals(second)


def test_a_pair_noted_twice_differently_or_a_note_on_an_unknown_segment_is_refused(tmp_path):
    path = tmp_path / "review_queue.csv"
    path.write_text("segment_id,code_id,decision,memo\nS1,a,,first\nS1,a,,second\n", encoding="utf-8")
    with pytest.raises(PipelineError) as info:
        read_review(path, set(CODES), {"S1"})
    assert info.value.line == 3 and "other notes on line 2" in info.value.problem
    path.write_text("segment_id,code_id,decision,memo\nS1,a,,same\nS1,a,yes,same\n", encoding="utf-8")
    decisions, notes = read_review(path, set(CODES), {"S1"})
    assert decisions.values.tolist() == [["S1", "a", "include", "reviewer"]]
    assert notes.values.tolist() == [["S1", "a", "same"]]
    path.write_text("segment_id,code_id,decision,memo\nS9,a,,a note\n", encoding="utf-8")
    with pytest.raises(PipelineError) as info:
        read_review(path, set(CODES), {"S1"})
    assert info.value.line == 2 and "unknown segment 'S9'" in info.value.problem


def test_the_codebook_seeded_coder_learns_from_codebook_texts_and_phrases_and_gives_each_code_its_phrase_count(
    tmp_path,
):
    """Two codes on separable embeddings: code a's phrases hit 4 segments (one of them a stray hit), code b's 2,
    code c's none; the codebook's texts sit where each code's segments are."""
    rng = np.random.default_rng(0)
    emb = rng.normal(scale=0.3, size=(30, 4)).astype(np.float32)
    emb[:10, 0] += 2.0  # segments about code a
    emb[10:20, 1] += 2.0  # segments about code b
    weak = np.zeros((30, 3), dtype=np.int8)
    weak[[0, 1, 2, 25], 0] = 1
    weak[[10, 11], 1] = 1
    proto = np.array([[2, 0, 0, 0], [2.2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    owner = np.array([0, 0, 1, 2])
    coder = coding.SeededCoder(CODES).fit(emb, weak, proto, owner)
    decisions = coder.predict(coder.predict_proba(emb))
    assert decisions.sum(axis=0).tolist() == [4, 2, 0]  # each code as often as its phrases hit; c never
    assert set(np.nonzero(decisions[:, 0])[0]) <= set(range(10)) | {25}
    assert np.nonzero(decisions[:, 0])[0].tolist() != [0, 1, 2, 25], "the model decides where, not the phrases"
    assert set(np.nonzero(decisions[:, 1])[0]) <= set(range(10, 20))
    again = coding.SeededCoder(CODES).fit(emb, weak, proto, owner)
    assert np.array_equal(again.predict_proba(emb), coder.predict_proba(emb)), "deterministic"
    coder.save(tmp_path / "seeded")
    with pytest.raises(PipelineError, match="built from the codebook alone"):
        Coder.load(tmp_path / "seeded")


def test_codebook_texts_are_each_codes_definition_criteria_and_examples():
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    texts, owner = coding.codebook_texts(codebook)
    first = codebook.codes[0]
    mine = [t for t, j in zip(texts, owner, strict=True) if j == 0]
    assert mine[0].startswith(f"{first.label}. ") and len(mine) == 1 + len(first.include) + len(first.examples)
    assert len(first.include) >= 2 and set(owner) == set(range(len(codebook.codes)))


# ---------------------------------------------------------------- review rounds (issue 19)


def test_known_labels_take_the_human_coding_then_each_decision_on_its_own_code():
    human = pd.DataFrame({"segment_id": ["s1"], "code_id": ["a"]})
    review = pd.DataFrame(
        {"segment_id": ["s1", "s3"], "code_id": ["b", "a"], "decision": ["include", "exclude"], "reviewer": "JB"}
    )
    y = coding.known_labels(["s1", "s2", "s3"], np.array([True, True, False]), human, review, ["a", "b"])
    assert y.tolist() == [[1, 1], [0, 0], [0, coding.UNKNOWN]]


def test_a_decision_on_one_code_says_nothing_about_the_others():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(40, 8)).astype(np.float32)
    emb[20:, 1] += 3.0  # rows 20-39 look like code b's positives
    texts = [f"word{i % 5} other{i % 3}" for i in range(40)]
    y = np.zeros((40, 2), dtype=np.int8)
    y[:5, 1] = 1
    y[:10, 0] = 1
    emb[:5, 1] += 3.0
    y[20:, 0], y[20:, 1] = 1, coding.UNKNOWN  # decided on code a only
    settings = CoderSettings(min_positives=2)
    partial = Coder(["a", "b"], settings).fit(texts, emb, np.zeros_like(emb), y)
    negatives = y.copy()
    negatives[20:, 1] = 0  # the wrong reading: undecided taken as excluded
    wrong = Coder(["a", "b"], settings).fit(texts, emb, np.zeros_like(emb), negatives)
    assert partial.positives_.tolist() == [30, 5]
    p_partial = partial.predict_proba(texts, emb, np.zeros_like(emb))[20:, 1]
    p_wrong = wrong.predict_proba(texts, emb, np.zeros_like(emb))[20:, 1]
    assert p_partial.mean() > 0.5 > p_wrong.mean()


def test_the_teaching_batch_is_uncertain_spread_over_codes_and_people_and_never_decided_twice():
    rng = np.random.default_rng(0)
    probs = rng.uniform(size=(60, 3)).astype(np.float32)
    thresholds = np.array([0.5, 0.3, np.inf], dtype=np.float32)
    open_pairs = np.ones(probs.shape, dtype=bool)
    open_pairs[0, :] = False  # decided
    people = np.array([f"P{i % 6}" for i in range(60)])
    includes = np.array([coding.TAUGHT_MIN_POSITIVES, 1, 5])  # code 1 is not taught yet
    batch = coding.teaching_batch(probs, thresholds, open_pairs, people, includes, 12)
    assert len(batch) == len(set(batch)) == 12 and all(i != 0 for i, _ in batch)
    by_code = pd.Series([j for _, j in batch]).value_counts()
    assert by_code.max() <= 4 and len(by_code) == 3
    assert pd.Series([people[i] for i, _ in batch]).value_counts().max() <= 4
    # a taught code: the pairs nearest its threshold; a code not taught yet: its most likely segments
    taught_rows = [i for i, j in batch if j == 0]
    assert max(abs(probs[i, 0] - 0.5) for i in taught_rows) < 0.1
    untaught_rows = [i for i, j in batch if j == 1]
    assert min(probs[i, 1] for i in untaught_rows) > np.quantile(probs[1:, 1], 0.8)


def test_a_round_can_teach_a_code_it_has_not_taught_yet():
    """With more codes than a round has decisions for each, a code not yet taught still gets twice the includes
    it lacks (a round that gives it one decision could never teach it); taught codes keep ceil(size / codes)."""
    rng = np.random.default_rng(1)
    probs = rng.uniform(0.0, 0.4, size=(120, 10)).astype(np.float32)
    probs[:, 0] += 0.5  # the seeded coder finds code 0 likely everywhere
    thresholds = np.full(10, 0.5, dtype=np.float32)
    people = np.array([f"P{i % 12}" for i in range(120)])
    includes = np.array([0] + [coding.TAUGHT_MIN_POSITIVES] * 9)
    batch = coding.teaching_batch(probs, thresholds, np.ones(probs.shape, bool), people, includes, 10)
    by_code = pd.Series([j for _, j in batch]).value_counts()
    assert by_code[0] == 2 * coding.TAUGHT_MIN_POSITIVES and by_code.drop(0).max() == 1
    one_left = coding.teaching_batch(probs, thresholds, np.ones(probs.shape, bool), people, includes + 2, 10)
    assert pd.Series([j for _, j in one_left]).value_counts()[0] == 2


def test_the_queue_lists_the_teaching_batch_first_then_the_checks():
    segs, code_ids = segments_for_queue()
    probs = np.full((len(segs), len(code_ids)), 0.45, dtype=np.float32)
    thresholds = np.full(len(code_ids), 0.5, dtype=np.float32)
    patterns = pd.DataFrame(columns=["segment_id", "code_id", "phrases", "hits"])
    labels = dict.fromkeys(code_ids, "label")
    machine = np.ones(len(segs), dtype=bool)
    queue = coding.review_queue(segs, code_ids, labels, probs, thresholds, patterns, machine, 3, batch=[(1, 0), (0, 1)])
    assert queue["purpose"].tolist() == ["teach", "teach", "check", "check", "check"]
    assert queue["rank"].tolist() == [1, 2, 3, 4, 5]
    assert (queue.loc[0, "segment_id"], queue.loc[0, "code_id"]) == (segs["segment_id"][1], code_ids[0])
    checks = set(zip(queue["segment_id"][2:], queue["code_id"][2:], strict=True))
    assert not checks & {(segs["segment_id"][1], code_ids[0]), (segs["segment_id"][0], code_ids[1])}


def segments_for_queue():
    segs = pd.DataFrame(
        {
            "segment_id": [f"P{i}_w1_t001_s1" for i in range(3)],
            "participant_id": [f"P{i}" for i in range(3)],
            "role": "practitioner",
            "wave": 1,
            "text": "some text",
        }
    )
    return segs, ["a", "b"]


def test_the_coder_s_dense_features_become_the_sparse_matrix_scipy_makes_of_them():
    """``dense_csr`` builds what ``csr_matrix(dense)`` builds (zeros left out, negative zeros too,
    the same index types), so the coder's features and decisions are unchanged; also with no rows or columns."""
    from scipy.sparse import csr_matrix

    from pipeline.coding.coder import dense_csr

    rng = np.random.default_rng(0)
    for shape in ((300, 40), (3, 4), (0, 5), (4, 0)):
        dense = rng.normal(size=shape).astype(np.float32)
        if dense.size:
            dense[dense < -1.0] = 0.0  # about one in six
            dense[0, :] = 0.0  # a row with nothing
            dense.flat[1:3] = -0.0
        made, expected = dense_csr(dense), csr_matrix(dense)
        assert made.shape == expected.shape and made.dtype == expected.dtype
        for part in ("data", "indices", "indptr"):
            got, want = getattr(made, part), getattr(expected, part)
            assert got.dtype == want.dtype and np.array_equal(got, want)
        assert np.array_equal(np.signbit(made.data), np.signbit(expected.data))
