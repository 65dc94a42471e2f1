"""Sentiment: the labelling rule, the lexicon adjustments, aggregation and validation on hand-checked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.sentiment import Scorer, Thresholds, aggregate, bootstrap_ci, label, load_lexicon, validation
from tests.conftest import ROOT

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
    from pipeline.errors import PipelineError

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


def test_validation_metrics_on_a_hand_checked_example():
    human = pd.DataFrame(
        {"segment_id": ["s1", "s2", "s3", "s4"], "sentiment": ["positive", "negative", "negative", "mixed"]}
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
