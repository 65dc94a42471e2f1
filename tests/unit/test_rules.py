"""The workflow's rules: what makes Snakemake rerun them."""

from __future__ import annotations

import ast
import json
import re
import shutil

import pytest

from pipeline.core import hashing
from pipeline.core.hashing import code_closure, code_hash
from tests.conftest import ROOT

RULE = re.compile(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", flags=re.M | re.S)
CODE_OF = re.compile(r"^    params:\n        code=code_of\((.*?)\),$", flags=re.M)


def rule_code() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """rule -> (modules, resources) of its code=code_of(...) param."""
    out = {}
    for path in sorted((ROOT / "pipeline" / "rules").glob("*.smk")):
        for name, body in RULE.findall(path.read_text()):
            found = CODE_OF.search(body)
            assert found, f"{path.name}: rule {name} has no code=code_of(...) as its first param"
            call = ast.parse(f"f({found.group(1)})").body[0].value
            modules = tuple(a.value for a in call.args)
            resources = next((tuple(ast.literal_eval(k.value)) for k in call.keywords if k.arg == "resources"), ())
            out[name] = (modules, ("cli.py", *resources))
    return out


def hashes(root, rules) -> dict[str, str]:
    return {name: code_hash(root, *modules, resources=res) for name, (modules, res) in rules.items()}


def test_each_rule_reruns_when_the_code_it_runs_changes_and_only_then(tmp_path):
    """Snakemake notices changed inputs, settings and rules, not the Python a rule calls: each rule passes the hash
    of its own stage's code (its modules and what they import) as a param. A change in report/ reruns the report's
    jobs only; a change in core/ reruns every job."""
    rules = rule_code()
    assert len(rules) >= 19 and all(modules for modules, _ in rules.values())
    shutil.copytree(ROOT / "pipeline", tmp_path / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    before = hashes(tmp_path, rules)
    (tmp_path / "pipeline" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "pipeline" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"compiled")
    assert hashes(tmp_path, rules) == before, "compiled files do not count"

    def changed(relative):
        with (tmp_path / "pipeline" / relative).open("a") as f:
            f.write("\n# a change\n")
        after = hashes(tmp_path, rules)
        return {name for name in rules if after[name] != before[name]}, after

    report_rules, before = changed("report/wording.py")
    assert report_rules == {"format_tables", "draw_figures", "write_findings"}
    topic_rules, before = changed("topics/comparison.py")
    assert topic_rules == {
        "fit_topics",
        "fit_guided_topics",
        "relate_topics_to_codes",
        "evaluate_topics",
    }
    docs, before = changed("coding/README.md")
    assert docs == set(), "a package's documentation is not code"
    template_rules, before = changed("templates/offline.html.j2")
    assert template_rules == {"execute_notebook"}
    every, before = changed("core/errors.py")
    assert every == set(rules)
    every, _ = changed("cli.py")  # the command line each rule is called through
    assert every == set(rules)


def test_a_stage_s_code_is_what_it_imports_at_the_top_or_inside_functions():
    files = {p.relative_to(ROOT / "pipeline").as_posix() for p in code_closure(ROOT, "pipeline.coding.stage")}
    assert {"coding/stage.py", "coding/coder.py", "coding/__init__.py", "core/errors.py", "embeddings.py"} <= files
    assert "schemas/codebook.schema.yaml" in files  # a package's data files count with it
    assert not {f for f in files if f.startswith(("report/", "topics/", "sentiment/", "gate/"))}


def test_an_import_added_to_a_module_joins_the_stage_s_code_in_the_same_process(tmp_path):
    """Each module's imports are parsed once per process for each text of its source (Snakemake's start-up hashes
    the code of every step, and most share modules): an edited module is parsed again, so a new import counts at
    once, and a removed one no longer does."""
    shutil.copytree(ROOT / "pipeline", tmp_path / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))

    def topic_files():
        files = {
            p.relative_to(tmp_path / "pipeline").as_posix() for p in code_closure(tmp_path, "pipeline.report.stage")
        }
        return {f for f in files if f.startswith("topics/")}

    assert topic_files() == set()
    wording = tmp_path / "pipeline" / "report" / "wording.py"
    source = wording.read_text(encoding="utf-8")
    wording.write_text(source + "\n\ndef later():\n    from pipeline.topics import tables  # noqa\n", encoding="utf-8")
    assert {"topics/__init__.py", "topics/tables.py"} <= topic_files()
    wording.write_text(source, encoding="utf-8")
    assert topic_files() == set()


def test_imports_parsed_once_are_kept_for_the_next_process(tmp_path, monkeypatch):
    """Snakemake's start-up parses every module a step runs; what it found is kept under each source's sha256 in
    the machine's cache folder, so the next start parses only what changed. The kept imports give the same
    closure as parsing, and an unreadable file is parsed around, not an error."""
    monkeypatch.setenv("QUALEVAL_CACHE_DIR", str(tmp_path))

    def fresh_process():
        hashing._imports.cache_clear()
        hashing._known_imports.cache_clear()
        hashing._new_imports.clear()

    fresh_process()
    parsed = code_hash(ROOT, "pipeline.coding.stage")
    kept = (tmp_path / hashing.IMPORTS_FILE).read_text(encoding="utf-8")
    fresh_process()
    with monkeypatch.context() as m:
        m.setattr(hashing.ast, "parse", lambda *a, **k: pytest.fail("a kept source was parsed again"))
        assert code_hash(ROOT, "pipeline.coding.stage") == parsed
    for unreadable in ("{not json", '["a list"]', json.dumps({k: 7 for k in json.loads(kept)})):
        (tmp_path / hashing.IMPORTS_FILE).write_text(unreadable, encoding="utf-8")
        fresh_process()
        assert code_hash(ROOT, "pipeline.coding.stage") == parsed
    fresh_process()
