"""Provenance (pipeline/provenance.py, pipeline/core/hashing.py): file hashes, the code version, package versions
and stage timings from Snakemake's benchmark files, on hand-made files with hand-computed values."""

from __future__ import annotations

import platform

import pytest

from pipeline import provenance
from pipeline.core import hashing


def test_sha256_of_a_file_is_the_standard_digest_read_in_blocks(tmp_path):
    small = tmp_path / "abc.txt"
    small.write_bytes(b"abc")  # the FIPS 180-2 test vector
    assert hashing.sha256(small) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert hashing.sha256(empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    large = tmp_path / "large.bin"  # more than one 1 MiB block: the blocks are hashed in order
    large.write_bytes(b"a" * (1 << 20) + b"b")
    import hashlib

    assert hashing.sha256(large) == hashlib.sha256(b"a" * (1 << 20) + b"b").hexdigest()


def package(folder, files: dict[str, str]):
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_code_version_depends_on_file_names_and_contents_not_on_order_or_compiled_files(tmp_path):
    files = {"a.py": "x = 1\n", "rules/b.smk": "rule b:\n", "templates/c.j2": "{{ x }}\n"}
    first = hashing.code_version(package(tmp_path / "one", files))
    second = hashing.code_version(package(tmp_path / "two", dict(reversed(files.items()))))
    assert first == second and len(first) == 16 and int(first, 16) >= 0, "written in another order: the same"
    compiled = package(tmp_path / "three", {**files, "__pycache__/a.cpython-311.pyc": "c", "rules/d.pyc": "c"})
    assert hashing.code_version(compiled) == first, "compiled files do not count"
    moved = package(tmp_path / "four", {"rules/a.py": "x = 1\n", **{k: v for k, v in files.items() if k != "a.py"}})
    assert hashing.code_version(moved) != first, "a file moved to another folder is another package"
    edited = package(tmp_path / "five", {**files, "a.py": "x = 2\n"})
    assert hashing.code_version(edited) != first
    # names and contents are kept apart: "ab" + "c" is not "a" + "bc"
    assert hashing.code_version(package(tmp_path / "six", {"ab": "c"})) != hashing.code_version(
        package(tmp_path / "seven", {"a": "bc"})
    )


def test_package_versions_name_python_and_none_for_what_is_not_installed(monkeypatch):
    monkeypatch.setattr(hashing, "PACKAGES", ("pytest", "no-such-package-qualeval"))
    versions = hashing.package_versions()
    assert list(versions) == ["python", "pytest", "no-such-package-qualeval"]
    assert versions["python"] == platform.python_version()
    assert versions["pytest"] == pytest.__version__ and versions["no-such-package-qualeval"] is None


BENCHMARK_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_stage_timings_sum_jobs_per_rule_and_keep_the_longest_and_the_largest(tmp_path):
    def bench(relative, *rows):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BENCHMARK_HEADER + "".join(f"{s}\t0:00:00\t{rss}\t0\t0\t0\t0\t0\t0\t0\n" for s, rss in rows))

    bench("prepare_interviews/w1-001.tsv", ("2.5", "100"))
    bench(
        "prepare_interviews/w2-001.tsv", ("1.25", "NA")
    )  # no memory measured: read as 0, the other job's 100 MB stays
    bench("fit_topics.tsv", ("10", "300.54"))
    bench("execute_notebook/01-corpus-overview.tsv", ("1.004", "50"), ("2.001", "60"))  # --repeat: two rows
    assert provenance.stage_timings(tmp_path) == {
        "execute_notebook": {"jobs": 2, "seconds_total": 3.0, "seconds_max": 2.0, "peak_memory_mb": 60.0},
        "fit_topics": {"jobs": 1, "seconds_total": 10.0, "seconds_max": 10.0, "peak_memory_mb": 300.5},
        "prepare_interviews": {"jobs": 2, "seconds_total": 3.75, "seconds_max": 2.5, "peak_memory_mb": 100.0},
    }
    assert provenance.stage_timings(tmp_path / "nothing") == {}
