"""Preparation in batches: which interviews share a job."""

from __future__ import annotations

from pipeline.corpus import Interview
from pipeline.gate import prepare


def interviews(spec: str) -> list[Interview]:
    """'1:A,B 2:C' -> interviews A and B in wave 1, C in wave 2 (manifest order)."""
    out = []
    for part in spec.split():
        wave, ids = part.split(":")
        out += [Interview(f"{pid}_w{wave}", pid, "practitioner", int(wave), f"{pid}.txt", 0) for pid in ids.split(",")]
    return out


def test_batches_take_each_waves_interviews_in_manifest_order():
    assert prepare.batches(interviews("1:A,B,C,D,E 2:A,B"), 2) == {
        "w1-001": ["A_w1", "B_w1"],
        "w1-002": ["C_w1", "D_w1"],
        "w1-003": ["E_w1"],
        "w2-001": ["A_w2", "B_w2"],
    }


def test_interviews_added_to_a_wave_change_only_its_last_batch_and_a_new_wave_none():
    before = prepare.batches(interviews("1:A,B,C 2:A"), 2)
    after = prepare.batches(interviews("1:A,B,C,D,E 2:A 3:A,B"), 2)
    unchanged = {k for k in before if after.get(k) == before[k]}
    assert unchanged == {"w1-001", "w2-001"}
    assert after["w1-002"] == ["C_w1", "D_w1"] and after["w1-003"] == ["E_w1"] and after["w3-001"] == ["A_w3", "B_w3"]
