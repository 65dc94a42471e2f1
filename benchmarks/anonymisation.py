"""Benchmark the identifier check: recall per category and false positives per 1,000 words.

    .venv/bin/python benchmarks/anonymisation.py [--corpus data/demo]

1. The labelled fixtures (tests/fixtures/anonymisation/labelled.jsonl, the set the detector was tuned on,
   and labelled_heldout.jsonl, written by another writer and never used for tuning; rebuild them with
   benchmarks/make_anonymisation_fixture.py): an injected identifier counts as caught when a
   finding covers at least half of its characters (any category: the gate's job is to catch it);
   category agreement is reported beside it. Findings that touch no injected identifier are false
   positives.
2. A clean corpus (default the synthetic demo, anonymised with bracketed placeholders): every
   finding is a false positive.

Goals (issue 4): recall >= 0.99 for fixed-shape identifiers, >= 0.95 for person names, >= 0.9 for
places; <= 1 false positive per 1,000 words of clean anonymised text. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.anonymise import FIXED_SHAPE, AllowList, detect  # noqa: E402
from pipeline.text import count_words  # noqa: E402

GOALS = {**{c: 0.99 for c in FIXED_SHAPE}, "PERSON": 0.95, "PLACE": 0.90}


def covered(span: dict, findings) -> tuple[bool, str | None]:
    length = span["end"] - span["start"]
    for f in findings:
        overlap = min(span["end"], f.end) - max(span["start"], f.start)
        if overlap > 0 and overlap >= length / 2:
            return True, f.category
    return False, None


def score_fixture(rows: list[dict], allow: AllowList) -> tuple[dict, int, int]:
    findings = detect([r["text"] for r in rows], allow)
    per = {}
    false_pos = 0
    words = 0
    for row, found in zip(rows, findings, strict=True):
        words += count_words(row["text"])
        for span in row["spans"]:
            stats = per.setdefault(span["category"], Counter())
            hit, category = covered(span, found)
            stats["n"] += 1
            stats["caught"] += hit
            stats["same_category"] += hit and category == span["category"]
        for f in found:
            if not any(f.start < s["end"] and s["start"] < f.end for s in row["spans"]):
                false_pos += 1
    return per, false_pos, words


def clean_corpus_false_positives(corpus: Path, allow: AllowList) -> tuple[int, int, Counter]:
    from pipeline.corpus import load_corpus
    from pipeline.ingest import ingest_corpus

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    c = load_corpus(corpus, config)
    texts = list(ingest_corpus(c)["text"])
    found = detect(texts, AllowList(allow.phrases + [a.casefold() for a in c.allow]))
    categories = Counter(f.category for fs in found for f in fs)
    return sum(categories.values()), sum(count_words(t) for t in texts), categories


def report_fixture(title: str, rows: list[dict], allow: AllowList) -> None:
    per, fp, words = score_fixture(rows, allow)
    print(f"## Labelled fixture, {title} ({len(rows)} texts, {words} words)\n")
    print("| category | injected | recall | same category | goal | met |")
    print("|---|---|---|---|---|---|")
    for category in sorted(per, key=lambda c: (c not in ("PERSON", "PLACE"), c)):
        s = per[category]
        recall = s["caught"] / s["n"]
        goal = GOALS.get(category)
        met = "" if goal is None else ("yes" if recall >= goal else "**no**")
        print(f"| {category} | {s['n']} | {recall:.3f} | {s['same_category'] / s['n']:.3f} | {goal or '-'} | {met} |")
    print(f"\nFalse positives: {fp} ({1000 * fp / words:.2f} per 1,000 words)\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        nargs="+",
        default=[str(ROOT / "data" / "demo"), str(ROOT / "tests" / "fixtures" / "heldout")],
        help="clean (anonymised) corpus folders: the demo, and the held-out interviews written by another writer",
    )
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    allow = AllowList(config["anonymisation"]["allow"])
    started = time.perf_counter()
    folder = ROOT / "tests" / "fixtures" / "anonymisation"
    for name, title in (("labelled.jsonl", "tuning set"), ("labelled_heldout.jsonl", "held-out set")):
        if not (folder / name).exists():
            print(f"## {title}: {folder / name} not found (build it with make_anonymisation_fixture.py)\n")
            continue
        rows = [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        report_fixture(title, rows, allow)

    for corpus in args.corpus:
        n, clean_words, categories = clean_corpus_false_positives(Path(corpus), allow)
        rate = 1000 * n / clean_words
        name = Path(corpus).resolve().relative_to(ROOT) if Path(corpus).resolve().is_relative_to(ROOT) else corpus
        print(f"\n## Clean corpus {name}: {n} false positives in {clean_words} words = {rate:.2f} per 1,000 words")
        print(f"(goal <= 1.00: {'met' if rate <= 1 else 'NOT met'}); by category: {dict(sorted(categories.items()))}")
    print(f"\nTime: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
