"""Benchmark the embedding runtimes (issue 23): the same pinned all-MiniLM-L6-v2 weights in PyTorch, in ONNX Runtime
and in ONNX Runtime quantised to int8, one text at a time on one thread, as the workflow embeds.

    .venv/bin/python benchmarks/embedding_runtime.py [--segments N]

Texts: the demo corpus's segments and questions (data/demo, as the workflow segments them) and the participant
turns of the first interviews of the public Anthropic Interviewer transcripts (../shared/corpora/
anthropic-interviewer, up to ``--segments`` texts, cut at 150 words as the workflow's segments are). Printed:
milliseconds per text for each runtime (the same texts, the same process, one thread); for onnx against PyTorch the
largest difference in one coordinate of a unit vector and the smallest cosine between their vectors of a text; for
onnx-int8 against onnx the mean and smallest cosine. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QUALEVAL_CACHE_DIR", str(ROOT / ".cache" / "qualeval"))

from pipeline import embeddings  # noqa: E402
from pipeline.corpus import load_corpus  # noqa: E402
from pipeline.ingest import ingest_corpus  # noqa: E402
from pipeline.segment import segment_corpus  # noqa: E402

SOURCE = ROOT.parent / "shared" / "corpora" / "anthropic-interviewer"


def demo_texts() -> list[str]:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    corpus = load_corpus(ROOT / "data" / "demo", config)
    segments = segment_corpus(ingest_corpus(corpus), 150)
    return list(segments["text"]) + [q for q in segments["question"] if q]


def public_texts(limit: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((SOURCE / "transcripts").iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("User:") and line[5:].strip():
                texts.append(" ".join(line[5:].split()[:150]))
        if len(texts) >= limit:
            break
    return texts[:limit]


def timed(model, texts: list[str]) -> tuple[np.ndarray, float]:
    embeddings.embed(texts[:5], model)  # warm up
    started = time.perf_counter()
    vectors = embeddings.embed(texts, model)
    return vectors, (time.perf_counter() - started) / len(texts) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=1000, help="texts from the public interviews")
    args = parser.parse_args()
    models = {runtime: embeddings.embedding_model(runtime) for runtime in ("torch", "onnx", "onnx-int8")}
    print(
        "| texts | n | mean words | PyTorch ms/text | onnx ms/text | onnx-int8 ms/text | onnx vs PyTorch: speed-up,"
        " largest difference, smallest cosine | onnx-int8 vs onnx: speed-up, mean cosine, smallest cosine |"
    )
    print("|---|---|---|---|---|---|---|---|")
    sets = [("demo segments and questions", demo_texts())]
    if SOURCE.exists():
        sets.append(("public interviews, participant turns", public_texts(args.segments)))
    for name, texts in sets:
        runs = {runtime: timed(model, texts) for runtime, model in models.items()}
        (a, ms_torch), (b, ms_onnx), (c, ms_int8) = runs["torch"], runs["onnx"], runs["onnx-int8"]
        words = np.mean([len(t.split()) for t in texts])
        cosine = (c * b).sum(axis=1)
        print(
            f"| {name} | {len(texts)} | {words:.0f} | {ms_torch:.1f} | {ms_onnx:.1f} | {ms_int8:.1f} | "
            f"{ms_torch / ms_onnx:.2f}, {np.abs(a - b).max():.1e}, {(a * b).sum(axis=1).min():.7f} | "
            f"{ms_onnx / ms_int8:.2f}, {cosine.mean():.4f}, {cosine.min():.4f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
