"""REFI-QDA exchange (issue 21): projects of every CAQDAS tool in, the run's coding out, and back again."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml
from lxml import etree

from pipeline.codebook import load_codebook
from pipeline.coding import REVIEW_COLUMNS, read_review
from pipeline.core.errors import PipelineError
from pipeline.corpus import load_corpus
from pipeline.exchange import exporter, importer, positions
from pipeline.exchange.qdpx import SCHEMAS, read_codebook, read_project, zip_bytes
from pipeline.human_codes import map_codes, read_codes
from pipeline.ingest import ingest_corpus
from pipeline.segment import segment_turns
from tests.conftest import DEMO, FIXTURES, ROOT, error_lines, run_cli

REFI = FIXTURES / "refi"
_spec = importlib.util.spec_from_file_location("make_fixtures", REFI / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
PROJECT_XSD = etree.XMLSchema(etree.parse(str(SCHEMAS / "Project-mrt2019.xsd")))
CODEBOOK_XSD = etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook-mrt2019.xsd")))


def options(**kw) -> importer.Options:
    speakers = CONFIG["speakers"]
    return importer.Options(
        interviewer=speakers["interviewer"], participant=speakers["participant"], other=speakers["other"], **kw
    )


def codes_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def segments_of(corpus) -> pd.DataFrame:
    """The corpus's segments, in-process (ingest, then segmentation; no identifier gate)."""
    turns = ingest_corpus(corpus)
    max_words = CONFIG["segmentation"]["max_words"]
    return pd.concat([segment_turns(g, max_words) for _, g in turns.groupby("interview_id", sort=False)])


def check_runs_with_the_pipeline(folder: Path) -> pd.DataFrame:
    """What the issue asks of an imported folder: it loads, its codebook validates, codes.csv maps to segments."""
    corpus = load_corpus(folder, CONFIG)
    codebook = load_codebook(folder / "codebook.yaml")
    mapped = map_codes(read_codes(folder / "codes.csv"), segments_of(corpus), set(codebook.ids), "codes.csv")
    assert len(mapped), "every coded passage lands on segments"
    return mapped


def validate_xml(xml: bytes, schema: etree.XMLSchema) -> None:
    doc = etree.fromstring(xml)
    assert schema.validate(doc), schema.error_log.last_error


# ---------------------------------------------------------------- positions


TEXT = "P1: great 😀 and home.\r\nI: ok?\r\nP1: long 😞 to be honest.\r\n"


@pytest.mark.parametrize("utf16", [False, True])
@pytest.mark.parametrize("crlf_as_one", [False, True])
@pytest.mark.parametrize("bom", [False, True])
def test_each_position_convention_is_detected_on_emoji_and_crlf(utf16, crlf_as_one, bom):
    spans = [(TEXT.index("great"), TEXT.index("home.") + 5), (TEXT.index("long"), TEXT.index("honest.") + 7)]
    conv = {"utf16": utf16, "crlf_as_one": crlf_as_one, "bom": bom}
    written = [(make_fixtures.position(TEXT, a, **conv), make_fixtures.position(TEXT, b, **conv)) for a, b in spans]
    found = positions.detect(TEXT, written, had_bom=True)
    bounds = positions.boundaries(TEXT, found, had_bom=True)
    back = [(positions.to_index(bounds, a), positions.to_index(bounds, b, end=True)) for a, b in written]
    assert back == spans, found


def test_spans_that_fit_no_convention_are_refused():
    assert positions.detect("short text", [(0, 400)]) is None


def test_offsets_follow_ingest_normalisation_of_crlf_and_combining_marks():
    text = "a\r\nCafe\u0301 b"  # CRLF -> LF, e + combining acute -> é (NFC)
    index = positions.normalised_index(text)
    assert len(index) == len(text) + 1
    assert index[3] == 2 and index[len(text)] == len("a\nCafé b")


# ---------------------------------------------------------------- each tool's project


@pytest.mark.parametrize("name", list(make_fixtures.PROJECTS))
def test_each_tools_project_imports_to_a_corpus_the_pipeline_runs(name, tmp_path):
    folder = tmp_path / name
    how = {"participant_from": "source"} if name == "atlasti" else {}
    report = importer.import_qdpx(REFI / f"{name}.qdpx", folder, options(**how))
    rows = {
        (r["participant_id"], int(r["wave"]), r["code"], r["quote"], r["coder"])
        for r in codes_rows(folder / "codes.csv")
    }
    assert rows == make_fixtures.EXPECTED
    manifest = [(r["participant_id"], r["role"], r["wave"]) for r in codes_rows(folder / "manifest.csv")]
    assert manifest == [("P1", "practitioner", "1"), ("P2", "service_user", "1"), ("P1", "practitioner", "2")]
    codebook = load_codebook(folder / "codebook.yaml")
    assert codebook.themes == {"toolkit_strengths": "Toolkit Strengths", "toolkit_limitations": "Toolkit Limitations"}
    assert codebook.code("engaging_media").definition == "Videos and scenarios that hold attention."
    assert codebook.code("engaging_media").examples[0] == "the videos were great 😀 and the kitchen one hit home."
    assert any("filled in" in line for line in report), "what the codebook lacked is reported"
    mapped = check_runs_with_the_pipeline(folder)
    assert set(mapped["coder"]) == {"Ann Coder", "Ben Coder"}
    # the text as in the project, UTF-8, without BOM, its line ends kept
    first = next((folder / "transcripts").glob("P1*.txt"))
    assert first.read_bytes() == make_fixtures.T1.encode("utf-8")


def test_the_tool_specific_convention_is_reported(tmp_path):
    report = importer.import_qdpx(REFI / "nvivo_windows.qdpx", tmp_path / "c", options())
    assert "source 'P1 interview': positions read as UTF-16 code units, CRLF as 2" in report
    report = importer.import_qdpx(REFI / "atlasti.qdpx", tmp_path / "d", options(participant_from="source"))
    assert "source 'P1.txt': positions read as code points, CRLF as 1" in report
    report = importer.import_qdpx(REFI / "maxqda.qdpx", tmp_path / "e", options())
    assert "skipped 1 annotation(s) (selections with a comment but no code)" in report


def test_the_committed_fixtures_are_what_the_script_writes():
    for name, build in make_fixtures.PROJECTS.items():
        with zipfile.ZipFile(REFI / f"{name}.qdpx") as archive:
            committed = {n: archive.read(n) for n in archive.namelist()}
        made = build()
        assert set(committed) == set(made), name
        for entry, data in made.items():
            if not entry.endswith(".docx"):  # python-docx stamps the time of writing
                assert committed[entry] == data, f"{name}: {entry}"


# ---------------------------------------------------------------- export, and the demo's round trip


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo's screened turns, segments and segment codes, made in-process by the stage functions: human codes
    mapped from codes.csv (primary coder final), and machine codes on every fifth segment (final in wave 2)."""
    from pipeline.gate.policy import AllowList
    from pipeline.gate.prepare import Settings, prepare_interview

    folder = tmp_path_factory.mktemp("demo_run")
    corpus = load_corpus(DEMO, CONFIG)
    rows = [
        {"interview_id": it.interview_id, "participant_id": it.participant_id, "role": it.role, "wave": it.wave}
        for it in corpus.interviews
    ]
    settings = Settings(
        interviews=rows,
        interviewer_labels=corpus.interviewer_labels,
        participant_labels=corpus.participant_labels,
        label_mode=corpus.label_mode,
        mode=corpus.anonymisation_mode,
        allow=corpus.allow,
        max_words=CONFIG["segmentation"]["max_words"],
        gate=corpus.gate,
        other_labels=corpus.other_labels,
        layout=corpus.layout,
    )
    allow = AllowList(settings.allow)
    turns, segments = [], []
    for it, row in zip(corpus.interviews, rows, strict=True):
        screened, _audit, segs = prepare_interview(corpus.root / it.file, row, settings, allow)
        turns.append(screened)
        segments.append(segs)
    turns, segments = pd.concat(turns, ignore_index=True), pd.concat(segments, ignore_index=True)
    codebook = load_codebook(ROOT / "config" / "codebook.yaml")
    human = map_codes(read_codes(DEMO / "codes.csv"), segments, set(codebook.ids), "codes.csv")
    table = [(r.segment_id, r.code_id, "human", r.coder, 1.0, r.coder == "coder1") for r in human.itertuples()]
    for i, s in enumerate(segments.itertuples()):
        if i % 5 == 0:
            table.append((s.segment_id, codebook.ids[i % len(codebook.ids)], "model", "model", 0.75, s.wave == 2))
    columns = ["segment_id", "code_id", "source", "coder", "confidence", "final"]
    segment_codes = pd.DataFrame(table, columns=columns).merge(
        segments[["segment_id", "participant_id", "role", "wave"]], on="segment_id"
    )
    turns.to_parquet(folder / "turns.parquet")
    segments.to_csv(folder / "segments.csv", index=False)
    segment_codes.to_csv(folder / "segment_codes.csv", index=False)
    return {"folder": folder, "corpus": corpus, "segments": segments, "segment_codes": segment_codes}


def export(demo_run, out: Path, review: str = "", segment_codes: Path | None = None) -> tuple[Path, Path]:
    corpus, folder = demo_run["corpus"], demo_run["folder"]
    interviews = corpus.interviews
    qdpx, qdc = out / "exchange" / "demo.qdpx", out / "exchange" / "codebook.qdc"
    exporter.export_qdpx(
        corpus.name,
        corpus.roles,
        interviews,
        ROOT / "config" / "codebook.yaml",
        [folder / "turns.parquet"],
        folder / "segments.csv",
        segment_codes or folder / "segment_codes.csv",
        qdpx,
        qdc,
        codes_path=DEMO / "codes.csv",
        review_path=review,
    )
    with zipfile.ZipFile(qdpx) as archive:
        validate_xml(archive.read("project.qde"), PROJECT_XSD)
    validate_xml(qdc.read_bytes(), CODEBOOK_XSD)
    return qdpx, qdc


def test_export_is_valid_and_byte_identical_across_runs(demo_run, tmp_path):
    first = export(demo_run, tmp_path / "a")
    second = export(demo_run, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    with zipfile.ZipFile(first[0]) as archive:
        names = archive.namelist()
        assert "project.qde" in names and sum(n.startswith("sources/") for n in names) == 20
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        project = read_project(first[0].read_bytes(), first[0])
    users = set(project.users.values())
    assert users == {"coder1", "coder2", "automated coder (model)"}
    machine = [s for src in project.sources for s in src.selections if "source: model" in s.description]
    assert len(machine) == int((demo_run["segment_codes"]["source"] == "model").sum())
    assert all(s.description.startswith("confidence: 0.7500\n") for s in machine)
    case = next(c for c in project.cases if c.name == "CM1")
    assert case.variables == {
        "role": "practitioner",
        "wave": "1",
        "grade": "Probation officer",
        "years_in_probation": "16",
    }
    twice = next(c for c in project.cases if c.name == "CM2")  # interviewed in waves 1 and 2: wave on each source
    assert "wave" not in twice.variables and len(twice.sources) == 2
    # positions are code points, end exclusive: every machine coding is exactly its segment's text
    segments = demo_run["segments"].set_index("segment_id")
    record = json.loads(project.notes[importer.RECORD_NOTE])
    source = next(s for s in project.sources if s.name == "CM1_w1")
    text = project.zip.read(next(n for n in project.entries if source.guid in n)).decode("utf-8")
    for iid, a, b, _code, sid in record["machine"]:
        if iid == "CM1_w1":
            assert text[a:b] == segments.at[sid, "text"]


def layout_free(code):
    """A code with the line breaks of folded YAML (layout, not content) taken out of its texts."""
    flat = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in vars(code).items()}
    return replace(
        code, **{k: tuple(" ".join(x.split()) for x in v) if isinstance(v, tuple) else v for k, v in flat.items()}
    )


def test_rows_are_grouped_with_the_values_and_types_itertuples_gives(tmp_path):
    """exporter.rows_by reads each column at once: the same rows as pandas' itertuples, text (with an empty
    cell, as tables are read) and integers (a turns file) alike, in the table's order."""
    from pipeline.core.files import read_table

    frame = pd.DataFrame(
        {"interview_id": ["b", "a", "b", "a"], "text": ["Well,", "", "I — yes", "no"], "turn_index": [0, 0, 1, 1]}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    for table in (read_table(tmp_path / "t.csv"), read_table(tmp_path / "t.parquet")):
        expected: dict = {}
        for row in table.itertuples(index=False):
            expected.setdefault(row.interview_id, []).append(row)
        grouped = exporter.rows_by(table, lambda r: r.interview_id)
        assert list(grouped) == ["b", "a"] and grouped == expected
        got = [(type(v), v) for rows in grouped.values() for r in rows for v in r]
        assert got == [(type(v), v) for rows in expected.values() for r in rows for v in r]
        assert grouped["a"][0].text == ""


def test_the_demos_exported_project_imports_back_to_the_demo(demo_run, tmp_path):
    qdpx, qdc = export(demo_run, tmp_path)
    folder = tmp_path / "imported"
    result = run_cli("import-qdpx", qdpx, folder)
    assert result.returncode == 0, result.stderr
    # the manifest: same participants, roles, waves and attributes
    original = pd.read_csv(DEMO / "manifest.csv", dtype=str, keep_default_na=False).drop(columns="file")
    back = pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False).drop(columns="file")
    assert sorted(back.columns) == sorted(original.columns)
    key = ["participant_id", "wave"]
    assert (
        back[original.columns]
        .sort_values(key)
        .reset_index(drop=True)
        .equals(original.sort_values(key).reset_index(drop=True))
    )
    # the codebook: every theme and code with its label, kind, definition, criteria, examples and patterns
    before, after = load_codebook(ROOT / "config" / "codebook.yaml"), load_codebook(folder / "codebook.yaml")
    assert (after.version, after.name, after.themes) == (before.version, before.name, before.themes)
    assert [layout_free(c) for c in after.codes] == [layout_free(c) for c in before.codes]
    assert yaml.safe_load((folder / "corpus.yaml").read_text())["roles"] == demo_run["corpus"].roles
    # codes.csv: same coders, same passages (as human_codes compares them), no machine code among them
    from pipeline.core.text import normalise_for_matching

    def rows(path):
        return sorted(
            (
                r["participant_id"],
                r["wave"],
                r["code"],
                r["coder"],
                r["sentiment"],
                normalise_for_matching(r["quote"]),
            )
            for r in codes_rows(path)
        )

    assert rows(folder / "codes.csv") == rows(DEMO / "codes.csv")
    assert not (folder / "review_queue.csv").exists(), "nothing was reviewed"
    check_runs_with_the_pipeline(folder)


def edit_project(qdpx: Path, edit) -> Path:
    """The project with its project.qde changed by ``edit(root)``, as a reviewer's tool would save it."""
    with zipfile.ZipFile(qdpx) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    root = etree.fromstring(files["project.qde"])
    edit(root)
    files["project.qde"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    out = qdpx.with_name("reviewed.qdpx")
    out.write_bytes(zip_bytes(files))
    return out


def test_codings_removed_or_added_in_the_tool_come_back_as_review_decisions(demo_run, tmp_path):
    # an earlier round's decisions (the corpus's review file): one exclude, one include by a reviewer
    segment_codes = demo_run["segment_codes"]
    machine = segment_codes[segment_codes["source"] == "model"]
    earlier = tmp_path / "review_queue.csv"
    excluded, included = machine.iloc[0], machine.iloc[1]
    noted = machine.iloc[5]  # a note without a decision
    pd.DataFrame(
        [
            (excluded.segment_id, excluded.code_id, "exclude", "Rita", "too vague"),
            (included.segment_id, "workload_time", "include", "Rita", ""),
            (noted.segment_id, noted.code_id, "", "", "ask Sam"),
        ],
        columns=[*REVIEW_COLUMNS, "note"],
    ).to_csv(earlier, index=False)
    # the run made the included code a human code of the reviewer's (coding.combine)
    table = pd.concat(
        [
            segment_codes,
            pd.DataFrame(
                [
                    {
                        **included.to_dict(),
                        "code_id": "workload_time",
                        "source": "human",
                        "coder": "Rita",
                        "confidence": 1.0,
                        "final": True,
                    }
                ]
            ),
        ]
    )
    table.to_csv(tmp_path / "segment_codes.csv", index=False)
    qdpx, _ = export(demo_run, tmp_path, review=str(earlier), segment_codes=tmp_path / "segment_codes.csv")
    ns = {"q": "urn:QDA-XML:project:1.0"}
    removed, added, by_new_user = machine.iloc[2], machine.iloc[3], machine.iloc[4]
    record = json.loads(read_project(qdpx.read_bytes(), qdpx).notes[importer.RECORD_NOTE])
    span = next(r for r in record["machine"] if r[4] == added.segment_id)
    other_span = next(r for r in record["machine"] if r[4] == by_new_user.segment_id)

    def selection(guid: str, span: list, user: str, code_guid: str):
        return etree.fromstring(
            f'<PlainTextSelection xmlns="{ns["q"]}" guid="{guid}5" startPosition="{span[1]}" endPosition="{span[2]}" '
            f'creatingUser="{user}"><Coding guid="{guid}6" creatingUser="{user}"><CodeRef targetGUID="{code_guid}"/>'
            "</Coding></PlainTextSelection>"
        )

    def review(root):
        sels = root.xpath("//q:PlainTextSelection[q:Description[contains(., 'source: model')]]", namespaces=ns)
        code_guids = {c.get("name"): c.get("guid") for c in root.iter("{*}Code")}
        label = {c.id: c.label for c in load_codebook(ROOT / "config" / "codebook.yaml").codes}
        gone = [
            s
            for s in sels
            if s.getparent().get("name") == removed.segment_id.rsplit("_t", 1)[0]
            and s.find("q:Coding/q:CodeRef", ns).get("targetGUID") == code_guids[label[removed.code_id]]
        ]
        assert gone
        for s in gone:
            s.getparent().remove(s)
        # the reviewer adds a code on the automated coder's coding of another segment (QualCoder lets one pick the user)
        model_user = root.xpath("//q:User[@name='automated coder (model)']/@guid", namespaces=ns)[0]
        new = selection("11111111-2222-3333-4444-55555555555", span, model_user, code_guids[label["workload_time"]])
        root.xpath(f"//q:TextSource[@name='{span[0]}']", namespaces=ns)[0].find("q:PlainTextSelection", ns).addprevious(
            new
        )
        # someone reviewing under a user of their own (NVivo names the user) adds a code: a review decision too
        users = root.find("q:Users", ns)
        etree.SubElement(users, f"{{{ns['q']}}}User", guid="99999999-2222-3333-4444-555555555555", name="Nadia")
        new = selection(
            "11111111-2222-3333-4444-77777777777",
            other_span,
            "99999999-2222-3333-4444-555555555555",
            code_guids[label["hope_identity"]],
        )
        source = root.xpath(f"//q:TextSource[@name='{other_span[0]}']", namespaces=ns)[0]
        source.find("q:PlainTextSelection", ns).addprevious(new)

    folder = tmp_path / "imported"
    assert run_cli("import-qdpx", edit_project(qdpx, review), folder).returncode == 0
    ids = set(load_codebook(folder / "codebook.yaml").ids)
    decisions, notes = read_review(folder / "review_queue.csv", ids, set(demo_run["segments"]["segment_id"]))
    assert {tuple(r) for r in notes.itertuples(index=False)} == {
        (excluded.segment_id, excluded.code_id, "too vague"),
        (noted.segment_id, noted.code_id, "ask Sam"),
    }, "the reviewer's notes come back with the decisions"
    got = {(r.segment_id, r.code_id, r.decision, r.reviewer) for r in decisions.itertuples(index=False)}
    assert got == {
        (excluded.segment_id, excluded.code_id, "exclude", "Rita"),
        (included.segment_id, "workload_time", "include", "Rita"),
        (removed.segment_id, removed.code_id, "exclude", "reviewer"),
        (added.segment_id, "workload_time", "include", "reviewer"),
        (by_new_user.segment_id, "hope_identity", "include", "Nadia"),
    }
    coders = {r["coder"] for r in codes_rows(folder / "codes.csv")}
    assert coders == {"coder1", "coder2"}, "a reviewer's codes are decisions, not human coding"


# ---------------------------------------------------------------- errors: one line, exit 2, nothing written


def with_entry(files: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    return {**files, name: data}


def qde_replace(files: dict[str, bytes], old: str, new: str) -> dict[str, bytes]:
    qde = files["project.qde"].decode()
    assert old in qde
    return {**files, "project.qde": qde.replace(old, new, 1).encode()}


def nvivo_mac():
    return make_fixtures.nvivo_mac()


def pdf_source(files):
    files = with_entry(files, "sources/scan.pdf", b"%PDF-1.4")
    return qde_replace(
        files,
        "</Sources>",
        '<PDFSource guid="aaaaaaaa-0000-0000-0000-000000000001" name="Consent scan" path="internal://scan.pdf"/>'
        "</Sources>",
    )


def no_case(files):
    return qde_replace(files, '<SourceRef targetGUID="', '<SourceRef targetGUID="0')  # P1's first source dropped


def no_role(files):
    qde = files["project.qde"].decode()
    start = qde.index("<Case ")
    cut = qde.index("<VariableValue>", start)
    end = qde.index("</VariableValue>", cut) + len("</VariableValue>")
    return {**files, "project.qde": (qde[:cut] + qde[end:]).encode()}


@pytest.mark.parametrize(
    "make,args,expected",
    [
        (lambda: {"notes.txt": b"hello"}, [], "is not a REFI-QDA project (the zip holds no .qde project file)"),
        (
            lambda: {"project.qde": b'<?xml version="1.0"?><Workbook xmlns="urn:other"/>'},
            [],
            "is not a REFI-QDA project (its root element is {urn:other}Workbook, not a QDA-XML Project)",
        ),
        (
            lambda: {"project.qde": b'<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'},
            [],
            "project.qde:1: the XML is not well formed",
        ),
        (
            lambda: {k: v for k, v in nvivo_mac().items() if not k.endswith(".txt")},
            [],
            "source 'P1 interview': the source names the file 'internal://",
        ),
        (lambda: pdf_source(nvivo_mac()), [], "1 source(s) cannot be read as text: 'Consent scan' (PDF)"),
        (lambda: no_case(nvivo_mac()), [], "source 'P1 interview': the source belongs to no case"),
        (lambda: no_role(nvivo_mac()), [], "source 'P1 interview': participant P1 has no role"),
        (lambda: nvivo_mac(), ["--participant-from", "source"], "source 'P1 interview':2: unknown speaker label 'P1'"),
    ],
)
def test_a_project_that_cannot_be_imported_stops_with_one_line_and_writes_nothing(tmp_path, make, args, expected):
    qdpx = tmp_path / "project.qdpx"
    qdpx.write_bytes(zip_bytes(make()))
    folder = tmp_path / "corpus"
    result = run_cli("import-qdpx", qdpx, folder, *args)
    lines = error_lines(result.stderr)
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ERROR: {qdpx}") and expected in lines[0]
    assert not folder.exists() and not list(tmp_path.glob(".corpus*")), "no half-written corpus folder"


def test_fixes_named_in_the_errors_work(tmp_path):
    qdpx = tmp_path / "project.qdpx"
    qdpx.write_bytes(zip_bytes(pdf_source(nvivo_mac())))
    result = run_cli("import-qdpx", qdpx, tmp_path / "a", "--skip-unreadable")
    assert result.returncode == 0, result.stderr
    assert "skipped 1 source(s) that are not text: 'Consent scan' (PDF)" in result.stdout
    qdpx.write_bytes(zip_bytes(no_role(nvivo_mac())))
    assert "--default-role ROLE" in run_cli("import-qdpx", qdpx, tmp_path / "b").stderr
    assert run_cli("import-qdpx", qdpx, tmp_path / "b", "--default-role", "practitioner").returncode == 0
    # each source its own participant: the labels its text uses are named on the command line
    qdpx.write_bytes(zip_bytes(nvivo_mac()))
    result = run_cli("import-qdpx", qdpx, tmp_path / "c", "--participant-from", "source")
    assert "--participant LABEL" in result.stderr
    labels = ["--participant", "P1", "--participant", "P2"]
    assert run_cli("import-qdpx", qdpx, tmp_path / "c", "--participant-from", "source", *labels).returncode == 0
    manifest = codes_rows(tmp_path / "c" / "manifest.csv")
    assert [r["participant_id"] for r in manifest] == ["P1-interview", "P2-interview", "P1-follow-up"]
    assert yaml.safe_load((tmp_path / "c" / "corpus.yaml").read_text())["speakers"]["participant"] == ["P1", "P2"]
    load_corpus(tmp_path / "c", CONFIG)


def test_an_existing_folder_is_replaced_only_when_asked(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep")
    result = run_cli("import-qdpx", REFI / "qualcoder.qdpx", folder)
    assert result.returncode == 2 and "pass --force to replace it" in result.stderr
    assert (folder / "mine.txt").exists()
    assert run_cli("import-qdpx", REFI / "qualcoder.qdpx", folder, "--force").returncode == 0
    assert not (folder / "mine.txt").exists() and (folder / "codes.csv").exists()


def test_a_file_that_is_not_a_zip_is_named(tmp_path):
    qdpx = tmp_path / "project.qdpx"
    qdpx.write_text("not a zip")
    result = run_cli("import-qdpx", qdpx, tmp_path / "c")
    assert result.returncode == 2
    assert error_lines(result.stderr)[0].startswith(f"ERROR: {qdpx}: this is not a REFI-QDA project (not a zip file)")


def test_the_final_identifier_scan_reads_inside_the_exported_project(tmp_path):
    from pipeline.gate.scan import find_values

    folder = tmp_path / "outputs" / "x" / "exchange"
    folder.mkdir(parents=True)
    (folder / "x.qdpx").write_bytes(zip_bytes({"sources/a.txt": b"P1: I saw Kayleigh there.\n"}))
    assert b"Kayleigh" not in (folder / "x.qdpx").read_bytes(), "compressed: a plain search would miss it"
    assert find_values(tmp_path / "outputs", {"Kayleigh"}) == [(str(folder / "x.qdpx"), 1)]


def test_the_exported_codebook_reads_back_in_both_codebook_namespaces(demo_run, tmp_path):
    qdpx, qdc = export(demo_run, tmp_path)
    project = read_project(qdpx.read_bytes(), qdpx)
    for data in (qdc.read_bytes(), qdc.read_bytes().replace(b"urn:QDA-XML:codebook:1.0", b"urn:QDA-XML:codebook:0:4")):
        codes = read_codebook(data, qdc)
        assert codes == project.codes and len(codes) == 5 and sum(len(t.children) for t in codes) == 18
    with pytest.raises(PipelineError, match="not a REFI-QDA codebook"):
        read_codebook(b'<CodeBook xmlns="urn:other"/>', qdc)
