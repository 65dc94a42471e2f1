"""Configuration, codebook and findings: valid, in sync with their schemas and with the study framework."""

from __future__ import annotations

import re

import pytest
import yaml

from pipeline.codebook import load_codebook
from pipeline.errors import PipelineError
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

    with pytest.raises(PipelineError, match="used twice"):
        load_codebook(write_codebook(tmp_path, dup))


def test_code_outside_a_theme_is_refused(tmp_path):
    def stray(data):
        data["codes"] = [{"id": "stray"}]

    with pytest.raises(PipelineError, match="setting '\\(top level\\)' is invalid"):
        load_codebook(write_codebook(tmp_path, stray))


def test_code_without_examples_is_refused(tmp_path):
    def bare(data):
        data["themes"][0]["codes"][0]["examples"] = ["only one"]

    with pytest.raises(PipelineError, match="themes.0.codes.0.examples"):
        load_codebook(write_codebook(tmp_path, bare))


def test_findings_naming_an_unknown_code_are_refused(tmp_path):
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    data = yaml.safe_load((ROOT / "config" / "findings.yaml").read_text())
    data["claims"][4]["code"] = "time_pressure"
    path = tmp_path / "findings.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PipelineError, match="'time_pressure'"):
        load_findings(path, codebook, CONFIG["roles"])
