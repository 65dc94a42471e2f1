"""The topic model's settings (config.yaml, topics: block)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
    quality_sample: int = 4000  # the comparison's segments at most (0: all); above, a seeded sample (comparison.py)

    @classmethod
    def from_config(cls, block: dict) -> TopicSettings:
        block = dict(block)
        quality = block.pop("quality", {}) or {}
        block.pop("model", None)
        block["fillers"] = tuple(block.get("fillers", ()))
        if "seeds" in quality:
            block["quality_seeds"] = quality["seeds"]
        if "sample" in quality:
            block["quality_sample"] = quality["sample"]
        return cls(**block)

    def cluster_size(self, n_docs: int) -> int:
        if self.min_cluster_size != "auto":
            return int(self.min_cluster_size)
        # 7 on the demo's 400 segments, about 47 on twenty thousand (measured: benchmarks/RESULTS.md)
        return max(5, round(np.sqrt(n_docs) / 3))
