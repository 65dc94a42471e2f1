"""check-corpus checks the claims and codes.csv."""

from __future__ import annotations

from tests.conftest import cli, error_lines
from tests.unit.test_findings_claims import own_roles


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
