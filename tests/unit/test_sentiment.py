"""Sentiment: the labelling rule, the lexicon adjustments, aggregation and validation on hand-checked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.sentiment import Scorer, Thresholds, aggregate, bootstrap_ci, label, load_lexicon, validation
from tests.conftest import ROOT, fresh_process

T = Thresholds()


@pytest.mark.parametrize(
    "scores,expected",
    [
        ([0.6, 0.2], "positive"),
        ([-0.3, -0.1], "negative"),
        ([0.02, -0.02, 0.0], "neutral"),
        ([0.7, -0.6], "mixed"),  # a strongly positive and a strongly negative sentence meet
        ([0.7, -0.4], "positive"),  # -0.4 is not strong: the mean (0.15) decides
    ],
)
def test_segment_label_rule(scores, expected):
    assert label(scores, T)[1] == expected
    assert label(scores, T)[0] == pytest.approx(np.mean(scores))


def test_descriptive_domain_words_are_neutralised():
    plain, adapted = Scorer(), Scorer(load_lexicon(ROOT / "config" / "sentiment_lexicon.yaml"))
    text = "We talked about the abuse and the violence, the offence and the risk of recall."
    assert plain.sentence_scores(text)[0] < -0.5
    assert adapted.sentence_scores(text)[0] == 0.0


def test_domain_words_and_phrases_carry_judgement():
    adapted = Scorer(load_lexicon(ROOT / "config" / "sentiment_lexicon.yaml"))
    assert adapted.sentence_scores("The videos were relatable.")[0] > 0.3
    assert adapted.sentence_scores("It felt patronising.")[0] < -0.3
    assert adapted.sentence_scores("That one really hit home.")[0] > 0.3  # a phrase scored as one token
    assert adapted.sentence_scores("There was no wifi in the room.")[0] < -0.2


def test_lexicon_file_is_validated(tmp_path):
    from pipeline.core.errors import PipelineError

    bad = tmp_path / "lexicon.yaml"
    bad.write_text("version: '1'\nwords: {great: 9}\n")
    with pytest.raises(PipelineError, match="words.great"):
        load_lexicon(bad)


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    values = np.array([0.1, 0.5, -0.2, 0.3, 0.4, 0.0])
    low, high = bootstrap_ci(values, seed=1)
    assert (low, high) == bootstrap_ci(values, seed=1)
    assert low < values.mean() < high
    assert np.isnan(bootstrap_ci(np.array([0.3]), seed=1)[0])


def test_aggregate_counts_labels_per_group():
    scores = pd.DataFrame(
        {"role": ["a", "a", "b"], "compound": [0.5, -0.5, 0.1], "label": ["positive", "negative", "positive"]}
    )
    table = aggregate(scores, ["role"], seed=0).set_index("role")
    assert table.loc["a", "segments"] == 2 and table.loc["a", "mean_compound"] == 0.0
    assert (table.loc["a", "n_positive"], table.loc["a", "n_negative"], table.loc["b", "n_positive"]) == (1, 1, 1)


def test_aggregate_label_counts_are_each_group_s_own_with_several_keys_missing_labels_and_no_rows():
    """The label counts, taken for all groups at once, are what counting each group's rows gives: with two keys,
    a key that is missing (the group is left out, as pandas leaves it out), a label no segment has, and none."""
    rng = np.random.default_rng(3)
    n = 300
    scores = pd.DataFrame(
        {
            "role": rng.choice(["a", "b", None], n),
            "participant_id": rng.choice([f"P{i}" for i in range(12)], n),
            "compound": rng.normal(size=n).round(4),
            "label": rng.choice(["positive", "negative", "neutral"], n),  # no "mixed"
        }
    )
    for by in (["role"], ["role", "participant_id"], ["participant_id"]):
        table = aggregate(scores, by, seed=0)
        expected = [
            [int((g["label"] == lab).sum()) for lab in ("positive", "negative", "neutral", "mixed")]
            for _, g in scores.groupby(by, sort=True)
        ]
        assert table[["n_positive", "n_negative", "n_neutral", "n_mixed"]].to_numpy().tolist() == expected
        assert (table["segments"] == table[["n_positive", "n_negative", "n_neutral"]].sum(axis=1)).all()
    assert aggregate(scores.iloc[:0], ["role"], seed=0).empty


def test_group_intervals_resample_participants_and_within_one_participant_its_segments():
    """A with two segments at +1, B with four at -1. Resampling the two participants: A twice (a quarter of
    draws, mean 1), both (a half, (2 - 4) / 6), B twice (a quarter, -1): the interval runs from -1 to 1, where
    resampling the six segments would give a narrower one."""
    scores = pd.DataFrame(
        {
            "role": ["r"] * 6,
            "participant_id": ["A", "A", "B", "B", "B", "B"],
            "compound": [1.0, 1.0, -1.0, -1.0, -1.0, -1.0],
            "label": ["positive"] * 2 + ["negative"] * 4,
        }
    )
    by_role = aggregate(scores, ["role"], seed=0).set_index("role")
    assert by_role.loc["r", "mean_compound"] == pytest.approx(-1 / 3, abs=1e-4)
    assert (by_role.loc["r", "ci_low"], by_role.loc["r", "ci_high"]) == (-1.0, 1.0)
    segments_only = aggregate(scores.drop(columns="participant_id"), ["role"], seed=0).iloc[0]
    assert segments_only["ci_high"] < 1  # six segments all at +1 in under 2.5% of draws: (1/3)^6
    one = aggregate(scores[scores["participant_id"] == "B"], ["role"], seed=0).iloc[0]
    assert np.isnan(one["ci_low"]) and np.isnan(one["ci_high"])  # one participant: nothing to resample
    mixed = scores.assign(compound=[1.0, 0.0, -1.0, -1.0, -0.5, -0.5])
    per_person = aggregate(mixed, ["role", "participant_id"], seed=0).set_index("participant_id")
    assert per_person.loc["A", "ci_low"] == 0.0 and per_person.loc["A", "ci_high"] == 1.0  # A's own two segments


def test_with_no_human_labels_the_validation_has_no_figures_and_imports_no_scikit_learn():
    """A corpus nobody has labelled (every study's start, and the scale benchmark's) gets a validation table of
    counts 0 and no figures, without the second scikit-learn takes to import in its summary job."""
    probe = (
        "import sys, pandas as pd\n"
        "from pipeline.sentiment import validation\n"
        "human = pd.DataFrame(columns=['segment_id', 'participant_id', 'sentiment'])\n"
        "scores = pd.DataFrame({'segment_id': ['s1'], 'label': ['positive'], 'label_plain': ['positive']})\n"
        "table = validation(human, scores)\n"
        "print(list(table['n']), 'macro_f1' in table, 'sklearn' in sys.modules)"
    )
    assert fresh_process(probe).strip() == "[0, 0] False False"


def test_validation_metrics_on_a_hand_checked_example():
    human = pd.DataFrame(
        {
            "segment_id": ["s1", "s2", "s3", "s4"],
            "participant_id": ["P1", "P1", "P2", "P2"],
            "sentiment": ["positive", "negative", "negative", "mixed"],
        }
    )
    scores = pd.DataFrame(
        {
            "segment_id": ["s1", "s2", "s3", "s4"],
            "label": ["positive", "negative", "positive", "mixed"],
            "label_plain": ["positive", "positive", "positive", "positive"],
        }
    )
    table = validation(human, scores).set_index("lexicon")
    adapted, plain = table.loc["domain-adapted"], table.loc["plain VADER"]
    assert adapted["accuracy"] == 0.75 and plain["accuracy"] == 0.25
    # adapted: F1 positive 2/3, negative 2/3, mixed 1, neutral 0 (absent) -> macro over 4 labels = 0.5833
    assert adapted["macro_f1"] == pytest.approx(0.5833, abs=1e-4)
    assert adapted["human_negative_machine_positive"] == 1
    # 95% interval from resampling the two participants: P2 twice (a quarter of draws), both (a half), P1 twice
    # (a quarter). Adapted: P2 alone is right on mixed only (1/4 = 0.25), P1 alone on positive and negative
    # (0.5), both together 0.5833: the interval runs from 0.25 to 0.5833
    assert (adapted["macro_f1_ci_low"], adapted["macro_f1_ci_high"]) == pytest.approx((0.25, 0.5833), abs=1e-4)


def _pairs_data():
    """Six segments of three participants; two codes; the embeddings say which way each segment leans."""
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(size=384), rng.normal(size=384)
    sids = [f"s{i}" for i in range(6)]
    lean = [pos, neg, pos, neg, pos, neg]
    vectors = {s: (v + rng.normal(scale=0.05, size=384)).astype(np.float32) for s, v in zip(sids, lean, strict=True)}
    scores = pd.DataFrame({"segment_id": sids, "compound": [0.5, -0.5] * 3, "compound_plain": [0.4, -0.2] * 3})
    scores["compound_max"], scores["compound_min"] = scores["compound"], scores["compound"]
    scores["share_positive"], scores["share_negative"] = [1.0, 0.0] * 3, [0.0, 1.0] * 3
    scores["contrast_words"] = 0
    scores["label"] = ["positive", "negative"] * 3
    participants = dict(zip(sids, ["A", "A", "B", "B", "C", "C"], strict=True))
    return sids, vectors, scores, participants


def test_code_sentiment_keeps_human_labels_and_learns_the_rest():
    from pipeline.sentiment import code_sentiment

    sids, vectors, scores, participants = _pairs_data()
    final = pd.DataFrame({"segment_id": sids + ["s0"], "code_id": ["x"] * 6 + ["y"]})
    human = pd.DataFrame(
        {
            "segment_id": ["s0", "s1", "s2", "s3"],
            "code_id": ["x", "x", "x", "x"],
            "sentiment": ["positive", "negative", "positive", "negative"],
        }
    )
    table, oof, model = code_sentiment(final, human, scores, vectors, participants, ["x", "y"], c=1.0, seed=0)
    table = table.set_index(["segment_id", "code_id"])
    assert table.loc[("s1", "x"), "source"] == "human" and table.loc[("s1", "x"), "label"] == "negative"
    assert table.loc[("s4", "x"), "source"] == "model" and table.loc[("s4", "x"), "label"] == "positive"
    assert table.loc[("s5", "x"), "label"] == "negative" and 0.5 <= table.loc[("s5", "x"), "probability"] <= 1
    assert len(oof) == 4 and list(oof["predicted"]) == list(oof["sentiment"])  # held-out participants, learnt
    assert list(model.classes_) == ["negative", "positive"]


def test_code_sentiment_without_labels_to_learn_from_falls_back_to_vader():
    from pipeline.sentiment import code_sentiment

    sids, vectors, scores, participants = _pairs_data()
    final = pd.DataFrame({"segment_id": sids, "code_id": ["x"] * 6})
    one_class = pd.DataFrame({"segment_id": ["s0", "s2"], "code_id": ["x", "x"], "sentiment": ["positive"] * 2})
    table, oof, model = code_sentiment(final, one_class, scores, vectors, participants, ["x"], c=1.0, seed=0)
    assert oof is None and model is None and set(table["source"]) == {"human", "vader"}
    assert list(table.loc[table["source"] == "vader", "label"]) == ["negative", "negative", "positive", "negative"]


def test_macro_f1_from_confusion_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix, f1_score

    from pipeline.sentiment import LABELS, macro_f1_from_confusion

    rng = np.random.default_rng(0)
    for size in (3, 12, 40):  # small samples leave some labels unused by one side or both
        y, p = rng.choice(LABELS, size), rng.choice(LABELS, size)
        expected = f1_score(y, p, labels=LABELS, average="macro", zero_division=0)
        assert macro_f1_from_confusion(confusion_matrix(y, p, labels=LABELS)) == pytest.approx(expected)


def test_validation_adds_the_model_row_from_out_of_fold_predictions():
    human = pd.DataFrame(
        {"segment_id": ["a", "b"], "participant_id": ["P", "Q"], "sentiment": ["positive", "negative"]}
    )
    scores = pd.DataFrame({"segment_id": ["a", "b"], "label": ["positive", "positive"], "label_plain": ["neutral"] * 2})
    oof = human.assign(predicted=["positive", "negative"])
    table = validation(human, scores, oof).set_index("lexicon")
    assert list(table.index) == ["plain VADER", "domain-adapted", "supervised (participant-grouped CV)"]
    assert table.loc["domain-adapted", "accuracy"] == 0.5
    assert table.loc["supervised (participant-grouped CV)", "accuracy"] == 1.0


def test_segment_scores_keep_the_spread_over_sentences_and_the_contrast_words():
    from pipeline.sentiment import Thresholds, score_segments

    segments = pd.DataFrame(
        {"segment_id": ["a", "b"], "text": ["The videos were great. But the laptop was awful, awful.", "It was fine."]}
    )
    scores = score_segments(segments, {}, Thresholds(0.05, -0.05, 0.5)).set_index("segment_id")
    a, b = scores.loc["a"], scores.loc["b"]
    assert a["compound_max"] >= 0.5 and a["compound_min"] <= -0.5 and a["label"] == "mixed"
    assert a["share_positive"] == a["share_negative"] == 0.5 and a["contrast_words"] == 1
    assert b["compound_max"] == b["compound_min"] == b["compound"] and b["contrast_words"] == 0


# ---------------------------------------------------------------- the model carried to another corpus


def _fitted(tmp_path, classes=("negative", "positive")):
    """A code-level model fitted on the six segments (two or three classes), saved beside a coder."""
    from pipeline.sentiment import SentimentModel, code_sentiment, save_sentiment_model

    sids, vectors, scores, participants = _pairs_data()
    labels = ["positive", "negative", "positive", "negative", "positive", "neutral"][: len(sids)]
    if len(classes) == 2:
        labels = ["positive", "negative"] * 3
    final = pd.DataFrame({"segment_id": sids, "code_id": ["x"] * 6})
    human = pd.DataFrame({"segment_id": sids, "code_id": ["x"] * 6, "sentiment": labels})
    _, _, fitted = code_sentiment(final, human, scores, vectors, participants, ["x", "y"], c=1.0, seed=0)
    about = {"codebook": {"name": "c", "version": "1.0", "sha256": "0"}}
    model = SentimentModel.from_classifier(fitted, ["x", "y"], {})
    save_sentiment_model(tmp_path / "sentiment.json", tmp_path / "sentiment.safetensors", model, about)
    return fitted, (sids, vectors, scores, participants)


@pytest.mark.parametrize("classes", [("negative", "positive"), ("negative", "neutral", "positive")])
def test_a_saved_sentiment_model_predicts_what_scikit_learn_predicted(tmp_path, classes):
    from pipeline.sentiment import load_sentiment_model, pair_features

    fitted, (sids, vectors, scores, _) = _fitted(tmp_path, classes)
    loaded = load_sentiment_model(tmp_path, ["x", "y"], "1.0")
    assert loaded.classes == list(classes)
    pairs = pd.DataFrame({"segment_id": sids * 2, "code_id": ["x"] * 6 + ["y"] * 6})
    x = pair_features(pairs, vectors, scores, ["x", "y"])
    np.testing.assert_allclose(loaded.predict_proba(x), fitted.predict_proba(x), rtol=0, atol=1e-6)
    assert list(loaded.predict(x)[0]) == list(fitted.predict(x))
    meta = __import__("json").loads((tmp_path / "sentiment.json").read_text())
    assert meta["trained"] is True and meta["code_ids"] == ["x", "y"] and "embedding" in meta["features"]


def test_a_carried_sentiment_model_labels_every_pair_and_is_scored_on_labels_it_never_saw(tmp_path):
    from pipeline.sentiment import code_sentiment, load_sentiment_model

    _fitted(tmp_path)
    carried = load_sentiment_model(tmp_path, ["x", "y"], "1.0")
    sids, vectors, scores, participants = _pairs_data()
    final = pd.DataFrame({"segment_id": sids, "code_id": ["y"] * 6})
    # this corpus's human says the opposite of what the carried model learnt on two segments
    human = pd.DataFrame({"segment_id": ["s0", "s1"], "code_id": ["y", "y"], "sentiment": ["negative", "positive"]})
    table, held_out, model = code_sentiment(final, human, scores, vectors, participants, ["x", "y"], 1.0, 0, carried)
    assert model is None  # nothing learnt here
    assert list(held_out["predicted"]) == ["positive", "negative"]  # the carried model's, not out of fold
    table = table.set_index("segment_id")
    assert list(table.loc[["s0", "s1"], "source"]) == ["human", "human"]
    assert set(table.loc[["s2", "s3", "s4", "s5"], "source"]) == {"model"}
    assert list(table.loc[["s2", "s3"], "label"]) == ["positive", "negative"]


def test_an_untrained_sentiment_model_is_saved_as_such_and_carries_nothing(tmp_path):
    from pipeline.sentiment import load_sentiment_model, save_sentiment_model

    save_sentiment_model(tmp_path / "sentiment.json", tmp_path / "sentiment.safetensors", None, {"reason": "none"})
    assert load_sentiment_model(tmp_path, ["x"], "1.0") is None


@pytest.mark.parametrize(
    "damage,file,says",
    [
        (lambda m: (m / "sentiment.json").unlink(), "sentiment.json", "has no sentiment.json"),
        (lambda m: (m / "sentiment.safetensors").write_bytes(b"\x10\x00"), "sentiment.safetensors", "corrupt"),
        (lambda m: (m / "sentiment.json").write_text("{"), "sentiment.json", "cannot be read"),
        (
            lambda m: (m / "sentiment.json").write_text(
                (m / "sentiment.json").read_text().replace('"version": "1.0"', '"version": "0.9"')
            ),
            "sentiment.json",
            "made for codebook version 0.9, this corpus uses version 1.0",
        ),
        (
            lambda m: (m / "sentiment.json").write_text(
                (m / "sentiment.json").read_text().replace('"y"', '"y", "z"', 1)
            ),
            "sentiment.json",
            "made for codebook version",
        ),
    ],
)
def test_a_broken_sentiment_model_names_the_file(tmp_path, damage, file, says):
    from pipeline.core.errors import PipelineError
    from pipeline.sentiment import load_sentiment_model

    _fitted(tmp_path)
    damage(tmp_path)
    with pytest.raises(PipelineError) as info:
        load_sentiment_model(tmp_path, ["x", "y"], "1.0")
    message = info.value.message()
    assert message.startswith(f"{tmp_path / file}: ") and says in message and len(message.splitlines()) == 1


def test_sentiment_weights_that_do_not_fit_the_description_are_named(tmp_path):
    from safetensors.numpy import save_file

    from pipeline.core.errors import PipelineError
    from pipeline.sentiment import load_sentiment_model

    _fitted(tmp_path)
    save_file({"coef": np.zeros((1, 10)), "intercept": np.zeros(1)}, str(tmp_path / "sentiment.safetensors"))
    with pytest.raises(PipelineError, match="do not fit its description"):
        load_sentiment_model(tmp_path, ["x", "y"], "1.0")
