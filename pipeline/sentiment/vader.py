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

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.schemas import load_yaml
from pipeline.segment import sentence_spans

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


def score_segments(segments: pd.DataFrame, lexicon: dict, t: Thresholds) -> pd.DataFrame:
    """Pure core: segment_id, compound, label (adapted lexicon) and the same with plain VADER; with the adapted
    lexicon also the spread over sentences (highest and lowest compound, shares of positive and negative
    sentences) and the contrast words (up to 3), which the code-level model learns from."""
    adapted, plain = Scorer(lexicon), Scorer()
    rows = []
    for sid, text in zip(segments["segment_id"], segments["text"], strict=True):
        sentences = adapted.sentence_scores(text)
        c, lab = label(sentences, t)
        pc, plab = label(plain.sentence_scores(text), t)
        rows.append(
            {
                "segment_id": sid,
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
    return pd.DataFrame(rows)


def load_lexicon(path) -> dict:
    return load_yaml(path, "lexicon", "the sentiment lexicon")
