"""Topic modelling on a synthetic corpus: recovering clear themes, determinism, the too-little-structure path, the
light profile, the saved model and the cache of fits. The fits these tests only read are made once per test run
(``fit_seed7``, ``fit_seed3``, ``main_fit``, ``main_quality``)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from pipeline import topics
from pipeline.topics import model as topic_model
from pipeline.topics.compiled import import_compiled
from tests.conftest import ROOT

THEMES = {
    "video": "video screen watch animation cartoon scenario character clip",
    "family": "kids daughter son mum contact weekend school visit",
    "work": "caseload deadline overtime staff manager office rota meeting",
}


def synthetic_corpus(per_theme=40, seed=0):
    """Three clearly separated themes: words drawn from each theme's list, embeddings around its centre."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(THEMES), 384))
    docs, vectors, truth = [], [], []
    for k, words in enumerate(THEMES.values()):
        vocab = words.split()
        for _ in range(per_theme):
            docs.append(" ".join(rng.choice(vocab, size=10)) + " and then we talked about it again")
            v = centres[k] + rng.normal(scale=0.3, size=384)
            vectors.append(v / np.linalg.norm(v))
            truth.append(k)
    return docs, np.asarray(vectors, dtype=np.float32), np.asarray(truth)


SETTINGS = topics.TopicSettings(fillers=("yeah", "erm"), min_cluster_size=10, quality_seeds=2)


@pytest.fixture
def settings():
    return SETTINGS


@pytest.fixture(scope="session")
def fit_seed7():
    """BERTopic on the synthetic corpus, seed 7 (read only)."""
    docs, vectors, _ = synthetic_corpus()
    return topics.fit_bertopic(docs, vectors, SETTINGS, seed=7)


@pytest.fixture(scope="session")
def fit_seed3():
    """BERTopic on the synthetic corpus, seed 3 (read only)."""
    docs, vectors, _ = synthetic_corpus()
    return topics.fit_bertopic(docs, vectors, SETTINGS, seed=3)


@pytest.fixture(scope="session")
def main_fit():
    """BERTopic on the synthetic corpus with the settings' own seed, as the quality table fits it (read only)."""
    docs, vectors, _ = synthetic_corpus()
    return topics.fit_bertopic(docs, vectors, SETTINGS, seed=SETTINGS.seed)


@pytest.fixture(scope="session")
def main_quality(main_fit):
    """The quality table of ``main_fit``, computed in one process (read only)."""
    docs, vectors, _ = synthetic_corpus()
    return topics.quality(docs, vectors, SETTINGS, main_fit, ["a"] * len(docs))


# ---------------------------------------------------------------- fitting


def test_the_model_recovers_clear_themes_and_two_runs_are_identical(settings, fit_seed7):
    docs, vectors, truth = synthetic_corpus()
    first = fit_seed7
    second = topics.fit_bertopic(docs, vectors, settings, seed=7)
    assert not first.message
    assert np.array_equal(first.topics, second.topics) and np.array_equal(first.probability, second.probability)
    assert first.words == second.words
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, first.topics) > 0.9
    assert not (first.topics == topics.OUTLIER).any(), "outliers are reassigned"
    # topic words come from the themes, not from the filler sentence shared by every document
    for words in first.words.values():
        assert not {"talked", "then"} & set(words[:3])


def test_too_little_structure_gives_a_message_and_valid_tables(settings, tmp_path):
    docs, vectors, _ = synthetic_corpus(per_theme=5)
    result = topics.fit_bertopic(docs, vectors, settings, seed=0)
    assert result.message.startswith("Too little structure") and (result.topics == -1).all() and not result.words
    # one blob: the clustering finds fewer than two topics
    rng = np.random.default_rng(1)
    blob = np.tile(rng.normal(size=384), (60, 1)) + rng.normal(scale=0.01, size=(60, 384))
    blob = (blob / np.linalg.norm(blob, axis=1, keepdims=True)).astype(np.float32)
    one = topics.fit_bertopic(
        ["same words again here"] * 60, blob, dataclasses.replace(settings, min_cluster_size=40), 0
    )
    assert "Too little structure" in one.message and not one.words
    # the tables are still written and consistent
    seg = pd.DataFrame({"segment_id": [f"s{i}" for i in range(15)], "participant_id": "P1", "text": docs})
    keep = pd.Series([True] * 15)
    st = topics.segment_topics(seg, keep, result)
    table = topics.topic_table(seg, st, result, vectors, keep)
    assert list(table["topic_id"]) == [-1] and table.loc[0, "size"] == 15
    quality = topics.quality(docs, vectors, settings, result, ["x"] * 15)
    assert list(quality["model"]) == ["bertopic", "lda", "nmf"] and quality["npmi"].isna().all()


def test_quality_compares_bertopic_with_lda_and_nmf_at_matched_topic_counts(settings, main_fit, main_quality):
    main = main_fit
    table = main_quality.set_index("model")
    assert list(table.index) == ["bertopic", "lda", "nmf"]
    assert (table["n_topics"] == len(main.words)).all() and (table["seeds"] == 2).all()
    assert (table["segments"] == len(synthetic_corpus()[0])).all(), "below quality.sample: every segment"
    assert table.loc["bertopic", "stability_ari"] > 0.9
    assert table["npmi"].between(-1, 1).all() and table["diversity"].between(0, 1).all()


def test_saved_model_is_safetensors_and_loads_back(settings, tmp_path, fit_seed7):
    result = fit_seed7  # any fit of the synthetic corpus
    folder = tmp_path / "model"
    topics.save_model(result, folder, settings, {"guided": False})
    files = {p.name for p in folder.rglob("*") if p.is_file()}
    assert "topic_embeddings.safetensors" in files and "topics.json" in files
    assert not any(name.endswith((".pkl", ".pickle", ".bin")) for name in files)
    info = json.loads((folder / "topics.json").read_text())
    assert info["versions"]["bertopic"] and info["topics"] == {str(k): v for k, v in result.words.items()}
    BERTopic = import_compiled("bertopic").BERTopic

    loaded = BERTopic.load(str(folder / "bertopic"))
    assert [(w, float(v)) for w, v in loaded.get_topic(0)[:3]] == [
        (w, float(v)) for w, v in result.model.get_topic(0)[:3]
    ]


BLOCK_TORCH = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "sentence_transformers", "transformers"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
sys.meta_path.insert(0, Block())
"""


def test_light_profile_runs_without_torch():
    # torch and sentence-transformers cannot be imported, as on a machine without them
    code = BLOCK_TORCH + (
        "from pipeline import topics; from tests.stage.test_topics import synthetic_corpus\n"
        "docs, _, _ = synthetic_corpus()\n"
        "s = topics.TopicSettings(profile='light', min_cluster_size=10)\n"
        "pipe, v = topics.light_embedder(docs, s)\n"
        "r = topics.fit_bertopic(docs, v, s, 0)\n"
        "assert len(r.words) >= 2, r.message\n"
        "assert 'torch' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


def test_frozen_topics_keep_the_earlier_model_and_place_new_segments_in_it(settings):
    docs, vectors, truth = synthetic_corpus()
    first_wave = np.arange(len(docs)) % 4 != 0  # three quarters of each theme in wave 1
    fitted = topics.fit_bertopic(
        [d for d, f in zip(docs, first_wave, strict=True) if f], vectors[first_wave], settings, seed=3
    )
    frozen = topics.apply_frozen(fitted, vectors[first_wave], vectors, first_wave)
    assert frozen.words == fitted.words and np.array_equal(frozen.topics[first_wave], fitted.topics)
    assert frozen.applied.sum() == (~first_wave).sum()
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth[~first_wave], frozen.topics[~first_wave]) == 1.0
    seg = pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(docs))], "text": docs})
    st = topics.segment_topics(seg, pd.Series([True] * len(docs)), frozen)
    assert set(st.loc[~first_wave, "assignment"]) == {"frozen_model"} and st["probability"].between(0, 1).all()


def test_auto_cluster_selection_falls_back_to_leaf_only_where_eom_finds_too_few_topics(
    settings, monkeypatch, fit_seed7
):
    assert settings.cluster_selection == "auto"
    assert topics.too_few_topics(3, 1000) and not topics.too_few_topics(4, 1000) and not topics.too_few_topics(2, 999)
    assert topics.too_few_topics(4, 13676) and topics.too_few_topics(13, 13676) and not topics.too_few_topics(14, 13676)
    real = fit_seed7
    assert real.selection == "eom" and len(real.words) == 3, "120 segments: eom is kept"
    calls, eom_topics = [], [3]

    def fake(docs, embeddings, s, seed, embedding_model=None, seed_topic_list=None, reduce_as=None):
        calls.append(s.cluster_selection)
        k = eom_topics[0] if s.cluster_selection == "eom" else 12
        words = {t: [f"w{t}"] for t in range(k)}
        return topics.TopicResult(
            np.arange(len(docs)) % k, np.ones(len(docs)), None, words, object(), selection=s.cluster_selection
        )

    monkeypatch.setattr(topic_model, "_fit_bertopic", fake)
    big = ["some words here"] * 1000
    # auto counts eom's clusters first (_eom_clusters) and fits once; where it cannot count, it fits eom to see
    for counted, expected in ((3, ["leaf"]), (8, ["eom"]), (None, ["eom", "leaf"])):
        calls.clear()
        eom_topics[0] = counted or 3
        monkeypatch.setattr(topic_model, "_eom_clusters", lambda *args, n=counted: n)
        result = topics.fit_bertopic(big, np.zeros((1000, 2)), settings, seed=0)
        assert calls == expected and result.selection == expected[-1]
        assert len(result.words) == (8 if expected == ["eom"] else 12)
    calls.clear()
    eom_topics[0] = 3
    eom = topics.fit_bertopic(big, np.zeros((1000, 2)), dataclasses.replace(settings, cluster_selection="eom"), seed=0)
    assert calls == ["eom"] and eom.selection == "eom", "eom chosen by name is kept (with a warning)"


def test_auto_decided_from_eoms_clusters_gives_what_fitting_eom_first_gives(settings, monkeypatch):
    """1,020 segments about three subjects: eom finds 3 topics, too few; counting its clusters first and fitting
    leaf once gives the same topics and words as fitting eom and then leaf."""
    docs, vectors, _ = synthetic_corpus(per_theme=340)
    assert topic_model._eom_clusters(docs, vectors, settings, 5) == 3
    decided = topics.fit_bertopic(docs, vectors, settings, seed=5)
    monkeypatch.setattr(topic_model, "_eom_clusters", lambda *args: None)
    topic_model._REDUCTIONS.clear()
    fitted_twice = topics.fit_bertopic(docs, vectors, settings, seed=5)
    assert decided.selection == fitted_twice.selection == "leaf"
    assert np.array_equal(decided.topics, fitted_twice.topics) and decided.words == fitted_twice.words
    assert np.array_equal(decided.probability, fitted_twice.probability)


# ---------------------------------------------------------------- speed without changing results


def test_umap_is_given_exact_neighbours_above_its_own_exact_range(settings, monkeypatch):
    UMAP = import_compiled("umap").UMAP

    docs, vectors, _ = synthetic_corpus()
    monkeypatch.setattr(topic_model, "EXACT_NEIGHBOURS_FROM", 50)
    seen = []
    original = UMAP.fit_transform

    def spy(self, X, y=None, **kwargs):
        seen.append(self.precomputed_knn[0] is not None)
        return original(self, X, y=y, **kwargs)

    monkeypatch.setattr(UMAP, "fit_transform", spy)
    topic_model._REDUCTIONS.clear()
    result = topics.fit_bertopic(docs, vectors, settings, seed=1)
    assert seen == [True] and len(result.words) == 3


def test_umaps_all_pairs_distances_come_from_compiled_code_bit_for_bit():
    """Below 4,096 points UMAP computes every pairwise distance through scikit-learn with one Python call per pair;
    ``fast_pairwise_distances`` computes the same matrix in one compiled loop: equal to the bit and in the same
    dtype (float32 and float64 points, a zero vector among them), only while inside, other metrics untouched."""
    from contextlib import nullcontext

    from sklearn.metrics import pairwise_distances

    from pipeline.topics import distances

    umap_module = import_compiled("umap.umap_")
    cosine = import_compiled("umap.distances").cosine
    original = umap_module.pairwise_distances
    rng = np.random.default_rng(1)
    points = rng.normal(size=(150, 384)).astype(np.float32)
    points[7] = 0.0
    for x in (points, points.astype(np.float64)):
        expected = pairwise_distances(x, metric=cosine)
        with distances.fast_pairwise_distances():
            assert umap_module.pairwise_distances is not original
            got = umap_module.pairwise_distances(x, metric=cosine)
            again = umap_module.pairwise_distances(x, metric=cosine)  # the process's last matrix, a copy
            euclidean = umap_module.pairwise_distances(x, metric="euclidean")
        assert got.dtype == expected.dtype and np.array_equal(got, expected)
        assert np.array_equal(again, expected) and again is not got
        assert np.array_equal(euclidean, pairwise_distances(x, metric="euclidean"))
    assert umap_module.pairwise_distances is original

    # and so the fits: the same topics and words as with UMAP's own computation, for a first seed and for a second
    # one that takes the first one's distances and neighbours
    docs, vectors, _ = synthetic_corpus()
    fits = {}
    for context in (nullcontext, distances.fast_pairwise_distances):
        topic_model._REDUCTIONS.clear()
        distances._LAST.clear()
        distances._LAST_NEIGHBOURS.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(topic_model, "fast_pairwise_distances", context)
            fits[context] = [topics.fit_bertopic(docs, vectors, SETTINGS, seed=seed) for seed in (11, 12)]
    assert distances._LAST and distances._LAST_NEIGHBOURS, "the fits computed their distances in compiled code"
    for umaps_own, compiled in zip(*fits.values(), strict=True):
        assert np.array_equal(umaps_own.topics, compiled.topics) and umaps_own.words == compiled.words


def test_umaps_neighbours_of_one_distance_matrix_are_sorted_once_and_are_umaps_own(monkeypatch):
    """The neighbours UMAP takes from a distance matrix do not depend on the seed: inside the context the last
    ones are reused for the same matrix (ties and infinite distances included), and any other matrix or number of
    neighbours is sorted by UMAP's own function; each call gets its own copy."""
    from pipeline.topics import distances

    umap_module = import_compiled("umap.umap_")
    umaps_own = umap_module.fast_knn_indices
    calls = []

    def counting(matrix, n_neighbors):
        calls.append(n_neighbors)
        return umaps_own(matrix, n_neighbors)

    monkeypatch.setattr(umap_module, "fast_knn_indices", counting)
    rng = np.random.default_rng(4)
    first = rng.integers(0, 4, size=(40, 40)).astype(np.float32)  # many equal distances
    first[rng.random((40, 40)) < 0.1] = np.inf
    second = first.copy()
    second[3, 5] = -1.0  # point 5 becomes the nearest of point 3
    distances._LAST_NEIGHBOURS.clear()
    with distances.fast_pairwise_distances():
        got = [umap_module.fast_knn_indices(m, k) for m, k in ((first, 6), (first, 6), (second, 6), (second, 7))]
    assert calls == [6, 6, 7], "the same matrix twice in a row is sorted once"
    expected = [umaps_own(m, k) for m, k in ((first, 6), (first, 6), (second, 6), (second, 7))]
    assert all(np.array_equal(g, e) and g.dtype == e.dtype for g, e in zip(got, expected, strict=True))
    assert got[0] is not got[1]
    assert umap_module.fast_knn_indices is counting, "left as it was"


def test_auto_reuses_the_reduction_and_gives_what_a_fresh_leaf_fit_gives(settings, monkeypatch):
    """auto's leaf refit reuses eom's UMAP reduction: one reduction instead of two, the same topics."""
    UMAP = import_compiled("umap").UMAP

    docs, vectors, _ = synthetic_corpus(per_theme=100)
    auto = dataclasses.replace(settings, cluster_selection="auto", min_cluster_size=5)
    monkeypatch.setattr(topic_model, "too_few_topics", lambda found, n: True)  # force the leaf refit
    calls = []
    original = UMAP.fit_transform

    def counting(self, X, y=None, **kwargs):
        calls.append(1)
        return original(self, X, y=y, **kwargs)

    monkeypatch.setattr(UMAP, "fit_transform", counting)
    topic_model._REDUCTIONS.clear()
    reused = topics.fit_bertopic(docs, vectors, auto, seed=5)
    assert reused.selection == "leaf" and len(calls) == 1
    topic_model._REDUCTIONS.clear()
    fresh = topics.fit_bertopic(docs, vectors, dataclasses.replace(auto, cluster_selection="leaf"), seed=5)
    assert len(calls) == 2
    assert np.array_equal(reused.topics, fresh.topics) and reused.words == fresh.words


def test_above_its_sample_size_the_comparison_runs_on_a_seeded_sample_with_matched_topic_counts(main_fit):
    """quality.sample: BERTopic is fitted on the drawn segments with every seed, LDA and NMF get the topic count of
    its fit with the configured seed, and the table says how many segments it compared."""
    docs, vectors, _ = synthetic_corpus()
    sampled = dataclasses.replace(SETTINGS, quality_sample=90)
    table = topics.quality(docs, vectors, sampled, main_fit, ["a"] * len(docs)).set_index("model")
    assert (table["segments"] == 90).all() and table["n_topics"].nunique() == 1
    drawn = topics.quality_sample(len(docs), sampled)
    on_sample = topics.fit_bertopic(
        [docs[i] for i in drawn], vectors[drawn], SETTINGS, seed=SETTINGS.seed, reduce_as=len(docs)
    )
    assert table.loc["bertopic", "n_topics"] == len(on_sample.words)
    assert table.loc["bertopic", "npmi"] > table.loc["lda", "npmi"]


def test_the_sample_is_reduced_as_the_corpus_it_is_drawn_from(main_fit, monkeypatch):
    """Every UMAP reduction of the comparison's sample (prepared early, or in its fits) takes the settings UMAP
    gives the whole corpus: the epochs for that many points, and exact neighbours from a matrix product where the
    corpus gets them (here from 100 points: the corpus of 120 does, a corpus of 90 would not)."""
    UMAP = import_compiled("umap").UMAP

    docs, vectors, _ = synthetic_corpus()
    sampled = dataclasses.replace(SETTINGS, quality_sample=90)
    monkeypatch.setattr(topic_model, "EXACT_NEIGHBOURS_FROM", 100)
    monkeypatch.setattr(topic_model, "umap_epochs", lambda n: {len(docs): 321}[n])  # any other size: KeyError
    seen = []
    original = UMAP.fit_transform

    def spy(self, X, y=None, **kwargs):
        seen.append((len(X), self.n_epochs, self.precomputed_knn[0] is not None))
        return original(self, X, y=y, **kwargs)

    monkeypatch.setattr(UMAP, "fit_transform", spy)
    topic_model._REDUCTIONS.clear()
    assert topics.reduce_sample(docs, vectors, sampled)
    table = topics.quality(docs, vectors, sampled, main_fit, ["a"] * len(docs))
    assert seen == [(90, 321, True)] * sampled.quality_seeds and (table["segments"] == 90).all()
    seen.clear()
    topics.fit_bertopic(docs[:90], vectors[:90], SETTINGS, seed=3)  # 90 segments of their own: UMAP's own choices
    assert seen == [(90, None, False)]


def test_umaps_epochs_are_its_own_default_for_the_size():
    """umap_epochs gives what UMAP does when given none: the same reduction (below 10,000 points, 500; above, 200)."""
    UMAP = import_compiled("umap").UMAP

    x = np.random.default_rng(4).normal(size=(60, 8)).astype(np.float32)
    own = UMAP(n_neighbors=5, random_state=0, n_jobs=1).fit_transform(x)
    given = UMAP(n_neighbors=5, random_state=0, n_jobs=1, n_epochs=topic_model.umap_epochs(60)).fit_transform(x)
    assert np.array_equal(own, given)
    assert topic_model.umap_epochs(10_000) == 500 and topic_model.umap_epochs(10_001) == 200


def test_the_samples_reductions_computed_before_the_selection_is_known_give_the_same_table(main_fit, monkeypatch):
    """evaluate_topics reduces its sample with every seed while fit_topics may still be fitting (from 400
    interviews on): the comparison's fits then reuse those reductions (no UMAP computed again) and its table is
    the one computed without them."""
    UMAP = import_compiled("umap").UMAP

    docs, vectors, _ = synthetic_corpus()
    sampled = dataclasses.replace(SETTINGS, quality_sample=90)
    dominant = ["a"] * len(docs)
    topic_model._REDUCTIONS.clear()
    plain = topics.quality(docs, vectors, sampled, main_fit, dominant)
    calls = []
    original = UMAP.fit_transform

    def counting(self, X, y=None, **kwargs):
        calls.append(len(X))
        return original(self, X, y=y, **kwargs)

    monkeypatch.setattr(UMAP, "fit_transform", counting)
    topic_model._REDUCTIONS.clear()
    assert not topics.reduce_sample(docs, vectors, SETTINGS), "every segment is compared: nothing to prepare"
    assert topics.reduce_sample(docs, vectors, sampled) and calls == [90] * sampled.quality_seeds
    prepared = topics.quality(docs, vectors, sampled, main_fit, dominant)
    assert calls == [90] * sampled.quality_seeds, "the comparison's fits reused the reductions"
    pd.testing.assert_frame_equal(prepared, plain)


def test_quality_table_does_not_depend_on_the_number_of_workers(settings, main_fit, main_quality):
    docs, vectors, _ = synthetic_corpus()
    main, one = main_fit, main_quality
    two = topics.quality(docs, vectors, settings, main, ["a"] * len(docs), workers=2)
    pd.testing.assert_frame_equal(one, two)


# ---------------------------------------------------------------- the cache of fits


def test_a_cached_fit_loads_as_the_fit_itself(settings, tmp_path, fit_seed3):
    from pipeline.topics import cache as topic_cache

    docs, vectors, _ = synthetic_corpus()
    fitted = fit_seed3
    key = topic_cache.fit_key("main", docs, vectors, settings, seed=3)
    topic_cache.store_fit(tmp_path, "main", key, fitted)
    loaded = topic_cache.load_fit(tmp_path, "main", key)
    assert np.array_equal(loaded.topics, fitted.topics) and loaded.topics.dtype == fitted.topics.dtype
    assert np.array_equal(loaded.probability, fitted.probability)
    assert np.array_equal(loaded.reassigned, fitted.reassigned) and loaded.reassigned.dtype == bool
    assert loaded.words == fitted.words and list(loaded.words) == list(fitted.words)  # order too
    assert (loaded.selection, loaded.message) == (fitted.selection, fitted.message)
    # what the tables use from the model: c-TF-IDF words per group and the topics' word weights
    groups = ["a" if i % 2 else "b" for i in range(len(docs))]
    assert topics.class_words(loaded.model, docs, loaded.topics, groups, "role").equals(
        topics.class_words(fitted.model, docs, fitted.topics, groups, "role")
    )
    for t in fitted.words:
        assert [tuple(w) for w in loaded.model.get_topic(t)] == list(fitted.model.get_topic(t))
    assert topic_cache.load_fit(tmp_path, "main", key, with_model=False).model is None


def test_the_cache_key_changes_with_anything_the_fit_sees(settings, tmp_path, fit_seed3):
    from pipeline.topics import cache as topic_cache

    docs, vectors, _ = synthetic_corpus()
    key = topic_cache.fit_key("main", docs, vectors, settings, seed=3)
    assert key == topic_cache.fit_key("main", list(docs), vectors.copy(), settings, seed=3)
    nudged = vectors.copy()
    nudged[5, 7] = np.nextafter(nudged[5, 7], np.float32(2))  # one vector's last bit
    others = [
        topic_cache.fit_key("main", docs[:-1] + [docs[-1] + " x"], vectors, settings, seed=3),
        topic_cache.fit_key("main", docs, nudged, settings, seed=3),
        topic_cache.fit_key("main", docs, vectors, dataclasses.replace(settings, n_neighbors=10), seed=3),
        topic_cache.fit_key("main", docs, vectors, settings, seed=4),
        topic_cache.fit_key("guided", docs, vectors, settings, seed=3),
    ]
    assert len({key, *others}) == 6
    fitted = fit_seed3
    topic_cache.store_fit(tmp_path, "main", key, fitted)
    assert all(topic_cache.load_fit(tmp_path, "main", k) is None for k in others)
    assert topic_cache.load_fit(tmp_path / "nothing", "main", key) is None
    topic_cache.store_fit(tmp_path, "main", others[1], fitted)  # a new key replaces the entry
    assert topic_cache.load_fit(tmp_path, "main", key) is None
    assert [p.name for p in tmp_path.iterdir()] == ["main"], "no temporary folders left behind"


def test_umaps_numba_functions_are_cached_on_disk_and_numba_is_left_as_it_was():
    """import_compiled: UMAP's numba functions keep their machine code under NUMBA_CACHE_DIR (no 9 s compile in each
    process that fits topics); numba's decorators are numba's own again after the import."""
    import numba

    njit = numba.njit
    layouts = import_compiled("umap.layouts")
    assert type(layouts.rdist._cache).__name__ == "FunctionCache", "UMAP was imported before import_compiled"
    assert numba.njit is njit
    assert type(numba.njit(lambda x: x)._cache).__name__ == "NullCache", "numba's own default: no cache"


def test_bertopic_is_imported_without_the_optional_modules_the_pipeline_never_uses():
    """import_compiled("bertopic") in a new process: BERTopic's transformer, sentence-transformers and spaCy
    extras are not imported (about 4 s in each topic job), BERTopic reports them as not installed, and its core
    classes are there."""
    probe = (
        "import sys\n"
        "from pipeline.topics.compiled import import_compiled\n"
        "bertopic = import_compiled('bertopic')\n"
        "from bertopic.backend import BaseEmbedder, MultiModalBackend\n"
        "from bertopic.representation import PartOfSpeech, TextGeneration\n"
        "from bertopic.vectorizers import ClassTfidfTransformer\n"
        "loaded = [m for m in ('sentence_transformers', 'transformers', 'spacy', 'torch') if m in sys.modules]\n"
        "extras = [type(x).__name__ for x in (MultiModalBackend, PartOfSpeech, TextGeneration)]\n"
        "print(loaded, extras, bertopic.BERTopic.__name__, BaseEmbedder.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] ['NotInstalled', 'NotInstalled', 'NotInstalled'] BERTopic BaseEmbedder"


def test_a_cached_fit_loads_without_pytorch_or_umap_and_gives_the_words_of_the_fit_itself(
    settings, tmp_path, fit_seed3
):
    """BERTopic.load tries to rebuild an embedding model through sentence-transformers (PyTorch, about 3 s) and,
    with none saved, falls back to an empty backend; loading skips the import and gets that same backend. Its
    constructor makes a UMAP (pynndescent and numba, about 1 s) that a loaded model never calls: loading skips
    that too, and the model gives the same words per group and word weights as the fit."""
    from pipeline.topics import cache as topic_cache

    docs, vectors, _ = synthetic_corpus()
    key = topic_cache.fit_key("main", docs, vectors, settings, seed=3)
    topic_cache.store_fit(tmp_path, "main", key, fit_seed3)
    groups = ["a" if i % 3 else "b" for i in range(len(docs))]
    probe = (
        "import json, sys\n"
        "from pipeline import topics\n"
        "from pipeline.topics import cache\n"
        "from tests.stage.test_topics import synthetic_corpus\n"
        f"fit = cache.load_fit({str(tmp_path)!r}, 'main', {key!r})\n"
        "heavy = ('sentence_transformers', 'transformers', 'torch', 'umap', 'pynndescent', 'numba')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "docs = synthetic_corpus()[0]\n"
        f"words = topics.class_words(fit.model, docs, fit.topics, {groups!r}, 'role').to_dict('records')\n"
        "weights = {t: [list(w) for w in fit.model.get_topic(t)] for t in fit.words}\n"
        "import sentence_transformers, umap\n"  # importable again afterwards
        "print(json.dumps([loaded, type(fit.model.embedding_model).__name__, words, weights]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded, backend, words, weights = json.loads(done.stdout)
    assert loaded == [] and backend == "BaseEmbedder"
    assert "WARNING" not in done.stderr  # BERTopic's "no embedding model": none is needed after the fit
    fitted = topics.class_words(fit_seed3.model, docs, fit_seed3.topics, groups, "role")
    assert words == fitted.to_dict("records") and len(words) > len(fit_seed3.words)
    assert weights == {str(t): [list(w) for w in fit_seed3.model.get_topic(t)] for t in fit_seed3.words}


def test_topics_are_related_to_codes_from_the_written_tables_as_from_the_fit_itself(tmp_path):
    """relate_topics_to_codes reads the topic tables fit_topics wrote (as text) and writes each model's crosswalk
    exactly as ``crosswalk`` makes it from the tables in memory, topics in numeric order (10 after 2), and the main
    model's heatmap; the guided model's three files go together or not at all (one error line, nothing written)."""
    from pipeline.codebook import load_codebook
    from pipeline.core.files import write_csv
    from tests.conftest import cli, error_lines

    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    first, second = codebook.ids[:2]
    st = pd.DataFrame(
        {
            "segment_id": [f"s{i}" for i in range(6)],
            "topic_id": [10, 2, 10, 2, 10, -1],
            "probability": [0.9, 0.8, 0.7, 0.6, 0.5, 0.0],
            "assignment": ["cluster"] * 5 + ["too_short"],
        }
    )
    table = pd.DataFrame({"topic_id": [2, 10], "label": ["two", "ten"], "size": [2, 3]})
    codes = pd.DataFrame(
        {
            "segment_id": ["s0", "s1", "s2", "s3", "s4"],
            "code_id": [first, second, first, first, second],
            "source": ["model", "human", "model", "pattern", "human"],
            "confidence": ["0.9", "1", "0.6", "0.5", "1"],
            "final": ["True", "True", "True", "False", "True"],
        }
    )
    files = {name: tmp_path / f"{name}.csv" for name in ("st", "topics", "codes")}
    for frame, name in ((st, "st"), (table, "topics"), (codes, "codes")):
        write_csv(frame, files[name])
    expected, nmi = topics.crosswalk(st, codes, table, codebook.ids, {c.id: c.label for c in codebook.codes})
    write_csv(expected, tmp_path / "expected.csv")
    main = ("--segment-topics", files["st"], "--topics", files["topics"], "--crosswalk", tmp_path / "cross.csv")
    common = ("relate-topics", "--segment-codes", files["codes"], "--codebook", ROOT / "config" / "codebook.yaml")
    guided = ("--guided-segment-topics", files["st"], "--guided-topics", files["topics"])
    outputs = ("--guided-crosswalk", tmp_path / "guided.csv", "--figure-codes", tmp_path / "h.png")
    result = cli(*common, *main, *guided, *outputs)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cross.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()
    assert (tmp_path / "guided.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()
    assert pd.read_csv(tmp_path / "cross.csv")["topic_id"].tolist() == [2, 10]
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "h.svg").exists()

    (tmp_path / "cross.csv").unlink()
    for incomplete in ((*main, *guided), (*main, "--quality", tmp_path / "q.csv")):  # a guided file, the runs missing
        result = cli(*common, *incomplete)
        errors = error_lines(result.stderr)
        assert result.returncode == 2 and len(errors) == 1 and "go together" in errors[0], result.stderr
        assert not (tmp_path / "cross.csv").exists() and not (tmp_path / "q.csv").exists()
    assert 0 < nmi <= 1


def test_the_quality_table_from_runs_compared_before_the_codes_is_the_one_computed_with_them(main_fit, tmp_path):
    """evaluate_topics compares the models without the codes and writes its runs (here on a sample, so the compared
    segments are a subset); tabulate_topic_quality then adds each model's NMI with the compared segments' dominant
    codes: the table computed with the codes from the start, to the byte. Other codes change that column only."""
    from pipeline.core.files import read_table, write_csv
    from pipeline.topics.stage import write_runs

    docs, vectors, truth = synthetic_corpus()
    sampled = dataclasses.replace(SETTINGS, quality_sample=90)
    ids = [f"S{i:03d}" for i in range(len(docs))]
    themes = list(THEMES)
    dominant = ["(uncoded)" if i % 7 == 0 else themes[t] for i, t in enumerate(truth)]

    def codes_file(codes: list[str], name: str):
        coded = [(ids[i], c) for i, c in enumerate(codes) if c != "(uncoded)"]
        frame = pd.DataFrame(coded, columns=["segment_id", "code_id"]).assign(
            source="human", coder="A", confidence="1", final="True"
        )
        write_csv(frame, tmp_path / name)
        return read_table(tmp_path / name)  # as the step reads it

    runs = topics.compare(docs, vectors, sampled, main_fit)
    assert len(runs.positions) == 90 and runs.positions != list(range(90))
    write_runs(runs, [ids[i] for i in runs.positions], tmp_path / "runs.json")
    table = topics.tabulate_topic_quality(tmp_path / "runs.json", codes_file(dominant, "codes.csv"), tmp_path / "q.csv")
    write_csv(topics.quality(docs, vectors, sampled, main_fit, dominant), tmp_path / "direct.csv")
    assert (tmp_path / "q.csv").read_bytes() == (tmp_path / "direct.csv").read_bytes()
    assert table.set_index("model").loc["bertopic", "nmi_dominant_code"] > 0.5, "topics follow the themes"

    shuffled = list(np.random.default_rng(0).permutation(dominant))
    other = topics.tabulate_topic_quality(tmp_path / "runs.json", codes_file(shuffled, "other.csv"), tmp_path / "o.csv")
    nmi = "nmi_dominant_code"
    assert other.drop(columns=nmi).equals(table.drop(columns=nmi))
    assert (other[nmi] < table[nmi]).all()
