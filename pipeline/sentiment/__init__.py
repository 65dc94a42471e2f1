"""Sentiment (README.md here): VADER with the domain lexicon (``vader``), the code-level model carried with the
coder (``model``), aggregates and validation (``summary``), figures and the stages (``stage``). The names below
are the package's public API."""

from pipeline.sentiment.model import (
    SentimentModel,
    code_sentiment,
    load_sentiment_model,
    pair_features,
    save_sentiment_model,
    supervised,
)
from pipeline.sentiment.stage import score_sentiment, summarise_sentiment
from pipeline.sentiment.summary import aggregate, bootstrap_ci, macro_f1_from_confusion, validation
from pipeline.sentiment.vader import LABELS, Scorer, Thresholds, label, load_lexicon, score_segments

__all__ = [
    "LABELS",
    "Scorer",
    "SentimentModel",
    "Thresholds",
    "aggregate",
    "bootstrap_ci",
    "code_sentiment",
    "label",
    "load_lexicon",
    "load_sentiment_model",
    "macro_f1_from_confusion",
    "pair_features",
    "score_sentiment",
    "summarise_sentiment",
    "save_sentiment_model",
    "score_segments",
    "supervised",
    "validation",
]
