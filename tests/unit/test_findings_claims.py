"""Which claims are checked on a corpus."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from pipeline.codebook import load_codebook
from pipeline.core.errors import PipelineError
from pipeline.corpus import load_corpus
from pipeline.findings import CHECK_COLUMNS, NO_CLAIMS, check_claims, claims_file, corpus_claims
from pipeline.report import claims_section
from tests.conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
CODEBOOK = load_codebook(ROOT / "config" / "codebook.yaml")
OWN_ROLES = {"manager": "Managers", "client": "Clients"}


def settings(corpus_dir, **extra) -> None:
    path = corpus_dir / "corpus.yaml"
    path.write_text(path.read_text() + yaml.safe_dump(extra))


def own_roles(corpus_dir) -> None:
    """The tiny corpus with roles of its own (manager, client) instead of the study's."""
    manifest = corpus_dir / "manifest.csv"
    text = manifest.read_text().replace(",practitioner,", ",manager,").replace(",service_user,", ",client,")
    manifest.write_text(text)
    settings(corpus_dir, roles=OWN_ROLES)


def own_codebook(corpus_dir) -> None:
    shutil.copy(ROOT / "config" / "codebook.yaml", corpus_dir / "my_codebook.yaml")
    settings(corpus_dir, codebook="my_codebook.yaml")


def own_claims(corpus_dir, claims: list[dict]) -> None:
    data = {"version": "1.0.0", "source": "test", "claims": claims}
    (corpus_dir / "claims.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    settings(corpus_dir, findings="claims.yaml")


CLAIM = {
    "id": "managers_w1",
    "kind": "participants",
    "role": "manager",
    "wave": 1,
    "interviews": 2,
    "statement": "Two managers.",
}


def chosen(corpus_dir, command_line=None):
    return claims_file(load_corpus(corpus_dir, CONFIG), CONFIG, command_line)


def test_the_study_claims_apply_to_a_corpus_coded_with_the_study_codebook(corpus_dir):
    assert chosen(corpus_dir) == ("config/findings.yaml", "config")
    settings(corpus_dir, codebook=str(ROOT / "config" / "codebook.yaml"))  # the same file, named
    assert chosen(corpus_dir) == ("config/findings.yaml", "config")


def test_a_corpus_with_its_own_codebook_and_no_claims_has_none_checked(corpus_dir):
    own_codebook(corpus_dir)
    assert chosen(corpus_dir) == (NO_CLAIMS, "own codebook")


def test_corpus_yaml_names_the_claims_or_none_and_the_command_line_wins(corpus_dir):
    own_claims(corpus_dir, [CLAIM])
    assert chosen(corpus_dir) == (str(corpus_dir / "claims.yaml"), "corpus.yaml")
    assert chosen(corpus_dir, "other.yaml") == ("other.yaml", "command line")
    assert chosen(corpus_dir, "none") == ("none", "command line")
    path = corpus_dir / "corpus.yaml"
    path.write_text(path.read_text().replace("findings: claims.yaml", "findings: none"))
    assert chosen(corpus_dir) == (NO_CLAIMS, "corpus.yaml")


def test_own_claims_are_checked_against_the_corpus_roles_and_may_name_a_later_wave(corpus_dir):
    own_roles(corpus_dir)
    own_codebook(corpus_dir)
    own_claims(corpus_dir, [CLAIM])
    corpus = load_corpus(corpus_dir, CONFIG)
    path, claims = corpus_claims(corpus, CONFIG, CODEBOOK)
    assert path == str(corpus_dir / "claims.yaml") and [c["id"] for c in claims] == ["managers_w1"]
    # a wave not interviewed yet (evaluators run wave 1 before wave 2 exists): checked, and it does not hold
    own_claims(corpus_dir, [CLAIM, {**CLAIM, "id": "managers_w3", "wave": 3}])
    assert [c["id"] for c in corpus_claims(load_corpus(corpus_dir, CONFIG), CONFIG, CODEBOOK)[1]][-1] == "managers_w3"
    own_claims(corpus_dir, [CLAIM, {**CLAIM, "id": "clients", "role": "carer"}])
    with pytest.raises(PipelineError) as info:
        corpus_claims(load_corpus(corpus_dir, CONFIG), CONFIG, CODEBOOK)
    err = info.value
    assert "claim 'clients' names the role 'carer', which the corpus does not declare" in err.problem
    assert err.file == str(corpus_dir / "claims.yaml")
    assert (corpus_dir / "claims.yaml").read_text().splitlines()[err.line - 1].strip() == "role: carer"
    assert "findings: none" in err.fix


def test_the_study_claims_on_a_corpus_with_other_roles_say_how_to_switch_them_off(corpus_dir):
    own_roles(corpus_dir)
    with pytest.raises(PipelineError) as info:
        corpus_claims(load_corpus(corpus_dir, CONFIG), CONFIG, CODEBOOK)
    message = info.value.message()
    assert message.startswith(
        "config/findings.yaml:16: claim 'n_practitioners_w1' names the role 'practitioner', which the corpus does "
        "not declare. Use one of client, manager, or, if these claims"
    )
    assert f"write findings: none in {corpus_dir}/corpus.yaml, or write claims of your own" in message
    assert "\n" not in message


def test_a_missing_claims_file_named_in_corpus_yaml_is_refused(corpus_dir):
    settings(corpus_dir, findings="nowhere.yaml")
    with pytest.raises(PipelineError) as info:
        corpus_claims(load_corpus(corpus_dir, CONFIG), CONFIG, CODEBOOK)
    assert info.value.file == str(corpus_dir / "corpus.yaml") and "'nowhere.yaml'" in info.value.problem


def test_a_claims_file_may_hold_no_claims(corpus_dir):
    own_claims(corpus_dir, [])
    assert corpus_claims(load_corpus(corpus_dir, CONFIG), CONFIG, CODEBOOK)[1] == []


def test_without_claims_the_check_has_its_columns_and_no_rows_and_findings_md_says_so():
    codes = pd.DataFrame(columns=["segment_id", "participant_id", "role", "wave", "code_id", "final"])
    check = check_claims([], codes, pd.DataFrame(columns=["participant_id", "role", "wave"]), CODEBOOK)
    assert list(check.columns) == CHECK_COLUMNS and check.empty
    text = claims_section(check, OWN_ROLES, "none")
    assert "None: no claims were declared for this corpus, so no finding was checked" in text
    assert "`findings:`" in text
