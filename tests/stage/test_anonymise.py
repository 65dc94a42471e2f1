"""The identifier gate with its NER model (loaded once per test run): detection by category, allow-list,
placeholders, pseudonymisation, the final scan of a run's outputs."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from pipeline.core.errors import PipelineError
from pipeline.gate import gazetteers, ner, scan
from pipeline.gate.anonymise import screen_turns
from pipeline.gate.detect import detect
from pipeline.gate.policy import AllowList, Policy
from tests.conftest import ROOT

ALLOW = AllowList(yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["anonymisation"]["allow"])


def found(text: str) -> list[tuple[str, str]]:
    return [(f.value, f.category) for f in detect([text], ALLOW)[0]]


def test_model_files_match_the_official_release():
    ner.verify_model(ner.model_folder())
    assert ner.ner_model().pipe_names == ["ner"]


def test_the_ner_finds_the_same_entities_without_the_shared_tok2vec_component():
    """The NER has its own token-to-vector layer: leaving out the component that feeds only the tagger and the
    parser changes no entity (checked on interviews by other writers)."""
    from pipeline.core.nlp import import_spacy

    full = import_spacy().load(ner.model_folder(), exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])
    assert full.pipe_names == ["tok2vec", "ner"]
    texts = [
        line.split(":", 1)[-1].strip()
        for folder in ("voices", "voices_heldout", "voices_heldout2")
        for path in sorted((ROOT / "tests" / "fixtures" / folder / "transcripts").iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]

    def entities(nlp):
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]

    found = entities(ner.ner_model())
    assert sum(map(len, found)) > 200 and found == entities(full)


def test_texts_the_ner_is_not_run_on_could_have_given_no_finding():
    """``detect`` runs the NER only on texts with a token ``detect_ner`` could keep (``may_hold_entity``). On
    interviews by other writers and the demo's, the NER run on every text anyway finds nothing kept in the texts
    skipped, and the texts it is run on get the same entities in a batch without the skipped ones."""
    from pipeline.core.encodings import decode
    from pipeline.gate.detect import detect_ner, may_hold_entity

    texts = [
        line.split(":", 1)[-1].strip()
        for folder in (
            "tests/fixtures/voices",
            "tests/fixtures/voices_heldout",
            "tests/fixtures/voices_heldout2",
            "data/demo",
        )
        for path in sorted((ROOT / folder / "transcripts").rglob("*.txt"))
        for line in decode(path.read_bytes(), path)[0].splitlines()
        if line.strip()
    ]
    nlp = ner.ner_model()
    every = list(nlp.pipe(texts, batch_size=64))
    worth = [may_hold_entity(nlp.make_doc(t)) for t in texts]
    assert 0.1 * len(texts) < sum(worth) < 0.9 * len(texts)  # a real share is skipped, a real share is not
    assert not any(detect_ner(doc, ALLOW) for doc, w in zip(every, worth, strict=True) if not w)
    kept = list(nlp.pipe([t for t, w in zip(texts, worth, strict=True) if w], batch_size=64))

    def entities(docs):
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]

    assert entities(kept) == entities(doc for doc, w in zip(every, worth, strict=True) if w)
    assert sum(len(detect_ner(doc, ALLOW)) for doc in kept) > 50


def test_a_changed_model_file_is_refused(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(ner.model_folder(), folder)
    (folder / "ner" / "model").write_bytes(b"tampered")
    with pytest.raises(PipelineError, match="does not match"):
        ner.verify_model(folder)


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
        ("court on the 14th of May 2019 was hard", ("the 14th of May 2019", "DATE")),
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


@pytest.mark.parametrize(
    "text,date",
    [
        ("I've been clean since 4 August 2021 and that's that.", "4 August 2021"),
        ("it's due in 2 February 2022, the review", "2 February 2022"),
        ("we met back in 9 October 2021, on a Tuesday", "9 October 2021"),
        ("my birthday is the 3rd of May, as it goes", "the 3rd of May"),
        ("she left May 3rd and never came back", "May 3rd"),
        ("he came out on 3/5/21 I think", "3/5/21"),
        ("the letter says 2021-05-03 at the top", "2021-05-03"),
        ("Tuesday the 14th, that's when it was", "Tuesday the 14th"),
        ("back in October of 2014, me and the kids", "October of 2014"),
        ("not since Christmas Eve 2013, not a word", "Christmas Eve 2013"),
        ("first one after was Mardi Gras 2006, folks were trying", "Mardi Gras 2006"),
        ("we went up on Good Friday 2019 and it poured", "Good Friday 2019"),
        ("I left school June nineteen ninety-eight", "June nineteen ninety-eight"),
        ("the scan was 16/10 and we found out then", "16/10"),
        ("we had till the 18th to get out", "the 18th"),
        ("and november the 5th, bonfire night", "november the 5th"),
        ("I got my papers on Canada Day 2017, actually", "Canada Day 2017"),
        ("the review is on Thursday 3 April and I'm dreading it", "Thursday 3 April"),
        ("paid on the fifteenth and gone by the twentieth, every month", "the fifteenth"),
        ("the sentence started the first of the fourth", "the first of the fourth"),
    ],
)
def test_every_date_with_a_day_or_month_is_a_date_with_or_without_a_cue(text, date):
    assert (date, "DATE") in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "back in 2019 it was different",
        "every July we go camping",
        "on Tuesdays I sign on",
        "it's open 24/7 now, to be fair",
        "about 3/4 of them turned up",
        "we won 3-1 on Saturday, first time all season",
        "I'll see you at half nine, at 10:30 at the latest",
        "the 5th time I've asked, and the 3rd floor again",
        "at Christmas we go to my mam's",
    ],
)
def test_years_months_and_numbers_alone_are_no_dates(text):
    assert [f for f in found(text) if f[1] == "DATE"] == []


@pytest.mark.parametrize(
    "text",
    [
        "I went anyway, didn't I. Aye, I did.",
        "I never knew, did I. Me mam told us after.",
        "Youse were there, weren't youse. Ye know yerself.",
        "And I says to her, amn't I allowed? Sure look.",
        "I'm not bothered, am I. Innit though.",
    ],
)
def test_tag_questions_and_dialect_pronouns_are_not_names(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I use Wikipedia and Twitter a lot, and Goodreads and Pinterest.",
        "I lived in the U.S. for years, then the United States again, then China and Nepal.",
        "After Hurricane Sandy we moved, and I code in Python against Postgres.",
        "I take Tylenol for it, and Zantac, and Lantus for the sugar.",
        "The Scottish Government put money in, and we used Google Classroom.",
        "We have a team in India and a smaller one in São Paulo.",
        "She sells on Etsy and Shopify, and the Medicare forms are a nightmare.",
    ],
)
def test_public_entities_are_kept(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Since Brexit the paperwork doubled, so I shop at Tesco now and the lads are on Fortnite all night.",
        "My cousin builds wings for Boeing and swears by Gemini for his emails.",
        "Look at the state of you, Mr Handyman, covered in muck.",
        "We lived just outside Columbus for a year, then near Jacksonville.",
        "We drove in from San Antonio and, Jesus, the traffic on that road.",
    ],
)
def test_words_frequent_in_general_english_and_no_ones_name_are_kept(text):
    """Evidence from today's general English (wordfreq), not a list: the gate was never shown these sentences."""
    assert found(text) == []


def test_frequent_names_from_any_language_get_no_frequency_evidence():
    # Niall, Seamus, Imran, Vladimir are used more than once per million words, but they are people's names
    assert gazetteers.is_public_word("Brexit") and gazetteers.is_public_word("Walmart")
    assert not any(gazetteers.is_public_word(w) for w in ("Niall", "Seamus", "Imran", "Vladimir", "Hamish"))
    assert not gazetteers.is_public_word("Wigan")  # a British town: the population rule decides, not frequency
    assert "Seamus" in [value for value, _ in found("Then Seamus turned up at the door with a bag of cans.")]


def test_private_names_and_small_places_are_still_found_beside_public_ones():
    hits = found("My partner Kayleigh moved to Barnsley, and she's on Facebook all day, and she uses Tylenol.")
    assert ("Kayleigh", "PERSON") in hits and ("Barnsley", "PLACE") in hits
    assert all(value not in ("Facebook", "Tylenol") for value, _ in hits)


def test_keep_public_false_replaces_public_names_too():
    policy = Policy(keep_public=False)
    text = "I grew up in Nepal and moved to China."
    assert detect([text], ALLOW)[0] == []
    assert {f.value for f in detect([text], ALLOW, policy=policy)[0]} >= {"Nepal", "China"}


@pytest.mark.parametrize(
    "locale,text,expected",
    [
        ("us", "call me at (555) 013-2289 after six", ("(555) 013-2289", "PHONE")),
        ("us", "or 1-800-555-0199, the helpline", ("1-800-555-0199", "PHONE")),
        ("us", "my zip is 60614, I always forget", ("60614", "POSTCODE")),
        ("us", "the form had 10001-2345 on it", ("10001-2345", "POSTCODE")),
        ("us", "my social is 987-65-4320, I know it by heart", ("987-65-4320", "SSN")),
        ("international", "on +33 6 12 34 56 78 in France", ("+33 6 12 34 56 78", "PHONE")),
        ("international", "my brother on 98765 12345, kindly", ("98765 12345", "PHONE")),
        ("uk", "or +49 30 1234567 in Berlin", ("+49 30 1234567", "PHONE")),
        ("uk", "see https://example.com/u/12345 for it", ("https://example.com/u/12345", "URL")),
        ("us", "it's linkedin.com/in/some-name, look me up", ("linkedin.com/in/some-name", "URL")),
    ],
)
def test_each_locale_finds_its_shapes(locale, text, expected):
    policy = Policy.from_settings(locale, 1_000_000, 100_000)
    assert expected in [(f.value, f.category) for f in detect([text], ALLOW, policy=policy)[0]]


def test_us_shapes_are_not_looked_for_in_a_uk_corpus():
    assert [f for f in found("my zip is 60614, I always forget") if f[1] == "POSTCODE"] == []


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
        scan.scan_outputs(outputs, [audits / "w1-001.csv"], outputs / "tables" / "identifier_scan.csv")
    message = info.value.message()
    assert "segments.csv (2)" in message and "Zorbina" not in message
    assert "private/demo/scan_hits.csv" in message and "allow:" in message
    detail = pd.read_csv(tmp_path / "private" / "demo" / "scan_hits.csv")
    assert detail.to_dict("records") == [
        {"output": str(outputs / "tables" / "segments.csv"), "value": "Zorbina", "count": 2, "found_in": "A_w1"}
    ]
    assert (tmp_path / "private" / "demo" / "scan_hits.csv").stat().st_mode & 0o077 == 0
    assert not (outputs / "tables" / "identifier_scan.csv").exists()


def test_placeholders_are_never_replaced_and_quotes_still_match_after_pseudonymisation():
    from pipeline.human_codes import normalise_for_matching, pseudonymise_quote

    turns = pd.DataFrame(
        {
            "interview_id": ["P1_w1"] * 2,
            "turn_index": [1, 3],
            "line": [2, 4],
            "speaker": ["participant"] * 2,
            "text": [
                "My partner Kayleigh found the [Twitter hashtag] dataset, Kayleigh's idea.",
                "We moved to Barnsley on 4 August 2021 and Kayleigh hated it.",
            ],
        }
    )
    screened, audit = screen_turns(turns, ALLOW, "pseudonymise")
    assert "[Twitter hashtag]" in screened["text"][0]  # a word inside a placeholder is never replaced
    replacements = list(zip(audit["text"], audit["placeholder"], strict=True))
    for raw, out in zip(turns["text"], screened["text"], strict=True):
        for quote in (raw, " ".join(raw.split()[2:]), " ".join(raw.split()[:-2])):
            assert normalise_for_matching(pseudonymise_quote(quote, replacements)) in normalise_for_matching(out)
    assert (
        pseudonymise_quote("the [Twitter hashtag] dataset", [("Twitter", "[ORG_1]")]) == "the [Twitter hashtag] dataset"
    )


def test_the_final_scan_never_searches_for_allowed_words(tmp_path):
    audits = tmp_path / "private" / "audit"
    audits.mkdir(parents=True)
    pd.DataFrame(
        [
            {"interview_id": "P1_w1", "text": "Anthropic", "placeholder": "[ORG_1]"},
            {"interview_id": "P1_w1", "text": "Kayleigh", "placeholder": "[PERSON_1]"},
        ]
    ).to_csv(audits / "w1-001.csv", index=False)
    outputs = tmp_path / "outputs"
    (outputs / "tables").mkdir(parents=True)
    (outputs / "tables" / "quotes.csv").write_text("quote\nwe used Anthropic's tools\n")
    table = scan.scan_outputs(
        outputs, [audits / "w1-001.csv"], outputs / "tables" / "scan.csv", AllowList(["Anthropic"])
    )
    assert int(table["identifiers_searched"].iloc[0]) == 1
    with pytest.raises(PipelineError):
        scan.scan_outputs(outputs, [audits / "w1-001.csv"], outputs / "tables" / "scan.csv")


def test_the_gate_reads_spacys_stop_words_without_importing_spacy():
    """gazetteers.STOP_WORDS is spaCy's English list, read from its file alone: the output scan and the
    anonymisation summary import the gate without spaCy's package (which loads thinc and PyTorch, about 2 s)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    assert frozenset(STOP_WORDS) == gazetteers.STOP_WORDS
    probe = (
        "import sys\n"
        "from pipeline.gate import anonymise, scan\n"
        "print([m for m in ('spacy', 'thinc', 'torch') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
