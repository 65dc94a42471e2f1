"""What the topic models read: cleaned segment text, stop words, the vectorizer, seed words from the codebook."""

from __future__ import annotations

import hashlib
import re
from functools import cache

import numpy as np
import pandas as pd

from pipeline.topics.settings import TopicSettings

PLACEHOLDER = re.compile(r"\[([A-Za-z][A-Za-z ]*?)(?:_\d+)?\]")


TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"


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
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(ENGLISH_STOP_WORDS) | {w.lower() for w in settings.fillers} | {"person", "place"})


@cache
def _counter():
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.feature_extraction.text import CountVectorizer

    class WordCounter(CountVectorizer):
        """scikit-learn's CountVectorizer, whose ``fit`` does not count the words of the documents when it is given
        its vocabulary.

        With a fixed vocabulary, fitting learns nothing from the documents: scikit-learn counts every word of
        them and drops the counts. BERTopic fits its vectorizer right before each transform of the same text
        (every c-TF-IDF: the fit, the outlier update, words per role and wave), so each of them read all the
        segments twice. Here ``fit`` runs scikit-learn's own ``fit_transform`` on no documents: the same checks
        and warnings, the same fitted state (``vocabulary_``, ``fixed_vocabulary_``), and the same counts from
        every ``transform`` (tests/unit/test_topics.py)."""

        def fit(self, raw_documents, y=None):
            if self.vocabulary is None or isinstance(raw_documents, str):
                return super().fit(raw_documents, y)
            self.fit_transform([])
            return self

    return WordCounter


def vectorizer(settings: TopicSettings, min_df: int = 1, vocabulary=None):
    """The topic models' word counts: unigrams and bigrams of ``TOKEN_PATTERN`` words, without the stop words."""
    return _counter()(
        stop_words=stop_words(settings),
        ngram_range=(1, 2),
        min_df=min_df,
        token_pattern=TOKEN_PATTERN,
        vocabulary=vocabulary,
    )


# the last vocabulary of this process, by a digest of the segments and the stop words: ``cluster_selection: auto``
# and the comparison's seeds fit BERTopic more than once on the same segments
_LAST_VOCABULARY: dict = {}


def segment_vocabulary(docs: list[str], settings: TopicSettings) -> list[str] | None:
    """Words and word pairs used in at least two segments: candidates for topic words (no one-off words).

    Fixed at segment level, not at topic level, so it behaves the same with 2 topics or 200. The last one computed
    in the process is reused for the same segments and stop words (it depends on nothing else).
    """
    if len(docs) < 2:
        return None
    digest = hashlib.sha256()
    for doc in docs:
        digest.update(doc.encode("utf-8") + b"\0")
    key = (digest.hexdigest(), tuple(stop_words(settings)))
    if _LAST_VOCABULARY.get("key") != key:
        try:
            vocab = list(vectorizer(settings, min_df=2).fit(docs).get_feature_names_out())
        except ValueError:  # nothing used twice
            vocab = []
        _LAST_VOCABULARY.clear()
        _LAST_VOCABULARY.update(key=key, vocab=vocab)
    vocab = list(_LAST_VOCABULARY["vocab"])
    return vocab if len(vocab) >= 10 else None


def modelled(segments: pd.DataFrame, settings: TopicSettings) -> pd.Series:
    """Which segments take part: participant segments of at least ``min_words`` words."""
    words = segments["text"].str.split().str.len().fillna(0)
    return words >= settings.min_words


def light_embedder(docs: list[str], settings: TopicSettings):
    """The lighter profile: TF-IDF + TruncatedSVD (+ L2 norm), fitted on the documents, seeded."""
    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.decomposition import TruncatedSVD

    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.feature_extraction.text import TfidfVectorizer

    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
    from sklearn.pipeline import make_pipeline

    # scikit-learn takes about a second to import: loaded only by the steps that fit or score
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
