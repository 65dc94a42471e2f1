"""Sentiment: how participants feel about what they talk about (VADER, with a domain lexicon).

VADER scores each sentence (its lexicon ships inside the vaderSentiment wheel: no download); a
segment's compound is the mean over its sentences; its label is positive, negative or neutral by
thresholds on that mean, or mixed where a strongly positive and a strongly negative sentence meet.
A domain lexicon (config/sentiment_lexicon.yaml) neutralises words that only describe the subject
matter here (abuse, offence, risk ...) and adds words and phrases of the domain.

How a participant feels about one code in a segment ("the videos were great, the laptop never worked")
is learnt from the human sentiment labels of codes.csv where the corpus has them: a class-weighted
logistic regression over the segment's sentence embedding, the code, and VADER's scores (the mean, plain
and adapted, and their spread over the segment's sentences) and its contrast words, validated by
participant-grouped cross-validation. Human labels stay final where they exist.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from pipeline.core.textcache import TextCache, source_digest, versions
from pipeline.schemas import load_yaml
from pipeline.segment import sentence_spans

log = logging.getLogger(__name__)

LABELS = ["positive", "negative", "neutral", "mixed"]


@dataclass(frozen=True)
class Thresholds:
    positive: float = 0.05
    negative: float = -0.05
    strong: float = 0.5


class Scorer:
    """VADER, plain or with a domain lexicon applied on top."""

    def __init__(self, lexicon: dict | None = None):
        # VADER's lexicon loads only where sentiment is scored
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()
        self.phrases: list[tuple[re.Pattern, str]] = []
        if lexicon:
            for word in lexicon.get("neutral", []):
                self.analyzer.lexicon[word.lower()] = 0.0
            for word, valence in (lexicon.get("words") or {}).items():
                self.analyzer.lexicon[word.lower()] = float(valence)
            for phrase, valence in sorted((lexicon.get("phrases") or {}).items(), key=lambda p: -len(p[0])):
                token = "dom" + re.sub(r"\W+", "", phrase.lower())  # one token VADER can look up
                self.analyzer.lexicon[token] = float(valence)
                self.phrases.append((re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE), token))

    def sentence_scores(self, text: str) -> list[float]:
        out = []
        for a, b in sentence_spans(text) or [(0, len(text))]:
            sentence = text[a:b]
            for pattern, token in self.phrases:
                sentence = pattern.sub(token, sentence)
            out.append(self.analyzer.polarity_scores(sentence)["compound"])
        return out or [0.0]


def label(scores: list[float], t: Thresholds) -> tuple[float, str]:
    """(mean compound, label) of a segment from its sentences' compound scores."""
    mean = float(np.mean(scores))
    if max(scores) >= t.strong and min(scores) <= -t.strong:
        return mean, "mixed"
    if mean >= t.positive:
        return mean, "positive"
    if mean <= t.negative:
        return mean, "negative"
    return mean, "neutral"


# words that turn a sentence or a turn round ("it was good, but ..."): mixed feelings are often marked by them
CONTRAST = re.compile(r"\b(?:but|however|although|though)\b", re.IGNORECASE)


SCORE_COLUMNS = [
    "compound",
    "label",
    "compound_plain",
    "label_plain",
    "compound_max",
    "compound_min",
    "share_positive",
    "share_negative",
    "contrast_words",
]


def _scores(texts: list[str], lexicon: dict, t: Thresholds) -> list[dict]:
    adapted, plain = Scorer(lexicon), Scorer()
    rows = []
    for text in texts:
        sentences = adapted.sentence_scores(text)
        c, lab = label(sentences, t)
        pc, plab = label(plain.sentence_scores(text), t)
        rows.append(
            {
                "compound": round(c, 4),
                "label": lab,
                "compound_plain": round(pc, 4),
                "label_plain": plab,
                "compound_max": round(max(sentences), 4),
                "compound_min": round(min(sentences), 4),
                "share_positive": round(float(np.mean([v >= t.positive for v in sentences])), 4),
                "share_negative": round(float(np.mean([v <= t.negative for v in sentences])), 4),
                "contrast_words": min(len(CONTRAST.findall(text)), 3),
            }
        )
    return rows


def identity(lexicon: dict, t: Thresholds) -> dict:
    """What a segment's scores depend on besides its text (the key of the cache)."""
    from pipeline import segment

    return {
        "what": "sentiment scores of a text",
        "lexicon": lexicon,
        "thresholds": asdict(t),
        "packages": versions("vaderSentiment", "spacy"),
        "code": source_digest(sys.modules[__name__], segment),
    }


def score_segments(segments: pd.DataFrame, lexicon: dict, t: Thresholds, cache_folder=None) -> pd.DataFrame:
    """Pure core: segment_id, compound, label (adapted lexicon) and the same with plain VADER; with the adapted
    lexicon also the spread over sentences (highest and lowest compound, shares of positive and negative
    sentences) and the contrast words (up to 3), which the code-level model learns from. With ``cache_folder``
    each text's scores are kept there between runs (``pipeline.core.textcache``)."""
    texts = list(segments["text"])
    cache = TextCache(cache_folder, identity(lexicon, t))
    rows = cache.map(texts, lambda missing: _scores(missing, lexicon, t))
    cache.save()
    if cache_folder:
        log.info("sentiment: %d of %d texts scored, the rest from the cache", cache.computed, len(texts))
    table = pd.DataFrame([{"segment_id": sid, **row} for sid, row in zip(segments["segment_id"], rows, strict=True)])
    return table[["segment_id", *SCORE_COLUMNS]] if len(table) else table


def load_lexicon(path) -> dict:
    return load_yaml(path, "lexicon", "the sentiment lexicon")
