"""The corpus contract: manifest and corpus.yaml problems are named with file and row."""

from __future__ import annotations

import pytest
import yaml

from pipeline.core.errors import PipelineError
from pipeline.corpus import load_corpus, unlisted_files
from tests.conftest import ROOT, TINY

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def rewrite_manifest(corpus_dir, edit):
    path = corpus_dir / "manifest.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")


def problem(corpus_dir) -> PipelineError:
    with pytest.raises(PipelineError) as info:
        load_corpus(corpus_dir, CONFIG)
    return info.value


def test_tiny_corpus_loads_with_attributes_and_settings():
    corpus = load_corpus(TINY, CONFIG)
    assert corpus.name == "tiny"
    assert [it.interview_id for it in corpus.interviews] == ["P01_w1", "P02_w1", "S01_w1", "S02_w1", "S01_w2"]
    assert corpus.interviews[0].attributes == {"experience": "10+ years"}
    assert "Researcher" in corpus.interviewer_labels and "Speaker 2" in corpus.participant_labels
    assert unlisted_files(corpus) == []


def test_a_manifest_saved_with_semicolons_reads_as_with_commas(corpus_dir):
    before = load_corpus(corpus_dir, CONFIG)
    rewrite_manifest(corpus_dir, lambda lines: [line.replace(",", ";") for line in lines])
    after = load_corpus(corpus_dir, CONFIG)
    assert after.interviews == before.interviews


def test_a_manifest_saved_by_excel_in_windows_1252_is_read(corpus_dir):
    path = corpus_dir / "manifest.csv"
    path.write_bytes(path.read_text().replace("10+ years", "caf\u00e9 \u2013 10+ years").encode("cp1252"))
    assert load_corpus(corpus_dir, CONFIG).interviews[0].attributes == {"experience": "caf\u00e9 \u2013 10+ years"}


def test_corpus_name_defaults_to_the_folder(corpus_dir):
    (corpus_dir / "corpus.yaml").write_text("speakers: {interviewer: [Researcher], participant: [Speaker 2]}\n")
    assert load_corpus(corpus_dir, CONFIG).name == "c"


def test_missing_manifest(corpus_dir):
    (corpus_dir / "manifest.csv").unlink()
    err = problem(corpus_dir)
    assert err.file.endswith("manifest.csv") and "no manifest.csv" in err.problem


def test_missing_required_column(corpus_dir):
    rewrite_manifest(corpus_dir, lambda ls: [ls[0].replace("role,", "group,")] + ls[1:])
    err = problem(corpus_dir)
    assert err.line == 1 and "role" in err.problem


def test_duplicate_participant_and_wave(corpus_dir):
    rewrite_manifest(corpus_dir, lambda ls: ls + ["P01,practitioner,1,transcripts/P02_w1_otter.txt,"])
    err = problem(corpus_dir)
    assert err.line == 7 and "second row for wave 1" in err.problem and "line 2" in err.problem


def test_listed_file_missing(corpus_dir):
    (corpus_dir / "transcripts" / "S02_w1.docx").unlink()
    err = problem(corpus_dir)
    assert err.line == 5 and "S02_w1.docx" in err.problem


def test_role_outside_declared_set(corpus_dir):
    rewrite_manifest(corpus_dir, lambda ls: ls[:1] + [ls[1].replace("practitioner", "victim")] + ls[2:])
    err = problem(corpus_dir)
    assert err.line == 2 and "'victim'" in err.problem and "corpus.yaml" in err.fix


def test_roles_declared_in_corpus_yaml(corpus_dir):
    rewrite_manifest(corpus_dir, lambda ls: ls[:1] + [ls[1].replace("practitioner", "manager")] + ls[2:])
    settings = yaml.safe_load((corpus_dir / "corpus.yaml").read_text())
    settings["roles"] = {"manager": "Managers", "practitioner": "Case managers", "service_user": "Men"}
    (corpus_dir / "corpus.yaml").write_text(yaml.safe_dump(settings))
    assert load_corpus(corpus_dir, CONFIG).interviews[0].role == "manager"


@pytest.mark.parametrize("wave", ["0", "two", "1.5"])
def test_wave_must_be_a_whole_number(corpus_dir, wave):
    rewrite_manifest(corpus_dir, lambda ls: ls[:1] + [ls[1].replace(",1,", f",{wave},")] + ls[2:])
    assert problem(corpus_dir).line == 2


def test_invalid_corpus_yaml_setting(corpus_dir):
    (corpus_dir / "corpus.yaml").write_text("speakers:\n  mode: loose\n")
    err = problem(corpus_dir)
    assert err.file.endswith("corpus.yaml") and "speakers.mode" in err.problem


def test_unlisted_transcript_is_reported(corpus_dir):
    (corpus_dir / "transcripts" / "P03_w1.txt").write_text("Interviewer: hi\nParticipant: hello\n")
    assert unlisted_files(load_corpus(corpus_dir, CONFIG)) == ["transcripts/P03_w1.txt"]


def test_a_transcript_named_through_a_link_or_dots_is_listed(corpus_dir):
    # the manifest names P01's file through a symbolic link and P02's through "..": neither file is unlisted
    (corpus_dir / "transcripts" / "alias.txt").symlink_to("P01_w1.txt")
    rewrite_manifest(
        corpus_dir,
        lambda lines: [
            line.replace("transcripts/P01_w1.txt", "transcripts/alias.txt").replace(
                "transcripts/P02_w1_otter.txt", "transcripts/../transcripts/P02_w1_otter.txt"
            )
            for line in lines
        ],
    )
    assert unlisted_files(load_corpus(corpus_dir, CONFIG)) == []
    (corpus_dir / "transcripts" / "P03_w1.txt").write_text("Interviewer: hi\nParticipant: hello\n")
    assert unlisted_files(load_corpus(corpus_dir, CONFIG)) == ["transcripts/P03_w1.txt"]


def test_corpus_yaml_syntax_error_names_the_line(corpus_dir):
    (corpus_dir / "corpus.yaml").write_text("name: x\nspeakers:\n  interviewer: [Researcher\n  participant: []\n")
    err = problem(corpus_dir)
    assert err.file.endswith("corpus.yaml") and "not valid YAML" in err.problem and err.line in (3, 4, 5)


def test_codebook_and_claims_named_in_corpus_yaml_are_not_unlisted_transcripts(corpus_dir):
    (corpus_dir / "my_codebook.yaml").write_text((ROOT / "config" / "codebook.yaml").read_text())
    (corpus_dir / "claims.yaml").write_text("version: '1'\nsource: test\nclaims: []\n")
    (corpus_dir / "notes.yaml").write_text("x: 1\n")
    with (corpus_dir / "corpus.yaml").open("a") as f:
        f.write("codebook: my_codebook.yaml\nfindings: claims.yaml\n")
    corpus = load_corpus(corpus_dir, CONFIG)
    assert corpus.settings["findings"] == "claims.yaml"
    assert unlisted_files(corpus) == ["notes.yaml"]


def test_a_wrong_setting_in_corpus_yaml_names_its_line(corpus_dir):
    path = corpus_dir / "corpus.yaml"
    path.write_text(path.read_text() + "anonymisation: {mode: sometimes}\n")
    err = problem(corpus_dir)
    assert "setting 'anonymisation.mode' is invalid" in err.problem
    assert path.read_text().splitlines()[err.line - 1].startswith("anonymisation:")
