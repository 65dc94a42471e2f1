"""The findings tables behind the headline figures (pipeline/findings.py), on a hand-made corpus of four people.

Two case managers (P1, P2) and two men on probation (S1, S2) in wave 1; S1 again in wave 2. Codes a and b belong
to theme t1, c and d to theme t2; d is never coded. The final codes, after dropping the rows that are not final
and the second row of a (segment, code) pair:

    P1_w1_s1: a        P1_w1_s2: b        S1_w1_s1: b        S1_w2_s1: b, c        (P2 and S2: none)

Every expected value below is counted by hand from these rows.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import findings
from pipeline.codebook import Code, Codebook

ROLES = {"practitioner": "Case managers", "service_user": "Men on probation"}


def code(code_id: str, theme: str, kind: str) -> Code:
    return Code(code_id, f"Code {code_id.upper()}", theme, f"Theme {theme}", kind, "", (), ())


CODEBOOK = Codebook(
    version="1.0.0",
    name="hand-made",
    codes=[code("a", "t1", "strength"), code("b", "t1", "challenge"), code("c", "t2", "strength")]
    + [code("d", "t2", "challenge")],
    themes={"t1": "Theme t1", "t2": "Theme t2"},
    sha256="0",
    path="codebook.yaml",
)

SEGMENTS = pd.DataFrame(
    [
        ("P1_w1_s1", "P1_w1", "P1", "practitioner", 1, "The structure helped."),
        ("P1_w1_s2", "P1_w1", "P1", "practitioner", 1, "The laptop kept crashing."),
        ("P2_w1_s1", "P2_w1", "P2", "practitioner", 1, "I had no time for it."),
        ("S1_w1_s1", "S1_w1", "S1", "service_user", 1, "The sound did not work."),
        ("S1_w2_s1", "S1_w2", "S1", "service_user", 2, "Still no sound, but the videos were good."),
        ("S2_w1_s1", "S2_w1", "S2", "service_user", 1, "It was fine."),
    ],
    columns=["segment_id", "interview_id", "participant_id", "role", "wave", "text"],
)


def codes() -> pd.DataFrame:
    rows = [  # segment, code, source, coder, final
        ("P1_w1_s1", "a", "human", "coder1", True),
        ("P1_w1_s1", "a", "model", "model", True),  # the same pair again: one final code
        ("P1_w1_s2", "b", "model", "model", True),
        ("P1_w1_s2", "a", "model", "model", False),  # the model's, not final
        ("P2_w1_s1", "a", "human", "coder2", False),  # the second coder's, not final
        ("P2_w1_s1", "c", "pattern", "patterns", False),
        ("S1_w1_s1", "b", "human", "coder1", True),
        ("S1_w2_s1", "b", "model", "model", True),
        ("S1_w2_s1", "c", "codebook", "model", True),
    ]
    table = pd.DataFrame(rows, columns=["segment_id", "code_id", "source", "coder", "final"])
    people = SEGMENTS.set_index("segment_id")[["participant_id", "role", "wave"]]
    return table.join(people, on="segment_id").assign(confidence=0.9)


# ---------------------------------------------------------------- prevalence


def test_prevalence_by_role_counts_participants_and_segments_per_source():
    table = findings.prevalence_by_role(codes(), SEGMENTS, CODEBOOK, ROLES, "coder1")
    assert list(zip(table["level"], table["id"], table["role"], strict=True)) == [
        (level, unit, role)
        for level, unit in [
            ("code", "a"),
            ("code", "b"),
            ("code", "c"),
            ("code", "d"),
            ("theme", "t1"),
            ("theme", "t2"),
        ]
        for role in ROLES
    ]
    assert (table["N"] == 2).all(), "S1 is one participant however many waves"
    rows = table.set_index(["id", "role"])
    columns = ["final_n", "final_pct", "final_segments", "human_n", "human_segments", "machine_n", "machine_segments"]
    expected = {
        # the model's not-final a on P1_w1_s2 counts as a machine code: 2 machine segments, 1 final
        ("a", "practitioner"): [1, 50.0, 1, 1, 1, 1, 2],
        ("a", "service_user"): [0, 0.0, 0, 0, 0, 0, 0],
        ("b", "practitioner"): [1, 50.0, 1, 0, 0, 1, 1],
        # S1 in both waves: one participant, two segments; the human code in wave 1, the model's in wave 2
        ("b", "service_user"): [1, 50.0, 2, 1, 1, 1, 1],
        # a pattern hit alone is neither final nor the machine's; coder2 is not the primary coder
        ("c", "practitioner"): [0, 0.0, 0, 0, 0, 0, 0],
        ("c", "service_user"): [1, 50.0, 1, 0, 0, 1, 1],  # the codebook-seeded coder's code is the machine's
        ("d", "practitioner"): [0, 0.0, 0, 0, 0, 0, 0],
        ("t1", "practitioner"): [1, 50.0, 2, 1, 1, 1, 2],
        ("t1", "service_user"): [1, 50.0, 2, 1, 1, 1, 1],
        ("t2", "service_user"): [1, 50.0, 1, 0, 0, 1, 1],
    }
    for key, values in expected.items():
        assert rows.loc[key, columns].tolist() == values, key
    assert rows.loc[("t1", "practitioner"), "kind"] == "challenge/strength"
    assert rows.loc[("t2", "service_user"), ["label", "theme"]].tolist() == ["Theme t2", "t2"]
    assert rows.loc[("b", "service_user"), ["label", "theme", "kind", "role_label"]].tolist() == [
        "Code B",
        "t1",
        "challenge",
        "Men on probation",
    ]


def test_prevalence_by_role_of_a_role_with_nobody_is_zero_not_an_error():
    table = findings.prevalence_by_role(codes(), SEGMENTS, CODEBOOK, {**ROLES, "carer": "Carers"}, "coder1")
    carers = table[table["role"] == "carer"]
    assert len(carers) == 6 and (carers["N"] == 0).all() and (carers["final_pct"] == 0.0).all()


def test_prevalence_by_wave_counts_each_wave_against_its_own_participants():
    table = findings.prevalence_by_wave(codes(), SEGMENTS, CODEBOOK, ROLES)
    got = {(r.role, r.wave, r.code_id): (r.N, r.n, r.pct, r.segments) for r in table.itertuples(index=False)}
    assert list(dict.fromkeys((role, wave) for role, wave, _ in got)) == [
        ("practitioner", 1),
        ("service_user", 1),
        ("service_user", 2),
    ]
    assert got == {
        ("practitioner", 1, "a"): (2, 1, 50.0, 1),
        ("practitioner", 1, "b"): (2, 1, 50.0, 1),
        ("practitioner", 1, "c"): (2, 0, 0.0, 0),
        ("practitioner", 1, "d"): (2, 0, 0.0, 0),
        ("service_user", 1, "a"): (2, 0, 0.0, 0),
        ("service_user", 1, "b"): (2, 1, 50.0, 1),
        ("service_user", 1, "c"): (2, 0, 0.0, 0),
        ("service_user", 1, "d"): (2, 0, 0.0, 0),
        ("service_user", 2, "a"): (1, 0, 0.0, 0),
        ("service_user", 2, "b"): (1, 1, 100.0, 1),  # S1 alone in wave 2
        ("service_user", 2, "c"): (1, 1, 100.0, 1),
        ("service_user", 2, "d"): (1, 0, 0.0, 0),
    }
    assert set(table.loc[table["role"] == "service_user", "role_label"]) == {"Men on probation"}
    assert table.loc[table["code_id"] == "c", "label"].iloc[0] == "Code C"


# ---------------------------------------------------------------- matrices


def test_final_matrix_counts_final_segments_per_participant_and_wave():
    matrix = findings.final_matrix(codes(), SEGMENTS, CODEBOOK)
    assert list(matrix.columns) == ["participant_id", "role", "wave", "a", "b", "c", "d"]
    assert matrix.values.tolist() == [
        ["P1", "practitioner", 1, 1, 1, 0, 0],
        ["P2", "practitioner", 1, 0, 0, 0, 0],
        ["S1", "service_user", 1, 0, 1, 0, 0],
        ["S1", "service_user", 2, 0, 1, 1, 0],
        ["S2", "service_user", 1, 0, 0, 0, 0],
    ]
    assert all(matrix[c].dtype.kind == "i" for c in "abcd"), "counts, not floats"


def test_participant_code_matrix_and_its_markdown_with_n_of_n_per_role():
    present = pd.DataFrame({"participant_id": ["P1", "P1", "S1", "S1"], "code_id": ["a", "b", "b", "b"]})
    people = pd.DataFrame(
        {"participant_id": ["P1", "P2", "S1"], "role": ["practitioner", "practitioner", "service_user"]}
    )
    matrix = findings.participant_code_matrix(present, people, ["a", "b", "c"])
    assert list(matrix.columns) == ["P1", "P2", "S1"] and list(matrix.index) == ["a", "b", "c"]
    assert matrix.values.tolist() == [[1, 0, 0], [1, 0, 1], [0, 0, 0]], "present or not, however often"
    text = findings.matrix_markdown(matrix, people, ROLES, {"a": "Code A", "b": "Code B"})
    assert text.splitlines() == [
        "| code | P1 | P2 | Case managers n/2 | S1 | Men on probation n/1 |",
        "|---|---|---|---|---|---|",
        "| Code A (`a`) | x |  | 1/2 |  | 0/1 |",
        "| Code B (`b`) | x |  | 1/2 | x | 1/1 |",
        "| c (`c`) |  |  | 0/2 |  | 0/1 |",  # a code without a label is shown by its id
    ]


def test_cooccurrence_counts_segments_carrying_both_codes():
    table = findings.cooccurrence(codes(), CODEBOOK)
    assert list(table.columns) == ["code_id", "a", "b", "c", "d"]
    assert table.values.tolist() == [
        ["a", 1, 0, 0, 0],
        ["b", 0, 3, 1, 0],  # the diagonal: segments with the code; b and c meet in S1_w2_s1
        ["c", 0, 1, 1, 0],
        ["d", 0, 0, 0, 0],
    ]


# ---------------------------------------------------------------- saturation and exemplars


def test_saturation_counts_new_codes_per_role_in_interview_order():
    order = ["P1_w1", "P2_w1", "S1_w1", "S2_w1", "S1_w2", "X9_w1"]  # X9 has no segments: left out
    table = findings.saturation(codes(), SEGMENTS, order)
    assert table.values.tolist() == [
        ["practitioner", 1, "P1_w1", 2, 2],
        ["practitioner", 2, "P2_w1", 0, 2],
        ["service_user", 1, "S1_w1", 1, 1],
        ["service_user", 2, "S2_w1", 0, 1],
        ["service_user", 3, "S1_w2", 1, 2],  # b was seen in S1_w1: only c is new
    ]
    assert list(table.columns) == ["role", "interview_number", "interview_id", "new_codes", "cumulative_codes"]
    reordered = findings.saturation(codes(), SEGMENTS, ["S1_w2", "S1_w1", "S2_w1", "P2_w1", "P1_w1"])
    assert reordered[["interview_id", "new_codes", "cumulative_codes"]].values.tolist() == [
        ["S1_w2", 2, 2],
        ["S1_w1", 0, 2],
        ["S2_w1", 0, 2],
        ["P2_w1", 0, 0],
        ["P1_w1", 2, 2],
    ]


def probabilities(b_wave1: float, b_wave2: float) -> pd.DataFrame:
    probs = pd.DataFrame(0.1, index=SEGMENTS["segment_id"], columns=["a", "b", "c", "d"])
    probs.loc["P1_w1_s1", "a"] = 0.123456
    probs.loc["S1_w1_s1", "b"], probs.loc["S1_w2_s1", "b"] = b_wave1, b_wave2
    return probs.rename_axis("segment_id").reset_index()


def test_exemplars_take_the_most_confident_final_segments_per_code_and_role():
    table = findings.exemplars(codes(), SEGMENTS, probabilities(0.6, 0.9), CODEBOOK, ROLES, per=2)
    assert table[["code_id", "role", "rank", "segment_id", "participant_id", "wave"]].values.tolist() == [
        ["a", "practitioner", 1, "P1_w1_s1", "P1", 1],
        ["b", "practitioner", 1, "P1_w1_s2", "P1", 1],
        ["b", "service_user", 1, "S1_w2_s1", "S1", 2],  # 0.9 before 0.6
        ["b", "service_user", 2, "S1_w1_s1", "S1", 1],
        ["c", "service_user", 1, "S1_w2_s1", "S1", 2],
    ]
    assert table["confidence"].tolist() == [0.1235, 0.1, 0.9, 0.6, 0.1], "the model's probability, 4 decimals"
    assert table.loc[0, "text"] == "The structure helped." and table.loc[0, "label"] == "Code A"
    one = findings.exemplars(codes(), SEGMENTS, probabilities(0.6, 0.9), CODEBOOK, ROLES, per=1)
    assert one.loc[one["code_id"] == "b", "segment_id"].tolist() == ["P1_w1_s2", "S1_w2_s1"]
    tied = findings.exemplars(codes(), SEGMENTS, probabilities(0.7, 0.7), CODEBOOK, ROLES, per=1)
    assert tied.loc[tied["role"] == "service_user", "segment_id"].tolist() == ["S1_w1_s1", "S1_w2_s1"], (
        "ties: the first segment id"
    )


def test_exemplars_of_nothing_coded_have_the_columns_and_no_rows():
    none = codes().assign(final=False)
    table = findings.exemplars(none, SEGMENTS, probabilities(0.6, 0.9), CODEBOOK, ROLES)
    assert table.empty and list(table.columns) == [
        "code_id",
        "label",
        "role",
        "rank",
        "segment_id",
        "participant_id",
        "wave",
        "confidence",
        "text",
    ]


# ---------------------------------------------------------------- claims


@pytest.mark.parametrize(
    "claim,measured,holds",
    [
        ({"kind": "participants", "role": "service_user", "interviews": 2}, "2 interviews", True),
        ({"kind": "participants", "role": "service_user", "wave": 2, "interviews": 2}, "1 interviews", False),
        ({"kind": "prevalence", "role": "practitioner", "code": "b", "at_least": 1, "of": 2}, "1 of 2", True),
        ({"kind": "prevalence", "role": "practitioner", "code": "b", "at_least": 2, "of": 2}, "1 of 2", False),
        # theme t2 in wave 2: S1's c; but wave 2 has one man, not the two the claim counts on
        (
            {"kind": "prevalence", "role": "service_user", "theme": "t2", "wave": 2, "at_least": 1, "of": 2},
            "1 of 1",
            False,
        ),
        ({"kind": "comparison", "role": "practitioner", "than": "service_user", "code": "a"}, "1/2 vs 0/2", True),
        ({"kind": "comparison", "role": "service_user", "than": "practitioner", "code": "b"}, "1/2 vs 1/2", False),
    ],
)
def test_claims_are_measured_on_the_final_codes(claim, measured, holds):
    claim = {"id": "x", "statement": "A claim.", **claim}
    [row] = findings.check_claims([claim], codes(), SEGMENTS, CODEBOOK).to_dict("records")
    assert (row["measured"], row["holds"]) == (measured, holds)
    assert row["code_or_theme"] == claim.get("code", claim.get("theme", ""))
