"""Stage tests: models are loaded once per test run (the sentence-embedding model here; spaCy's NER model through
pipeline.gate.anonymise.ner_model's own cache; BERTopic fits in tests/stage/test_topics.py)."""

from __future__ import annotations

import pytest

from pipeline import embeddings


@pytest.fixture(scope="session")
def embedding_model():
    """all-MiniLM-L6-v2, loaded once (read only)."""
    return embeddings.embedding_model()
