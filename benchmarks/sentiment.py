"""Benchmark sentiment against human judgement: plain VADER, the domain-adapted lexicon, and the code-level model.

    .venv/bin/python benchmarks/sentiment.py

Human labels are the primary coder's `sentiment` in codes.csv (one per coded segment and code); the
machine label is the segment's (VADER per sentence, averaged; mixed where strong positive and negative
sentences meet; thresholds from config/config.yaml). Measured on the demo corpus (the lexicon was
written with knowledge of it) and on the held-out interviews (never used to tune it). The code-level
model (pipeline.sentiment.code_sentiment) is measured by participant-grouped cross-validation on the demo,
and trained on all of the demo's labels and applied to the held-out interviews. Goal (issue 7):
macro-F1 >= 0.6 on both. Prints accuracy, macro-F1 with a 95% interval from resampling participants, and
the confusion matrices; then a learning curve of the code-level model on the demo (each fold's model trained
on n of its training participants, 3 random draws per n): would more human labels help?
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.curves import learning_curve  # noqa: E402
from pipeline import human_codes  # noqa: E402
from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.corpus import load_corpus  # noqa: E402
from pipeline.embeddings import embed  # noqa: E402
from pipeline.ingest import ingest_corpus  # noqa: E402
from pipeline.segment import segment_corpus  # noqa: E402
from pipeline.sentiment import (  # noqa: E402
    LABELS,
    Thresholds,
    load_lexicon,
    pair_features,
    score_segments,
    supervised,
    validation,
)


def corpus_data(path: Path, config: dict, code_ids: set[str]):
    corpus = load_corpus(path, config)
    segments = segment_corpus(ingest_corpus(corpus), config["segmentation"]["max_words"])
    human = human_codes.map_codes(human_codes.read_codes(corpus.codes_path), segments, code_ids, corpus.codes_path)
    return segments, human


def model_curve(x, y, groups, c: float, seed: int, folds: int = 8) -> str:
    """Macro-F1 when each fold's model learns from n of its training participants (n drawn at random)."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    from pipeline.sentiment.model import _classifier

    def fit_predict(keep, test):
        return _classifier(c, seed).fit(x[keep], y[keep]).predict(x[test])

    def macro_f1(predicted):
        return f1_score(y, predicted, labels=LABELS, average="macro", zero_division=0)

    splits = list(GroupKFold(n_splits=folds).split(x, y, groups))
    return learning_curve(splits, groups, fit_predict, macro_f1, "macro-F1", seed)


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
    c, seed = s["C"], s["seed"]
    ids = load_codebook(ROOT / "config" / "codebook.yaml").ids
    trained = None
    for name, path in (
        ("demo corpus", ROOT / "data" / "demo"),
        ("held-out interviews", ROOT / "tests" / "fixtures" / "heldout"),
    ):
        segments, human = corpus_data(path, config, code_ids)
        scores = score_segments(segments, lexicon, thresholds)
        primary_human = human[human["coder"] == primary]
        labelled = (
            primary_human[primary_human["sentiment"].isin(LABELS)]
            .drop_duplicates(["segment_id", "code_id"])
            .reset_index(drop=True)
        )
        vectors = dict(zip(segments["segment_id"], embed(list(segments["text"])), strict=True))
        x = pair_features(labelled, vectors, scores, ids)
        if trained is None:  # the demo: out-of-fold predictions, then the model trained on all of it
            groups = labelled["segment_id"].map(
                dict(zip(segments["segment_id"], segments["participant_id"], strict=True))
            )
            oof, *_ = supervised(x, labelled["sentiment"].to_numpy(), groups.to_numpy(), x[:0], c, seed)
            from pipeline.sentiment.model import _classifier

            trained = _classifier(c, seed).fit(x, labelled["sentiment"].to_numpy())
            method = "code-level model, participant-grouped CV"
            curve = model_curve(x, labelled["sentiment"].to_numpy(), groups.to_numpy(), c, seed)
        else:
            oof = trained.predict(x)
            method = "code-level model trained on the demo"
        table = validation(primary_human, scores, labelled.assign(predicted=oof), seed)
        table.loc[2, "lexicon"] = method
        print(f"## {name} ({int(table['n'].iloc[0])} human labels)\n")
        print("| method | accuracy | macro-F1 | 95% interval | goal 0.6 |")
        print("|---|---|---|---|---|")
        for r in table.itertuples(index=False):
            print(
                f"| {r.lexicon} | {r.accuracy:.3f} | {r.macro_f1:.3f} | {r.macro_f1_ci_low:.3f} to "
                f"{r.macro_f1_ci_high:.3f} | {'met' if r.macro_f1 >= 0.6 else '**not met**'} |"
            )
        for row in (1, 2):
            chosen = table.iloc[row]
            matrix = pd.DataFrame(
                [[chosen[f"human_{a}_machine_{b}"] for b in LABELS] for a in LABELS],
                index=[f"human {a}" for a in LABELS],
                columns=[f"machine {b}" for b in LABELS],
            )
            print(f"\nConfusion matrix, {chosen['lexicon']}:\n\n{matrix.to_markdown()}\n")
    print("## Learning curve of the code-level model on the demo (participant-grouped cross-validation)\n")
    print(curve)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
