"""Thematic coding (README.md here): the coder and its features (``coder``), the cold start from the codebook
(``seeded``), review rounds and the review queue (``review``), indicator patterns (``patterns``), and the stage
that writes the tables (``stage``). The names below are the package's public API."""

from pipeline.coding.coder import (
    UNKNOWN,
    Coder,
    CoderSettings,
    cross_validated_predictions,
    known_labels,
    label_matrix,
)
from pipeline.coding.review import (
    ACCEPT,
    QUEUE_COLUMNS,
    REJECT,
    REVIEW_COLUMNS,
    read_review,
    review_queue,
    teaching_batch,
)
from pipeline.coding.seeded import TAUGHT_MIN_POSITIVES, SeededCoder, codebook_texts, seeded_codes, taught_coder
from pipeline.coding.stage import code_segments, combine

__all__ = [
    "ACCEPT",
    "QUEUE_COLUMNS",
    "REJECT",
    "REVIEW_COLUMNS",
    "TAUGHT_MIN_POSITIVES",
    "UNKNOWN",
    "Coder",
    "CoderSettings",
    "SeededCoder",
    "codebook_texts",
    "code_segments",
    "combine",
    "cross_validated_predictions",
    "known_labels",
    "label_matrix",
    "read_review",
    "review_queue",
    "seeded_codes",
    "taught_coder",
    "teaching_batch",
]
