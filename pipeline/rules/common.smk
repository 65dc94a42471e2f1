"""Shared set-up: validate the configuration, load the corpus contract, the codebook and the claims that apply to
the corpus, list the interviews.

Problems found here stop the run before any job starts, with one ERROR line.
"""

import functools
import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

from snakemake.utils import validate as snakemake_validate

from pipeline.core import joblogs
from pipeline.core.errors import PipelineError
from pipeline.core.hashing import code_hash
from pipeline.corpus import load_corpus, unlisted_files
from pipeline.findings import NO_CLAIMS, check_study_inputs
from pipeline.gate.prepare import batches
from pipeline.notebooks import NOTEBOOKS, READS
from pipeline.schemas import schema_path, validate

# What `make run` exports, for a run started by hand (`snakemake ...`): the jobs inherit it. PYTHONHASHSEED fixes
# the order of sets of strings, so tables are the same from one run to the next; nothing is downloaded.
for _key, _value in {
    "PYTHONHASHSEED": "0",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "NUMBA_CACHE_DIR": str(Path(workflow.basedir) / ".cache" / "numba"),
    "MPLCONFIGDIR": str(Path(workflow.basedir) / ".cache" / "matplotlib"),
    # the gazetteers and the embedding model's ONNX graph, derived once per machine (pipeline/core/files.py)
    "QUALEVAL_CACHE_DIR": str(Path(workflow.basedir) / ".cache" / "qualeval"),
}.items():
    os.environ.setdefault(_key, _value)


def stop(exc):
    """Print each known problem as one ERROR line and stop before any job runs."""
    for problem in getattr(exc, "errors", [exc]):
        sys.stderr.write(f"ERROR: {problem.message()}\n")
    sys.exit(2)


try:
    validate(config, "config", "config/config.yaml (or --config/--configfile)")
    snakemake_validate(config, str(schema_path("config")))  # fills in defaults
    CORPUS = load_corpus(config["corpus"], config)
    CODEBOOK = str(CORPUS.codebook or config["codebook"])
    # the codebook, the claims and codes.csv are checked here, not in the first job that reads them
    # (findings.claims_file: the command line's findings, else the corpus.yaml's, else config/findings.yaml for a
    # corpus coded with the config's codebook, else none); config["findings"] becomes the file that applies, so
    # the provenance record and the report's caption name it
    _codebook, config["findings"], _claims, _rows = check_study_inputs(
        CORPUS, config, workflow.config_settings.overwrite_config.get("findings")
    )
except PipelineError as exc:
    stop(exc)

for _name in unlisted_files(CORPUS):
    sys.stderr.write(
        f"WARNING: {CORPUS.root / _name} is not in manifest.csv and will not be analysed. "
        "Add a row for it, or move it out of the corpus folder.\n"
    )

OUT = f"outputs/{CORPUS.name}"
# Raw (unscreened) turns and the identifier audits never go to outputs/: they stay here, git-ignored.
PRIVATE = f"private/{CORPUS.name}"
INTERVIEWS = {it.interview_id: it for it in CORPUS.interviews}
IDS = list(INTERVIEWS)
# Interviews are prepared (ingested, screened, segmented) in batches of one wave's interviews: w1-001, w1-002, ...
BATCHES = batches(CORPUS.interviews, config["preparation"]["batch_size"])
# Rules call `python -m pipeline`: run Snakemake from the project's environment (make run does;
# by hand: source .venv/bin/activate). This file documents that environment for `--sdm conda`.
CONDA_ENV = "../envs/pipeline.yaml"
HAS_CODES = CORPUS.codes_path.exists()
CODING = {**config["coding"], **(CORPUS.settings.get("coding") or {})}
TOPICS = {**config["topics"], **(CORPUS.settings.get("topics") or {})}
# models.freeze: the waves the coder and topic model learn from ("" = every wave)
FIT_WAVES = json.dumps(config["models"]["fit_waves"]) if config["models"]["freeze"] else ""
# Topic fits and the quality table, keyed by what they see (pipeline/topic_cache.py): evaluate_topics reuses
# fit_topics' fit, and under models.freeze a new wave does not refit them
TOPIC_CACHE = f"{OUT}/cache/topics"
REVIEW = CORPUS.root / "review_queue.csv"
# evaluate_topics runs its 14 fits besides the main one in 2 processes from 400 interviews on; below that,
# starting the processes (each imports and compiles the topic libraries) costs more than it saves. Measured on
# 2 cores, one process (the earlier code) against two: demo 17 s and 42 s; 100 Anthropic interviews 28 s and
# 53 s; 400: 135 s and 107 s; 1,250: 243 s and 165 s (benchmarks/RESULTS.md, "Scale")
QUALITY_WORKERS = 2 if len(IDS) >= 400 else 1
# evaluate_topics waits for fit_topics below 400 interviews, where it compares every segment and reuses the whole
# main fit. From 400 on (about 4,000 segments: quality.sample) it compares a sample, needs only the main fit's
# cluster selection, and runs beside fit_topics: it reduces its sample first, then reads the selection from the
# topic cache, waiting for it while fit_topics marks the fit as under way (it fits it itself only where no fit is
# under way). The table is the same either way; at 1,250 interviews the comparison (about a minute) does not wait
# for the topic model's 25 s before it starts (benchmarks/RESULTS.md, issue 23, sessions 17 and 19).
MAIN_FIT_FIRST = {"main_fit": f"{OUT}/models/topics"} if len(IDS) < 400 else {}
# the guided topic model (topics.guided): its tables, the crosswalk relate_topics_to_codes makes of them, and the
# command-line arguments that pass them
GUIDED_TABLES = (
    {
        "guided_segment_topics": f"{OUT}/tables/guided_segment_topics.csv",
        "guided_topics": f"{OUT}/tables/guided_topics.csv",
    }
    if TOPICS["guided"]
    else {}
)
GUIDED_CROSSWALK = {"guided_crosswalk": f"{OUT}/tables/guided_topic_code_crosswalk.csv"} if TOPICS["guided"] else {}
GUIDED_ARGUMENTS = "".join(
    f" --{name.replace('_', '-')} {shlex.quote(path)}" for name, path in {**GUIDED_TABLES, **GUIDED_CROSSWALK}.items()
)


def workers(rule, most):
    """A params function: how many worker processes embed_segments, evaluate_topics or scan_outputs starts.

    They are scheduled as one core (threads: 1) and start their workers themselves. Asked for two cores as
    threads, they waited whenever another job held one: Snakemake fills a free core with any ready job rather
    than keep it for a job that needs two (adding a frozen wave at 1,250 interviews, the embeddings started 14 s
    late and the comparison 11 s late; benchmarks/RESULTS.md, issue 23). Their workers now share the cores with
    whatever else runs; a vector, the quality table or a file's count of identifiers does not depend on how many
    there are. On a cluster the profile's set-threads gives the job its CPUs (also in the job's own Snakemake on
    the node), and the workers follow them; otherwise up to ``most``; either capped by --cores, as threads are.
    Evaluated when the job's command is written."""

    def count(wildcards):
        given = workflow.resource_settings.overwrite_threads.get(rule)
        return min(int(getattr(given, "raw", given)) if given else most, workflow.cores)

    return count


# tabulate_findings' findings input: the claims file, or nothing (findings: none; --findings then gets no value)
FINDINGS = [] if config["findings"] == NO_CLAIMS else config["findings"]
STARTED = time.time()


@functools.cache
def code_of(*modules, resources=()):
    """The hash of the code behind a step (its stage module, what that imports, and the command line it is called
    through; pipeline.core.hashing.code_hash). Each step passes it as a param, so editing one stage reruns only its
    jobs."""
    return code_hash(Path(workflow.basedir), *modules, resources=("cli.py", *resources))


wildcard_constraints:
    batch="|".join(map(re.escape, BATCHES)),
    notebook="|".join(map(re.escape, NOTEBOOKS)),


def batch_transcripts(wildcards):
    return [str(CORPUS.root / INTERVIEWS[i].file) for i in BATCHES[wildcards.batch]]


def batch_settings(wildcards):
    """The batch's manifest rows and every setting preparation uses, as one JSON param (a change reruns it)."""
    rows = [
        {"interview_id": it.interview_id, "participant_id": it.participant_id, "role": it.role, "wave": it.wave}
        for it in (INTERVIEWS[i] for i in BATCHES[wildcards.batch])
    ]
    settings = {
        "interviews": rows,
        "interviewer_labels": CORPUS.interviewer_labels,
        "participant_labels": CORPUS.participant_labels,
        "label_mode": CORPUS.label_mode,
        "mode": CORPUS.anonymisation_mode,
        "allow": CORPUS.allow,
        "gate": CORPUS.gate,
        "other_labels": CORPUS.other_labels,
        "layout": CORPUS.layout,
        "max_words": config["segmentation"]["max_words"],
    }
    return json.dumps(settings, sort_keys=True)


def per_batch(pattern):
    return expand(pattern, batch=BATCHES)


def analysis_outputs():
    """Everything the workflow produces for a corpus, except the final identifier scan."""
    targets = [
        f"{OUT}/tables/participants.csv",
        f"{OUT}/tables/interviews.csv",
        f"{OUT}/tables/segments.csv",
        f"{OUT}/tables/anonymisation_summary.csv",
    ]
    if HAS_CODES:
        targets.append(f"{OUT}/interim/human_codes.parquet")
    targets += [
        f"{OUT}/tables/segment_codes.csv",
        f"{OUT}/tables/review_queue.csv",
        f"{OUT}/tables/coding_validation.csv",
        f"{OUT}/tables/reliability.csv",
        f"{OUT}/tables/code_prevalence_by_role.csv",
        f"{OUT}/tables/findings_check.csv",
        f"{OUT}/tables/sentiment_validation.csv",
        f"{OUT}/tables/code_sentiment.csv",
        # report.smk (one output per job): findings.md holds quotes, so the final scan must come after it
        f"{OUT}/tables/reliability_summary.csv",
        f"{OUT}/figures/prevalence_by_role.png",
        f"{OUT}/findings.md",
        f"{OUT}/tables/topics.csv",
        f"{OUT}/tables/topic_quality.csv",
        # exchange.smk: the project holds the screened transcripts and quotes, so the final scan reads it too
        f"{OUT}/exchange/{CORPUS.name}.qdpx",
        f"{OUT}/exchange/codebook.qdc",
    ]
    if TOPICS["guided"]:
        targets.append(f"{OUT}/tables/guided_topics.csv")
    # the reviewer notebooks, executed on this corpus's outputs (they hold quotes: the final scan reads them)
    targets += expand(f"{OUT}/notebooks/{{notebook}}.{{ext}}", notebook=NOTEBOOKS, ext=["ipynb", "html"])
    return targets


def coding_inputs(wildcards):
    """Human codes and a filled-in review queue take part only where the corpus has them."""
    inputs = {}
    if HAS_CODES:
        inputs["human"] = f"{OUT}/interim/human_codes.parquet"
    if REVIEW.exists():
        inputs["review"] = str(REVIEW)
    if CODING["model"]:
        inputs["pretrained"] = str(Path(CODING["model"]) / "weights.safetensors")
    return inputs


def sentiment_inputs(wildcards):
    """Human codes where the corpus has them; a carried sentiment model where coding.model names a folder that
    holds one (a folder without it is reported by the stage itself, naming the missing file)."""
    inputs = {"human": f"{OUT}/interim/human_codes.parquet"} if HAS_CODES else {}
    carried = Path(CODING["model"]) / "sentiment.safetensors" if CODING["model"] else None
    if carried and carried.exists():
        inputs["pretrained"] = str(carried)
    return inputs


def notebook_inputs(wildcards):
    """The outputs a notebook reads (pipeline.notebooks.READS): the required ones, and the optional ones that a
    rule of this workflow makes (a stage not in the workflow leaves a "not produced" note in the notebook)."""
    reads = READS[wildcards.notebook]
    # the guided model's files only where topics.guided asks for the model (its rule is there either way)
    optional = [p for p in reads["optional"] if TOPICS["guided"] or not p.startswith("tables/guided_")]
    made = [p for p in optional if any(r.is_producer(f"{OUT}/{p}") for r in workflow.rules)]
    return [f"{OUT}/{p}" for p in reads["required"] + made]


def topic_inputs(wildcards):
    """The light profile needs no sentence embeddings (and no torch)."""
    if TOPICS["profile"] == "bertopic":
        return {"embeddings": f"{OUT}/interim/embeddings.safetensors"}
    return {}


def all_outputs():
    return analysis_outputs() + [f"{OUT}/tables/identifier_scan.csv"]


def slurm_logdir():
    """Where snakemake-executor-plugin-slurm writes its job logs (--slurm-logdir, else .snakemake/slurm_logs)."""
    return Path(getattr(workflow.executor_settings, "logdir", None) or ".snakemake/slurm_logs")


def error_summary():
    """After a failed run, repeat the ERROR lines of this run's logs below Snakemake's report; on SLURM each with
    the SLURM job and log it came from, and a line for a job SLURM ended without one (pipeline/core/joblogs.py)."""
    rule_logs = [p for p in Path(OUT, "logs").rglob("*.log") if p.stat().st_mtime >= STARTED]
    lines = joblogs.summary(rule_logs, joblogs.slurm_logs(slurm_logdir(), since=STARTED))
    if lines:
        sys.stderr.write("\nThe run stopped because of:\n" + "\n".join(lines) + "\n")


onerror:
    error_summary()
