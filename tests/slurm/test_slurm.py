"""The workflow on a real SLURM (tests/slurm/conftest.py starts one on this machine), through the profile users get.

`snakemake --profile config/profiles/slurm --profile tests/slurm/profile --config corpus=tiny`: the shipped
profile gives every rule's memory, run time, threads and the grouping of batches; the test profile adds only what
this SLURM without an accounting database needs (status by squeue) and fast status polling. `--cores` is the
node's CPUs (2 here), which caps the profile's 4 threads, and so CPUs, of embed_segments and evaluate_topics.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from tests.conftest import error_lines, snakemake
from tests.slurm.conftest import TEST_PROFILE
from tests.unit.test_profiles import PROFILE
from tests.workflow.conftest import CORPUS, tiny_project

pytestmark = [pytest.mark.slow, pytest.mark.slurm]
# What a clean run writes besides the results: its logs and benchmark files (timings), and provenance.json (the
# time the run started, per-stage timings)
NOT_RESULTS = ("logs", "benchmarks", "provenance.json")
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: (.+)\)\.$", re.MULTILINE)


def on_slurm(project, node, *args, corpus=CORPUS):
    """Snakemake on the test SLURM, as a user runs it, with --cores the node's CPUs; SIGINT after 15 minutes (the
    plugin then cancels its jobs; SIGTERM would leave Snakemake waiting for them)."""
    cores = min(node.cpus, profile()["cores"])
    args = ("--profile", "config/profiles/slurm", "--profile", str(TEST_PROFILE), "--cores", str(cores), *args)
    return snakemake(project, *args, corpus=corpus, timeout=1000, prefix=("timeout", "-s", "INT", "-k", "30", "900"))


def profile() -> dict:
    return yaml.safe_load((PROFILE / "config.yaml").read_text())


def slurm_jobs(result) -> dict[str, dict]:
    """SLURM job id -> what SLURM holds about it (squeue keeps finished jobs for MinJobAge, an hour here), for the
    jobs this run submitted."""
    ids = SUBMITTED.findall(result.stderr)
    assert ids, result.stderr[-3000:]
    out = subprocess.run(
        ["squeue", "--states=all", "-h", "-j", ",".join(i for i, _ in ids), "-o", "%i|%k|%C|%m|%l|%T"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    jobs = {}
    for line in out.splitlines():
        job_id, comment, cpus, memory, limit, state = line.split("|")
        jobs[job_id] = {
            "job": re.sub(r"_wildcards_.*$", "", comment.removeprefix("rule_")),
            "cpus": int(cpus),
            "mem_mb": megabytes(memory),
            "runtime": minutes(limit),
            "state": state,
        }
    assert set(jobs) == {i for i, _ in ids}
    return jobs


def megabytes(memory: str) -> int:
    """squeue's memory (2000M, or 4G for 4096 MB) in MB."""
    return int(float(memory[:-1]) * {"M": 1, "G": 1024, "T": 1024**2}[memory[-1]])


def minutes(limit: str) -> int:
    """squeue's time limit ([days-]hours:minutes:seconds, or minutes:seconds) in minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, mins, secs = parts
    return int(days or 0) * 1440 + hours * 60 + mins + (secs > 0)


def asked_for(rule: str, cores: int) -> dict:
    """What the profile asks SLURM for, for one job of a rule: its memory and run time, CPUs = threads capped by
    --cores."""
    p = profile()
    resources = {**p["default-resources"], **p["set-resources"].get(rule, {})}
    return {
        "mem_mb": resources["mem_mb"],
        "runtime": resources["runtime"],
        "cpus": min(p["set-threads"].get(rule, 1), cores),
    }


def job_counts(result) -> dict[str, int]:
    """The run's job counts per rule (the table Snakemake prints at the start)."""
    table = result.stderr.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)}


def outputs(project) -> dict:
    out = project / "outputs" / "tiny"
    files = (p for p in out.rglob("*") if p.is_file() and p.relative_to(out).parts[0] not in NOT_RESULTS)
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The tiny corpus run locally (as tests/workflow's shared run): the reference for the SLURM run."""
    project = tiny_project(tmp_path_factory.mktemp("local"))
    result = snakemake(project, corpus=CORPUS)
    assert result.returncode == 0, result.stderr[-3000:]
    return project


def test_the_workflow_runs_on_slurm_as_the_profile_says_and_gives_what_a_local_run_gives(slurm, local_run, tmp_path):
    largest = max(r.get("mem_mb", 0) for r in [profile()["default-resources"], *profile()["set-resources"].values()])
    assert largest <= slurm.memory_mb, f"the node has {slurm.memory_mb} MB; a job would wait for {largest} for ever"
    project = tiny_project(tmp_path / "cluster")
    result = on_slurm(project, slurm)
    assert result.returncode == 0, result.stderr[-5000:]
    cores = min(slurm.cpus, profile()["cores"])

    # every job went through sbatch: Snakemake ran nothing itself but the target rule `all`
    assert re.findall(r"^localrule (\w+):", result.stderr, re.MULTILINE) == ["all"]
    counts = job_counts(result)
    jobs = slurm_jobs(result)
    assert all(job["state"] == "COMPLETED" for job in jobs.values()), jobs
    by_rule = {}
    for job in jobs.values():
        by_rule.setdefault(job["job"], []).append(job)
    # the two batches of the tiny corpus (one per wave) are one group job (the profile's group-components: 4)
    assert counts["prepare_interviews"] == 2 and "prepare_interviews" not in by_rule
    [group] = by_rule.pop("prepare_prepare_interviews")
    batch = asked_for("prepare_interviews", cores)
    # side by side in one job: the sum of their memory and CPUs, the run time of one
    assert (group["mem_mb"], group["cpus"], group["runtime"]) == (
        2 * batch["mem_mb"],
        2 * batch["cpus"],
        batch["runtime"],
    )
    # every other job on its own, with the profile's memory, run time and CPUs for its rule
    assert {rule: len(js) for rule, js in by_rule.items()} == {
        r: n for r, n in counts.items() if r not in ("all", "prepare_interviews")
    }
    for rule, rule_jobs in by_rule.items():
        for job in rule_jobs:
            assert {k: job[k] for k in ("mem_mb", "runtime", "cpus")} == asked_for(rule, cores), rule
    assert by_rule["embed_segments"][0]["cpus"] == by_rule["evaluate_topics"][0]["cpus"] == min(4, cores)

    # the same results, byte for byte, as the local run (tables, figures, models, interim files, findings.md,
    # notebooks, the REFI-QDA export, the topic cache)
    local, cluster = outputs(local_run), outputs(project)
    assert {"findings.md", "tables/participants.csv", "models/coder/weights.safetensors"} <= set(cluster)
    assert local.keys() == cluster.keys()
    assert [name for name in local if local[name] != cluster[name]] == []


def test_a_failed_job_on_slurm_names_its_job_and_log_and_a_rerun_after_the_fix_resumes(slurm, tmp_path):
    project = tiny_project(tmp_path / "failing")
    codes = project / CORPUS / "codes.csv"
    good = codes.read_text()
    codes.write_text(good + "S01,1,skills_insight,positive,I never said this at all,coder1\n")
    # the run stops at the job that reads codes.csv: the preparation of the interviews before it succeeds
    first = on_slurm(project, slurm, "--until", "import_human_codes")
    assert first.returncode != 0
    [line] = error_lines(first.stderr)  # the project's one line, once (the profile's retry failed the same way)
    m = re.fullmatch(
        rf"ERROR: {CORPUS}/codes\.csv:21: the quote was not found .*\. "
        r"\(SLURM job (\d+), log (\.snakemake/slurm_logs/rule_import_human_codes/(\d+)\.log)\)",
        line,
    )
    assert m and m[1] == m[3], line
    submitted = dict(SUBMITTED.findall(first.stderr))
    attempts = [i for i, log in submitted.items() if "/rule_import_human_codes/" in log]
    assert len(attempts) == 1 + profile()["retries"] and m[1] == attempts[-1]
    jobs = slurm_jobs(first)
    assert jobs[m[1]]["state"] == "FAILED"
    assert line.split(" (SLURM job")[0] in (project / m[2]).read_text(), "the line is in the job's SLURM log"
    prepared = sorted((project / "outputs" / "tiny" / "interim" / "segments").glob("*.parquet"))
    assert [p.name for p in prepared] == ["w1-001.parquet", "w2-001.parquet"]
    assert [j["job"] for j in jobs.values()].count("prepare_prepare_interviews") == 1
    finished = {p: p.stat().st_mtime_ns for p in prepared}

    # fixed and run again: only the failed job runs; the batches prepared by the first run are reused
    codes.write_text(good)
    second = on_slurm(project, slurm, "--until", "import_human_codes")
    assert second.returncode == 0, second.stderr[-5000:]
    assert job_counts(second) == {"import_human_codes": 1}
    assert [j["job"] for j in slurm_jobs(second).values()] == ["import_human_codes"]
    assert {p: p.stat().st_mtime_ns for p in prepared} == finished
    assert (project / "outputs" / "tiny" / "interim" / "human_codes.parquet").exists()
