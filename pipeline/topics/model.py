"""Topic modelling: what participants talk about that the codebook did not anticipate.

BERTopic on participant segments, fed the shared all-MiniLM-L6-v2 embeddings from the corpus's cache
(profile ``bertopic``) or, in the lighter profile ``light``, TF-IDF + TruncatedSVD vectors that need no
torch. UMAP and every other random step take an explicit seed, so two runs give the same topics.
After clustering, outliers are reassigned to their nearest topic by embedding similarity and the
topic words are recomputed (``update_topics``) with a vectorizer that drops English stop words and
interview fillers.

Quality is measured side by side on the same segments for BERTopic, scikit-learn LDA and NMF with
matched topic counts: NPMI coherence of each topic's top words (document co-occurrence in the
segments), topic diversity (share of unique words among all topics' top words) and stability
(mean adjusted Rand index of assignments between runs with different seeds).
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import asdict, dataclass, replace
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from pipeline.core.files import atomic_folder
from pipeline.embeddings import embed
from pipeline.topics.compiled import import_compiled
from pipeline.topics.distances import array_digest as _digest
from pipeline.topics.distances import fast_pairwise_distances, nearest_in_block
from pipeline.topics.settings import TopicSettings
from pipeline.topics.vocabulary import segment_vocabulary, vectorizer

log = logging.getLogger(__name__)


OUTLIER = -1


# this process's last UMAP reductions: key (vectors, labels, settings) -> (fitted state, result), the newest last
_REDUCTIONS: dict = {}
# as many as the topic comparison fits on its sample (one per seed, computed before it knows the cluster selection)
REDUCTIONS_KEPT = 8


# UMAP computes exact neighbours below 4,096 points and approximates them above (pynndescent, whose nn_descent
# compiles for about 30 s in every process: numba cannot cache it). From there to this many points the exact
# neighbours are computed here instead, in blocks (a matrix product, about 2 s for 14,000 segments).
EXACT_NEIGHBOURS_FROM = 4096


EXACT_NEIGHBOURS_UNTIL = 60_000


_BLOCK = 2048


def exact_cosine_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's k nearest points by cosine distance, itself first: (indices, distances), as UMAP takes them
    (``precomputed_knn``). Ordered by distance, then by index (also where points tie at the k-th place). The same
    input gives the same result every time."""
    x = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms == 0, 1, norms)
    n = len(x)
    indices = np.zeros((n, k), dtype=np.int32)
    distances = np.zeros((n, k), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        # the similarities of a block of points to all (a matrix product); the k nearest of each in one pass
        nearest_in_block(x[start : start + _BLOCK] @ x.T, start, indices, distances)
    distances[:, 0] = 0.0
    return indices, distances


@cache
def _reusing_umap():
    # UMAP compiles with numba (seconds, cached on disk by import_compiled): only where topics are fitted
    UMAP = import_compiled("umap").UMAP

    class ReusingUMAP(UMAP):
        """UMAP that reuses this process's recent reductions of the same vectors, labels and settings.

        ``cluster_selection: auto`` fits eom and then leaf on the same vectors, and the topic comparison reduces
        its sample with each seed before it knows the selection (``comparison.reduce_sample``); UMAP with a
        fixed random_state gives the same reduction every time, so reusing it changes only the time (about a
        third of a fit).
        Between ``EXACT_NEIGHBOURS_FROM`` and ``EXACT_NEIGHBOURS_UNTIL`` points it is given exact cosine
        neighbours (``exact_cosine_neighbours``) instead of approximating them; ``umap_reducer`` decides so
        for a sample reduced as its corpus (``matrix_neighbours``).
        """

        def fit_transform(self, X, y=None, **kwargs):
            matrix_neighbours = getattr(self, "matrix_neighbours", None)
            if matrix_neighbours is None:
                matrix_neighbours = EXACT_NEIGHBOURS_FROM <= len(X) <= EXACT_NEIGHBOURS_UNTIL
            params = json.dumps(self.get_params(), sort_keys=True, default=str)
            key = (_digest(X), _digest(y), params, matrix_neighbours)
            if key in _REDUCTIONS:
                state, embedding = _REDUCTIONS.pop(key)
                _REDUCTIONS[key] = (state, embedding)  # the newest again
                self.__dict__.update(state)
                return embedding.copy()
            with warnings.catch_warnings():
                if self.metric == "cosine" and matrix_neighbours:
                    self.precomputed_knn = exact_cosine_neighbours(X, self.n_neighbors)
                    # UMAP's transform() needs the search index; nothing here calls it (models.freeze places
                    # later segments by similarity to the topics' centres)
                    warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
                with fast_pairwise_distances():  # below 4,096 points: the same distances, in compiled code
                    embedding = super().fit_transform(X, y=y, **kwargs)
            _REDUCTIONS[key] = (dict(self.__dict__), embedding.copy())
            while len(_REDUCTIONS) > REDUCTIONS_KEPT:
                del _REDUCTIONS[next(iter(_REDUCTIONS))]
            return embedding

    return ReusingUMAP


def _backend(embedding_model):
    """BERTopic's view of an encoder of ``pipeline.embeddings`` (it embeds the seed words of guided topics with it):
    one text at a time, as the segments were. Anything else (None, the light profile's pipeline) goes as it is."""
    if not hasattr(embedding_model, "vector"):
        return embedding_model
    BaseEmbedder = import_compiled("bertopic.backend").BaseEmbedder

    class EncoderBackend(BaseEmbedder):
        def embed(self, documents, verbose=False):
            return embed(list(documents), embedding_model)

    return EncoderBackend()


def umap_epochs(n_points: int) -> int:
    """The epochs UMAP optimises a reduction of ``n_points`` points for when it is given none: 500 up to 10,000
    points, 200 above (``umap.umap_.simplicial_set_embedding``)."""
    return 500 if n_points <= 10_000 else 200


def umap_reducer(settings: TopicSettings, n_docs: int, seed: int, reduce_as: int | None = None):
    """UMAP as the topic model uses it (``ReusingUMAP``: this process's recent reductions are reused).

    ``reduce_as``: the ``n_docs`` points are a sample that stands for that many (the topic comparison's sample of
    a larger corpus), and are reduced as UMAP reduces the whole: with its number of epochs (``umap_epochs``), and
    with exact neighbours from a matrix product where the whole gets them. Without it, UMAP's own choices for
    ``n_docs`` points."""
    reducer = _reusing_umap()(
        n_neighbors=max(2, min(settings.n_neighbors, n_docs - 1)),
        n_components=min(settings.n_components, max(2, n_docs - 2)),
        min_dist=0.0,
        metric="cosine",
        n_epochs=None if reduce_as is None else umap_epochs(reduce_as),
        random_state=seed,
        n_jobs=1,
    )
    if reduce_as is not None:
        reducer.matrix_neighbours = reduce_as >= EXACT_NEIGHBOURS_FROM and n_docs <= EXACT_NEIGHBOURS_UNTIL
    return reducer


def _hdbscan(settings: TopicSettings, n_docs: int):
    # HDBSCAN loads with numba: only where topics are fitted
    from hdbscan import HDBSCAN

    return HDBSCAN(
        min_cluster_size=settings.cluster_size(n_docs),
        min_samples=settings.min_samples,
        metric="euclidean",
        cluster_selection_method=settings.cluster_selection,
        prediction_data=True,
    )


def build_model(
    settings: TopicSettings,
    n_docs: int,
    seed: int,
    embedding_model=None,
    seed_topic_list=None,
    vocabulary=None,
    reduce_as: int | None = None,
):
    """A BERTopic model with every sub-model injected and seeded (``reduce_as``: ``umap_reducer``)."""
    # BERTopic pulls in UMAP, HDBSCAN and numba (seconds): only where topics are fitted
    BERTopic = import_compiled("bertopic").BERTopic
    ClassTfidfTransformer = import_compiled("bertopic.vectorizers").ClassTfidfTransformer

    model = BERTopic(
        embedding_model=_backend(embedding_model),
        umap_model=umap_reducer(settings, n_docs, seed, reduce_as),
        hdbscan_model=_hdbscan(settings, n_docs),
        vectorizer_model=vectorizer(settings, vocabulary=vocabulary),
        # reduce_frequent_words=False and the segment-level vocabulary: measured on the demo
        # (NPMI 0.124 against 0.045 with BERTopic's defaults; benchmarks/RESULTS.md)
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=False),
        top_n_words=settings.top_n_words,
        nr_topics=settings.nr_topics,
        seed_topic_list=seed_topic_list,
        calculate_probabilities=False,
        verbose=False,
    )
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # its notes on custom topic lists are for developers
    return model


@dataclass
class TopicResult:
    """What one fit gives: per-document topics and probabilities, topic words, and the fitted model."""

    topics: np.ndarray  # per modelled doc
    probability: np.ndarray
    reassigned: np.ndarray  # bool: outlier moved to its nearest topic
    words: dict[int, list[str]]  # topic -> top words (outliers excluded)
    model: object | None
    message: str = ""
    applied: np.ndarray | None = None  # bool: assigned by a model fitted on other waves (models.freeze)
    selection: str = ""  # HDBSCAN's cluster selection the fit used (eom or leaf)


def too_few_topics(found: int, n: int) -> bool:
    """eom's known failure on a large corpus about one subject: a few huge clusters hold nearly everything.
    With 1,000+ segments: 3 topics or fewer, or fewer than one topic per 1,000 segments."""
    return n >= 1000 and (found <= 3 or found < n / 1000)


def fit_bertopic(
    docs: list[str],
    embeddings: np.ndarray,
    settings: TopicSettings,
    seed: int,
    embedding_model=None,
    seed_topic_list=None,
    reduce_as: int | None = None,
) -> TopicResult:
    """Pure core: fit, reassign outliers by embedding similarity, recompute topic words. ``reduce_as``: the
    documents are a sample of that many, reduced as the whole would be (``umap_reducer``).

    ``cluster_selection: auto`` fits with HDBSCAN's eom selection and, where that finds too few topics
    (``too_few_topics``), fits again with leaf (benchmarks/RESULTS.md, "Topic quality"). The result says
    which was used (``selection``); eom chosen by name only warns.
    """

    def fit(selection: str) -> TopicResult:
        chosen = replace(settings, cluster_selection=selection)
        with threadpool_limits(1):  # the same topics whatever threads the process has
            return _fit_bertopic(docs, embeddings, chosen, seed, embedding_model, seed_topic_list, reduce_as)

    auto = settings.cluster_selection == "auto"
    if auto and seed_topic_list is None and settings.nr_topics is None and len(docs) >= settings.min_segments:
        found = _eom_clusters(docs, embeddings, settings, seed, reduce_as)
        if found is not None and found >= 2 and too_few_topics(found, len(docs)):
            log.info("cluster selection auto: eom finds %d topics in %d segments, fitting with leaf", found, len(docs))
            return fit("leaf")
    result = fit("eom" if auto else settings.cluster_selection)
    if result.selection == "eom" and result.model is not None and too_few_topics(len(result.words), len(docs)):
        if not auto:
            log.warning(
                "only %d topics in %d segments: HDBSCAN's eom selection keeps a few large clusters in a corpus "
                "about one subject; topics.cluster_selection: leaf (or auto) finds finer topics",
                len(result.words),
                len(docs),
            )
            return result
        log.info(
            "cluster selection auto: eom found %d topics in %d segments, fitting again with leaf",
            len(result.words),
            len(docs),
        )
        result = fit("leaf")
    return result


def _eom_clusters(
    docs: list[str], embeddings: np.ndarray, settings: TopicSettings, seed: int, reduce_as: int | None = None
) -> int | None:
    """The number of topics a fit with HDBSCAN's eom selection would find: the count of its clusters, from the
    same reduction and clustering BERTopic would compute first (the reduction is kept for the fit that follows,
    ``ReusingUMAP``). ``auto`` decides with it before fitting, so the eom fit is not computed only to be dropped.
    None where the reduction or the clustering fails (the fit then says why)."""
    eom = replace(settings, cluster_selection="eom")
    with threadpool_limits(1):
        try:
            reducer = umap_reducer(eom, len(docs), seed, reduce_as)
            reduced = np.nan_to_num(reducer.fit_transform(embeddings.copy(), y=None))
            labels = _hdbscan(eom, len(docs)).fit(reduced).labels_
        except (ValueError, TypeError):
            return None
    return len(set(np.asarray(labels).tolist()) - {OUTLIER})


def _fit_bertopic(
    docs: list[str],
    embeddings: np.ndarray,
    settings: TopicSettings,
    seed: int,
    embedding_model=None,
    seed_topic_list=None,
    reduce_as: int | None = None,
) -> TopicResult:
    n = len(docs)
    if n < settings.min_segments:
        return _no_structure(
            n,
            f"only {n} segments of {settings.min_words}+ words (at least {settings.min_segments} needed)",
            "with more interviews (or a lower topics.min_segments) topics can form",
        )
    vocabulary = segment_vocabulary(docs, settings)
    model = build_model(settings, n, seed, embedding_model, seed_topic_list, vocabulary, reduce_as)
    try:
        topics, probs = model.fit_transform(docs, embeddings=embeddings.copy())
    except (ValueError, TypeError) as exc:  # UMAP/HDBSCAN on degenerate input
        log.warning("topic model could not cluster: %s", type(exc).__name__)
        return _no_structure(
            n, "the clustering failed on this input", "check the segments, or try topics.profile: light"
        )
    topics = np.asarray(topics)
    probability = np.asarray(probs, dtype=float) if probs is not None else np.zeros(n)
    if len(set(topics) - {OUTLIER}) < 2:
        return _no_structure(
            n,
            f"the clustering found {len(set(topics) - {OUTLIER})} topic(s) in {n} segments",
            f"a lower topics.min_cluster_size (now {settings.cluster_size(n)}) may let topics form",
        )
    reassigned = np.zeros(n, dtype=bool)
    if (topics == OUTLIER).any():
        new = np.asarray(
            model.reduce_outliers(
                docs, list(topics), strategy="embeddings", embeddings=embeddings, threshold=settings.outlier_threshold
            )
        )
        reassigned = (topics == OUTLIER) & (new != OUTLIER)
        topics = new
        model.update_topics(
            docs,
            topics=list(topics),
            vectorizer_model=vectorizer(settings, vocabulary=vocabulary),
            top_n_words=settings.top_n_words,
        )
        # membership strength for clustered segments; cosine similarity to the topic for reassigned ones
        topic_vectors = _topic_vectors(embeddings, topics)
        for i in np.flatnonzero(reassigned):
            probability[i] = float(np.clip(embeddings[i] @ topic_vectors[topics[i]], 0, 1))
    words = {
        int(t): [w for w, _ in model.get_topic(int(t)) if w][: settings.top_n_words]
        for t in sorted(set(topics) - {OUTLIER})
    }
    return TopicResult(topics, probability, reassigned, words, model, selection=settings.cluster_selection)


def apply_frozen(result: TopicResult, fit_vectors: np.ndarray, vectors: np.ndarray, in_fit: np.ndarray) -> TopicResult:
    """models.freeze: segments of the other waves go to the most similar topic of the model fitted on the
    listed waves (cosine similarity to the topic's centre); that model's topics and words stay as they are."""
    n = len(in_fit)
    out = TopicResult(
        np.full(n, OUTLIER),
        np.zeros(n),
        np.zeros(n, dtype=bool),
        result.words,
        result.model,
        result.message,
        applied=~in_fit,
        selection=result.selection,
    )
    out.topics[in_fit], out.probability[in_fit], out.reassigned[in_fit] = (
        result.topics,
        result.probability,
        result.reassigned,
    )
    if result.words and (~in_fit).any():
        centres = _topic_vectors(fit_vectors, result.topics)
        ids = sorted(centres)
        sims = vectors[~in_fit] @ np.stack([centres[t] for t in ids]).T
        out.topics[~in_fit] = np.asarray(ids)[sims.argmax(axis=1)]
        out.probability[~in_fit] = np.clip(sims.max(axis=1), 0, 1)
    return out


def _no_structure(n: int, why: str, fix: str) -> TopicResult:
    message = (
        f"Too little structure for topic modelling: {why}. Every segment is listed as an outlier (topic -1); {fix}"
    )
    return TopicResult(np.full(n, OUTLIER), np.zeros(n), np.zeros(n, dtype=bool), {}, None, message)


def _topic_vectors(embeddings: np.ndarray, topics: np.ndarray) -> dict[int, np.ndarray]:
    out = {}
    for t in sorted(set(topics) - {OUTLIER}):
        v = embeddings[topics == t].mean(axis=0)
        out[int(t)] = v / (np.linalg.norm(v) or 1.0)
    return out


# ---------------------------------------------------------------- tables


def topic_labels(words: dict[int, list[str]]) -> dict[int, str]:
    labels = {t: ", ".join(w[:3]) for t, w in words.items()}
    labels[OUTLIER] = "(outliers)"
    return labels


# ---------------------------------------------------------------- model files


def library_versions() -> dict:
    return {p: version(p) for p in ("bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy")}


def save_model(result: TopicResult, folder: str | Path, settings: TopicSettings, extra: dict) -> None:
    """BERTopic's safetensors format (topic embeddings, c-TF-IDF, config; never pickle) plus our settings."""

    with atomic_folder(folder) as tmp:
        if result.model is not None:
            pointer = "sentence-transformers/all-MiniLM-L6-v2" if settings.profile == "bertopic" else False
            result.model.save(
                str(tmp / "bertopic"), serialization="safetensors", save_ctfidf=True, save_embedding_model=pointer
            )
        info = {
            "settings": asdict(settings),
            "topics": {str(t): w for t, w in result.words.items()},
            "versions": library_versions(),
            "message": result.message,
            **extra,
        }
        (tmp / "topics.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
