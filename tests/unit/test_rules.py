"""The workflow's rules: what makes Snakemake rerun them."""

from __future__ import annotations

import re
import shutil

from pipeline.provenance import code_version
from tests.conftest import ROOT


def test_every_rule_reruns_when_the_pipeline_code_changes(tmp_path):
    """Snakemake notices changed inputs, settings and rules, not the Python a rule calls: each rule passes the
    pipeline's code version as a param, so a changed pipeline reruns it."""
    for path in sorted((ROOT / "pipeline" / "rules").glob("*.smk")):
        text = path.read_text()
        for name, body in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", text, flags=re.M | re.S):
            assert re.search(r"^    params:\n        code=CODE,$", body, flags=re.M), f"{path.name}: rule {name}"
    package = tmp_path / "pipeline"
    shutil.copytree(ROOT / "pipeline", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_version(package)
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"compiled")
    assert code_version(package) == before, "compiled files do not count"
    with (package / "sentiment.py").open("a") as f:
        f.write("\n# a change\n")
    assert code_version(package) != before
