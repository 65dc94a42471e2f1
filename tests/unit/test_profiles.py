"""The SLURM profile (config/profiles/slurm): it parses and asks for what the heavy rules need."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT

PROFILE = ROOT / "config" / "profiles" / "slurm"


@pytest.fixture(scope="module")
def profile() -> dict:
    return yaml.safe_load((PROFILE / "config.yaml").read_text())


def test_the_profile_uses_the_slurm_executor_with_default_resources(profile):
    assert profile["executor"] == "slurm"
    assert {"mem_mb", "runtime"} <= set(profile["default-resources"])


def test_heavy_rules_ask_for_memory_time_and_cpus(profile):
    for rule in ("embed_segments", "code_segments", "fit_topics", "evaluate_topics"):
        assert {"mem_mb", "runtime"} <= set(profile["set-resources"][rule]), rule
    # CPUs follow threads (the plugin's --cpus-per-task=threads), capped by cores: one setting, not two that can
    # disagree (a cpus_per_task above a small node's CPUs would never be scheduled)
    assert all("cpus_per_task" not in r for r in [profile["default-resources"], *profile["set-resources"].values()])
    assert profile["set-threads"]["embed_segments"] > 1 and profile["set-threads"]["evaluate_topics"] > 1
    assert max(profile["set-threads"].values()) <= profile["cores"]


def test_batches_of_interviews_are_grouped_but_stay_one_job_per_batch(profile):
    assert profile["groups"] == {"prepare_interviews": "prepare"}
    assert profile["group-components"]["prepare"] > 1
