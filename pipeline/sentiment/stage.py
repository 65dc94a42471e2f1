"""The sentiment stages: score every segment; aggregate, validate, label every (segment, code) pair, save the
code-level model."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline import embeddings as emb_store
from pipeline.codebook import load_codebook
from pipeline.core.files import read_table, write_csv
from pipeline.core.hashing import sha256
from pipeline.core.tables import final_codes, read_segment_codes
from pipeline.sentiment.figures import sentiment_by_code, sentiment_by_wave
from pipeline.sentiment.model import SentimentModel, code_sentiment, load_sentiment_model, save_sentiment_model
from pipeline.sentiment.summary import aggregate, validation
from pipeline.sentiment.vader import LABELS, Thresholds, load_lexicon, score_segments

log = logging.getLogger(__name__)


def score_sentiment(segments_csv, lexicon_path, thresholds: Thresholds, out, cache_folder=None) -> pd.DataFrame:
    scores = score_segments(read_table(segments_csv), load_lexicon(lexicon_path), thresholds, cache_folder)
    write_csv(scores, out)
    log.info("%d segments scored: %s", len(scores), scores["label"].value_counts().to_dict())
    return scores


def summarise_sentiment(
    scores_csv,
    segments_csv,
    segment_codes_csv,
    human_path,
    codebook_path,
    roles: dict,
    seed: int,
    primary: str,
    out: dict,
    embeddings_path=None,
    c: float = 1.0,
    pretrained: str = "",
    lexicon_path=None,
):
    codebook = load_codebook(codebook_path)
    carried = load_sentiment_model(pretrained, codebook.ids, codebook.version) if pretrained else None
    lexicon_sha = sha256(lexicon_path) if lexicon_path else None
    if carried is not None and lexicon_sha and carried.about.get("lexicon_sha256") not in (None, lexicon_sha):
        log.warning("the carried sentiment model learnt VADER scores from another domain lexicon than this corpus's")
    scores = pd.read_csv(scores_csv)
    segments = read_table(segments_csv)[["segment_id", "participant_id", "role", "wave"]]
    segments["wave"] = segments["wave"].astype(int)
    data = scores.merge(segments, on="segment_id")
    write_csv(aggregate(data, ["role"], seed), out["by_role"])
    write_csv(aggregate(data, ["role", "wave"], seed), out["by_wave"])
    write_csv(aggregate(data, ["role", "participant_id"], seed), out["by_participant"])
    final = final_codes(read_segment_codes(segment_codes_csv))
    by_code = aggregate(final[["segment_id", "code_id"]].merge(data, on="segment_id"), ["code_id", "role"], seed)
    human = (
        pd.read_parquet(human_path)
        if human_path and Path(human_path).exists()
        else pd.DataFrame(columns=["segment_id", "code_id", "sentiment", "coder"])
    )
    primary_human = human[human["coder"] == primary] if len(human) else human
    oof = None
    if embeddings_path:
        ids, vectors, _ = emb_store.load(embeddings_path)
        participants = dict(zip(segments["segment_id"], segments["participant_id"], strict=True))
        pairs, oof, model = code_sentiment(
            final,
            primary_human,
            scores,
            dict(zip(ids, vectors, strict=True)),
            participants,
            codebook.ids,
            c,
            seed,
            carried,
        )
        pairs = pairs.merge(segments, on="segment_id")[
            ["segment_id", "participant_id", "role", "wave", "code_id", "label", "source", "probability"]
        ]
        write_csv(pairs, out["code_sentiment"])
        counts = pairs.groupby(["code_id", "role"])["label"].value_counts().unstack(fill_value=0)
        counts = counts.reindex(columns=LABELS, fill_value=0).add_prefix("code_n_").reset_index()
        by_code = by_code.merge(counts, on=["code_id", "role"], how="left")
        log.info(
            "code-level sentiment of %d (segment, code) pairs: %s", len(pairs), pairs["source"].value_counts().to_dict()
        )
        if out.get("model_meta"):
            labelled = 0 if oof is None else len(oof)
            about = {
                "codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256},
                "lexicon_sha256": lexicon_sha,
            }
            if carried is not None:
                about = {**carried.about, "applied_from": str(pretrained)}
                model = carried
            elif model is not None:
                about["trained_on"] = {
                    "pairs": labelled,
                    "participants": int(oof["segment_id"].map(participants).nunique()),
                    "coder": primary,
                }
                about["settings"] = {"C": c, "seed": seed}
                model = SentimentModel.from_classifier(model, codebook.ids, {})
            else:
                about["reason"] = "the corpus had no human sentiment labels of two or more kinds to learn from"
            save_sentiment_model(out["model_meta"], out["model_weights"], model, about)
    order = {c: i for i, c in enumerate(codebook.ids)}
    by_code = by_code.sort_values(["code_id", "role"], key=lambda s: s.map(order) if s.name == "code_id" else s)
    by_code.insert(1, "label", by_code["code_id"].map({c.id: c.label for c in codebook.codes}))
    write_csv(by_code, out["by_code"])
    method = (
        f"carried model (trained on {carried.about.get('trained_on', {}).get('participants', '?')} participants "
        "of another corpus)"
        if carried is not None
        else "supervised (participant-grouped CV)"
    )
    table = validation(primary_human, scores, oof, seed, method)
    write_csv(table, out["validation"])

    sentiment_by_code(by_code, roles, out["figure_by_code"])
    sentiment_by_wave(aggregate(data, ["role", "wave"], seed), roles, out["figure_by_wave"])
    return table
