"""Preparation in batches (prepare.run): batching changes no result, errors of a batch, file permissions."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.core.errors import PipelineError
from pipeline.corpus import load_corpus
from pipeline.gate import prepare
from tests.conftest import ROOT, TINY, copy_corpus, fresh_process

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def settings_for(corpus, ids: list[str], mode: str = "check") -> prepare.Settings:
    rows = {it.interview_id: it for it in corpus.interviews}
    return prepare.Settings(
        interviews=[
            {"interview_id": i, "participant_id": rows[i].participant_id, "role": rows[i].role, "wave": rows[i].wave}
            for i in ids
        ],
        interviewer_labels=corpus.interviewer_labels,
        participant_labels=corpus.participant_labels,
        label_mode=corpus.label_mode,
        mode=mode,
        allow=corpus.allow,
        max_words=CONFIG["segmentation"]["max_words"],
    )


def run_batch(corpus, ids, folder: Path, mode="check"):
    rows = {it.interview_id: it for it in corpus.interviews}
    out = {k: folder / f"{k}.{ext}" for k, ext in (("turns", "parquet"), ("segments", "parquet"), ("counts", "csv"))}
    prepare.prepare_interviews(
        [corpus.root / rows[i].file for i in ids],
        settings_for(corpus, ids, mode),
        out["turns"],
        out["segments"],
        out["counts"],
        folder / "audit.csv",
    )
    return {k: pd.read_csv(p) if p.suffix == ".csv" else pd.read_parquet(p) for k, p in out.items()}


@pytest.fixture(scope="module")
def tiny():
    return load_corpus(TINY, CONFIG)


def test_a_batch_gives_what_its_interviews_give_one_by_one(tiny, tmp_path):
    ids = [it.interview_id for it in tiny.interviews]
    together = run_batch(tiny, ids, tmp_path / "together")
    alone = [run_batch(tiny, [i], tmp_path / i) for i in ids]
    for key in ("turns", "segments", "counts"):
        pd.testing.assert_frame_equal(together[key], pd.concat([a[key] for a in alone], ignore_index=True))
    assert set(together["segments"]["interview_id"]) == set(ids) and len(together["segments"]) > 10


def test_every_bad_transcript_of_a_batch_is_reported_and_nothing_is_written(tiny, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "bad")
    for name in ("P01_w1.txt", "S01_w2.txt"):
        path = corpus / "transcripts" / name
        path.write_bytes(path.read_bytes() + b"Dr Jones: Sorry, wrong room.\n")
    corpus = replace(tiny, root=corpus)
    with pytest.raises(PipelineError) as info:
        run_batch(corpus, [it.interview_id for it in tiny.interviews], tmp_path / "out")
    problems = [e.message() for e in info.value.errors]
    assert len(problems) == 2 and all("unknown speaker label 'Dr Jones'" in p for p in problems)
    assert problems[0].startswith(f"{corpus.root}/transcripts/P01_w1.txt:")
    assert problems[1].startswith(f"{corpus.root}/transcripts/S01_w2.txt:")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.parquet"))


def test_check_mode_stops_on_an_identifier_with_its_line_and_no_value(tiny, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "leaky")
    path = corpus / "transcripts" / "P01_w1.txt"
    path.write_text(path.read_text().replace("any contact with [PARTNER]", "any contact with his partner Kayleigh"))
    with pytest.raises(PipelineError) as info:
        run_batch(replace(tiny, root=corpus), ["P01_w1", "P02_w1"], tmp_path / "out")
    err = info.value
    assert err.file == str(path) and err.line == "5" and "PERSON 1" in err.problem
    assert "Kayleigh" not in err.message() and not getattr(err, "errors", None), "one problem, one error"
    assert "Kayleigh" in (tmp_path / "out" / "audit.csv").read_text(), "the private audit says what was found"
    assert not (tmp_path / "out" / "turns.parquet").exists()
    pseudonymised = run_batch(replace(tiny, root=corpus), ["P01_w1"], tmp_path / "pseudo", mode="pseudonymise")
    assert pseudonymised["turns"]["text"].str.contains(r"his partner \[PERSON_1\]").any()
    assert pseudonymised["counts"].set_index("category").loc["PERSON", "count"] == 1


def test_outputs_are_shareable_and_the_audit_is_its_owners_only(tiny, tmp_path):
    ids = [tiny.interviews[0].interview_id]
    rows = {it.interview_id: it for it in tiny.interviews}
    out, private = tmp_path / "outputs", tmp_path / "private" / "audit"
    before = os.umask(0o022)
    try:
        prepare.prepare_interviews(
            [tiny.root / rows[i].file for i in ids],
            settings_for(tiny, ids, "pseudonymise"),
            out / "turns.parquet",
            out / "segments.parquet",
            out / "counts.csv",
            private / "batch.csv",
        )
    finally:
        os.umask(before)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [*out.iterdir(), private, *private.iterdir()]}
    assert modes == {
        "turns.parquet": 0o644,
        "segments.parquet": 0o644,
        "counts.csv": 0o644,
        "audit": 0o700,
        "batch.csv": 0o600,
    }


def test_spacy_is_imported_without_pytorch_and_pytorch_stays_importable():
    """core.nlp.import_spacy in a new process: the NER model and the sentencizer load and run with thinc's NumPy
    operations, PyTorch is not imported (about 1.5 s in every job that parses text), and can be imported after."""
    probe = (
        "import sys\n"
        "from pipeline.gate.ner import ner_model\n"
        "from pipeline.segment import sentencizer\n"
        "people = [e.text for e in ner_model()('Sarah Jones moved to Leeds.').ents]\n"
        "sentences = len(list(sentencizer()('One. Two.').sents))\n"
        "before = 'torch' in sys.modules\n"
        "import torch, thinc.compat\n"
        "print(people, sentences, before, thinc.compat.has_torch, torch.__version__.split('+')[0])\n"
    )
    assert fresh_process(probe).strip() == "['Sarah Jones', 'Leeds'] 2 False False 2.13.0"
