"""The identifier gate: detection by category, allow-list, placeholders, pseudonymisation, the output scan."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from pipeline import anonymise
from pipeline.anonymise import AllowList, Pseudonymiser, detect, scan_outputs, screen_turns
from pipeline.errors import PipelineError
from tests.conftest import ROOT

ALLOW = AllowList(yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["anonymisation"]["allow"])


def found(text: str) -> list[tuple[str, str]]:
    return [(f.value, f.category) for f in detect([text], ALLOW)[0]]


def test_model_files_match_the_official_release():
    anonymise.verify_model(anonymise.model_folder())
    assert anonymise.ner_model().pipe_names == ["tok2vec", "ner"]


def test_a_changed_model_file_is_refused(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(anonymise.model_folder(), folder)
    (folder / "ner" / "model").write_bytes(b"tampered")
    with pytest.raises(PipelineError, match="does not match"):
        anonymise.verify_model(folder)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("ring me on 07700 900123 tonight", ("07700 900123", "PHONE")),
        ("the office is 0161 496 0000", ("0161 496 0000", "PHONE")),
        ("or +44 7700 900 123 if not", ("+44 7700 900 123", "PHONE")),
        ("she rang from +44(0)1632 960783 all night", ("+44(0)1632 960783", "PHONE")),
        ("29/04/2016, that's when the order come in", ("29/04/2016", "DATE")),
        ("email j.bloggs@example.co.uk please", ("j.bloggs@example.co.uk", "EMAIL")),
        ("we moved to M14 5TQ last year", ("M14 5TQ", "POSTCODE")),
        ("his NI number is QQ 12 34 56 C", ("QQ 12 34 56 C", "NI")),
        ("NHS number 485 777 3456 on the letter", ("485 777 3456", "NHS")),
        ("my case number was X123456 I think", ("X123456", "CRN")),
        ("PNC 98/123456A came up", ("98/123456A", "PNC")),
        ("prison number A1234BC", ("A1234BC", "PRISON")),
        ("a silver car, AB12 CDE", ("AB12 CDE", "VEHICLE")),
        ("I live at 14 Acacia Avenue now", ("14 Acacia Avenue", "ADDRESS")),
        ("I was born on 3 March 1985 up north", ("3 March 1985", "DATE")),
        ("court on the 14th of May 2019 was hard", ("14th of May 2019", "DATE")),
    ],
)
def test_fixed_shapes(text, expected):
    assert expected in found(text)


@pytest.mark.parametrize(
    "text,value",
    [
        ("yeah so my partner Sarah said it was fine", "Sarah"),
        ("DC Hughes came round the next day", "Hughes"),
        ("Kevin Jones was my officer back then", "Kevin Jones"),
        ("my son Tyler is seven now", "Tyler"),
        ("she's called Chantelle and she's lovely", "Chantelle"),
    ],
)
def test_person_names(text, value):
    assert (value, "PERSON") in found(text)


def test_places_and_employers():
    values = [v for v, _ in found("I grew up in Salford and moved to Leeds, I work at Greggs on Elm Road.")]
    assert {"Salford", "Leeds", "Greggs", "Elm Road"} <= set(values)


def test_placeholders_allow_list_and_common_words_are_not_identifiers():
    clean = (
        "Honestly, erm, [PARTNER] and me watched it with [CASE MANAGER] at [PROBATION OFFICE] in [TOWN]. "
        "Mark my words, I hope so. Will it work? Spectrum, BBR, the National Probation Service, Covid and Teams "
        "and OASys. The PSO said the IT was down. A date in March, a dated video, on 12 occasions."
    )
    assert found(clean) == []


@pytest.mark.parametrize(
    "text",
    [
        "So we went across in June, as you know.",
        "My court date was moved and my probation officer rang.",
        "Nobody's told me how. You've said it. She's told me straight.",
        "Having said that, it was fine. The court stuff was the worst.",
        "We had a sale on, March was busy, and reading is hard for me.",
    ],
)
def test_months_contractions_and_common_words_are_not_identifiers(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("she moved over to Warrington with the kids", "Warrington"),
        ("I grew up in Reading but left", "Reading"),
        ("Workington was alright, nothing to do there", "Workington"),
        ("I report to Hull probation office every Tuesday", "Hull probation office"),
        ("my nan lives on the Meadowbank estate", "Meadowbank estate"),
    ],
)
def test_places_from_the_gazetteer_and_named_places(text, value):
    assert (value, "PLACE") in found(text)


def test_names_that_are_also_words_need_evidence():
    assert ("Max", "PERSON") in found("I rang Max on the Sunday and said sorry")
    assert ("Price", "PERSON") in found("Mr Price, the judge, said it was serious")
    assert found("Max effort, to be fair.") == []


def test_a_date_needs_a_personal_context():
    assert found("the toolkit came out in March 2020") == []


def test_pseudonyms_are_consistent_within_an_interview():
    p = Pseudonymiser()
    assert [p.placeholder("PERSON", v) for v in ("Sarah Jones", "Kevin", "Sarah", "sarah jones")] == [
        "[PERSON_1]",
        "[PERSON_2]",
        "[PERSON_1]",
        "[PERSON_1]",
    ]
    assert p.placeholder("PHONE", "07700 900123") == "[PHONE]"


def turns(*texts):
    return pd.DataFrame(
        {
            "interview_id": "A_w1",
            "turn_index": range(len(texts)),
            "line": [str(i + 1) for i in range(len(texts))],
            "speaker": "participant",
            "text": list(texts),
            "word_count": 0,
        }
    )


def test_screen_pseudonymises_and_audits():
    t = turns("My partner Sarah rang me.", "Sarah was upset, she rang 07700 900123.")
    screened, audit = screen_turns(t, ALLOW, "pseudonymise")
    assert list(screened["text"]) == ["My partner [PERSON_1] rang me.", "[PERSON_1] was upset, she rang [PHONE]."]
    assert set(audit["category"]) == {"PERSON", "PHONE"} and set(audit["line"]) == {"1", "2"}
    checked, audit2 = screen_turns(t, ALLOW, "check")
    assert checked["text"].equals(t["text"]) and len(audit2) == len(audit)


def test_an_identifier_found_once_is_replaced_wherever_it_recurs_in_the_interview():
    # the context rule catches "called Lucasz"; nothing catches the bare "I spoke to Lucasz" on its own
    assert detect(["I spoke to Lucasz."], ALLOW) == [[]]
    t = turns("Then he came round, he is called Lucasz.", "I spoke to Lucasz. Lucasz's mum too.")
    screened, audit = screen_turns(t, ALLOW, "pseudonymise")
    assert list(screened["text"]) == [
        "Then he came round, he is called [PERSON_1].",
        "I spoke to [PERSON_1]. [PERSON_1]'s mum too.",
    ]
    assert list(audit["source"]) == ["context", "repeat", "repeat"] and list(audit["line"]) == ["1", "2", "2"]
    assert len(screen_turns(t, ALLOW, "check")[1]) == 3, "check mode lists every mention"


def test_the_allow_list_covers_possessives():
    allow = AllowList(["Anthropic", "Claude"])
    assert allow.covers("Anthropic's") and allow.covers("Anthropic’s") and allow.covers("the Anthropic")
    assert not allow.covers("Anthropics") and not allow.covers("James'")
    assert detect(["I'm Claude from Anthropic's research team."], allow) == [[]]


def test_a_failed_scan_names_files_on_the_console_and_values_only_in_private(tmp_path):
    audits = tmp_path / "private" / "demo" / "audit"
    audits.mkdir(parents=True)
    pd.DataFrame(
        {
            "interview_id": ["A_w1", "B_w1"],
            "turn_index": [1, 2],
            "line": ["3", "4"],
            "category": "PERSON",
            "source": "ner",
            "text": ["Zorbina", "Lucasz"],
            "placeholder": ["[PERSON_1]", "[PERSON_1]"],
        }
    ).to_csv(audits / "w1-001.csv", index=False)
    outputs = tmp_path / "outputs" / "demo"
    (outputs / "tables").mkdir(parents=True)
    (outputs / "tables" / "segments.csv").write_text("id,text\nC_w1_t001_s1,Zorbina came round. Zorbina again.\n")
    with pytest.raises(PipelineError) as info:
        anonymise.run_scan(outputs, [audits / "w1-001.csv"], outputs / "tables" / "identifier_scan.csv")
    message = info.value.message()
    assert "segments.csv (2)" in message and "Zorbina" not in message
    assert "private/demo/scan_hits.csv" in message and "allow:" in message
    detail = pd.read_csv(tmp_path / "private" / "demo" / "scan_hits.csv")
    assert detail.to_dict("records") == [
        {"output": str(outputs / "tables" / "segments.csv"), "value": "Zorbina", "count": 2, "found_in": "A_w1"}
    ]
    assert (tmp_path / "private" / "demo" / "scan_hits.csv").stat().st_mode & 0o077 == 0
    assert not (outputs / "tables" / "identifier_scan.csv").exists()


def test_scan_outputs_finds_leaked_values(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "a.csv").write_text("segment,text\n1,[PERSON_1] was there\n")
    pd.DataFrame({"text": ["and then Sarah said"]}).to_parquet(tmp_path / "b.parquet")
    (tmp_path / "c.md").write_text("Sarahs are not Sarah-like? Sarahville")
    hits = scan_outputs(tmp_path, {"Sarah"})
    assert [h[0].rsplit("/", 1)[1] for h in hits] == ["b.parquet", "c.md"]
    assert scan_outputs(tmp_path, set()) == []
