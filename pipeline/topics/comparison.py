"""Topic quality: BERTopic against NMF and LDA baselines (NPMI coherence, diversity, stability over seeds)."""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pipeline.topics.model import OUTLIER, TopicResult, fit_bertopic, umap_reducer
from pipeline.topics.settings import TopicSettings
from pipeline.topics.vocabulary import vectorizer

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- quality


def npmi_coherence(topic_words: list[list[str]], docs: list[str], settings: TopicSettings) -> list[float]:
    """NPMI of each topic's top words, from their co-occurrence in the same documents (segments).

    A pair never seen together scores -1; a word list of fewer than two words scores NaN.
    """
    vocab = sorted({w for words in topic_words for w in words})
    if not vocab:
        return [float("nan")] * len(topic_words)
    x = (vectorizer(settings, vocabulary=vocab).fit_transform(docs) > 0).astype(np.int64)
    n = x.shape[0]
    df = np.asarray(x.sum(axis=0)).ravel()
    co = (x.T @ x).toarray()
    index = {w: i for i, w in enumerate(vocab)}
    scores = []
    for words in topic_words:
        pairs = list(combinations([index[w] for w in words], 2))
        if not pairs:
            scores.append(float("nan"))
            continue
        values = []
        for i, j in pairs:
            p_ij = co[i, j] / n
            if p_ij == 0:
                values.append(-1.0)
            elif p_ij == 1:
                values.append(1.0)
            else:
                pmi = np.log(p_ij / ((df[i] / n) * (df[j] / n)))
                values.append(float(pmi / -np.log(p_ij)))
        scores.append(float(np.mean(values)))
    return scores


def diversity(topic_words: list[list[str]]) -> float:
    """Share of unique words among all topics' top words (1: no word shared between topics)."""
    every = [w for words in topic_words for w in words]
    return len(set(every)) / len(every) if every else float("nan")


def mean_pairwise_ari(assignments: list[np.ndarray]) -> float:
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.metrics import adjusted_rand_score

    pairs = list(combinations(range(len(assignments)), 2))
    if not pairs:
        return float("nan")
    return float(np.mean([adjusted_rand_score(assignments[i], assignments[j]) for i, j in pairs]))


# LDA's passes over the segments (scikit-learn's online variational Bayes, batches of 256)
LDA_PASSES = 10


def fit_lda(counts, k: int, seed: int):
    """scikit-learn's online LDA as the comparison fits it: ``LDA_PASSES`` calls of ``partial_fit``, each one pass
    over the documents in batches of 256, weighted for all of them (``total_samples``); then each document's topics
    (``transform``). Returns the model and those topics.

    That is what ``fit_transform`` with ``max_iter=LDA_PASSES`` computes, step for step, except that ``fit`` infers
    every document's topics once more to compute a perplexity (``bound_``) that nothing here reads, before
    ``transform`` infers them again: about a fifth of each run at 1,250 interviews. The topics and each document's
    topics are the same (tests/unit/test_topics.py)."""
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.decomposition import LatentDirichletAllocation

    model = LatentDirichletAllocation(
        n_components=k, random_state=seed, learning_method="online", batch_size=256, total_samples=counts.shape[0]
    )
    for _ in range(LDA_PASSES):
        model.partial_fit(counts)
    return model, model.transform(counts)


def fit_baseline(kind: str, docs: list[str], k: int, seed: int, settings: TopicSettings, counts, vocab):
    """scikit-learn LDA (on counts) or NMF (on TF-IDF) with k topics: top words and per-document topics, computed
    on one thread (the same whatever threads the process has)."""

    with threadpool_limits(1):
        return _fit_baseline(kind, docs, k, seed, settings, counts, vocab)


def _fit_baseline(kind: str, docs: list[str], k: int, seed: int, settings: TopicSettings, counts, vocab):
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.decomposition import NMF

    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.feature_extraction.text import TfidfTransformer

    if kind == "lda":
        model, doc_topic = fit_lda(counts, k, seed)
    else:
        tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
        model = NMF(n_components=k, random_state=seed, init="nndsvda", max_iter=400)
        doc_topic = model.fit_transform(tfidf)
    words = [[vocab[i] for i in np.argsort(-row, kind="stable")[: settings.top_n_words]] for row in model.components_]
    return words, doc_topic.argmax(axis=1)


def _quality_run(
    kind: str, seed: int, docs, embeddings, settings: TopicSettings, k: int, counts, vocab, reduce_as=None
):
    """One run of the quality table (a task of ``quality``): its topics' top words, each document's topic, and
    the seconds it took. ``reduce_as``: the documents are a sample of that many (``model.umap_reducer``)."""
    started = time.perf_counter()
    if kind == "bertopic":
        result = fit_bertopic(docs, embeddings, settings, seed, reduce_as=reduce_as)
        words, assigned = list(result.words.values()), result.topics
    else:
        words, assigned = fit_baseline(kind, docs, k, seed, settings, counts, vocab)
    return words, assigned, time.perf_counter() - started


def reduce_sample(docs: list[str], embeddings: np.ndarray, settings: TopicSettings) -> bool:
    """What the comparison can compute before it knows the main fit's cluster selection, where it compares on a
    sample (``quality_sample``): the sample's UMAP reduction with each seed (UMAP comes before the clustering, and
    does not depend on it). They are kept in this process (``model.ReusingUMAP``), so the fits of ``quality``
    reuse them and its table is the same. True if the comparison is on a sample."""
    sample = quality_sample(len(docs), settings)
    if sample is None:
        return False
    started = time.perf_counter()
    vectors = embeddings[sample]
    with threadpool_limits(1):
        for seed in range(settings.seed, settings.seed + settings.quality_seeds):
            # the call BERTopic makes (as model._eom_clusters does), so that its fits find the reduction
            umap_reducer(settings, len(sample), seed, reduce_as=len(docs)).fit_transform(vectors.copy(), y=None)
    log.info(
        "quality: the sample's %d reductions computed before the cluster selection is known, in %.1fs",
        settings.quality_seeds,
        time.perf_counter() - started,
    )
    return True


def quality_sample(n: int, settings: TopicSettings) -> np.ndarray | None:
    """The segments the comparison is computed on: all of them (None) up to ``quality_sample``, else that many
    drawn at random with the topic seed (sorted; the same draw every run)."""
    if not settings.quality_sample or n <= settings.quality_sample:
        return None
    return np.sort(np.random.default_rng(settings.seed).choice(n, settings.quality_sample, replace=False))


def _runs(seeds: list[int], main_seed: int, args: tuple, workers: int) -> dict:
    """(model, seed) -> (top words, each document's topic) for every run of the table but the main fit.

    This process fits BERTopic with the other seeds (they share its distance matrix, ``distances.py``), while
    ``workers - 1`` processes fit LDA and NMF, the longest first; once its own runs are done this process takes
    the baseline runs no worker has started, from the shortest. Every run has its own seed and computes on one
    thread, so where it runs changes only the time."""
    baseline = [("lda", s) for s in seeds] + [("nmf", s) for s in seeds]
    own = [("bertopic", s) for s in seeds if s != main_seed]
    docs, _, settings, k, counts, vocab, _ = args
    without_vectors = (docs, None, settings, k, counts, vocab)  # LDA and NMF do not read them
    done = {}
    pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn")) if workers > 1 else None
    try:
        pending = {task: pool.submit(_quality_run, *task, *without_vectors) for task in baseline} if pool else {}
        for task in own:
            done[task] = _quality_run(*task, *args)
        for task in reversed(baseline):
            if task not in pending or pending[task].cancel():
                done[task] = _quality_run(*task, *without_vectors)
        done.update({task: future.result() for task, future in pending.items() if task not in done})
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    for name in ("lda", "bertopic", "nmf"):
        took = [t for (kind, _), (_, _, t) in done.items() if kind == name]
        log.info("quality: %d %s run(s), %.1fs each on average", len(took), name, np.mean(took) if took else 0)
    return {task: (words, assigned) for task, (words, assigned, _) in done.items()}


MODELS = ("bertopic", "lda", "nmf")
COLUMNS = [
    "model",
    "n_topics",
    "n_topics_range",
    "seeds",
    "npmi",
    "npmi_sd",
    "diversity",
    "stability_ari",
    "nmi_dominant_code",
    "outlier_share",
    "segments",
]


@dataclass(frozen=True)
class QualityRuns:
    """The comparison before the codes are known: the table's rows without ``nmi_dominant_code``, the positions
    (in the documents compared) of the segments it compared, and each model's topic for those segments in its run
    with the configured seed (what the NMI is computed from). ``quality_table`` adds the codes."""

    rows: list[dict]
    positions: list[int]
    assignments: dict[str, list[int]]


def quality(
    docs: list[str],
    embeddings: np.ndarray,
    settings: TopicSettings,
    main: TopicResult,
    dominant: list[str],
    workers: int = 1,
) -> pd.DataFrame:
    """The quality table (``compare``, then ``quality_table`` with each segment's dominant code)."""
    runs = compare(docs, embeddings, settings, main, workers)
    return quality_table(runs, [dominant[i] for i in runs.positions])


def quality_table(runs: QualityRuns, dominant: list[str]) -> pd.DataFrame:
    """The runs' table with the NMI between each model's topics (its run with the configured seed) and the
    compared segments' dominant codes (``dominant``: one per compared segment, in the runs' order)."""
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.metrics import normalized_mutual_info_score

    rows = []
    for row in runs.rows:
        assigned = runs.assignments.get(row["model"])
        if assigned is not None:
            row = {**row, "nmi_dominant_code": round(float(normalized_mutual_info_score(dominant, assigned)), 6)}
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def compare(
    docs: list[str],
    embeddings: np.ndarray,
    settings: TopicSettings,
    main: TopicResult,
    workers: int = 1,
) -> QualityRuns:
    """BERTopic vs LDA vs NMF with matched topic counts on the same segments, over ``quality_seeds`` seeds.

    Above ``quality_sample`` segments the three are compared on a seeded sample of that many (``quality_sample``):
    BERTopic is fitted on it with every seed (the main fit's cluster selection; UMAP reduces the sample as it
    reduces the whole corpus, ``model.umap_reducer``), LDA and NMF get the topic count of its fit with the
    configured seed. Otherwise the main fit is BERTopic's run with the configured seed and
    gives the topic count. The runs are independent (each has its own seed, each computes on one thread) and run
    in ``workers`` processes (``_runs``): the table does not depend on ``workers``. It reads no codes.
    """
    # every seed with the cluster selection the main fit used (auto decides once, on the main fit)
    resolved = replace(settings, cluster_selection=main.selection) if main.selection else settings
    seeds = [settings.seed + i for i in range(settings.quality_seeds)]
    positions = list(range(len(docs)))
    sample = quality_sample(len(docs), settings)
    reduce_as = None if sample is None else len(docs)
    if sample is not None:
        docs, embeddings, positions = [docs[i] for i in sample], embeddings[sample], [int(i) for i in sample]
        started = time.perf_counter()
        main = fit_bertopic(docs, embeddings, resolved, settings.seed, reduce_as=reduce_as)
        log.info(
            "quality: %d of the segments drawn; BERTopic (seed %d) on them in %.1fs, %d topics",
            len(docs),
            settings.seed,
            time.perf_counter() - started,
            len(main.words),
        )
    k = len(main.words)
    if k < 2:
        rows = [{"model": m, "n_topics": k, "seeds": len(seeds), "segments": len(docs)} for m in MODELS]
        return QualityRuns(rows, positions, {})
    cv = vectorizer(settings, min_df=2 if len(docs) >= 200 else 1)
    counts = cv.fit_transform(docs)
    vocab = cv.get_feature_names_out()
    by_task = _runs(seeds, settings.seed, (docs, embeddings, resolved, k, counts, vocab, reduce_as), workers)
    by_task[("bertopic", settings.seed)] = (list(main.words.values()), main.topics)
    runs = {name: [by_task[(name, s)] for s in seeds] for name in MODELS}
    rows = []
    for name, fits in runs.items():
        npmi_per_run = [np.nanmean(npmi_coherence(words, docs, settings)) if words else np.nan for words, _ in fits]
        rows.append(
            {
                "model": name,
                "n_topics": len(fits[0][0]),  # the run with the configured seed
                "n_topics_range": f"{min(len(w) for w, _ in fits)}-{max(len(w) for w, _ in fits)}",
                "seeds": len(fits),
                "npmi": round(float(np.nanmean(npmi_per_run)), 6),
                "npmi_sd": round(float(np.nanstd(npmi_per_run)), 6),
                "diversity": round(float(np.mean([diversity(words) for words, _ in fits if words])), 6),
                "stability_ari": round(mean_pairwise_ari([a for _, a in fits]), 6),
                "outlier_share": round(float(np.mean([np.mean(a == OUTLIER) for _, a in fits])), 6),
                "segments": len(docs),
            }
        )
    # the run with the configured seed: its topic for each compared segment
    assignments = {name: [int(t) for t in fits[0][1]] for name, fits in runs.items()}
    return QualityRuns(rows, positions, assignments)
