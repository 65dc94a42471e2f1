"""Benchmark the automated coder: agreement with human coding on interviews it did not learn from.

    .venv/bin/python benchmarks/coding.py [--demo data/demo] [--heldout tests/fixtures/heldout]

1. The demo corpus, participant-grouped cross-validation: every fold holds out whole participants, the
   coder is trained on the others and codes the held-out participants' segments; the out-of-fold codes
   are compared with coder1's (pooled Cohen's kappa over every segment x code decision), with the
   configured fixed threshold and with per-code thresholds tuned inside each training fold.
2. The coder trained on all of the demo's human-coded segments, applied to a corpus it has never seen
   (the held-out interviews, written and coded independently), compared with that corpus's coding.

Goal (issue 5): pooled kappa >= 0.6 in both. Human-human agreement on the demo (coder1 vs coder2) is
printed for reference. Each pooled kappa carries a 95% interval from resampling participants (the spread
due to which participants happen to be measured; the coder is not retrained per draw).

3. A learning curve on the demo: the same cross-validation, with each fold's coder trained on a random
   subset of n of its training participants (3 draws per n): would more human-coded interviews help?

Everything runs in-process through the pipeline's own functions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.curves import learning_curve  # noqa: E402
from pipeline import human_codes  # noqa: E402
from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.coding import Coder, CoderSettings, cross_validated_predictions, label_matrix  # noqa: E402
from pipeline.core.statistics import agreement_table, validation_table  # noqa: E402
from pipeline.corpus import load_corpus  # noqa: E402
from pipeline.embeddings import embed  # noqa: E402
from pipeline.ingest import ingest_corpus  # noqa: E402
from pipeline.segment import segment_corpus  # noqa: E402


def load(corpus_path: Path, config: dict, code_ids: list[str]):
    """Segments, embeddings and human codes of a corpus, computed in-process."""
    corpus = load_corpus(corpus_path, config)
    segments = segment_corpus(ingest_corpus(corpus), config["segmentation"]["max_words"])
    rows = human_codes.read_codes(corpus.codes_path)
    human = human_codes.map_codes(rows, segments, set(code_ids), corpus.codes_path)
    emb = embed(list(segments["text"]))
    qemb = embed([q or " " for q in segments["question"]])
    return segments, emb, qemb, human


def kappa_line(table: pd.DataFrame) -> str:
    pooled = table.set_index("code_id").loc["pooled"]
    return (
        f"pooled kappa {pooled['cohen_kappa']:.3f} (95% interval {pooled['kappa_ci_low']:.3f} to "
        f"{pooled['kappa_ci_high']:.3f}; precision {pooled['precision']:.3f}, "
        f"recall {pooled['recall']:.3f}, "
        f"F1 {pooled['f1']:.3f}; {int(pooled['human_yes'])} human and {int(pooled['machine_yes'])} machine codes "
        f"on {int(table.iloc[0]['segments'])} segments)"
    )


def coder_curve(texts, emb, qemb, y, groups, code_ids, settings) -> str:
    """Pooled kappa when each fold's coder learns from n of its training participants (n drawn at random)."""
    from sklearn.model_selection import GroupKFold

    from pipeline.core.statistics import cohen_kappa

    def fit_predict(keep, test):
        coder = Coder(code_ids, settings).fit(texts[keep], emb[keep], qemb[keep], y[keep], groups[keep])
        return coder.predict(coder.predict_proba(texts[test], emb[test], qemb[test]))

    splits = list(GroupKFold(n_splits=settings.folds).split(texts, y, groups))
    return learning_curve(
        splits, groups, fit_predict, lambda d: cohen_kappa(y.ravel(), d.ravel()), "pooled kappa", settings.seed
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--heldout", default=str(ROOT / "tests" / "fixtures" / "heldout"))
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    code_ids = codebook.ids
    settings = CoderSettings.from_config(config["coding"])
    primary = config["coding"]["primary_coder"]
    started = time.perf_counter()

    segments, emb, qemb, human = load(Path(args.demo), config, code_ids)
    first = human[human["coder"] == primary]
    coded = segments["interview_id"].isin(set(first["interview_id"])).to_numpy()
    sids = list(segments.loc[coded, "segment_id"])
    y = label_matrix(sids, first, code_ids)
    groups = segments.loc[coded, "participant_id"].to_numpy()
    texts = segments["text"].to_numpy(dtype=object)
    print(
        f"## Demo corpus: {int(coded.sum())} human-coded segments of {len(set(groups))} participants, "
        f"{len(code_ids)} codes\n"
    )
    results = {}
    for label, s in (
        ("fixed threshold", settings),
        ("tuned thresholds", CoderSettings(**{**settings.__dict__, "tune_thresholds": True})),
    ):
        _, decisions = cross_validated_predictions(texts[coded], emb[coded], qemb[coded], y, groups, code_ids, s)
        table = validation_table(y, decisions, code_ids, groups, s.seed)
        results[label] = table
        print(
            f"- participant-grouped {s.folds}-fold CV, {label} "
            f"({'per code' if s.tune_thresholds else s.threshold}): {kappa_line(table)}"
        )
    print("\nPer code (fixed threshold):\n")
    per = results["fixed threshold"]
    columns = ["code_id", "human_yes", "machine_yes", "precision", "recall", "f1", "cohen_kappa"]
    print(per[[*columns, "kappa_ci_low", "kappa_ci_high"]].to_markdown(index=False))
    for other in sorted(set(human["coder"]) - {primary}):
        both = set(human.loc[human["coder"] == other, "interview_id"]) & set(first["interview_id"])
        ids = list(segments.loc[segments["interview_id"].isin(both), "segment_id"])
        a, b = label_matrix(ids, first, code_ids), label_matrix(ids, human[human["coder"] == other], code_ids)
        pooled = agreement_table(a, b, code_ids, "").set_index("code_id").loc["pooled"]
        print(
            f"\nHuman-human reference, {primary} vs {other} on {len(ids)} segments of {len(both)} interviews: "
            f"kappa {pooled['cohen_kappa']:.3f}, alpha {pooled['krippendorff_alpha']:.3f}, AC1 {pooled['gwet_ac1']:.3f}"
        )

    heldout = Path(args.heldout)
    if (heldout / "manifest.csv").exists():
        coder = Coder(code_ids, settings).fit(texts[coded], emb[coded], qemb[coded], y, groups)
        h_segments, h_emb, h_qemb, h_human = load(heldout, config, code_ids)
        h_first = h_human[h_human["coder"] == primary]
        h_coded = h_segments["interview_id"].isin(set(h_first["interview_id"])).to_numpy()
        h_y = label_matrix(list(h_segments.loc[h_coded, "segment_id"]), h_first, code_ids)
        probs = coder.predict_proba(h_segments["text"].to_numpy(dtype=object)[h_coded], h_emb[h_coded], h_qemb[h_coded])
        h_groups = h_segments.loc[h_coded, "participant_id"].to_numpy()
        table = validation_table(h_y, coder.predict(probs), code_ids, h_groups, settings.seed)
        print(
            f"\n## Coder trained on the demo, applied to {heldout} ({h_segments['participant_id'].nunique()} unseen "
            f"participants)\n\n- {kappa_line(table)}"
        )
    else:
        print(f"\n## Held-out corpus {heldout}: not found, skipped")
    print("\n## Learning curve on the demo (participant-grouped cross-validation, fixed threshold)\n")
    print(coder_curve(texts[coded], emb[coded], qemb[coded], y, groups, code_ids, settings))
    print(f"\nTime: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
