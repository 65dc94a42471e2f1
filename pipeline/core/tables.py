"""Typed readers of the workflow's own tables: each column in its type whatever wrote the CSV, so no stage parses a
flag from text itself."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def as_bool(column: pd.Series) -> pd.Series:
    """A true/false column as written to CSV (True, true, "True") or already boolean."""
    return column.astype(str).str.lower() == "true"


def read_segment_codes(path: str | Path) -> pd.DataFrame:
    """tables/segment_codes.csv: one row per (segment, code, source); ``wave`` an integer and ``final`` a boolean;
    empty cells stay empty strings (a code with no probability, a segment with no reviewer)."""
    codes = pd.read_csv(path, dtype={"wave": int}, keep_default_na=False)
    codes["final"] = as_bool(codes["final"])
    return codes


def final_codes(codes: pd.DataFrame) -> pd.DataFrame:
    """The final codes of segment_codes: one row per (segment, code) the analysis counts."""
    return codes[as_bool(codes["final"])].drop_duplicates(["segment_id", "code_id"])
