"""Benchmark sentiment against human judgement: plain VADER and the domain-adapted lexicon.

    .venv/bin/python benchmarks/sentiment.py

Human labels are the primary coder's `sentiment` in codes.csv (one per coded segment and code); the
machine label is the segment's (VADER per sentence, averaged; mixed where strong positive and negative
sentences meet; thresholds from config/config.yaml). Measured on the demo corpus (the lexicon was
written with knowledge of it) and on the held-out interviews (never used to tune it). Goal (issue 7):
macro-F1 >= 0.6 on both. Prints accuracy, macro-F1 and the confusion matrix.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import human_codes  # noqa: E402
from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.corpus import load_corpus  # noqa: E402
from pipeline.ingest import ingest_corpus  # noqa: E402
from pipeline.segment import segment_corpus  # noqa: E402
from pipeline.sentiment import LABELS, Thresholds, load_lexicon, score_segments, validation  # noqa: E402


def corpus_data(path: Path, config: dict, code_ids: set[str]):
    corpus = load_corpus(path, config)
    segments = segment_corpus(ingest_corpus(corpus), config["segmentation"]["max_words"])
    human = human_codes.map_codes(human_codes.read_codes(corpus.codes_path), segments, code_ids, corpus.codes_path)
    return segments, human


def main() -> int:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    s = config["sentiment"]
    thresholds = Thresholds(s["positive"], s["negative"], s["strong"])
    lexicon = load_lexicon(ROOT / s["lexicon"])
    code_ids = set(load_codebook(ROOT / "config" / "codebook.yaml").ids)
    primary = config["coding"]["primary_coder"]
    print(
        f"Thresholds: positive >= {thresholds.positive}, negative <= {thresholds.negative}, "
        f"mixed at +/-{thresholds.strong}\n"
    )
    for name, path in (
        ("demo corpus", ROOT / "data" / "demo"),
        ("held-out interviews", ROOT / "tests" / "fixtures" / "heldout"),
    ):
        segments, human = corpus_data(path, config, code_ids)
        table = validation(human[human["coder"] == primary], score_segments(segments, lexicon, thresholds))
        print(f"## {name} ({int(table['n'].iloc[0])} human labels)\n")
        print("| lexicon | accuracy | macro-F1 | goal 0.6 |")
        print("|---|---|---|---|")
        for r in table.itertuples(index=False):
            print(
                f"| {r.lexicon} | {r.accuracy:.3f} | {r.macro_f1:.3f} | "
                f"{'met' if r.macro_f1 >= 0.6 else '**not met**'} |"
            )
        adapted = table.iloc[1]
        matrix = pd.DataFrame(
            [[adapted[f"human_{a}_machine_{b}"] for b in LABELS] for a in LABELS],
            index=[f"human {a}" for a in LABELS],
            columns=[f"machine {b}" for b in LABELS],
        )
        print(f"\nConfusion matrix, domain-adapted:\n\n{matrix.to_markdown()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
