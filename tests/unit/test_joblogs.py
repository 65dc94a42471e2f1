"""The summary of a failed run's ERROR lines (pipeline/core/joblogs.py), locally and with SLURM's job logs.

The log texts are cut from real logs of the SLURM tier (tests/slurm): a job whose command printed an ERROR line,
and a job cancelled by SLURM."""

from __future__ import annotations

import os

from pipeline.core import joblogs

QUOTE = "ERROR: tiny/codes.csv:21: the quote was not found in a participant turn of S01's wave-1 transcript."
FAILED_COMMAND = f"""Building DAG of jobs...
localrule import_human_codes:
    log: outputs/tiny/logs/import_human_codes.log
{QUOTE}
RuleException:
Error in rule import_human_codes:
    message: None
srun: error: localhost: task 0: Exited with exit code 1
"""
CANCELLED = """localrule embed_segments:
srun: Job step aborted: Waiting up to 7 seconds for job step to finish.
slurmstepd-localhost: error: *** STEP 45.0 ON localhost CANCELLED AT 2026-12-07T03:49:51 ***
slurmstepd-localhost: error: *** JOB 45 ON localhost CANCELLED AT 2026-12-07T03:49:51 ***
Error in rule embed_segments:
srun: error: localhost: task 0: Terminated
"""
SUCCEEDED = "localrule describe_corpus:\nFinished jobid: 0 (Rule: describe_corpus)\n"


def write(path, text, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_a_local_run_repeats_the_error_lines_of_the_rule_logs_once(tmp_path):
    logs = [write(tmp_path / "a.log", f"counts\n{QUOTE}\n"), write(tmp_path / "b.log", f"{QUOTE}\nERROR: b.\n")]
    assert joblogs.summary(logs, joblogs.slurm_logs(tmp_path / "no-slurm-here", since=0)) == [QUOTE, "ERROR: b."]


def test_on_slurm_each_error_line_names_the_last_attempts_job_and_log(tmp_path):
    rule_log = write(tmp_path / "outputs" / "logs" / "import_human_codes.log", f"{QUOTE}\n")
    slurm = tmp_path / ".snakemake" / "slurm_logs"
    write(slurm / "rule_import_human_codes" / "9.log", FAILED_COMMAND)  # the first attempt; retried as 11
    write(slurm / "rule_import_human_codes" / "11.log", FAILED_COMMAND)
    write(slurm / "rule_execute_notebook" / "01-corpus-overview" / "10.log", SUCCEEDED)  # --slurm-keep-successful-logs
    lines = joblogs.summary([rule_log], joblogs.slurm_logs(slurm, since=0), cwd=tmp_path)
    assert lines == [f"{QUOTE} (SLURM job 11, log .snakemake/slurm_logs/rule_import_human_codes/11.log)"]


def test_a_job_slurm_ended_without_an_error_line_gets_one_of_its_own(tmp_path):
    slurm = tmp_path / "slurm_logs"
    write(slurm / "rule_embed_segments" / "45.log", CANCELLED)
    write(slurm / "rule_fit_topics" / "3.log", "Error in rule fit_topics:\n", mtime=1_000)  # an earlier run's
    [line] = joblogs.summary([], joblogs.slurm_logs(slurm, since=2_000), cwd=tmp_path)
    assert line.startswith(
        "ERROR: slurm_logs/rule_embed_segments/45.log: SLURM job 45 failed without an ERROR line from the pipeline"
        " (JOB 45 ON localhost CANCELLED AT 2026-12-07T03:49:51). "
    )
    assert "raise the rule's runtime or mem_mb" in line


def test_an_environment_missing_on_the_node_is_named(tmp_path):
    slurm = tmp_path / "slurm_logs"
    write(slurm / "group_prepare_prepare_interviews" / "7.log", "bash: line 1: python: command not found\n" + CANCELLED)
    [log] = joblogs.slurm_logs(slurm, since=0)
    assert log.reason() == "JOB 45 ON localhost CANCELLED AT 2026-12-07T03:49:51"
    write(log.path, "bash: line 1: python: command not found\nError in rule prepare_interviews:\n")
    [log] = joblogs.slurm_logs(slurm, since=0)
    assert log.failed and log.reason() == "bash: line 1: python: command not found"
