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

import hashlib
import json
import logging
import re
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

OUTLIER = -1
PLACEHOLDER = re.compile(r"\[([A-Za-z][A-Za-z ]*?)(?:_\d+)?\]")
TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"


@dataclass(frozen=True)
class TopicSettings:
    profile: str = "bertopic"  # bertopic (shared sentence embeddings) | light (TF-IDF + SVD, no torch)
    seed: int = 42
    min_words: int = 8
    min_segments: int = 30
    min_cluster_size: int | str = "auto"
    min_samples: int | None = None
    cluster_selection: str = "auto"  # HDBSCAN: eom (fewer, larger topics) | leaf (finer) | auto (fit_bertopic)
    n_neighbors: int = 15
    n_components: int = 5
    top_n_words: int = 10
    nr_topics: int | None = None
    outlier_threshold: float = 0.0
    fillers: tuple[str, ...] = field(default_factory=tuple)
    guided: bool = False
    quality_seeds: int = 5

    @classmethod
    def from_config(cls, block: dict) -> TopicSettings:
        block = dict(block)
        quality = block.pop("quality", {}) or {}
        block.pop("model", None)
        block["fillers"] = tuple(block.get("fillers", ()))
        if "seeds" in quality:
            block["quality_seeds"] = quality["seeds"]
        return cls(**block)

    def cluster_size(self, n_docs: int) -> int:
        if self.min_cluster_size != "auto":
            return int(self.min_cluster_size)
        # 7 on the demo's 400 segments, about 47 on twenty thousand (measured: benchmarks/RESULTS.md)
        return max(5, round(np.sqrt(n_docs) / 3))


# ---------------------------------------------------------------- text


CONTRACTIONS = (
    (re.compile(r"(?i)\bcan['’]t\b"), "can not"),
    (re.compile(r"(?i)\bwon['’]t\b"), "will not"),
    (re.compile(r"(?i)n['’]t\b"), " not"),
    (re.compile(r"(?i)['’](s|m|ve|re|ll|d)\b"), ""),
)


def clean(text: str) -> str:
    """Text for topic words: placeholders such as [PARTNER] or [PERSON_1] become plain words and contractions
    lose their clitic ("he's" -> "he", "didn't" -> "did not"), so no "hes" or "didnt" reaches the topic words."""
    text = PLACEHOLDER.sub(lambda m: " " + m.group(1).lower() + " ", text)
    for pattern, replacement in CONTRACTIONS:
        text = pattern.sub(replacement, text)
    # what BERTopic's own clean-up would do ("follow-up" -> "follow up"), so every count sees the same words
    return re.sub(r"[^A-Za-z0-9]+", " ", text).strip()


def stop_words(settings: TopicSettings) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(ENGLISH_STOP_WORDS) | {w.lower() for w in settings.fillers} | {"person", "place"})


def vectorizer(settings: TopicSettings, min_df: int = 1, vocabulary=None):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        stop_words=stop_words(settings),
        ngram_range=(1, 2),
        min_df=min_df,
        token_pattern=TOKEN_PATTERN,
        vocabulary=vocabulary,
    )


def segment_vocabulary(docs: list[str], settings: TopicSettings) -> list[str] | None:
    """Words and word pairs used in at least two segments: candidates for topic words (no one-off words).

    Fixed at segment level, not at topic level, so it behaves the same with 2 topics or 200.
    """
    if len(docs) < 2:
        return None
    try:
        vocab = list(vectorizer(settings, min_df=2).fit(docs).get_feature_names_out())
    except ValueError:  # nothing used twice
        return None
    return vocab if len(vocab) >= 10 else None


def modelled(segments: pd.DataFrame, settings: TopicSettings) -> pd.Series:
    """Which segments take part: participant segments of at least ``min_words`` words."""
    words = segments["text"].str.split().str.len().fillna(0)
    return words >= settings.min_words


def light_embedder(docs: list[str], settings: TopicSettings):
    """The lighter profile: TF-IDF + TruncatedSVD (+ L2 norm), fitted on the documents, seeded."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer

    tfidf = TfidfVectorizer(stop_words=stop_words(settings), token_pattern=TOKEN_PATTERN, sublinear_tf=True, min_df=1)
    n_features = tfidf.fit(docs).transform(docs).shape[1]
    components = max(2, min(100, n_features - 1, len(docs) - 1))
    pipe = make_pipeline(tfidf, TruncatedSVD(n_components=components, random_state=settings.seed), Normalizer())
    vectors = pipe.fit_transform(docs)
    return pipe, np.asarray(vectors, dtype=np.float32)


# ---------------------------------------------------------------- BERTopic


def seed_words(codebook, settings: TopicSettings) -> tuple[list[str], list[list[str]]]:
    """One seed word list per code for guided modelling: words of its label and indicator patterns."""
    stops = set(stop_words(settings))
    ids, lists = [], []
    for code in codebook.codes:
        words = []
        for phrase in (code.label, *code.patterns):
            for w in re.findall(r"[a-z][a-z'-]+", phrase.lower()):
                if w not in stops and w not in words:
                    words.append(w)
        if words:
            ids.append(code.id)
            lists.append(words[:12])
    return ids, lists


def _digest(array) -> str:
    if array is None:
        return ""
    array = np.ascontiguousarray(array)
    return f"{array.dtype}{array.shape}" + hashlib.sha256(array.tobytes()).hexdigest()


# the last UMAP reduction of this process: its key (vectors, labels, settings), fitted state and result
_LAST_REDUCTION: dict = {}
# UMAP computes exact neighbours below 4,096 points and approximates them above (pynndescent, whose numba code
# compiles for about 30 s in every process, and cannot be cached). From there to this many points the exact
# neighbours are computed here instead, in blocks (a matrix product, about 2 s for 14,000 segments).
EXACT_NEIGHBOURS_FROM = 4096
EXACT_NEIGHBOURS_UNTIL = 60_000
_BLOCK = 2048


def exact_cosine_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's k nearest points by cosine distance, itself first: (indices, distances), as UMAP takes them
    (``precomputed_knn``). The same input gives the same result every time."""
    x = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms == 0, 1, norms)
    n = len(x)
    indices = np.empty((n, k), dtype=np.int32)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        block = np.clip(1.0 - x[start : start + _BLOCK] @ x.T, 0.0, 2.0)
        rows = np.arange(len(block))
        block[rows, start + rows] = -1.0  # itself first, whatever the rounding
        candidates = np.argpartition(block, k - 1, axis=1)[:, :k]
        candidate_distances = np.take_along_axis(block, candidates, axis=1)
        order = np.lexsort((candidates, candidate_distances), axis=1)  # by distance, then by index
        indices[start : start + _BLOCK] = np.take_along_axis(candidates, order, axis=1)
        distances[start : start + _BLOCK] = np.take_along_axis(candidate_distances, order, axis=1)
    distances[:, 0] = 0.0
    return indices, distances


@cache
def _reusing_umap():
    from umap import UMAP

    class ReusingUMAP(UMAP):
        """UMAP that reuses this process's last reduction of the same vectors, labels and settings.

        ``cluster_selection: auto`` fits eom and then leaf on the same vectors; UMAP with a fixed random_state
        gives the same reduction every time, so reusing it changes only the time (about a third of a fit).
        Between ``EXACT_NEIGHBOURS_FROM`` and ``EXACT_NEIGHBOURS_UNTIL`` points it is given exact cosine
        neighbours (``exact_cosine_neighbours``) instead of approximating them.
        """

        def fit_transform(self, X, y=None, **kwargs):
            key = (_digest(X), _digest(y), json.dumps(self.get_params(), sort_keys=True, default=str))
            if _LAST_REDUCTION.get("key") == key:
                self.__dict__.update(_LAST_REDUCTION["state"])
                return _LAST_REDUCTION["embedding"].copy()
            with warnings.catch_warnings():
                if self.metric == "cosine" and EXACT_NEIGHBOURS_FROM <= len(X) <= EXACT_NEIGHBOURS_UNTIL:
                    self.precomputed_knn = exact_cosine_neighbours(X, self.n_neighbors)
                    # UMAP's transform() needs the search index; nothing here calls it (models.freeze places
                    # later segments by similarity to the topics' centres)
                    warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
                embedding = super().fit_transform(X, y=y, **kwargs)
            _LAST_REDUCTION.clear()
            _LAST_REDUCTION.update(key=key, state=dict(self.__dict__), embedding=embedding.copy())
            return embedding

    return ReusingUMAP


def build_model(
    settings: TopicSettings, n_docs: int, seed: int, embedding_model=None, seed_topic_list=None, vocabulary=None
):
    """A BERTopic model with every sub-model injected and seeded."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN

    umap_model = _reusing_umap()(
        n_neighbors=max(2, min(settings.n_neighbors, n_docs - 1)),
        n_components=min(settings.n_components, max(2, n_docs - 2)),
        min_dist=0.0,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
    )
    hdbscan_model = HDBSCAN(
        min_cluster_size=settings.cluster_size(n_docs),
        min_samples=settings.min_samples,
        metric="euclidean",
        cluster_selection_method=settings.cluster_selection,
        prediction_data=True,
    )
    model = BERTopic(
        embedding_model=embedding_model,
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
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
) -> TopicResult:
    """Pure core: fit, reassign outliers by embedding similarity, recompute topic words.

    ``cluster_selection: auto`` fits with HDBSCAN's eom selection and, where that finds too few topics
    (``too_few_topics``), fits again with leaf (benchmarks/RESULTS.md, "Topic quality"). The result says
    which was used (``selection``); eom chosen by name only warns.
    """

    def fit(selection: str) -> TopicResult:
        from threadpoolctl import threadpool_limits

        chosen = replace(settings, cluster_selection=selection)
        with threadpool_limits(1):  # the same topics whatever threads the process has
            return _fit_bertopic(docs, embeddings, chosen, seed, embedding_model, seed_topic_list)

    auto = settings.cluster_selection == "auto"
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


def _fit_bertopic(
    docs: list[str],
    embeddings: np.ndarray,
    settings: TopicSettings,
    seed: int,
    embedding_model=None,
    seed_topic_list=None,
) -> TopicResult:
    n = len(docs)
    if n < settings.min_segments:
        return _no_structure(
            n,
            f"only {n} segments of {settings.min_words}+ words (at least {settings.min_segments} needed)",
            "with more interviews (or a lower topics.min_segments) topics can form",
        )
    vocabulary = segment_vocabulary(docs, settings)
    model = build_model(settings, n, seed, embedding_model, seed_topic_list, vocabulary)
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


def segment_topics(seg: pd.DataFrame, keep: pd.Series, result: TopicResult) -> pd.DataFrame:
    """One row per segment: its topic (-1: outlier or too short to model), probability and how it was assigned."""
    out = seg[["segment_id"]].copy()
    out["topic_id"] = OUTLIER
    out["probability"] = 0.0
    out["assignment"] = "too_short"
    idx = np.flatnonzero(keep.to_numpy())
    out.loc[out.index[idx], "topic_id"] = result.topics
    out.loc[out.index[idx], "probability"] = np.round(result.probability, 6)
    assignment = np.where(result.reassigned, "reassigned", np.where(result.topics == OUTLIER, "outlier", "cluster"))
    if result.applied is not None:
        assignment = np.where(result.applied, "frozen_model", assignment)
    out.loc[out.index[idx], "assignment"] = assignment
    out["topic_id"] = out["topic_id"].astype(int)
    return out


def topic_table(
    seg: pd.DataFrame, st: pd.DataFrame, result: TopicResult, embeddings: np.ndarray | None, keep: pd.Series
) -> pd.DataFrame:
    """id, size, share, label, top words and the three segments closest to each topic's centre."""
    labels = topic_labels(result.words)
    merged = st.merge(seg[["segment_id", "participant_id", "text"]], on="segment_id")
    modelled_rows = merged[st["assignment"].ne("too_short").to_numpy()]
    total = len(modelled_rows)
    rows = []
    kept_ids = list(seg.loc[keep, "segment_id"])
    position = {sid: i for i, sid in enumerate(kept_ids)}
    vectors = _topic_vectors(embeddings, result.topics) if embeddings is not None and result.words else {}
    for t in sorted(modelled_rows["topic_id"].unique()):
        members = modelled_rows[modelled_rows["topic_id"] == t]
        if t in vectors:
            sims = np.array([embeddings[position[s]] @ vectors[t] for s in members["segment_id"]])
            order = np.lexsort((members["segment_id"].to_numpy(), -sims))
        else:
            order = np.argsort(members["segment_id"].to_numpy(), kind="stable")
        reps = members.iloc[order[:3]]
        row = {
            "topic_id": int(t),
            "label": labels.get(int(t), "(outliers)"),
            "size": len(members),
            "share": round(len(members) / total, 6) if total else 0.0,
            "participants": members["participant_id"].nunique(),
            "top_words": ", ".join(result.words.get(int(t), [])),
            "representative_ids": " ".join(reps["segment_id"]),
        }
        for i in range(3):
            row[f"representative_{i + 1}"] = (
                f"{reps.iloc[i]['participant_id']}: {reps.iloc[i]['text']}" if i < len(reps) else ""
            )
        rows.append(row)
    columns = ["topic_id", "label", "size", "share", "participants", "top_words", "representative_ids"]
    return pd.DataFrame(rows, columns=columns + [f"representative_{i}" for i in (1, 2, 3)])


def topics_per_group(
    seg: pd.DataFrame, st: pd.DataFrame, topics: pd.DataFrame, by: str, words: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Segments and participants per topic in each group (role or wave), with the share of the group's segments."""
    m = st[st["assignment"] != "too_short"].merge(seg[["segment_id", "participant_id", by]], on="segment_id")
    totals = m.groupby(by)["segment_id"].count()
    counts = m.groupby(["topic_id", by]).agg(
        segments=("segment_id", "count"), participants=("participant_id", "nunique")
    )
    grid = pd.MultiIndex.from_product([sorted(m["topic_id"].unique()), sorted(m[by].unique())], names=["topic_id", by])
    out = counts.reindex(grid, fill_value=0).reset_index()
    out["share"] = (out["segments"] / out[by].map(totals)).round(6)
    out["group_segments"] = out[by].map(totals)
    out = out.merge(topics[["topic_id", "label"]], on="topic_id", how="left")
    if words is not None and len(words):
        out = out.merge(words, on=["topic_id", by], how="left")
        out["words"] = out["words"].fillna("")
    else:
        out["words"] = ""
    return out[["topic_id", "label", by, "segments", "participants", "group_segments", "share", "words"]]


def class_words(model, docs: list[str], topics: np.ndarray, classes: list[str], by: str) -> pd.DataFrame:
    """BERTopic's topics_per_class: the c-TF-IDF words of each topic within each group.

    ``topics`` are the documents' topics: BERTopic reads them from the model (``topics_``), which knows only the
    documents it was fitted on; under models.freeze the later waves' documents are placed in its topics too."""
    if model is None:
        return pd.DataFrame(columns=["topic_id", by, "words"])
    fitted = model.topics_
    model.topics_ = [int(t) for t in topics]
    try:
        table = model.topics_per_class(docs, classes=classes)
    finally:
        model.topics_ = fitted
    table = table.rename(columns={"Topic": "topic_id", "Class": by, "Words": "words"})
    return table[["topic_id", by, "words"]].astype({"topic_id": int, by: str})


def dominant_codes(segment_codes: pd.DataFrame) -> pd.Series:
    """segment_id -> its most confident final code (ties: the first code id)."""
    final = segment_codes[segment_codes["final"].astype(str).str.lower() == "true"].copy()
    final["confidence"] = pd.to_numeric(final["confidence"], errors="coerce").fillna(0.0)
    final = final.sort_values(["segment_id", "confidence", "code_id"], ascending=[True, False, True])
    return final.drop_duplicates("segment_id").set_index("segment_id")["code_id"]


def crosswalk(
    st: pd.DataFrame,
    segment_codes: pd.DataFrame,
    topics: pd.DataFrame,
    code_ids: list[str],
    code_labels: dict[str, str],
) -> tuple[pd.DataFrame, float]:
    """Topic x code contingency (segments carrying each final code), each topic's dominant code, and the NMI
    between topic and each segment's dominant code (uncoded segments count as their own category)."""
    from sklearn.metrics import normalized_mutual_info_score

    m = st[st["assignment"] != "too_short"]
    final = segment_codes[segment_codes["final"].astype(str).str.lower() == "true"]
    # a final code has a row per source that gave it (human coders, model, patterns): count segments, not rows
    final = final.drop_duplicates(["segment_id", "code_id"])
    pairs = m[["segment_id", "topic_id"]].merge(final[["segment_id", "code_id"]], on="segment_id")
    table = pd.crosstab(pairs["topic_id"], pairs["code_id"]).reindex(
        index=sorted(m["topic_id"].unique()), columns=code_ids, fill_value=0
    )
    table = table.fillna(0).astype(int)
    sizes = m.groupby("topic_id")["segment_id"].count()
    out = topics[["topic_id", "label"]].set_index("topic_id").reindex(table.index)
    out["size"] = sizes.reindex(table.index).fillna(0).astype(int)
    dom = table.idxmax(axis=1).where(table.max(axis=1) > 0, "")
    out["dominant_code_id"] = dom
    out["dominant_code_label"] = dom.map(lambda c: code_labels.get(c, ""))
    out["dominant_segments"] = table.max(axis=1)
    out["dominant_share"] = (out["dominant_segments"] / out["size"].replace(0, np.nan)).fillna(0).round(6)
    out = pd.concat([out, table], axis=1).reset_index()
    dominant = dominant_codes(segment_codes)
    codes_of = m["segment_id"].map(dominant).fillna("(uncoded)")
    nmi = float(normalized_mutual_info_score(codes_of, m["topic_id"])) if len(m) else float("nan")
    return out, round(nmi, 6)


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
    from sklearn.metrics import adjusted_rand_score

    pairs = list(combinations(range(len(assignments)), 2))
    if not pairs:
        return float("nan")
    return float(np.mean([adjusted_rand_score(assignments[i], assignments[j]) for i, j in pairs]))


def fit_baseline(kind: str, docs: list[str], k: int, seed: int, settings: TopicSettings, counts, vocab):
    """scikit-learn LDA (on counts) or NMF (on TF-IDF) with k topics: top words and per-document topics, computed
    on one thread (the same whatever threads the process has)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _fit_baseline(kind, docs, k, seed, settings, counts, vocab)


def _fit_baseline(kind: str, docs: list[str], k: int, seed: int, settings: TopicSettings, counts, vocab):
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.feature_extraction.text import TfidfTransformer

    if kind == "lda":
        model = LatentDirichletAllocation(
            n_components=k, random_state=seed, learning_method="online", max_iter=10, batch_size=256
        )
        doc_topic = model.fit_transform(counts)
    else:
        tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
        model = NMF(n_components=k, random_state=seed, init="nndsvda", max_iter=400)
        doc_topic = model.fit_transform(tfidf)
    words = [[vocab[i] for i in np.argsort(-row, kind="stable")[: settings.top_n_words]] for row in model.components_]
    return words, doc_topic.argmax(axis=1)


def _quality_run(kind: str, seed: int, docs, embeddings, settings: TopicSettings, k: int, counts, vocab):
    """One run of the quality table (a task of ``quality``): its topics' top words, each document's topic, and
    the seconds it took."""
    started = time.perf_counter()
    if kind == "bertopic":
        result = fit_bertopic(docs, embeddings, settings, seed)
        words, assigned = list(result.words.values()), result.topics
    else:
        words, assigned = fit_baseline(kind, docs, k, seed, settings, counts, vocab)
    return words, assigned, time.perf_counter() - started


def quality(
    docs: list[str],
    embeddings: np.ndarray,
    settings: TopicSettings,
    main: TopicResult,
    dominant: list[str],
    workers: int = 1,
) -> pd.DataFrame:
    """BERTopic vs LDA vs NMF with matched topic counts on the same segments, over ``quality_seeds`` seeds.

    The runs are independent (each has its own seed, each computes on one thread) and run in ``workers``
    processes: the table does not depend on ``workers``.
    """
    from sklearn.metrics import normalized_mutual_info_score

    # every seed with the cluster selection the main fit used (auto decides once, on the main fit)
    resolved = replace(settings, cluster_selection=main.selection) if main.selection else settings
    k = len(main.words)
    seeds = [settings.seed + i for i in range(settings.quality_seeds)]
    columns = [
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
    ]
    if k < 2:
        return pd.DataFrame(
            [{"model": m, "n_topics": k, "seeds": len(seeds)} for m in ("bertopic", "lda", "nmf")], columns=columns
        )
    cv = vectorizer(settings, min_df=2 if len(docs) >= 200 else 1)
    counts = cv.fit_transform(docs)
    vocab = cv.get_feature_names_out()
    # the longest runs first, so that the workers finish together
    tasks = [("lda", s) for s in seeds] + [("bertopic", s) for s in seeds if s != settings.seed]
    tasks += [("nmf", s) for s in seeds]
    args = (docs, embeddings, resolved, k, counts, vocab)
    if workers > 1 and len(tasks) > 1:
        from joblib import Parallel, delayed

        done = Parallel(n_jobs=min(workers, len(tasks)), backend="loky")(
            delayed(_quality_run)(*task, *args) for task in tasks
        )
    else:
        done = [_quality_run(*task, *args) for task in tasks]
    for name in ("lda", "bertopic", "nmf"):
        took = [t for (kind, _), (_, _, t) in zip(tasks, done, strict=True) if kind == name]
        log.info("quality: %d %s run(s), %.1fs each on average", len(took), name, np.mean(took) if took else 0)
    by_task = {task: (words, assigned) for task, (words, assigned, _) in zip(tasks, done, strict=True)}
    by_task[("bertopic", settings.seed)] = (list(main.words.values()), main.topics)
    runs = {name: [by_task[(name, s)] for s in seeds] for name in ("bertopic", "lda", "nmf")}
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
                "nmi_dominant_code": round(float(normalized_mutual_info_score(dominant, fits[0][1])), 6),
                "outlier_share": round(float(np.mean([np.mean(a == OUTLIER) for _, a in fits])), 6),
            }
        )
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- model files


def library_versions() -> dict:
    from importlib.metadata import version

    return {p: version(p) for p in ("bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy")}


def save_model(result: TopicResult, folder: str | Path, settings: TopicSettings, extra: dict) -> None:
    """BERTopic's safetensors format (topic embeddings, c-TF-IDF, config; never pickle) plus our settings."""
    from pipeline.files import atomic_folder

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


# ---------------------------------------------------------------- edges


def _inputs(segments_csv, embeddings_path, settings: TopicSettings, fit_waves=None):
    from pipeline.files import read_table

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
        from pipeline import embeddings as emb

        ids, vectors_all, _ = emb.load(embeddings_path)
        if ids != list(seg["segment_id"]):
            from pipeline.errors import PipelineError

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


def run(
    segments_csv,
    embeddings_path,
    segment_codes_csv,
    codebook_path,
    settings: TopicSettings,
    out: dict,
    guided: bool = False,
    fit_waves=None,
    cache_folder=None,
) -> dict:
    """Edge: fit the topic model (guided by the codebook if asked) and write its tables, model and figures.

    With ``cache_folder``, a fit of the same segments, vectors and settings is loaded instead of fitted
    again (``pipeline.topic_cache``), and a new fit is stored there."""
    from pipeline import figures, topic_cache
    from pipeline.codebook import load_codebook
    from pipeline.files import read_table, write_csv

    started = time.perf_counter()
    codebook = load_codebook(codebook_path)
    seg, keep, docs, vectors, embedder = _inputs(segments_csv, embeddings_path, settings, fit_waves)
    in_fit = fit_mask(seg, keep, fit_waves)
    seed_list = None
    if guided:
        _, seed_list = seed_words(codebook, settings)
    fit_docs = [d for d, f in zip(docs, in_fit, strict=True) if f]
    kind = "guided" if guided else "main"
    key = topic_cache.fit_key(kind, fit_docs, vectors[in_fit], settings, seed=settings.seed, seed_words=seed_list)
    result = topic_cache.load_fit(cache_folder, kind, key)
    if result is not None:
        log.info("the %s fit of these %d segments is in the cache: loaded, not fitted again", kind, len(fit_docs))
    else:
        if guided and embedder is None and settings.profile == "bertopic":  # embeds the seed words
            from pipeline.embeddings import embedding_model

            embedder = embedding_model()
        result = fit_bertopic(
            fit_docs,
            vectors[in_fit],
            settings,
            settings.seed,
            embedding_model=embedder if guided else None,
            seed_topic_list=seed_list,
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
    codes = read_table(segment_codes_csv)
    labels = {c.id: c.label for c in codebook.codes}
    cross, nmi = crosswalk(st, codes, topics, codebook.ids, labels)
    write_csv(st, out["segment_topics"])
    write_csv(topics, out["topics"])
    write_csv(cross, out["crosswalk"])
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
                "nmi_dominant_code": nmi,
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
        figures.topic_code_heatmap(cross, codebook, out["figure_codes"])
    n_topics = len(result.words)
    log.info(
        "%d of %d segments modelled: %d topics (HDBSCAN %s), %d outliers reassigned, NMI with dominant code %.3f, "
        "in %.1fs",
        len(docs),
        len(seg),
        n_topics,
        result.selection or "-",
        int(result.reassigned.sum()),
        nmi,
        time.perf_counter() - started,
    )
    return {"topics": n_topics, "segments": len(docs), "nmi": nmi}


def run_quality(
    segments_csv,
    embeddings_path,
    segment_codes_csv,
    settings: TopicSettings,
    out,
    workers: int = 1,
    fit_waves=None,
    cache_folder=None,
) -> pd.DataFrame:
    """Edge: the side-by-side quality table (BERTopic, LDA, NMF) on the segments the topic model is fitted on
    (every modelled segment, or those of the waves models.freeze lists), in ``workers`` processes.

    With ``cache_folder`` (fit_topics' cache): the main fit is fit_topics' own when its key matches, and a table
    computed before from the same segments, vectors, codes and settings is written again instead of computed
    (``pipeline.topic_cache``)."""
    from pipeline import topic_cache
    from pipeline.files import read_table, write_csv, write_text

    started = time.perf_counter()
    seg, keep, docs, vectors, _ = _inputs(segments_csv, embeddings_path, settings, fit_waves)
    in_fit = fit_mask(seg, keep, fit_waves)
    docs = [d for d, f in zip(docs, in_fit, strict=True) if f]
    vectors = vectors[in_fit]
    ids = seg.loc[keep, "segment_id"][in_fit]
    dominant = list(ids.map(dominant_codes(read_table(segment_codes_csv))).fillna("(uncoded)"))
    table_key = topic_cache.fit_key("quality", docs, vectors, settings, seed=settings.seed, dominant=dominant)
    text = topic_cache.load_file(cache_folder, "quality", table_key, Path(out).name)
    if text is not None:
        write_text(text, out)
        log.info("the quality table of these %d segments and codes is in the cache: written, not computed", len(docs))
        return read_table(out)
    key = topic_cache.fit_key("main", docs, vectors, settings, seed=settings.seed, seed_words=None)
    main = topic_cache.load_fit(cache_folder, "main", key, with_model=False)
    if main is not None:
        log.info("quality: main fit (seed %d) is fit_topics' own, from the cache", settings.seed)
    else:
        main = fit_bertopic(docs, vectors, settings, settings.seed)
        log.info("quality: main fit (seed %d, as fit_topics) in %.1fs", settings.seed, time.perf_counter() - started)
    table = quality(docs, vectors, settings, main, dominant, workers=workers)
    if main.message:
        log.warning(main.message)
    write_csv(table, out)
    if cache_folder:
        topic_cache.store_file(cache_folder, "quality", table_key, out)
    log.info(
        "topic quality over %d seeds on %d segments (%d worker(s)) in %.1fs",
        settings.quality_seeds,
        len(docs),
        workers,
        time.perf_counter() - started,
    )
    return table
