"""Provenance of a run: what went in (file hashes, configuration, codebook), with what (versions, commit,
seeds), and how long each stage took (Snakemake benchmark files). Written last, to outputs/<corpus>/provenance.json."""

from __future__ import annotations

import csv
import hashlib
import json
import platform
import subprocess
import sys
from pathlib import Path

from pipeline.codebook import load_codebook
from pipeline.core.files import write_json
from pipeline.core.hashing import package_versions, sha256
from pipeline.corpus import load_corpus
from pipeline.embeddings import DEFAULT_RUNTIME, runtime_identity


def git_commit(root: Path) -> dict:
    def git(*args):
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "uncommitted_changes": bool(dirty) if commit else None}


def stage_timings(folder: Path) -> dict:
    """Per rule: jobs, total and longest wall time (s), largest peak memory (MB), from Snakemake benchmark files."""
    out: dict[str, dict] = {}
    for path in sorted(Path(folder).rglob("*.tsv")):
        rule = path.parent.name if path.parent != Path(folder) else path.stem
        with open(path, encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        for row in rows:
            seconds = float(row.get("s") or 0)
            rss = float(row.get("max_rss") or 0) if row.get("max_rss") not in ("", "NA", None) else 0.0
            stage = out.setdefault(rule, {"jobs": 0, "seconds_total": 0.0, "seconds_max": 0.0, "peak_memory_mb": 0.0})
            stage["jobs"] += 1
            stage["seconds_total"] = round(stage["seconds_total"] + seconds, 2)
            stage["seconds_max"] = round(max(stage["seconds_max"], seconds), 2)
            stage["peak_memory_mb"] = round(max(stage["peak_memory_mb"], rss), 1)
    return out


def build(corpus, config: dict, codebook, inputs: list[Path], benchmarks: Path, root: Path) -> dict:
    """Pure apart from reading the files it hashes: the provenance record of one run."""
    return {
        "corpus": {"name": corpus.name, "folder": str(corpus.root), "interviews": len(corpus.interviews)},
        "inputs_sha256": {str(p): sha256(p) for p in sorted(set(inputs)) if Path(p).is_file()},
        "config_sha256": hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest(),
        "config": config,
        "codebook": {
            "name": codebook.name,
            "version": codebook.version,
            "sha256": codebook.sha256,
            "path": codebook.path,
        },
        "seeds": {
            "coding": config["coding"]["seed"],
            "topics": config["topics"]["seed"],
            "sentiment": config["sentiment"]["seed"],
            "PYTHONHASHSEED": __import__("os").environ.get("PYTHONHASHSEED"),
        },
        "software": package_versions(),
        # what computed the sentence embeddings: the runtime, the weights' sha256, the versions that matter and,
        # for ONNX, the key of the exported graph in the cache folder
        "embeddings": runtime_identity(config.get("embeddings", {}).get("runtime", DEFAULT_RUNTIME)),
        "git": git_commit(root),
        "platform": {"system": platform.system(), "machine": platform.machine(), "executable": sys.executable},
        "stages": stage_timings(benchmarks),
    }


def record_provenance(corpus_path, config_json: str, benchmarks, out) -> dict:
    config = json.loads(config_json)
    corpus = load_corpus(corpus_path, config)
    codebook = load_codebook(corpus.codebook or config["codebook"])
    inputs = [corpus.manifest_path, *(corpus.root / it.file for it in corpus.interviews)]
    inputs += [p for p in (corpus.codes_path, corpus.root / "corpus.yaml", corpus.root / "review_queue.csv")]
    inputs += [Path(config["findings"]), Path(config["sentiment"]["lexicon"]), Path(codebook.path)]
    record = build(corpus, config, codebook, inputs, Path(benchmarks), Path.cwd())
    write_json(record, out)
    return record
