# The README's two commands: `make run` and `make test`. Both create the environment when needed.
# `make check` is the edit loop: the unit and stage tests only (tests/unit, tests/stage), no workflow runs.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
CORPUS ?=
SNAKEMAKE_ARGS ?=
CONFIG := $(if $(CORPUS),--config corpus=$(CORPUS),)

# No downloads at run time: models come from pinned packages.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
export PYTHONHASHSEED := 0
# Python keeps the compiled bytecode of the pipeline's modules (__pycache__/, git-ignored), even where the shell
# says not to (PYTHONDONTWRITEBYTECODE): otherwise every job compiles the package again (0.2-0.3 s each).
export PYTHONDONTWRITEBYTECODE :=
# Rules run `python -m pipeline`: the project's environment comes first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: help run test check lint report lock clean-outputs env slurm-install test-slurm

help:
	@echo "make run    set up .venv if needed, then run the workflow on the demo corpus (CORPUS=path for another)"
	@echo "make test   set up .venv if needed, then lint and run the test suite"
	@echo "make check  the unit and stage tests only (no Snakemake runs): the quick loop while editing"
	@echo "make lint   ruff, snakefmt and snakemake --lint only"
	@echo "make report outputs/<corpus>/report.html from the last run (make run builds it too)"
	@echo "make test-slurm  the SLURM tier (as root): install SLURM (make slurm-install), start it, run tests/slurm, stop it"

env: $(STAMP)

# torch 2.13.0 (CPU build) first: anything that needs torch is then satisfied without a CUDA download.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	@echo "Installing the pinned environment into $(VENV) (first time: about 2 minutes)..."
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip==26.3 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(PY) -m pip install $(PIP_QUIET) torch==2.13.0 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(PY) -m pip install $(PIP_QUIET) -r requirements.lock 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(PY) -m pip install $(PIP_QUIET) --no-deps -e . 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@touch $(STAMP)

# --scheduler greedy: the default ILP scheduler spends minutes choosing among thousands of ready per-interview jobs
# --keep-going: every batch is prepared even when one fails, so one run reports every problem of every transcript
run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --scheduler greedy --keep-going $(CONFIG) $(SNAKEMAKE_ARGS)
	@$(MAKE) --no-print-directory report

# outputs/<name>/report.html: every figure and main table with its caption, one self-contained file (no network).
# <name> is the corpus's name: `name:` in its corpus.yaml, or its folder's name.
report: $(STAMP)
	@name=$$($(PY) -m pipeline corpus-name $(CORPUS)) && \
	$(BIN)/snakemake --cores 1 $(CONFIG) --report outputs/$$name/report.html

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/snakefmt --check Snakefile pipeline/rules
	$(BIN)/snakemake --lint --cores 1 --config corpus=tests/fixtures/tiny > /dev/null

# --durations: the 20 slowest tests, in CI's output too (.ci/run calls make test)
test: lint
	$(BIN)/pytest --durations=20

check: $(STAMP)
	$(BIN)/pytest --durations=20 tests/unit tests/stage

# The SLURM tier (tests/slurm): the workflow on a real single-node SLURM on this machine, through
# config/profiles/slurm. As root: slurm-install puts Debian's slurmctld, slurmd, slurm-client and munge on the
# machine (apt-get; nothing to do when they are there); the tier starts the daemons and stops them by PID at the
# end, and the `stop` below does it again if pytest itself was killed.
slurm-install:
	bash tests/slurm/slurm-local.sh install

test-slurm: $(STAMP) slurm-install
	status=0; QUALEVAL_SLURM=1 $(BIN)/pytest --durations=10 tests/slurm || status=$$?; \
	bash tests/slurm/slurm-local.sh stop; exit $$status

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^torch==' > requirements.lock.new
	@echo "review requirements.lock.new, then move it over requirements.lock"

clean-outputs:
	rm -rf outputs/
