"""Which claims are checked on a corpus, and a wrong claims file stopping the run before any job starts."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import TINY, cli, copy_corpus, error_lines

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


@pytest.fixture
def corpus_dir(tmp_path):
    return copy_corpus(TINY, tmp_path / "c")


def test_check_corpus_checks_the_claims(corpus_dir):
    own_roles(corpus_dir)
    result = cli("check-corpus", corpus_dir)
    assert result.returncode == 2
    [error] = error_lines(result.stderr)
    assert error.startswith("ERROR: config/findings.yaml:16: claim 'n_practitioners_w1' names the role")
    assert "findings: none" in error
    ok = cli("check-corpus", corpus_dir, "--findings", "none")
    assert ok.returncode == 0 and "no claims declared: OK" in ok.stdout, ok.stderr


def test_check_corpus_checks_codes_csv(corpus_dir):
    codes = corpus_dir / "codes.csv"
    ok = cli("check-corpus", corpus_dir)
    assert ok.returncode == 0 and f"codes.csv {len(codes.read_text().splitlines()) - 1} rows" in ok.stdout
    codes.write_text(codes.read_text().replace(",structure_focus,", ",no_such_code,", 1))
    result = cli("check-corpus", corpus_dir)
    [error] = error_lines(result.stderr)
    assert result.returncode == 2 and error.startswith(f"ERROR: {codes}:2: unknown code id 'no_such_code'")
