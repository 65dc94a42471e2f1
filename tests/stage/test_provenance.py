"""Provenance (pipeline/provenance.py) with git and the stage edge: the commit and uncommitted changes of a
throw-away repository, and the record of a run on the tiny corpus."""

from __future__ import annotations

import hashlib
import json
import subprocess

import yaml

from pipeline import embeddings, provenance
from tests.conftest import ROOT, TINY


def git(folder, *args):
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def test_git_commit_names_the_commit_and_whether_tracked_files_changed(tmp_path):
    assert provenance.git_commit(tmp_path) == {"commit": None, "uncommitted_changes": None}, "not a repository"
    (tmp_path / "tracked.txt").write_text("one\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "tracked.txt")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "first")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    assert provenance.git_commit(tmp_path) == {"commit": head, "uncommitted_changes": False}
    (tmp_path / "untracked.txt").write_text("new\n")
    assert provenance.git_commit(tmp_path)["uncommitted_changes"] is False, "untracked files do not count"
    (tmp_path / "tracked.txt").write_text("two\n")
    assert provenance.git_commit(tmp_path) == {"commit": head, "uncommitted_changes": True}


def test_the_record_of_a_run_hashes_every_input_and_names_seeds_versions_and_stage_times(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.chdir(tmp_path)  # the record's git section: of the folder the run started in, here not a repository
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config |= {"codebook": str(ROOT / "config" / "codebook.yaml"), "findings": str(ROOT / "config" / "findings.yaml")}
    config["sentiment"]["lexicon"] = str(ROOT / "config" / "sentiment_lexicon.yaml")
    benchmarks = tmp_path / "benchmarks"
    (benchmarks / "prepare_interviews").mkdir(parents=True)
    (benchmarks / "prepare_interviews" / "w1-001.tsv").write_text("s\tmax_rss\n4.5\t120\n")
    out = tmp_path / "provenance.json"
    record = provenance.record_provenance(TINY, json.dumps(config), benchmarks, out)
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    transcripts = sorted(str(p) for p in (TINY / "transcripts").iterdir())
    expected = [str(TINY / n) for n in ("codes.csv", "corpus.yaml", "manifest.csv")] + transcripts
    expected += [config["codebook"], config["findings"], config["sentiment"]["lexicon"]]
    assert sorted(record["inputs_sha256"]) == sorted(expected), "no review_queue.csv: the tiny corpus has none"
    assert record["inputs_sha256"][str(TINY / "manifest.csv")] == provenance.sha256(TINY / "manifest.csv")
    assert record["corpus"] == {"name": "tiny", "folder": str(TINY), "interviews": 5}
    assert record["config"] == config
    assert record["config_sha256"] == hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    assert record["codebook"]["version"] == yaml.safe_load((ROOT / "config" / "codebook.yaml").read_text())["version"]
    seeds = {"coding": config["coding"]["seed"], "topics": config["topics"]["seed"]}
    assert record["seeds"] == seeds | {"sentiment": config["sentiment"]["seed"], "PYTHONHASHSEED": "0"}
    assert record["git"] == {"commit": None, "uncommitted_changes": None}
    assert record["software"]["bertopic"] and record["software"]["python"] and record["software"]["onnxruntime"]
    made_by = record["embeddings"]  # which runtime computed the vectors, from what weights, and the graph's key
    assert made_by["runtime"] == config["embeddings"]["runtime"] == "onnx-int8"
    assert made_by["weights_sha256"] == embeddings.MODEL_SHA256["model.safetensors"]
    assert made_by["onnx_key"] == embeddings.onnx_key() and made_by["versions"]["onnxruntime"]
    assert made_by["int8_key"] == embeddings.int8_key() and made_by["int8_instructions"] in ("vnni", "no vnni")
    assert record["stages"] == {
        "prepare_interviews": {"jobs": 1, "seconds_total": 4.5, "seconds_max": 4.5, "peak_memory_mb": 120.0}
    }
