"""Does the topic comparison's LDA need its 10 passes? (issue 23: "fit LDA with fewer passes where coherence does not
move (measure it)").

    .venv/bin/python benchmarks/lda_passes.py outputs/demo [outputs/<corpus> ...] [--passes 10 7 5 3]

For each run's outputs (segments, embeddings and topic_quality.csv of a finished run), LDA is fitted as
``evaluate_topics`` fits it: on the segments the comparison uses (above ``topics.quality.sample`` segments its
seeded sample), with the topic count of the run's table, once per seed, for each number of passes. Printed per
row: NPMI coherence (mean and spread over the seeds), diversity, stability (mean pairwise ARI) and seconds per fit
on one thread. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pipeline.topics import comparison, stage  # noqa: E402
from pipeline.topics.settings import TopicSettings  # noqa: E402
from pipeline.topics.vocabulary import vectorizer  # noqa: E402


def rows(outputs: Path, settings: TopicSettings, passes: list[int]):
    _, _, docs, vectors, _ = stage._inputs(
        outputs / "tables" / "segments.csv", outputs / "interim" / "embeddings.safetensors", settings
    )
    sample = comparison.quality_sample(len(docs), settings)
    if sample is not None:
        docs = [docs[i] for i in sample]
    k = int(pd.read_csv(outputs / "tables" / "topic_quality.csv").set_index("model").loc["lda", "n_topics"])
    cv = vectorizer(settings, min_df=2 if len(docs) >= 200 else 1)
    counts = cv.fit_transform(docs)
    vocab = cv.get_feature_names_out()
    seeds = [settings.seed + i for i in range(settings.quality_seeds)]
    for n in passes:
        comparison.LDA_PASSES = n
        started = time.perf_counter()
        fits = [comparison.fit_baseline("lda", docs, k, s, settings, counts, vocab) for s in seeds]
        took = (time.perf_counter() - started) / len(seeds)
        npmi = [np.nanmean(comparison.npmi_coherence(words, docs, settings)) for words, _ in fits]
        yield (
            f"| {outputs.name} | {len(docs):,} | {k} | {n} | {np.mean(npmi):.3f} | {np.std(npmi):.3f} "
            f"| {np.mean([comparison.diversity(w) for w, _ in fits]):.3f} "
            f"| {comparison.mean_pairwise_ari([a for _, a in fits]):.3f} | {took:.1f} |"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outputs", nargs="+", type=Path, help="outputs/<corpus> folders of finished runs")
    p.add_argument("--passes", nargs="+", type=int, default=[10, 7, 5, 3])
    p.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    opts = p.parse_args()
    settings = TopicSettings.from_config(yaml.safe_load(opts.config.read_text())["topics"])
    print(
        "| outputs | segments compared | topics | LDA passes | NPMI | NPMI sd | diversity | stability ARI | s per fit |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for outputs in opts.outputs:
        for row in rows(outputs, settings, opts.passes):
            print(row, flush=True)


if __name__ == "__main__":
    main()
