"""Agreement metrics on small hand-checked examples, including the rare-code kappa paradox."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.reliability import (
    agreement_table,
    cohen_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    validation_table,
)


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
