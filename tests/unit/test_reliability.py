"""Agreement metrics on small hand-checked examples, including the rare-code kappa paradox."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.core.statistics import (
    agreement_counts,
    agreement_table,
    cluster_bootstrap_interval,
    cohen_kappa,
    gwet_ac1,
    kappa_from_counts,
    krippendorff_alpha,
    percent_agreement,
    validation_table,
)

TEXTBOOK_A = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
TEXTBOOK_B = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1])


def test_textbook_example():
    # 10 units: both yes 4, both no 4, a-only 1, b-only 1 -> po = 0.8, pe = 0.5*0.5 + 0.5*0.5 = 0.5
    a = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    b = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1])
    assert percent_agreement(a, b) == 0.8
    assert cohen_kappa(a, b) == pytest.approx(0.6)
    # AC1: pi = 0.5, pe = 2 * 0.5 * 0.5 / 1 = 0.5 -> (0.8 - 0.5) / 0.5 = 0.6
    assert gwet_ac1(a, b) == pytest.approx(0.6)
    # alpha (nominal): n = 20 pairable values, n_1 = n_0 = 10, off-diagonal coincidences o_01 + o_10 = 4
    # alpha = 1 - (n - 1) * 4 / (2 * n_0 * n_1) = 1 - 19 * 4 / 200 = 0.62
    assert krippendorff_alpha(a, b) == pytest.approx(0.62, abs=1e-4)


def test_rare_code_kappa_paradox():
    """98 of 100 units agree (both 'absent'), each coder marks one different unit: kappa ~ 0, AC1 ~ 0.98."""
    a = np.zeros(100, dtype=int)
    b = np.zeros(100, dtype=int)
    a[0], b[1] = 1, 1
    assert percent_agreement(a, b) == 0.98
    assert cohen_kappa(a, b) == pytest.approx(-0.0101, abs=1e-3)
    assert gwet_ac1(a, b) == pytest.approx(0.9798, abs=1e-3)


def test_perfect_and_constant():
    a = np.array([0, 1, 0, 1])
    assert cohen_kappa(a, a) == 1 and gwet_ac1(a, a) == 1 and krippendorff_alpha(a, a) == 1
    z = np.zeros(5, dtype=int)
    assert cohen_kappa(z, z) == 1 and krippendorff_alpha(z, z) == 1


def test_tables_have_a_pooled_row():
    a = np.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    b = np.array([[1, 0], [0, 1], [1, 1], [0, 1]])
    table = agreement_table(a, b, ["x", "y"], "coder1 vs coder2").set_index("code_id")
    assert table.loc["x", "cohen_kappa"] == 1 and table.loc["pooled", "units"] == 8
    assert table.loc["pooled", "percent_agreement"] == 0.875
    val = validation_table(a, b, ["x", "y"]).set_index("code_id")
    assert val.loc["y", "precision"] == pytest.approx(2 / 3, abs=1e-4) and val.loc["y", "recall"] == 1


def test_validation_without_human_codes_is_empty_not_an_error():
    table = validation_table(np.zeros((0, 2), int), np.zeros((0, 2), int), ["x", "y"])
    assert table["segments"].tolist() == [0, 0, 0] and table["cohen_kappa"].isna().all()


def test_kappa_from_counts_matches_the_hand_checked_cases():
    # textbook: both yes 4, only a 1, only b 1, both no 4 -> 0.6; paradox: 0, 1, 1, 98 -> -0.0101; constant -> 1
    assert agreement_counts(TEXTBOOK_A, TEXTBOOK_B).tolist() == [4, 1, 1, 4]
    batch = np.array([[4, 1, 1, 4], [0, 1, 1, 98], [0, 0, 0, 5], [5, 0, 0, 0], [0, 0, 0, 0]])
    kappas = kappa_from_counts(batch)
    assert kappas[:4] == pytest.approx([0.6, -0.0101, 1.0, 1.0], abs=1e-4) and np.isnan(kappas[4])
    rng = np.random.default_rng(3)
    for _ in range(50):
        a, b = (rng.random((30, 2)) < rng.random(2)).astype(int), (rng.random((30, 2)) < rng.random(2)).astype(int)
        assert kappa_from_counts(agreement_counts(a, b)) == pytest.approx(
            [cohen_kappa(a[:, j], b[:, j]) for j in (0, 1)]
        )


def test_cluster_bootstrap_with_two_clusters_spans_their_own_values():
    """Two clusters: a draw holds both, or one of them twice (a quarter of draws each), so the 2.5th and 97.5th
    percentiles are the two clusters' own values; identical clusters give no spread; one cluster gives none."""
    perfect, textbook = np.array([5, 0, 0, 5]), np.array([4, 1, 1, 4])
    low, high = cluster_bootstrap_interval(np.stack([perfect, textbook]), kappa_from_counts, seed=0)
    assert (low, high) == pytest.approx((0.6, 1.0))
    same = cluster_bootstrap_interval(np.stack([textbook, textbook, textbook]), kappa_from_counts, seed=0)
    assert same == pytest.approx((0.6, 0.6))
    assert np.isnan(cluster_bootstrap_interval(textbook[None], kappa_from_counts, seed=0)).all()
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 20, size=(9, 4))
    first = cluster_bootstrap_interval(counts, kappa_from_counts, seed=7)
    assert first == cluster_bootstrap_interval(counts, kappa_from_counts, seed=7)  # seeded: reruns agree
    assert first[0] < float(kappa_from_counts(counts.sum(0))) < first[1]


def test_validation_table_intervals_resample_participants():
    # participant P agrees perfectly with the human coder on code x, participant Q as in the textbook example
    y_true = np.concatenate([[1] * 5 + [0] * 5, TEXTBOOK_A])[:, None]
    y_pred = np.concatenate([[1] * 5 + [0] * 5, TEXTBOOK_B])[:, None]
    groups = ["P"] * 10 + ["Q"] * 10
    table = validation_table(y_true, y_pred, ["x"], groups, seed=0).set_index("code_id")
    assert table.loc["x", "cohen_kappa"] == pytest.approx(0.8)  # 18 of 20 agree, half yes on both sides
    assert (table.loc["x", "kappa_ci_low"], table.loc["x", "kappa_ci_high"]) == pytest.approx((0.6, 1.0))
    one = validation_table(y_true, y_pred, ["x"], ["P"] * 20).set_index("code_id")
    assert one[["kappa_ci_low", "kappa_ci_high"]].isna().all().all()  # one participant: nothing to resample
    assert validation_table(y_true, y_pred, ["x"])["kappa_ci_low"].isna().all()  # no participants given
