"""The topic stages: fit (or reuse) the topic model and write its tables and figures; compare its quality."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import embeddings as emb
from pipeline.codebook import load_codebook
from pipeline.core.errors import PipelineError
from pipeline.core.files import read_table, write_csv, write_text
from pipeline.topics import cache as topic_cache
from pipeline.topics import figures
from pipeline.topics.comparison import QualityRuns, compare, quality_table, reduce_sample
from pipeline.topics.model import apply_frozen, fit_bertopic, save_model
from pipeline.topics.settings import TopicSettings
from pipeline.topics.tables import class_words, crosswalk, dominant_codes, segment_topics, topic_table, topics_per_group
from pipeline.topics.vocabulary import clean, light_embedder, modelled, seed_words

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- edges


def _inputs(segments_csv, embeddings_path, settings: TopicSettings, fit_waves=None):
    seg = read_table(segments_csv)
    keep = modelled(seg, settings)
    docs = [clean(t) for t in seg.loc[keep, "text"]]
    embedder = None
    if settings.profile == "light":
        in_fit = fit_mask(seg, keep, fit_waves)
        fit_docs = [d for d, f in zip(docs, in_fit, strict=True) if f]
        if fit_docs:
            embedder, _ = light_embedder(fit_docs, settings)
            vectors = np.asarray(embedder.transform(docs), dtype=np.float32)
        else:
            vectors = np.zeros((len(docs), 2), np.float32)
    else:
        ids, vectors_all, _ = emb.load(embeddings_path)
        if ids != list(seg["segment_id"]):
            raise PipelineError(
                "the embeddings do not match segments.csv",
                "Rerun the workflow so embed_segments runs again",
                file=embeddings_path,
            )
        vectors = vectors_all[keep.to_numpy()]
    return seg, keep, docs, vectors, embedder


def fit_mask(seg: pd.DataFrame, keep: pd.Series, fit_waves) -> np.ndarray:
    """Among the modelled segments, those the model is fitted on (all, or the waves models.freeze lists)."""
    waves = seg.loc[keep, "wave"].astype(int)
    return waves.isin(fit_waves).to_numpy() if fit_waves else np.ones(len(waves), dtype=bool)


def fit_topics(
    segments_csv,
    embeddings_path,
    settings: TopicSettings,
    out: dict,
    guided: bool = False,
    fit_waves=None,
    cache_folder=None,
    codebook_path=None,
) -> dict:
    """Edge: fit the topic model (guided: seeded from the codes of the codebook at ``codebook_path``) and write its
    tables, model and figures. It reads no coding: the topics against the codes come after, from
    ``relate_topics_to_codes``.

    With ``cache_folder``, a fit of the same segments, vectors and settings is loaded instead of fitted
    again (``pipeline.topics.cache``), and a new fit is stored there."""

    started = time.perf_counter()
    seg, keep, docs, vectors, embedder = _inputs(segments_csv, embeddings_path, settings, fit_waves)
    in_fit = fit_mask(seg, keep, fit_waves)
    codebook = load_codebook(codebook_path) if guided else None
    fit_docs = [d for d, f in zip(docs, in_fit, strict=True) if f]
    kind = "guided" if guided else "main"
    # the guided fit's seed words are made from the codes' labels and indicator words with the settings' stop words
    # (scikit-learn's list, whose version the key holds): keyed on those, a fit loaded from the cache needs no
    # scikit-learn (1.5 s to import)
    seeded_by = [[c.id, c.label, list(c.patterns)] for c in codebook.codes] if guided else None
    key = topic_cache.fit_key(kind, fit_docs, vectors[in_fit], settings, seed=settings.seed, seed_words=seeded_by)
    # the BERTopic model (seconds to import) serves only the words per role and wave, the saved model and figures
    needs_model = any(name in out for name in ("per_role", "model", "figure_words"))
    result = topic_cache.load_fit(cache_folder, kind, key, with_model=needs_model)
    if result is not None:
        log.info(
            "the %s fit of these %d segments is in the cache: loaded%s, not fitted again",
            kind,
            len(fit_docs),
            "" if needs_model else " (its topics and words: this job does not use the BERTopic model)",
        )
    else:
        if guided and embedder is None and settings.profile == "bertopic":  # embeds the seed words
            embedder = emb.encoder_of(embeddings_path)
        # marked in the cache while it is computed: the comparison, beside this job, waits for it (evaluate_topics)
        with topic_cache.fitting(cache_folder, kind, key):
            result = fit_bertopic(
                fit_docs,
                vectors[in_fit],
                settings,
                settings.seed,
                embedding_model=embedder if guided else None,
                seed_topic_list=seed_words(codebook, settings)[1] if guided else None,
            )
            if cache_folder:
                topic_cache.store_fit(cache_folder, kind, key, result)
    if fit_waves:
        result = apply_frozen(result, vectors[in_fit], vectors, in_fit)
        log.info(
            "models.freeze: fitted on waves %s (%d segments), applied to %d others",
            fit_waves,
            int(in_fit.sum()),
            int((~in_fit).sum()),
        )
    if result.message:
        log.warning(result.message)
    st = segment_topics(seg, keep, result)
    topics = topic_table(seg, st, result, vectors if len(docs) else None, keep)
    write_csv(st, out["segment_topics"])
    write_csv(topics, out["topics"])
    if "per_role" in out:
        modelled_seg = seg[keep.to_numpy()]
        role_words = class_words(result.model, docs, result.topics, list(modelled_seg["role"]), "role")
        wave_words = class_words(result.model, docs, result.topics, list(modelled_seg["wave"].astype(str)), "wave")
        write_csv(topics_per_group(seg, st, topics, "role", role_words), out["per_role"])
        write_csv(topics_per_group(seg, st, topics, "wave", wave_words), out["per_wave"])
    if "model" in out:
        save_model(
            result,
            out["model"],
            settings,
            {
                "guided": guided,
                "fitted_on_waves": fit_waves or "all",
                "cluster_selection_used": result.selection or None,
            },
        )
    if "figure_words" in out:
        roles = out["roles"]
        weights = {t: result.model.get_topic(t) for t in result.words} if result.model is not None else {}
        figures.topic_words(topics, weights, out["figure_words"])
        figures.topics_by_role(read_table(out["per_role"]), roles, out["figure_roles"])
    n_topics = len(result.words)
    log.info(
        "%d of %d segments modelled: %d topics (HDBSCAN %s), %d outliers reassigned, in %.1fs",
        len(docs),
        len(seg),
        n_topics,
        result.selection or "-",
        int(result.reassigned.sum()),
        time.perf_counter() - started,
    )
    return {"topics": n_topics, "segments": len(docs)}


def relate_topics_to_codes(
    segment_codes_csv, codebook_path, models: dict, figure_codes=None, quality: tuple | None = None
) -> dict:
    """Edge: the topic models against the final codes. ``models`` maps a model's name ("main", "guided") to its
    files: ``segment_topics`` and ``topics`` (read) and ``crosswalk`` (written: the topic x code contingency and
    each topic's dominant code, ``tables.crosswalk``). ``figure_codes``: the main model's heatmap. ``quality``:
    (the comparison's runs from ``evaluate_topics``, the quality table to write: ``tabulate_topic_quality``).
    Returns each model's NMI between topics and the segments' dominant codes (also in the log).

    Its own step, so that the topic models and their comparison neither wait for the coding nor run again when
    only the codes change (a review round, say)."""
    started = time.perf_counter()
    codebook = load_codebook(codebook_path)
    codes = read_table(segment_codes_csv)
    if quality:
        runs_path, table_path = quality
        tabulate_topic_quality(runs_path, codes, table_path)
    labels = {c.id: c.label for c in codebook.codes}
    nmis = {}
    for name, files in models.items():
        # the tables are read as text: topic ids are numbers again, so topics sort as the fit wrote them
        st = read_table(files["segment_topics"]).astype({"topic_id": int})
        topics = read_table(files["topics"]).astype({"topic_id": int})
        cross, nmis[name] = crosswalk(st, codes, topics, codebook.ids, labels)
        write_csv(cross, files["crosswalk"])
        if name == "main" and figure_codes:
            figures.topic_code_heatmap(cross, codebook, figure_codes)
        log.info("%s topic model: NMI between topics and the segments' dominant codes %.3f", name, nmis[name])
    log.info("topics related to codes in %.1fs", time.perf_counter() - started)
    return nmis


def evaluate_topics(
    segments_csv,
    embeddings_path,
    settings: TopicSettings,
    out,
    workers: int = 1,
    fit_waves=None,
    cache_folder=None,
) -> QualityRuns:
    """Edge: the side-by-side comparison (BERTopic, LDA, NMF) on the segments the topic model is fitted on (every
    modelled segment, or those of the waves models.freeze lists), in ``workers`` processes: its runs, written to
    ``out`` (JSON, ``write_runs``) for ``relate_topics_to_codes``, which adds the codes. It reads no codes, so it
    runs beside code_segments, and a change in the coding alone (a review round) does not compare again.

    With ``cache_folder`` (fit_topics' cache): the main fit is fit_topics' own when its key matches, and runs
    computed before from the same segments, vectors and settings are written again instead of computed
    (``pipeline.topics.cache``)."""

    started = time.perf_counter()
    seg, keep, docs, vectors, _ = _inputs(segments_csv, embeddings_path, settings, fit_waves)
    in_fit = fit_mask(seg, keep, fit_waves)
    docs = [d for d, f in zip(docs, in_fit, strict=True) if f]
    vectors = vectors[in_fit]
    ids = list(seg.loc[keep, "segment_id"][in_fit])
    runs_key = topic_cache.fit_key("quality", docs, vectors, settings, seed=settings.seed)
    text = topic_cache.load_file(cache_folder, "quality", runs_key, Path(out).name)
    if text is not None:
        write_text(text, out)
        log.info("the comparison of these %d segments is in the cache: written, not computed", len(docs))
        return read_runs(out)[0]
    key = topic_cache.fit_key("main", docs, vectors, settings, seed=settings.seed, seed_words=None)
    main = topic_cache.load_fit(cache_folder, "main", key, with_model=False)
    if main is None and reduce_sample(docs, vectors, settings):
        # On a sample the comparison needs only the main fit's cluster selection. From 400 interviews on the
        # workflow runs this job beside fit_topics rather than after it (pipeline/rules/topics.smk): the sample's
        # reductions, which do not depend on the selection, are computed first; then, while fit_topics is still
        # fitting these segments (its mark in the cache says so), its fit is waited for rather than computed
        # twice. Where no fit is under way, the main fit is computed here: the same fit, the same table.
        main = topic_cache.wait_for_fit(cache_folder, "main", key)
    if main is not None:
        log.info("quality: main fit (seed %d) is fit_topics' own, from the cache", settings.seed)
    else:
        main = fit_bertopic(docs, vectors, settings, settings.seed)
        log.info("quality: main fit (seed %d, as fit_topics) in %.1fs", settings.seed, time.perf_counter() - started)
    runs = compare(docs, vectors, settings, main, workers=workers)
    if main.message:
        log.warning(main.message)
    write_runs(runs, [ids[i] for i in runs.positions], out)
    if cache_folder:
        topic_cache.store_file(cache_folder, "quality", runs_key, out)
    log.info(
        "topic quality over %d seeds on %d segments (%d worker(s)) in %.1fs",
        settings.quality_seeds,
        len(docs),
        workers,
        time.perf_counter() - started,
    )
    return runs


def write_runs(runs: QualityRuns, segment_ids: list[str], path) -> None:
    """The comparison's runs as JSON, with the compared segments' ids (in the runs' order) in place of positions."""
    data = {"rows": runs.rows, "segment_ids": segment_ids, "assignments": runs.assignments}
    write_text(json.dumps(data, sort_keys=True) + "\n", path)


def read_runs(path) -> tuple[QualityRuns, list[str]]:
    """(runs, compared segment ids) from ``write_runs``' file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    ids = data["segment_ids"]
    return QualityRuns(data["rows"], list(range(len(ids))), data["assignments"]), ids


def tabulate_topic_quality(runs_path, segment_codes: pd.DataFrame, out) -> pd.DataFrame:
    """The quality table (tables/topic_quality.csv): the comparison's runs (``evaluate_topics``) with the NMI
    between each model's topics and the compared segments' dominant codes (uncoded: their own category)."""
    runs, ids = read_runs(runs_path)
    dominant = list(pd.Series(ids, dtype=object).map(dominant_codes(segment_codes)).fillna("(uncoded)"))
    table = quality_table(runs, dominant)
    write_csv(table, out)
    log.info("topic quality table of %d compared segments, with their dominant codes", len(ids))
    return table
