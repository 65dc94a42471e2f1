"""The coding stage: train (or load, or build from the codebook) the coder, validate it, code every segment, and
write segment_codes.csv, the review queue, validation and reliability tables and the model folder."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import embeddings as emb_store
from pipeline.codebook import load_codebook
from pipeline.coding.coder import (
    UNKNOWN,
    Coder,
    CoderSettings,
    cross_validated_predictions,
    known_labels,
    label_matrix,
    predict_proba_cached,
)
from pipeline.coding.patterns import PatternCoder
from pipeline.coding.review import read_review, review_queue, teaching_batch
from pipeline.coding.seeded import codebook_texts, seeded_codes, taught_coder
from pipeline.core.errors import PipelineError
from pipeline.core.files import read_table, write_csv, write_parquet
from pipeline.core.statistics import agreement_table, validation_table
from pipeline.embeddings import embed
from pipeline.human_codes import HUMAN_CODE_COLUMNS

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- combining sources and the stage edge

SEGMENT_CODE_COLUMNS = [
    "segment_id",
    "participant_id",
    "role",
    "wave",
    "code_id",
    "source",
    "coder",
    "confidence",
    "final",
]


def combine(
    segments: pd.DataFrame,
    code_ids: list[str],
    human: pd.DataFrame,
    primary: str,
    probs: np.ndarray,
    decisions: np.ndarray,
    patterns: pd.DataFrame,
    review: pd.DataFrame,
    machine: str = "model",
) -> pd.DataFrame:
    """One row per (segment, code, source, coder); ``final`` marks the code set the findings use.

    ``machine`` names the machine coder's rows: ``model`` (trained on human codes) or ``codebook`` (the
    codebook-seeded coder of a corpus with no human coding).

    Final codes: the primary human coder's where the interview was human-coded, otherwise the model's;
    review decisions (include/exclude) override both.
    """
    meta = segments.set_index("segment_id")[["participant_id", "role", "wave"]]
    primary_rows = human[human["coder"] == primary]
    human_coded = segments["interview_id"].isin(set(primary_rows["interview_id"])).to_numpy()
    final: set[tuple[str, str]] = set(zip(primary_rows["segment_id"], primary_rows["code_id"], strict=True))
    ids = list(segments["segment_id"])
    order = {c: j for j, c in enumerate(code_ids)}
    for i, j in zip(*np.nonzero(decisions), strict=True):
        if not human_coded[i]:
            final.add((ids[i], code_ids[j]))
    for r in review.itertuples(index=False):
        (final.add if r.decision == "include" else final.discard)((r.segment_id, r.code_id))
    rows = []
    for r in human.itertuples(index=False):
        rows.append((r.segment_id, r.code_id, "human", r.coder, 1.0))
    for r in review[review["decision"] == "include"].itertuples(index=False):
        rows.append((r.segment_id, r.code_id, "human", r.reviewer, 1.0))
    for i, j in zip(*np.nonzero(decisions), strict=True):
        rows.append((ids[i], code_ids[j], machine, machine, float(probs[i, j])))
    for r in patterns.itertuples(index=False):
        if r.code_id in order:
            rows.append((r.segment_id, r.code_id, "pattern", "pattern", round(1 - 0.5**r.hits, 4)))
    out = pd.DataFrame(rows, columns=["segment_id", "code_id", "source", "coder", "confidence"])
    # a reviewer named like a human coder who gave the same code: one row
    out = out.drop_duplicates(["segment_id", "code_id", "source", "coder"]).join(meta, on="segment_id")
    out["final"] = [(s, c) in final for s, c in zip(out["segment_id"], out["code_id"], strict=True)]
    missing_final = final - set(zip(out["segment_id"], out["code_id"], strict=True))
    assert not missing_final, "every final code has a row"
    out = out.assign(_seg=out["segment_id"].map({s: i for i, s in enumerate(ids)}), _code=out["code_id"].map(order))
    out = out.sort_values(["_seg", "_code", "source", "coder"]).drop(columns=["_seg", "_code"])
    return out[SEGMENT_CODE_COLUMNS].reset_index(drop=True)


def code_segments(
    segments_csv,
    embeddings_path,
    human_path,
    codebook_path,
    settings: CoderSettings,
    primary: str,
    out: dict,
    pretrained: str = "",
    review_path: str = "",
    queue_size: int = 200,
    fit_waves: list[int] | None = None,
    batch_size: int = 40,
    cache_folder: str | Path | None = None,
    coder_cache: str | Path | None = None,
) -> dict:
    """Edge: train (or load) the coder, validate it, code every segment, write tables and the model. With
    ``cache_folder`` the codebook phrases found in each segment are kept there between runs (``PatternCoder``),
    with ``coder_cache`` each segment's probabilities under the coder (``predict_proba_cached``)."""

    started = time.perf_counter()
    codebook = load_codebook(codebook_path)
    code_ids = codebook.ids
    segments = read_table(segments_csv)
    segments["wave"] = segments["wave"].astype(int)
    ids, emb, qemb = emb_store.load(embeddings_path)
    if ids != list(segments["segment_id"]):
        raise PipelineError("the embeddings do not match segments.csv", "Rerun the workflow", file=embeddings_path)
    # a filled-in review queue is checked before anything is written
    review, notes = read_review(review_path or None, set(code_ids), set(segments["segment_id"]), codebook_path)
    human = (
        pd.read_parquet(human_path)
        if human_path and Path(human_path).exists()
        else pd.DataFrame(columns=HUMAN_CODE_COLUMNS)
    )
    primary_codes = human[human["coder"] == primary]
    coded = segments["interview_id"].isin(set(primary_codes["interview_id"])).to_numpy()
    if fit_waves:  # models.freeze: learn from the listed waves only; later waves do not change the coder
        coded = coded & segments["wave"].isin(fit_waves).to_numpy()
    y = label_matrix(list(segments.loc[coded, "segment_id"]), primary_codes, code_ids)
    groups = segments.loc[coded, "participant_id"].to_numpy()
    texts = segments["text"].to_numpy(dtype=object)
    # everything known teaches: the human coding, then every review decision kept across rounds
    known = known_labels(list(segments["segment_id"]), coded, primary_codes, review, code_ids)
    if fit_waves:
        known[~segments["wave"].isin(fit_waves).to_numpy()] = UNKNOWN
    decided = int(((known != UNKNOWN) & ~coded[:, None]).sum())

    patterns = PatternCoder(codebook, cache_folder).code(segments)
    # validation: out-of-fold machine codes for every human-coded segment
    machine = "model"
    probs = np.zeros((len(segments), len(code_ids)), dtype=np.float32)
    decisions = np.zeros(probs.shape, dtype=np.int8)
    if pretrained:
        coder = Coder.load(pretrained)
        theirs = coder.codebook_.get("version", "unknown")
        if coder.code_ids != code_ids or (coder.codebook_ and theirs != codebook.version):
            other = sorted(set(coder.code_ids) ^ set(code_ids))
            differ = f"; codes in one only: {', '.join(other[:5])}" if other else ""
            raise PipelineError(
                f"the trained coder was made for codebook version {theirs}, this corpus uses version "
                f"{codebook.version} of {Path(codebook_path).name}{differ}",
                "Use a coder trained with this codebook version, or retrain (remove coding.model)",
                file=Path(pretrained) / "coder.json",
            )
        probs = predict_proba_cached(coder, texts, emb, qemb, coder_cache)
        decisions = coder.predict(probs)
        how = f"applied the coder from {pretrained}"
        coder.save(
            out["model"], {"applied_from": str(pretrained), **json.loads((Path(pretrained) / "coder.json").read_text())}
        )
    elif not coded.any():  # the cold start: no human coding yet, a coder built from the codebook alone
        texts_of_codebook, owner = codebook_texts(codebook)
        proto = embed(texts_of_codebook, emb_store.encoder_of(embeddings_path))
        coder, probs, decisions = seeded_codes(codebook, segments, emb, patterns, proto, settings.seed)
        machine = "codebook"
        how = "coded by the codebook-seeded coder (no human coding: not validated)"
        provenance = {"codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256}}
        if decided:  # review rounds: each decision teaches its code; codes not yet taught keep the seeded model
            coder = taught_coder(coder, texts, emb, qemb, known, (texts_of_codebook, proto, owner), settings)
            probs = predict_proba_cached(coder, texts, emb, qemb, coder_cache)
            decisions = coder.predict(probs)
            how = f"codebook-seeded coder taught by {decided} review decisions (not validated)"
            provenance["taught_by"] = {"review_decisions": decided}
        coder.save(out["model"], provenance)
    else:
        if len(set(groups)) >= 2:
            p, d = cross_validated_predictions(texts[coded], emb[coded], qemb[coded], y, groups, code_ids, settings)
            probs[coded], decisions[coded] = p, d
        coder = Coder(code_ids, settings).fit(texts, emb, qemb, known, segments["participant_id"].to_numpy())
        rest = ~coded
        if rest.any():
            probs[rest] = predict_proba_cached(coder, texts[rest], emb[rest], qemb[rest], coder_cache)
            decisions[rest] = coder.predict(probs[rest])
        how = f"trained on {int(coded.sum())} human-coded segments of {len(set(groups))} participants"
        how += f" and {decided} review decisions" if decided else ""
        coder.save(
            out["model"],
            {
                "trained_on": {
                    "segments": int(coded.sum()),
                    "participants": len(set(groups)),
                    "coder": primary,
                    "review_decisions": decided,
                },
                "codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256},
            },
        )

    validation = (
        validation_table(y, decisions[coded], code_ids, groups, settings.seed)
        if coded.any()
        else validation_table(np.zeros((0, len(code_ids)), np.int8), np.zeros((0, len(code_ids)), np.int8), code_ids)
    )
    method = "pretrained coder" if pretrained else "participant-grouped cross-validation"
    validation.insert(0, "method", "codebook-seeded coder, not validated" if machine == "codebook" else method)
    write_csv(validation, out["validation"])

    # reliability: human vs human on double-coded segments, human vs machine on human-coded segments
    tables = []
    for other in sorted(set(human["coder"]) - {primary}):
        both = set(human.loc[human["coder"] == other, "interview_id"]) & set(primary_codes["interview_id"])
        mask = segments["interview_id"].isin(both).to_numpy()
        if mask.any():
            sids = list(segments.loc[mask, "segment_id"])
            a = label_matrix(sids, primary_codes, code_ids)
            b = label_matrix(sids, human[human["coder"] == other], code_ids)
            tables.append(agreement_table(a, b, code_ids, f"{primary} vs {other}"))
    if coded.any():
        tables.append(agreement_table(y, decisions[coded], code_ids, f"{primary} vs machine"))
    reliability = (
        pd.concat(tables, ignore_index=True)
        if tables
        else agreement_table(np.zeros((0, len(code_ids))), np.zeros((0, len(code_ids))), code_ids, "none")
    )
    write_csv(reliability, out["reliability"])

    table = combine(segments, code_ids, human, primary, probs, decisions, patterns, review, machine)
    write_csv(table, out["segment_codes"])
    thresholds = coder.thresholds_
    labels = {c.id: c.label for c in codebook.codes}
    open_pairs = (known == UNKNOWN) & ~coded[:, None] & np.isfinite(thresholds)[None, :]
    participants = segments["participant_id"].to_numpy()
    batch = teaching_batch(probs, thresholds, open_pairs, participants, (known == 1).sum(axis=0), batch_size)
    queue = review_queue(
        segments, code_ids, labels, probs, thresholds, patterns, ~coded, queue_size, review, notes, batch
    )
    write_csv(queue, out["review_queue"])
    prob_table = pd.DataFrame(probs, columns=code_ids)
    prob_table.insert(0, "segment_id", segments["segment_id"].to_numpy())
    write_parquet(prob_table, out["probabilities"])
    pooled = validation.set_index("code_id").loc["pooled"]
    log.info(
        "%s; %d segments coded (%d by humans); pooled kappa vs %s %.3f; %.1fs",
        how,
        len(segments),
        int(coded.sum()),
        primary,
        pooled["cohen_kappa"],
        time.perf_counter() - started,
    )
    return {"kappa": float(pooled["cohen_kappa"])}
