"""The SLURM tier: a real single-node SLURM on this machine (slurm-local.sh, slurm.conf), started once for the test
session and stopped by PID when it ends, also after a failure.

It runs only when asked for: `make test-slurm` (as root) installs SLURM from Debian's packages and runs this folder
with QUALEVAL_SLURM=1. Without that, `make test` reports these tests as skipped. Asked for, the tier fails if SLURM
does not start: it never passes without having run."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "slurm-local.sh"
# test-only settings layered on config/profiles/slurm (a second --profile): status by squeue, fast polling
TEST_PROFILE = HERE / "profile"
CONF = Path("/etc/slurm/slurm.conf")  # written by slurm-local.sh start (marked), removed by stop
MARK = "Written by qualeval tests/slurm/slurm-local.sh"


@dataclass(frozen=True)
class Node:
    """The test cluster's one node."""

    cpus: int
    memory_mb: int


def run_script(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def slurm() -> Node:
    if os.environ.get("QUALEVAL_SLURM") != "1":
        pytest.skip("the SLURM tier runs with `make test-slurm` (as root: it installs and starts a local SLURM)")
    try:
        started = run_script("start")
        assert started.returncode == 0, f"SLURM did not start (tests/slurm/slurm-local.sh start):\n{started.stderr}"
        fields = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%c %m %T"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert fields[2] == "idle", fields
        yield Node(cpus=int(fields[0]), memory_mb=int(fields[1]))
    finally:
        stopped = run_script("stop")  # cancels what is left in the queue first, then the daemons by PID
        assert stopped.returncode == 0, stopped.stderr
        # the machine is left as found: a slurm.conf with no controller would delay every later Snakemake start
        # (a machine's own slurm.conf, which start refuses to touch, stays)
        assert not (CONF.exists() and MARK in CONF.read_text()), f"{CONF} left behind by slurm-local.sh stop"
