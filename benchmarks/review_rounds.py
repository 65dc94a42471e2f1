"""Benchmark the review rounds (issue 19): does the queue teach the coder faster than decisions chosen at random?

    .venv/bin/python benchmarks/review_rounds.py [--demo data/demo] [--rounds N] [--figure PATH]

A simulation on the demo with its human coding as the oracle, as the workflow runs it on a corpus with no
codes.csv: the codebook-seeded coder codes every segment; each round a reviewer decides 40 segment x code pairs
(include or exclude, answered from the human coding); the coder learns from every decision so far
(pipeline.coding.taught_coder) and the next round is chosen. Two ways to choose a round's 40: the review queue
(pipeline.coding.teaching_batch) and at random among the undecided pairs (the same for every round count).

Agreement is judged on interviews the coder never saw: the demo's human-coded participants are split into 4
participant-grouped folds; in each, decisions are drawn only from the other three folds' segments (the pool) and
the coder is scored on the held-out fold. Pooled Cohen's kappa over every held-out segment x code, with its 95%
interval from resampling participants, after each round. The target is the kappa of the coder trained on all of
the pool's human coding (pipeline.coding.Coder, scored on the same held-out folds).

Goal: the queue reaches the target with at most half of the decisions that coding every pool segment takes
(segments x codes), and is ahead of random selection at every round. Prints Markdown; writes the learning curve.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.coding import load  # noqa: E402
from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.coding import (  # noqa: E402
    UNKNOWN,
    Coder,
    CoderSettings,
    codebook_texts,
    label_matrix,
    seeded_codes,
    taught_coder,
    teaching_batch,
)
from pipeline.coding.patterns import PatternCoder  # noqa: E402
from pipeline.core.statistics import validation_table  # noqa: E402
from pipeline.embeddings import embed  # noqa: E402

BATCH = 40
FOLDS = 4


def simulate(data, strategy: str, rounds: int, seed: int = 0) -> list[np.ndarray]:
    """Held-out decisions after each round 0..rounds (one array over every human-coded segment per round)."""
    from sklearn.model_selection import GroupKFold

    codebook, segments, emb, qemb, y, groups, patterns, proto, settings = data
    texts = segments["text"].to_numpy(dtype=object)
    prior_texts, owner = codebook_texts(codebook)
    out = [np.zeros(y.shape, dtype=np.int8) for _ in range(rounds + 1)]
    for fold, (pool, test) in enumerate(GroupKFold(n_splits=FOLDS).split(texts, y, groups)):
        rng = np.random.default_rng(seed + fold)
        pool_segments = segments.iloc[pool].reset_index(drop=True)
        pool_patterns = patterns[patterns["segment_id"].isin(set(pool_segments["segment_id"]))]
        known = np.full((len(pool), y.shape[1]), UNKNOWN, dtype=np.int8)
        for r in range(rounds + 1):
            seeded, probs, _ = seeded_codes(codebook, pool_segments, emb[pool], pool_patterns, proto, settings.seed)
            if (known != UNKNOWN).any():
                coder = taught_coder(
                    seeded, texts[pool], emb[pool], qemb[pool], known, (prior_texts, proto, owner), settings
                )
                probs = coder.predict_proba(texts[pool], emb[pool], qemb[pool])
                out[r][test] = coder.predict(coder.predict_proba(texts[test], emb[test], qemb[test]))
                thresholds = coder.thresholds_
            else:
                out[r][test] = seeded.predict(seeded.predict_proba(emb[test]))
                thresholds = seeded.thresholds_
            if r == rounds:
                break
            open_pairs = known == UNKNOWN
            if strategy == "queue":
                includes = (known == 1).sum(axis=0)
                batch = teaching_batch(probs, thresholds, open_pairs, groups[pool], includes, BATCH)
            else:
                rows, cols = np.nonzero(open_pairs)
                pick = rng.choice(len(rows), size=min(BATCH, len(rows)), replace=False)
                batch = list(zip(rows[pick], cols[pick], strict=True))
            for i, j in batch:
                known[i, j] = y[pool[i], j]
    return out


def target(data) -> np.ndarray:
    """Held-out decisions of the coder trained on all of the pool's human coding."""
    from sklearn.model_selection import GroupKFold

    codebook, segments, emb, qemb, y, groups, _, _, settings = data
    texts = segments["text"].to_numpy(dtype=object)
    out = np.zeros(y.shape, dtype=np.int8)
    for pool, test in GroupKFold(n_splits=FOLDS).split(texts, y, groups):
        coder = Coder(codebook.ids, settings).fit(texts[pool], emb[pool], qemb[pool], y[pool], groups[pool])
        out[test] = coder.predict(coder.predict_proba(texts[test], emb[test], qemb[test]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--rounds", type=int, default=None, help="default: half of the decisions of coding the pool")
    parser.add_argument("--figure", default=str(ROOT / "benchmarks" / "figures" / "review_rounds.png"))
    args = parser.parse_args()
    started = time.perf_counter()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    codebook = load_codebook(ROOT / config["codebook"])
    settings = CoderSettings.from_config(config["coding"])
    segments, emb, qemb, human = load(Path(args.demo), config, codebook.ids)
    primary = human[human["coder"] == config["coding"]["primary_coder"]]
    coded = segments["interview_id"].isin(set(primary["interview_id"])).to_numpy()
    segments, emb, qemb = segments[coded].reset_index(drop=True), emb[coded], qemb[coded]
    y = label_matrix(list(segments["segment_id"]), primary, codebook.ids)
    groups = segments["participant_id"].to_numpy()
    patterns = PatternCoder(codebook).code(segments)
    proto = embed(codebook_texts(codebook)[0])
    data = (codebook, segments, emb, qemb, y, groups, patterns, proto, settings)

    pool_decisions = round(y.size * (FOLDS - 1) / FOLDS)  # coding every pool segment, on average over folds
    rounds = args.rounds or int(np.ceil(pool_decisions / 2 / BATCH))

    def kappa(decisions):
        pooled = validation_table(y, decisions, codebook.ids, groups).set_index("code_id").loc["pooled"]
        return pooled["cohen_kappa"], pooled["kappa_ci_low"], pooled["kappa_ci_high"]

    goal = kappa(target(data))
    curves = {s: [kappa(d) for d in simulate(data, s, rounds)] for s in ("queue", "random")}
    print(f"Demo: {len(y)} human-coded segments of {len(set(groups))} participants x {len(codebook.ids)} codes; ")
    print(f"{FOLDS} participant folds; coding every pool segment takes {pool_decisions} decisions on average, ")
    print(f"half of it {pool_decisions // 2} ({rounds} rounds of {BATCH}).\n")
    print(
        f"Target (coder trained on all of the pool's human coding): kappa {goal[0]:.3f} ({goal[1]:.3f}-{goal[2]:.3f})\n"
    )
    print("| round | decisions | queue kappa (95% interval) | random kappa (95% interval) | queue ahead |")
    print("|---|---|---|---|---|")
    for r, (q, a) in enumerate(zip(curves["queue"], curves["random"], strict=True)):
        ahead = "yes" if q[0] > a[0] else ("-" if r == 0 else "**no**")
        print(
            f"| {r} | {r * BATCH} | {q[0]:.3f} ({q[1]:.3f}-{q[2]:.3f}) | {a[0]:.3f} ({a[1]:.3f}-{a[2]:.3f}) | {ahead} |"
        )
    reached = next((r for r, q in enumerate(curves["queue"]) if q[0] >= goal[0]), None)
    behind = [r for r in range(1, rounds + 1) if curves["queue"][r][0] <= curves["random"][r][0]]
    print()
    if reached is None:
        print(f"The queue did **not** reach the target in {rounds} rounds ({rounds * BATCH} decisions): best")
        print(f"{max(q[0] for q in curves['queue']):.3f}.")
    else:
        print(f"The queue reached the target after {reached} rounds = {reached * BATCH} decisions ")
        print(f"({100 * reached * BATCH / pool_decisions:.0f}% of coding everything; goal <= 50%: met).")
    print(f"Rounds where the queue was not ahead of random: {behind or 'none'} (goal: none).")
    figure(curves, goal, Path(args.figure))
    print(f"\nFigure: {Path(args.figure).relative_to(ROOT)}. Time: {time.perf_counter() - started:.0f} s")
    return 0


def figure(curves: dict, goal, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for name, colour in (("queue", "#1b6ca8"), ("random", "#b5651d")):
        k = np.array(curves[name])
        x = np.arange(len(k)) * BATCH
        ax.plot(x, k[:, 0], color=colour, label=f"{name} selection")
        ax.fill_between(x, k[:, 1], k[:, 2], color=colour, alpha=0.15, linewidth=0)
    ax.axhline(goal[0], color="black", linestyle="--", linewidth=1, label="trained on all human coding")
    ax.set_xlabel("review decisions (segment x code)")
    ax.set_ylabel("pooled Cohen's kappa on held-out participants")
    ax.set_title("Review rounds on the demo (codebook-seeded start; 95% intervals)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
