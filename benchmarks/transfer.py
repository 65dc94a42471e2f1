"""Benchmark carrying trained models to a new corpus (issue 19): coder and sentiment model trained on the demo,
applied to interviews they never saw, through the workflow itself.

    .venv/bin/python benchmarks/transfer.py [--demo data/demo] [--heldout tests/fixtures/heldout]

1. The workflow runs on the demo in a throw-away project (up to its model folder, ``models/coder/``: the coder's
   ``coder.json`` + ``weights.safetensors`` and the code-level sentiment model's ``sentiment.json`` +
   ``sentiment.safetensors``).
2. A copy of the held-out corpus is given ``coding: {model: <that folder>}`` in its corpus.yaml and runs up to
   its coding and sentiment validation. Nothing is learnt from its human coding: the carried coder codes every
   segment, the carried sentiment model labels every (segment, code) pair, and both are scored against the
   held-out corpus's own codes.csv (which they never saw): pooled Cohen's kappa over every segment x code
   decision, and sentiment macro-F1 over the human-labelled pairs, each with its 95% interval from resampling
   participants (what ``coding_validation.csv`` and ``sentiment_validation.csv`` hold).

Goals (issue 19): kappa >= 0.6 and macro-F1 >= 0.6. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def project(folder: Path) -> Path:
    """A throw-away project: the real Snakefile, rules, notebooks and config, with its own outputs/."""
    folder = folder / "project"
    folder.mkdir()
    for name in ("Snakefile", "pipeline", "notebooks"):
        (folder / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "config", folder / "config")
    return folder


def run(folder: Path, corpus: Path, targets: list[str]) -> float:
    started = time.perf_counter()
    cmd = [str(SNAKEMAKE), *targets, "--cores", "2", "--scheduler", "greedy", "--config", f"corpus={corpus}"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PATH": f"{SNAKEMAKE.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env=env, check=False)
    if result.returncode:
        sys.exit(f"the workflow failed on {corpus}:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--heldout", default=str(ROOT / "tests" / "fixtures" / "heldout"))
    args = parser.parse_args()
    demo, heldout = Path(args.demo).resolve(), Path(args.heldout).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        folder = project(Path(tmp))
        models = folder / "outputs" / "demo" / "models" / "coder"
        seconds = run(
            folder, demo, [f"{models.relative_to(folder)}/{name}" for name in ("coder.json", "sentiment.json")]
        )
        target = Path(tmp) / "transfer"
        shutil.copytree(heldout, target)
        settings = target / "corpus.yaml"
        kept = [ln for ln in settings.read_text().splitlines() if not ln.startswith(("name:", "coding:"))]
        settings.write_text("\n".join(["name: transfer", *kept, f"coding: {{model: {models}}}"]) + "\n")
        tables = folder / "outputs" / "transfer" / "tables"
        names = ("coding_validation.csv", "sentiment_validation.csv")
        seconds += run(folder, target, [f"{tables.relative_to(folder)}/{name}" for name in names])
        coding = pd.read_csv(tables / "coding_validation.csv").set_index("code_id")
        sentiment = pd.read_csv(tables / "sentiment_validation.csv")
        segments = pd.read_csv(folder / "outputs" / "transfer" / "tables" / "segments.csv")
        trained = pd.read_json(models / "sentiment.json", typ="series")
    pooled = coding.loc["pooled"]
    carried = sentiment[sentiment["lexicon"].str.startswith("carried model")].iloc[0]
    print(f"# Transfer: trained on {demo.name}, applied to {heldout.name} ({seconds:.0f} s)\n")
    print(
        f"{segments['participant_id'].nunique()} held-out participants, {len(segments)} segments; the sentiment "
        f"model learnt from {trained['trained_on']['pairs']} labelled pairs of {trained['trained_on']['participants']}"
        " demo participants.\n"
    )
    print("| measure | value | 95% interval | goal | met |")
    print("|---|---|---|---|---|")
    kappa, low, high = pooled["cohen_kappa"], pooled["kappa_ci_low"], pooled["kappa_ci_high"]
    print(
        f"| coding: pooled kappa ({coding['method'].iloc[0]}) | {kappa:.3f} | {low:.3f}-{high:.3f} | 0.6 |"
        f" {'yes' if kappa >= 0.6 else 'no'} |"
    )
    f1 = carried["macro_f1"]
    print(
        f"| sentiment: macro-F1 ({carried['lexicon']}, n={int(carried['n'])}) | {f1:.3f} |"
        f" {carried['macro_f1_ci_low']:.3f}-{carried['macro_f1_ci_high']:.3f} | 0.6 | {'yes' if f1 >= 0.6 else 'no'} |"
    )
    for _, row in sentiment[~sentiment["lexicon"].str.startswith("carried model")].iterrows():
        print(
            f"| sentiment: macro-F1 ({row['lexicon']}, for comparison) | {row['macro_f1']:.3f} |"
            f" {row['macro_f1_ci_low']:.3f}-{row['macro_f1_ci_high']:.3f} | | |"
        )


if __name__ == "__main__":
    main()
