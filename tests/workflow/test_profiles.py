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


def test_embeddings_and_topic_comparison_ask_for_one_core_and_start_their_workers(project):
    """embed_segments and evaluate_topics are scheduled as one core each, so a core held by another job does not
    hold them back (common.smk, workers()); they start their worker processes themselves: up to --cores locally,
    the profile's set-threads on a cluster."""

    def planned(*args) -> dict[str, tuple[int, int]]:
        result = snakemake(project, "-n", "-p", *args)
        assert result.returncode == 0, result.stderr[-3000:]
        out = {}
        for block in re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout + result.stderr):
            rule = re.match(r"(?:local)?rule (\w+):", block)
            if rule and rule.group(1) in ("embed_segments", "evaluate_topics"):
                threads = re.search(r"^\s+threads: (\d+)", block, flags=re.M)
                out[rule.group(1)] = (
                    int(threads.group(1)) if threads else 1,
                    int(re.search(r"--workers (\d+)", block).group(1)),
                )
        return out

    # the tiny corpus has fewer than 400 interviews: one process for the comparison
    assert planned() == {"embed_segments": (1, 2), "evaluate_topics": (1, 1)}
    cluster = planned("--cores", "4", "--set-threads", "embed_segments=4", "evaluate_topics=3")
    assert cluster == {"embed_segments": (4, 4), "evaluate_topics": (3, 3)}
    # threads, and so the workers, are capped by --cores (the SLURM tier's node has 2 CPUs)
    capped = planned("--cores", "2", "--set-threads", "embed_segments=4", "evaluate_topics=4")
    assert capped == {"embed_segments": (2, 2), "evaluate_topics": (2, 2)}


def test_the_topic_comparison_waits_for_the_topic_model_only_below_400_interviews(project, tmp_path):
    """Below 400 interviews evaluate_topics reuses fit_topics' whole fit, so it runs after it; from 400 on it
    compares a sample, needs only the fit's cluster selection and runs beside it (common.smk, MAIN_FIT_FIRST)."""
    import shutil

    def comparison_inputs(corpus) -> str:
        result = snakemake(project, "-n", "-p", corpus=corpus)
        assert result.returncode == 0, result.stderr[-3000:]
        block = re.search(r"(?:local)?rule evaluate_topics:\n(.*?)\n\n", result.stdout + result.stderr, re.S)
        return re.search(r"^\s+input: (.*)$", block.group(1), flags=re.M).group(1)

    assert "models/topics" in comparison_inputs(TINY)
    large = tmp_path / "large"
    shutil.copytree(TINY, large, ignore=shutil.ignore_patterns("codes.csv"))
    rows = ["participant_id,role,wave,file"] + [
        f"P{k:03d},{'practitioner' if k % 2 else 'service_user'},1,transcripts/P01_w1.txt" for k in range(400)
    ]
    (large / "manifest.csv").write_text("\n".join(rows) + "\n")
    settings = (large / "corpus.yaml").read_text().replace("name: tiny", "name: large")
    (large / "corpus.yaml").write_text(settings)
    inputs = comparison_inputs(large)
    assert "embeddings.safetensors" in inputs and "models/topics" not in inputs
