"""The final scan: no identifier value found by the gate may appear in any file under ``outputs/``."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import re
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from pipeline.core.errors import PipelineError
from pipeline.core.files import write_csv
from pipeline.core.hashing import sha256
from pipeline.core.textcache import TextCache, source_digest
from pipeline.gate import anonymise
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


def _word_char(ch: str) -> bool:
    """What ``\\w`` matches in a str pattern: a letter or digit of any script, or the underscore."""
    return ch.isalnum() or ch == "_"


class ValueSearch:
    """Where ``values`` occur in a text as whole words, as ``value_pattern`` finds them.

    An Aho-Corasick automaton of the values (``pyahocorasick``) reads a text once and reports every occurrence of
    every value, whole word or not; those bounded by non-word characters on both sides are the occurrences the
    pattern can match. Only the values with one are given to the pattern, which changes nothing it matches (a value
    with no whole-word occurrence never matches) and counts them exactly. Listing every word of each output first,
    to rule values out, took 4 times as long at 1,250 interviews (73 MB of text)."""

    def __init__(self, values: set[str]):
        # a C extension: loaded where outputs are scanned
        import ahocorasick

        self.automaton = ahocorasick.Automaton()
        for value in values:
            self.automaton.add_word(value, value)
        if values:
            self.automaton.make_automaton()
        self.empty = not values

    def present(self, text: str) -> set[str]:
        """The values with at least one whole-word occurrence in ``text``."""
        if self.empty or not text:
            return set()
        found, n = set(), len(text)
        for end, value in self.automaton.iter(text):
            start = end - len(value) + 1
            if (start == 0 or not _word_char(text[start - 1])) and (end + 1 == n or not _word_char(text[end + 1])):
                found.add(value)
        return found

    def count(self, text: str) -> int:
        """How many times the values occur in ``text`` as whole words (``value_pattern``'s matches)."""
        present = self.present(text)
        return len(value_pattern(present).findall(text)) if present else 0


def _file_key(path: Path) -> str:
    return f"{path.suffix}:{sha256(path)}"


# Below this many bytes to search, starting a second process costs more than it saves (the demo's outputs are 26 MB)
PARALLEL_FROM_BYTES = 32 * 2**20


def _count_in(values: set[str], paths: list[Path]) -> list[int]:
    search = ValueSearch(values)
    return [search.count(_searchable_text(p)) for p in paths]


def count_in_files(values: set[str], paths: list[Path], workers: int = 1) -> list[int]:
    """Each file's whole-word occurrences of ``values``, in the order of ``paths``. With ``workers`` above 1 and
    enough bytes to search, the files are shared out by size between that many processes; a file's count does not
    depend on which process searched it. The processes are forked: the scan has started no thread by then (pyarrow
    starts its pool on the first Parquet file read, in a worker)."""
    sizes = [p.stat().st_size for p in paths]
    if workers <= 1 or len(paths) < 2 or sum(sizes) < PARALLEL_FROM_BYTES:
        return _count_in(values, paths)
    shares: list[list[int]] = [[] for _ in range(min(workers, len(paths)))]
    load = [0] * len(shares)
    for i in sorted(range(len(paths)), key=lambda i: (-sizes[i], i)):  # largest first, to the least loaded
        least = load.index(min(load))
        shares[least].append(i)
        load[least] += sizes[i]
    with ProcessPoolExecutor(max_workers=len(shares), mp_context=multiprocessing.get_context("fork")) as pool:
        found = list(pool.map(_count_in, [values] * len(shares), [[paths[i] for i in share] for share in shares]))
    counts = [0] * len(paths)
    for share, share_counts in zip(shares, found, strict=True):
        for i, n in zip(share, share_counts, strict=True):
            counts[i] = n
    return counts


def find_values(
    folder: Path, values: set[str], skip: set[Path] = frozenset(), cache_folder=None, workers: int = 1
) -> list[tuple[str, int]]:
    """Every file under ``folder`` searched for every identifier value; returns (file, hits) where hits > 0.

    With ``cache_folder`` the count of a file whose bytes were searched before for the same values is reused (the
    folder belongs in private/: its key holds a digest of the values). ``workers``: see ``count_in_files``."""
    if not values:
        return []
    paths = [p for p in sorted(Path(folder).rglob("*")) if p.is_file() and p.resolve() not in skip]
    identity = {
        "what": "identifier values found in an output file",
        "values_sha256": hashlib.sha256("\n".join(sorted(values)).encode("utf-8")).hexdigest(),
        "code": source_digest(sys.modules[__name__], anonymise),
    }
    cache = TextCache(cache_folder, identity)
    counts = cache.map(paths, lambda todo: count_in_files(values, todo, workers), _file_key)
    cache.save()
    if cache_folder:
        log.info("%d of %d files searched, the rest unchanged since they were searched", cache.computed, len(paths))
    return [(str(p), n) for p, n in zip(paths, counts, strict=True) if n]


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


def scan_outputs(
    outputs: Path, audit_paths, out: Path, allow: AllowList | None = None, cache_folder=None, workers: int = 1
) -> pd.DataFrame:
    """The final scan. On a hit the job fails, naming the files (never the values, which would reach the console
    and the logs); the values, with the interviews the gate found them in, go to ``private/<corpus>/scan_hits.csv``
    beside the audits."""

    values = identifier_values(audit_paths, allow)
    hits = find_values(outputs, values, skip={Path(out).resolve()}, cache_folder=cache_folder, workers=workers)
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
