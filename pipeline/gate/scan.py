"""The final scan: no identifier value found by the gate may appear in any file under ``outputs/``."""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

import pandas as pd

from pipeline.core.errors import PipelineError
from pipeline.core.files import write_csv
from pipeline.gate.anonymise import value_pattern
from pipeline.gate.policy import AllowList

log = logging.getLogger(__name__)


def identifier_values(audit_paths, allow: AllowList | None = None) -> set[str]:
    """The values the gate found, less those the corpus allows (they never trip the final scan)."""
    values = set()
    for path in audit_paths:
        if not Path(path).exists():
            continue
        audit = pd.read_csv(path, dtype=str, keep_default_na=False)
        values |= {v.strip() for v in audit.get("text", []) if len(v.strip()) >= 2}
    return {v for v in values if allow is None or not allow.covers(v)}


# Images embedded in executed notebooks (.ipynb JSON, .html data URIs): base64 of figures drawn from tables that
# are scanned themselves. Left in, a short identifier could match by chance inside the base64 text.
EMBEDDED_IMAGE = re.compile(r'data:image/(?:png|jpeg|gif);base64,[A-Za-z0-9+/=]+|"image/(?:png|jpeg|gif)": "[^"]*"')


def _searchable_text(path: Path) -> str | None:
    """What the final scan searches in an output file (None: binary, drawn only from files that are scanned)."""
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        columns = [c for c in df.columns if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object]
        return "\n".join(df[c].astype(str).str.cat(sep="\n") for c in columns)
    if path.suffix in (".png", ".jpg", ".pdf", ".safetensors", ".npy", ".npz"):
        return None
    if path.suffix == ".qdpx":  # a REFI-QDA project (exchange/): a zip of XML and the transcripts' text
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", errors="replace") for n in sorted(archive.namelist()))
    text = path.read_text(encoding="utf-8", errors="replace")
    return EMBEDDED_IMAGE.sub("", text) if path.suffix in (".ipynb", ".html") else text


def find_values(folder: Path, values: set[str], skip: set[Path] = frozenset()) -> list[tuple[str, int]]:
    """Every file under ``folder`` searched for every identifier value; returns (file, hits) where hits > 0."""
    if not values:
        return []
    pattern = value_pattern(values)
    hits = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.resolve() in skip:
            continue
        text = _searchable_text(path)
        n = len(pattern.findall(text)) if text else 0
        if n:
            hits.append((str(path), n))
    return hits


def scan_report(hits: list[tuple[str, int]], audit_paths, values: set[str]) -> pd.DataFrame:
    """Private detail of a failed scan: which value appears in which output file, and where the gate found it."""
    found_in: dict[str, set[str]] = {}
    for path in audit_paths:
        if Path(path).exists():
            audit = pd.read_csv(path, dtype=str, keep_default_na=False)
            for value, interview in zip(audit["text"], audit["interview_id"], strict=True):
                found_in.setdefault(value.strip(), set()).add(interview)
    pattern = value_pattern(values)
    rows = []
    for file, _ in hits:
        counts = pd.Series(pattern.findall(_searchable_text(Path(file)) or "")).value_counts()
        for value, n in sorted(counts.items()):
            rows.append(
                {"output": file, "value": value, "count": int(n), "found_in": " ".join(sorted(found_in.get(value, [])))}
            )
    return pd.DataFrame(rows, columns=["output", "value", "count", "found_in"])


def scan_outputs(outputs: Path, audit_paths, out: Path, allow: AllowList | None = None) -> pd.DataFrame:
    """The final scan. On a hit the job fails, naming the files (never the values, which would reach the console
    and the logs); the values, with the interviews the gate found them in, go to ``private/<corpus>/scan_hits.csv``
    beside the audits."""

    values = identifier_values(audit_paths, allow)
    hits = find_values(outputs, values, skip={Path(out).resolve()})
    if hits:
        detail = Path(audit_paths[0]).parent.parent / "scan_hits.csv"
        write_csv(scan_report(hits, audit_paths, values), detail, private=True)
        raise PipelineError(
            f"identifiers found in the inputs also appear in {len(hits)} output file(s): "
            + ", ".join(f"{f} ({n})" for f, n in hits[:5]),
            f"Do not share these outputs. {detail} lists each value, where it appears and the interview(s) the gate "
            "found it in: the gate looks for a value found in one interview in that interview only. If a value "
            "identifies no one, add it to allow: in corpus.yaml; otherwise replace it in the transcripts (or, in check "
            "mode, set anonymisation.mode: pseudonymise). Then rerun",
            file=outputs,
        )
    files = sum(1 for p in Path(outputs).rglob("*") if p.is_file())
    table = pd.DataFrame([{"files_scanned": files, "identifiers_searched": len(values), "files_with_hits": 0}])
    write_csv(table, out)
    log.info("scanned %d files for %d identifiers: no hits", files, len(values))
    return table
