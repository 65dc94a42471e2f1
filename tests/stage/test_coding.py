"""The coding stage (coding.run): review decisions applied and carried into the next queue, a coder carried from
another corpus, and broken model folders."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from pipeline import coding
from pipeline.codebook import load_codebook
from pipeline.coding import (
    CoderSettings,
)
from pipeline.core.errors import PipelineError
from pipeline.core.files import write_csv
from pipeline.human_codes import HUMAN_CODE_COLUMNS
from tests.conftest import ROOT
from tests.unit.test_coding import decisions_of

# ---------------------------------------------------------------- the review queue round trip


# ---------------------------------------------------------------- the stage edge with a review queue


def stage_inputs(folder):
    """A tiny corpus for coding.run: participants P0-P3 human-coded in wave 1, P4 and P5 machine-coded in wave 2."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(1)
    rows, human = [], []
    for p in range(6):
        wave = 1 if p < 4 else 2
        for t in range(8):
            sid = f"P{p}_w{wave}_t{2 * t + 1:03d}_s1"
            coded = t % 2 == 0
            words = "the videos were good" if coded else "the laptop was slow"
            rows.append((sid, f"P{p}_w{wave}", f"P{p}", "practitioner", wave, f"{words} {t}"))
            if wave == 1 and coded:
                human.append((sid, f"P{p}_w1", f"P{p}", "practitioner", 1, "engaging_media", "coder1", "", 2))
    segs = pd.DataFrame(rows, columns=["segment_id", "interview_id", "participant_id", "role", "wave", "text"])
    write_csv(segs, folder / "segments.csv")
    pd.DataFrame(human, columns=HUMAN_CODE_COLUMNS).to_parquet(folder / "human_codes.parquet")
    emb = rng.normal(size=(len(segs), 8)).astype(np.float32)
    save_file(
        {"segments": emb, "questions": np.zeros_like(emb)},
        str(folder / "embeddings.safetensors"),
        metadata={"segment_ids": json.dumps(list(segs["segment_id"]))},
    )
    names = ("segment_codes", "review_queue", "validation", "reliability", "probabilities")
    out = {name: folder / "out" / f"{name}.csv" for name in names} | {"model": folder / "out" / "coder"}
    return segs, out


def run_stage(folder, out, review=""):
    settings = CoderSettings(folds=2, min_positives=2, threshold=0.5)
    return coding.code_segments(
        folder / "segments.csv",
        folder / "embeddings.safetensors",
        folder / "human_codes.parquet",
        ROOT / "config" / "codebook.yaml",
        settings,
        "coder1",
        out,
        review_path=str(review),
        queue_size=5,
    )


def test_a_bad_review_queue_stops_the_stage_before_it_writes_anything(tmp_path):
    _segs, out = stage_inputs(tmp_path)
    path = tmp_path / "review_queue.csv"
    path.write_text(
        "rank,segment_id,code_id,decision,reviewer\n1,P4_w2_t001_s1,engaging_media,include,JB\n"
        "2,C99_w1_t001_s1,engaging_media,include,JB\n"
    )
    with pytest.raises(PipelineError) as info:
        run_stage(tmp_path, out, path)
    assert info.value.message().startswith(f"{path}:3: unknown segment 'C99_w1_t001_s1'.")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))


def test_the_stage_applies_review_decisions_and_carries_them_into_the_new_queue(tmp_path):
    _segs, out = stage_inputs(tmp_path)
    run_stage(tmp_path, out)
    queue = pd.read_csv(out["review_queue"], dtype=str, keep_default_na=False)
    assert len(queue) >= 2 and (queue["decision"] == "").all()
    queue.loc[0, ["decision", "reviewer"]] = ["include", "JB"]
    queue.loc[1, "decision"] = "exclude"
    queue["memo"] = ["seen before"] + [""] * (len(queue) - 1)  # a column the reviewer added
    queue.to_csv(tmp_path / "review_queue.csv", index=False)
    run_stage(tmp_path, out, tmp_path / "review_queue.csv")
    coded = pd.read_csv(out["segment_codes"], dtype=str, keep_default_na=False)
    first, second = queue.iloc[0], queue.iloc[1]
    pair = coded[(coded["segment_id"] == first.segment_id) & (coded["code_id"] == first.code_id)]
    assert (pair["final"] == "True").all() and ((pair["source"] == "human") & (pair["coder"] == "JB")).any()
    assert (pair["participant_id"] != "").all()
    again = pd.read_csv(out["review_queue"], dtype=str, keep_default_na=False)
    assert decisions_of(again) == {
        (first.segment_id, first.code_id): ("include", "JB"),
        (second.segment_id, second.code_id): ("exclude", "reviewer"),
    }
    assert (again["decision"].iloc[: len(again) - 2] == "").all()
    assert again.loc[again["memo"] != "", ["segment_id", "code_id", "memo"]].values.tolist() == [
        [first.segment_id, first.code_id, "seen before"]
    ]


# ---------------------------------------------------------------- review rounds (issue 19)


def trained_folder(tmp_path):
    """A coder trained by the stage on the tiny stage corpus, and fresh outputs for a second run."""
    _segs, out = stage_inputs(tmp_path)
    run_stage(tmp_path, out)
    again = {name: tmp_path / "again" / path.name for name, path in out.items()}
    return out["model"], again


def apply_stage(folder, out, pretrained):
    return coding.code_segments(
        folder / "segments.csv",
        folder / "embeddings.safetensors",
        "",
        ROOT / "config" / "codebook.yaml",
        CoderSettings(folds=2, min_positives=2),
        "coder1",
        out,
        pretrained=str(pretrained),
    )


def test_a_coder_from_another_codebook_version_stops_naming_both_versions(tmp_path):
    model, out = trained_folder(tmp_path)
    apply_stage(tmp_path, out, model)  # the same codebook: applied
    assert json.loads((out["model"] / "coder.json").read_text())["applied_from"] == str(model)
    shutil.rmtree(tmp_path / "again")
    meta = json.loads((model / "coder.json").read_text())
    version = load_codebook(ROOT / "config" / "codebook.yaml").version
    meta["codebook"]["version"] = "0.9-other"
    (model / "coder.json").write_text(json.dumps(meta))
    with pytest.raises(PipelineError) as info:
        apply_stage(tmp_path, out, model)
    message = info.value.message()
    assert message.startswith(f"{model / 'coder.json'}: the trained coder was made for codebook version 0.9-other")
    assert f"this corpus uses version {version}" in message and len(message.splitlines()) == 1
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize(
    "damage,file,says",
    [
        (
            lambda m: (m / "weights.safetensors").write_bytes((m / "weights.safetensors").read_bytes()[:100]),
            "weights.safetensors",
            "partial or corrupt",
        ),
        (lambda m: (m / "coder.json").write_text('{"code_ids": ['), "coder.json", "cannot be read"),
        (
            lambda m: (m / "coder.json").write_text(json.dumps({"format_version": 1, "code_ids": []})),
            "coder.json",
            "lacks settings, vocabulary",
        ),
    ],
)
def test_a_corrupt_or_partial_model_folder_names_the_file_and_writes_nothing(tmp_path, damage, file, says):
    model, out = trained_folder(tmp_path)
    damage(model)
    with pytest.raises(PipelineError) as info:
        apply_stage(tmp_path, out, model)
    assert info.value.message().startswith(f"{model / file}: ") and says in info.value.message()
    assert not (tmp_path / "again").exists()
