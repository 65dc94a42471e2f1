"""The ERROR lines of a failed run's jobs, for the summary Snakemake prints below its report (common.smk's onerror).

A job's ERROR line goes to its log under ``outputs/<corpus>/logs/`` and to the job's stderr. Run locally, stderr is
the console. Run on SLURM (snakemake-executor-plugin-slurm), stderr is the job's SLURM log,
``.snakemake/slurm_logs/<rule_name or group_name>/[<wildcards>/]<SLURM job id>.log``, which the plugin keeps when
the job fails. There the summary names the SLURM job and its log beside each ERROR line, and reports, as an ERROR
line of its own, a job that SLURM ended without one (time limit, cancelled, the environment missing on the node).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# what a SLURM log holds when the job failed without an ERROR line of the pipeline: SLURM ending the job (time
# limit, cancellation), the job's own Snakemake reporting a failed command, srun reporting a failed task
FAILED = re.compile(r"^slurmstepd(?:-\S+)?: error: \*\*\*|^Error in rule |^srun: error: ", re.MULTILINE)
# the line that says why, where there is one
REASONS = (
    # slurmstepd-<node>: error: *** JOB 12 ON <node> CANCELLED AT <time> DUE TO TIME LIMIT ***
    re.compile(r"\*\*\* (JOB .+?) \*\*\*"),
    re.compile(r"\*\*\* (.+?) \*\*\*"),
    re.compile(r"^.*(?:command not found|No module named|No such file or directory).*$", re.MULTILINE),
)


@dataclass(frozen=True)
class SlurmLog:
    """A SLURM job's log: its job id and path, and the ERROR lines it holds."""

    job_id: str
    path: Path
    text: str

    @property
    def errors(self) -> list[str]:
        return error_lines(self.text)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or bool(FAILED.search(self.text))

    def reason(self) -> str:
        for pattern in REASONS:
            if m := pattern.search(self.text):
                return (m[1] if pattern.groups else m[0]).strip()
        return ""


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("ERROR:")]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def slurm_logs(logdir: Path, since: float) -> list[SlurmLog]:
    """The SLURM logs written since ``since`` (a time stamp), only the last attempt of a retried job: the newest
    log (highest job id) of each folder (one folder per rule or group and wildcards)."""
    newest: dict[Path, Path] = {}
    for path in sorted(Path(logdir).rglob("*.log")) if Path(logdir).is_dir() else []:
        job_id = path.stem
        if not re.fullmatch(r"\d+(?:_\d+)?", job_id) or path.stat().st_mtime < since:
            continue
        known = newest.get(path.parent)
        if known is None or _job_number(job_id) > _job_number(known.stem):
            newest[path.parent] = path
    return [SlurmLog(path.stem, path, read(path)) for path in sorted(newest.values())]


def _job_number(job_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in job_id.split("_"))


def summary(rule_logs: Iterable[Path], slurm: list[SlurmLog], cwd: Path | None = None) -> list[str]:
    """One line per problem: the ERROR lines of the rules' logs (then any only in a SLURM log), each followed by
    the SLURM job and log it came from; then one ERROR line for each failed SLURM job that printed none."""
    shown = lambda path: _relative(path, cwd)  # noqa: E731
    where = {}  # ERROR line -> (job id, log) of the SLURM job that printed it
    for log in slurm:
        for line in log.errors:
            where[line] = (log.job_id, log.path)
    lines = [line for path in sorted(rule_logs) for line in error_lines(read(path))]
    lines += list(where)
    out = []
    for line in dict.fromkeys(lines):
        if line in where:
            job_id, path = where[line]
            line = f"{line} (SLURM job {job_id}, log {shown(path)})"
        out.append(line)
    for log in slurm:
        if log.failed and not log.errors:
            reason = log.reason()
            out.append(
                f"ERROR: {shown(log.path)}: SLURM job {log.job_id} failed without an ERROR line from the pipeline"
                + (f" ({reason})" if reason else "")
                + ". Read its log; if SLURM ended it for time or memory, raise the rule's runtime or mem_mb in the"
                " profile (config/profiles/slurm/config.yaml)."
            )
    return out


def _relative(path: Path, cwd: Path | None) -> str:
    cwd = Path.cwd() if cwd is None else cwd
    try:
        return str(Path(path).resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)
