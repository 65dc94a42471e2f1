"""Rule-based coding: the codebook's indicator phrases matched on lemmas (spaCy Matcher).

Transparent and explainable: every hit names the phrase that fired. Phrases are lemmatised with the
same pipeline as the text, so "warning sign" matches "warning signs"; "*" stands for exactly one word.
"""

from __future__ import annotations

import logging
import sys
from functools import cache, cached_property
from pathlib import Path

import pandas as pd

from pipeline.codebook import Codebook
from pipeline.core.nlp import import_spacy
from pipeline.core.textcache import TextCache, source_digest, versions

log = logging.getLogger(__name__)


@cache
def lemmatiser():
    """spaCy blank English with the lookup lemmatizer (spacy-lookups-data): no model, no download."""
    spacy = import_spacy()  # seconds to import, without PyTorch: only where text is parsed

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def lemmas(text: str) -> list[str]:
    return [t.lemma_.lower() or t.lower_ for t in lemmatiser()(text.lower())]


class PatternCoder:
    """Matches every code's patterns; ``code`` returns (code_id, phrase) hits per text.

    One spaCy Matcher per phrase, run only on texts holding every literal lemma of the phrase: a Matcher of all
    360 demo phrases at once tries each phrase at every token (20 s for 15,676 segments); the result is the same.
    With ``cache_folder`` the hits of each text are kept there (``pipeline.core.textcache``) under the phrases, the
    spaCy versions and this module's code, so a new wave matches only its own segments.
    """

    def __init__(self, codebook: Codebook, cache_folder: str | Path | None = None):
        self.phrases = [(code.id, phrase) for code in codebook.codes for phrase in code.patterns]
        self.cache_folder = cache_folder

    @cached_property
    def matchers(self):
        import_spacy()  # seconds to import, without PyTorch: only where text is parsed
        from spacy.matcher import Matcher

        vocab = lemmatiser().vocab
        matchers: list[tuple[frozenset[int], Matcher, tuple[str, str]]] = []
        for code_id, phrase in self.phrases:
            words = " ".join(phrase.replace("*", " * ").split())  # "hold*attention", "hold  * attention"
            tokens = [{} if w == "*" else {"LEMMA": w} for w in lemmas(words)]
            matcher = Matcher(vocab)
            matcher.add("phrase", [tokens])
            needed = frozenset(vocab.strings.add(t["LEMMA"]) for t in tokens if t)
            matchers.append((needed, matcher, (code_id, phrase)))
        return matchers

    def identity(self) -> dict:
        """What a text's hits depend on besides the text (the key of the cache)."""
        from pipeline.core import nlp

        return {
            "what": "codebook phrases found in a text",
            "phrases": self.phrases,
            "packages": versions("spacy", "spacy-lookups-data"),
            "code": source_digest(sys.modules[__name__], nlp),
        }

    def _hits(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        import_spacy()  # seconds to import, without PyTorch: only where text is parsed
        from spacy.attrs import LEMMA

        out = []
        for doc in lemmatiser().pipe(t.lower() for t in texts):
            present = set(doc.to_array([LEMMA]).tolist())
            found = {hit for needed, matcher, hit in self.matchers if needed <= present and matcher(doc)}
            out.append(sorted(found))
        return out

    def hits(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        if not self.cache_folder:
            return self._hits(texts)
        cache = TextCache(self.cache_folder, self.identity())
        found = cache.map(texts, self._hits)
        cache.save()
        log.info("codebook phrases: %d of %d texts matched, the rest from the cache", cache.computed, len(texts))
        return [[(code_id, phrase) for code_id, phrase in hits] for hits in found]

    def code(self, segments: pd.DataFrame) -> pd.DataFrame:
        """One row per (segment, code) with the phrases that fired."""
        rows = []
        for sid, found in zip(segments["segment_id"], self.hits(list(segments["text"])), strict=True):
            by_code: dict[str, list[str]] = {}
            for code_id, phrase in found:
                by_code.setdefault(code_id, []).append(phrase)
            for code_id, phrases in sorted(by_code.items()):
                rows.append(
                    {"segment_id": sid, "code_id": code_id, "phrases": "; ".join(phrases), "hits": len(phrases)}
                )
        return pd.DataFrame(rows, columns=["segment_id", "code_id", "phrases", "hits"])
