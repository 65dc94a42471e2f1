"""The SLURM profile (config/profiles/slurm): it names only rules the workflow has, and plans a run."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from tests.conftest import ROOT, SNAKEMAKE, TINY, snakemake
from tests.unit.test_profiles import PROFILE

pytestmark = pytest.mark.slow  # Snakemake runs


@pytest.fixture(scope="module")
def profile() -> dict:
    return yaml.safe_load((PROFILE / "config.yaml").read_text())


@pytest.fixture(scope="module")
def workflow_rules() -> set[str]:
    result = subprocess.run(
        [SNAKEMAKE, "--list-rules", "--config", f"corpus={TINY}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # one rule a line, with its docstring in brackets (which may run over several lines)
    return {m[1] for line in result.stdout.splitlines() if (m := re.match(r"([a-z_][a-z0-9_]*)(?: \(|$)", line))}


def test_every_rule_the_profile_names_exists_in_the_workflow(profile, workflow_rules):
    named = set(profile["set-resources"]) | set(profile.get("set-threads", {})) | set(profile.get("groups", {}))
    assert named - workflow_rules == set(), "rules renamed or removed: update config/profiles/slurm/config.yaml"


def test_the_profile_plans_a_run_without_slurm(project):
    """No SLURM here: a dry run checks that Snakemake and the plugin accept the profile and form the groups."""
    result = snakemake(project, "--profile", "config/profiles/slurm", "-n")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Group job prepare" in result.stdout + result.stderr
