"""Topic modelling (README.md here): settings, what the models read (``vocabulary``), BERTopic (``model``), the
topic tables (``tables``), the comparison with NMF and LDA (``comparison``), the fit cache (``cache``), figures
and the stages (``stage``). The names below are the package's public API."""

from pipeline.topics.comparison import (
    QualityRuns,
    compare,
    diversity,
    mean_pairwise_ari,
    npmi_coherence,
    quality,
    quality_sample,
    quality_table,
    reduce_sample,
)
from pipeline.topics.model import (
    OUTLIER,
    TopicResult,
    apply_frozen,
    exact_cosine_neighbours,
    fit_bertopic,
    save_model,
    too_few_topics,
)
from pipeline.topics.settings import TopicSettings
from pipeline.topics.stage import evaluate_topics, fit_topics, relate_topics_to_codes, tabulate_topic_quality
from pipeline.topics.tables import class_words, crosswalk, dominant_codes, segment_topics, topic_table
from pipeline.topics.vocabulary import clean, light_embedder, modelled, seed_words, stop_words, vectorizer

__all__ = [
    "OUTLIER",
    "QualityRuns",
    "TopicResult",
    "TopicSettings",
    "apply_frozen",
    "class_words",
    "clean",
    "compare",
    "crosswalk",
    "diversity",
    "dominant_codes",
    "exact_cosine_neighbours",
    "fit_bertopic",
    "light_embedder",
    "mean_pairwise_ari",
    "modelled",
    "npmi_coherence",
    "quality",
    "quality_sample",
    "quality_table",
    "reduce_sample",
    "relate_topics_to_codes",
    "fit_topics",
    "evaluate_topics",
    "save_model",
    "seed_words",
    "segment_topics",
    "stop_words",
    "tabulate_topic_quality",
    "too_few_topics",
    "topic_table",
    "vectorizer",
]
