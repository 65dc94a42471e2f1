"""Qualitative evaluation pipeline: ingest, anonymisation gate, segmentation, coding, topics, sentiment, reporting."""

__version__ = "0.1.0"
