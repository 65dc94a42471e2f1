"""Configuration, codebook and findings: valid, in sync with their schemas and with the study framework."""

from __future__ import annotations

import re

import pytest
import yaml

from pipeline.codebook import load_codebook
from pipeline.core.errors import PipelineError
from pipeline.findings import load_findings
from pipeline.schemas import schema, validate
from tests.conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
STUDY = ROOT.parent / "shared" / "study" / "README.md"


def framework() -> list[tuple[str, str]]:
    """(theme id, code id) rows of the study's codebook framework table."""
    if not STUDY.exists():
        pytest.skip(f"{STUDY} not found: the study framework lives in ../shared/study")
    return re.findall(r"^\| ([a-z_]+) \| ([a-z_]+) \|", STUDY.read_text(), flags=re.M)


def test_committed_config_is_valid_and_sets_every_schema_default():
    validate(CONFIG, "config", "config/config.yaml")
    props = schema("config")["properties"]
    for block, spec in props.items():
        assert block in CONFIG, f"config.yaml lacks the '{block}' block the schema defines"
        for key, sub in spec.get("properties", {}).items():
            if "default" in sub:
                assert key in CONFIG[block], f"config.yaml should state {block}.{key} (schema default {sub['default']})"


def test_codebook_uses_exactly_the_study_framework():
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    assert [(c.theme, c.id) for c in codebook.codes] == framework()
    assert re.fullmatch(r"\d+\.\d+\.\d+", codebook.version)
    for code in codebook.codes:
        assert len(code.examples) >= 2 and code.patterns and code.label


def test_findings_are_valid_against_the_codebook():
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    claims = load_findings(ROOT / "config" / "findings.yaml", codebook, CONFIG["roles"])
    assert {c["kind"] for c in claims} == {"participants", "prevalence", "comparison"}


def write_codebook(tmp_path, edit):
    data = yaml.safe_load((ROOT / "config" / "codebook.yaml").read_text())
    edit(data)
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_duplicate_code_id_is_refused(tmp_path):
    def dup(data):
        data["themes"][1]["codes"][0]["id"] = data["themes"][0]["codes"][0]["id"]

    path = write_codebook(tmp_path, dup)
    with pytest.raises(PipelineError, match="used twice") as info:
        load_codebook(path)
    first = yaml.safe_load(path.read_text())["themes"][0]["codes"][0]["id"]
    lines = path.read_text().splitlines()
    uses = [n for n, line in enumerate(lines, start=1) if line.strip().removeprefix("- ") == f"id: {first}"]
    assert len(uses) == 2 and info.value.line == uses[1], "the line of the second use"
    assert f"on line {uses[0]})" in info.value.problem, "and of the first"


def test_code_outside_a_theme_is_refused(tmp_path):
    def stray(data):
        data["codes"] = [{"id": "stray"}]

    with pytest.raises(PipelineError, match="setting '\\(top level\\)' is invalid"):
        load_codebook(write_codebook(tmp_path, stray))


def test_code_without_examples_is_refused(tmp_path):
    def bare(data):
        data["themes"][0]["codes"][0]["examples"] = ["only one"]

    path = write_codebook(tmp_path, bare)
    with pytest.raises(PipelineError) as info:
        load_codebook(path)
    assert info.value.problem == (
        "setting 'themes.0.codes.0.examples' (code 'structure_focus') is invalid: it has 1 item, and at least 2 are "
        "required"
    )
    assert info.value.fix.startswith("Add 1 more")
    assert path.read_text().splitlines()[info.value.line - 1].strip() == "examples:"


def test_other_schema_errors_in_the_codebook_name_the_line(tmp_path):
    def kind(data):
        data["themes"][1]["codes"][0]["kind"] = "bogus"

    path = write_codebook(tmp_path, kind)
    with pytest.raises(PipelineError, match="'bogus' is not one of") as info:
        load_codebook(path)
    assert path.read_text().splitlines()[info.value.line - 1].strip() == "kind: bogus"


def test_findings_naming_an_unknown_code_are_refused(tmp_path):
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    data = yaml.safe_load((ROOT / "config" / "findings.yaml").read_text())
    data["claims"][4]["code"] = "time_pressure"
    path = tmp_path / "findings.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PipelineError, match="'time_pressure'"):
        load_findings(path, codebook, CONFIG["roles"])
