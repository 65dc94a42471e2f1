"""File helpers shared by every stage: atomic writes and stable CSV output."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.encodings import decode
from pipeline.core.errors import PipelineError

if TYPE_CHECKING:  # pandas takes 0.4 s to import: the executor of notebooks writes files without it
    import pandas as pd


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path, private: bool = False):
    """Yield a temporary path beside ``path``; move it into place only on success.

    A failure leaves no half-written output behind. The file gets the permissions of any file the user creates
    (their umask), not the owner-only ones of a temporary file, so a team can share ``outputs/``; a ``private``
    file (identifiers as found) is readable by its owner only, in a folder only its owner can open.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if private:
        path.parent.chmod(0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o600 if private else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(path: str | Path):
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` (and whatever was there).

    A failure leaves the old folder as it was and no half-written one behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        tmp.chmod(0o777 & ~_umask())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            old.rmdir()
            path.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_csv(df: pd.DataFrame, path: str | Path, private: bool = False) -> None:
    """Write a table as UTF-8 CSV with a stable float format and LF line endings (``private``: see atomic_path)."""
    with atomic_path(path, private) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def write_json(obj, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_json_object(path: Path, what: str, fix: str) -> dict:
    """A JSON file that must hold an object (a saved model's description); one line naming the file if it cannot be
    read, is not JSON or is not an object."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 60 else detail[:59] + "…"
        raise PipelineError(f"{what} cannot be read ({type(exc).__name__}: {detail})", fix, file=path) from None
    return obj


def read_csv_text(path: Path) -> str:
    """A CSV file a person edited (codes.csv, a filled-in review queue) as text, in whatever encoding it was saved.

    Decoded like transcripts (``ingest.decode``): UTF-8 with or without BOM, UTF-16, or a legacy code page such
    as Windows-1252, which Excel's plain "CSV (Comma delimited)" writes. An empty file is empty text.
    """

    path = Path(path)
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        return ""
    try:
        text, _encoding = decode(data, path)
    except PipelineError:
        raise PipelineError(
            f"{path.name} is not a text file in an encoding the pipeline reads (UTF-8, UTF-16 or Windows-1252)",
            "Save it as CSV UTF-8 (in Excel: Save As, CSV UTF-8 (Comma delimited))",
            file=path,
        ) from None
    return text


def spreadsheet_reader(text: str):
    """A csv.DictReader over a table a person saved from a spreadsheet, with its header's names stripped.

    Excel writes "CSV" with semicolons where the comma is the decimal separator (much of Europe) and "Unicode
    Text" with tabs: the separator is the one of comma, semicolon and tab that the header line holds most of.
    """

    lines = text.splitlines(keepends=True)
    header = lines[0] if lines else ""
    delimiter = max((",", ";", "\t"), key=lambda d: (header.count(d), d == ","))
    reader = csv.DictReader(lines, delimiter=delimiter)
    reader.fieldnames = [(h or "").strip() for h in reader.fieldnames or []]
    return reader


def require_columns(header, required, path, fix: str) -> None:
    """Stop, naming the file's header line, when a table lacks required columns."""
    missing = [c for c in required if c not in (header or [])]
    if missing:
        raise PipelineError(
            f"{Path(path).name} lacks the required column(s) {', '.join(missing)}", fix, file=path, line=1
        )


def read_table(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def cache_folder() -> Path:
    """Derived resources kept between processes (gazetteers, the embedding model's ONNX graph):
    $QUALEVAL_CACHE_DIR, else $XDG_CACHE_HOME/qualeval (~/.cache/qualeval)."""
    if os.environ.get("QUALEVAL_CACHE_DIR"):
        return Path(os.environ["QUALEVAL_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qualeval"


def verify_sha256(folder: Path, expected: dict[str, str], what: str) -> None:
    """Refuse model files that differ from the pinned release (``expected``: file name -> sha256)."""

    for name, digest_expected in expected.items():
        path = Path(folder) / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
        if digest != digest_expected:
            raise PipelineError(
                f"the {what} file {name} does not match the pinned release (sha256 {digest[:12]})",
                "Reinstall the environment: rm -rf .venv && make run",
                file=path,
            )
