"""End-to-end: the Snakemake workflow on the tiny fixture corpus, its DAG and its errors on the console.

Tests that read a clean run's outputs share one (``tiny_run``); scenarios change a copy of it and rerun what the
change touches (``scenario``); error tests stop at the job that fails."""

from __future__ import annotations

import json
import re
import zipfile

import pandas as pd
import pytest
from lxml import etree

from pipeline.exchange.qdpx import SCHEMAS
from pipeline.sentiment import LABELS
from tests.conftest import ROOT, TINY, copy_corpus, error_lines, make_project, snakemake
from tests.workflow.conftest import CORPUS, copy_project, tiny_project

pytestmark = pytest.mark.slow
PROJECT_XSD = etree.XMLSchema(etree.parse(str(SCHEMAS / "Project-mrt2019.xsd")))
CODEBOOK_XSD = etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook-mrt2019.xsd")))


def planned_jobs(result) -> dict[str, int]:
    """Job counts from the table `snakemake -n` prints."""
    jobs = {}
    for line in result.stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m and m[1] not in ("total", "job"):
            jobs[m[1]] = int(m[2])
    return jobs


def test_dry_run_plans_one_preparation_job_per_batch_of_a_wave(project):
    result = snakemake(project, "-n")
    assert result.returncode == 0, result.stderr
    jobs = planned_jobs(result)
    assert jobs["prepare_interviews"] == 2, "wave 1 (4 interviews) and wave 2 (1) are one batch each"
    assert jobs["describe_corpus"] == 1 and jobs["collect_segments"] == 1


def test_workflow_runs_offline_and_writes_the_tables(tiny_run):
    project, result = tiny_run.project, tiny_run.result
    assert result.returncode == 0, result.stderr[-3000:]
    tables = project / "outputs" / "tiny" / "tables"
    table1 = pd.read_csv(tables / "participants.csv")
    assert list(zip(table1.role, table1.wave.astype(str), table1.interviews, strict=True)) == [
        ("practitioner", "1", 2),
        ("service_user", "1", 2),
        ("service_user", "2", 1),
        ("total", "all", 5),
    ]
    segments = pd.read_csv(tables / "segments.csv")
    assert segments["segment_id"].is_unique and set(segments["interview_id"]) == {
        "P01_w1",
        "P02_w1",
        "S01_w1",
        "S02_w1",
        "S01_w2",
    }
    codes = pd.read_parquet(project / "outputs" / "tiny" / "interim" / "human_codes.parquet")
    assert set(codes["coder"]) == {"coder1", "coder2"} and len(codes) >= 19
    # thematic coding: human, model and pattern codes; validation, reliability and findings tables
    coded = pd.read_csv(tables / "segment_codes.csv")
    assert set(coded["source"]) == {"human", "model", "pattern"}
    assert coded.loc[coded["final"], "segment_id"].str.startswith("S01_w2").any(), "wave 2 is coded by the model"
    reliability = pd.read_csv(tables / "reliability.csv")
    assert set(reliability["comparison"]) == {"coder1 vs coder2", "coder1 vs machine"}
    assert (project / "outputs" / "tiny" / "models" / "coder" / "weights.safetensors").exists()
    for name in (
        "coding_validation",
        "review_queue",
        "code_prevalence_by_role",
        "code_prevalence_by_wave",
        "participant_code_matrix",
        "code_cooccurrence",
        "saturation",
        "exemplar_quotes",
        "findings_check",
    ):
        assert (tables / f"{name}.csv").exists(), name
    # sentiment: per segment, aggregates, validation and figures (PNG and SVG)
    sentiment = pd.read_csv(tables / "segment_sentiment.csv")
    assert set(sentiment["label"]) <= {"positive", "negative", "neutral", "mixed"} and len(sentiment) == len(segments)
    validation = pd.read_csv(tables / "sentiment_validation.csv")
    assert list(validation["lexicon"]) == ["plain VADER", "domain-adapted", "supervised (participant-grouped CV)"]
    assert (validation["n"] > 0).all()
    code_sentiment = pd.read_csv(tables / "code_sentiment.csv")
    assert {"human", "model"} <= set(code_sentiment["source"]) and set(code_sentiment["label"]) <= set(LABELS)
    for name in ("sentiment_by_role", "sentiment_by_wave", "sentiment_by_participant", "sentiment_by_code_role"):
        assert (tables / f"{name}.csv").exists(), name
    figures = project / "outputs" / "tiny" / "figures"
    for name in ("sentiment_by_code", "sentiment_by_wave"):
        assert (figures / f"{name}.png").read_bytes()[:4] == b"\x89PNG" and (figures / f"{name}.svg").exists()
    # topics: the tiny corpus is too small to cluster; the run says so and still writes valid tables
    assert "Too little structure for topic modelling" in result.stderr
    segment_topics = pd.read_csv(tables / "segment_topics.csv")
    assert list(segment_topics.columns[:3]) == ["segment_id", "topic_id", "probability"]
    assert len(segment_topics) == len(segments) and set(segment_topics["topic_id"]) == {-1}
    for name in ("topics", "topics_per_role", "topics_per_wave", "topic_code_crosswalk", "topic_quality"):
        assert len(pd.read_csv(tables / f"{name}.csv")) > 0, name
    assert (tables / "guided_topics.csv").exists()
    for name in ("topic_words", "topics_by_role", "topic_code_heatmap"):
        assert (figures / f"{name}.png").read_bytes()[:4] == b"\x89PNG" and (figures / f"{name}.svg").exists()
    assert (project / "outputs" / "tiny" / "models" / "topics" / "topics.json").exists()
    # report: findings figures (PNG and SVG), headline tables in Markdown and LaTeX, the wave comparison, findings.md
    report_figures = ("prevalence_by_role", "participant_code_heatmap", "code_cooccurrence", "saturation")
    for name in (*report_figures, "wave_comparison"):
        assert (figures / f"{name}.png").read_bytes()[:4] == b"\x89PNG" and (figures / f"{name}.svg").exists()
    for name in ("code_prevalence_by_role", "participants", "reliability_summary"):
        assert (tables / f"{name}.md").exists() and (tables / f"{name}.tex").exists(), name
    waves = pd.read_csv(tables / "wave_comparison.csv")
    assert set(waves["role"]) == {"service_user"} and waves["change_pp"].notna().all()  # S01 came back in wave 2
    findings = (project / "outputs" / "tiny" / "findings.md").read_text()
    assert findings.startswith("# Findings: tiny") and "## Check of the study's findings" in findings
    # exchange: the REFI-QDA project and codebook (their content is tested in test_refi.py), scanned by the final scan
    exchange = project / "outputs" / "tiny" / "exchange"
    with zipfile.ZipFile(exchange / "tiny.qdpx") as archive:
        qde = etree.fromstring(archive.read("project.qde"))
        assert sum(n.startswith("sources/") for n in archive.namelist()) == 5
    assert PROJECT_XSD.validate(qde) and CODEBOOK_XSD.validate(etree.parse(str(exchange / "codebook.qdc")))
    machine = [d for d in qde.iter("{*}Description") if "\nsource: model\n" in (d.text or "")]
    assert len(machine) == (coded["source"] == "model").sum() > 0
    assert (tables / "identifier_scan.csv").stat().st_mtime >= (exchange / "tiny.qdpx").stat().st_mtime
    # nothing left to do on a second run
    again = snakemake(project, "-n", corpus=CORPUS)
    assert "Nothing to be done" in again.stdout + again.stderr
    # report.html (make report): one self-contained file, built offline, every figure with its caption
    built = tiny_run.report
    assert built.returncode == 0, built.stderr[-3000:]
    html = (project / "outputs" / "tiny" / "report.html").read_text()
    for caption in ("Figure 1. Themes and codes raised", "Figure 4. Saturation", "Agreement per code", "Table 1."):
        assert caption in html, caption


def test_manifest_problem_stops_before_any_job_with_one_error_line(project, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "broken")
    with (corpus / "manifest.csv").open("a") as f:
        f.write("P01,practitioner,1,transcripts/P01_w1.txt,\n")
    result = snakemake(project, corpus=corpus)
    assert result.returncode != 0
    assert error_lines(result.stderr) == [
        f"ERROR: {corpus}/manifest.csv:7: participant P01 has a second row for wave 1 (the first is on line 2). "
        "Keep one row per participant and wave."
    ]
    assert not (project / "outputs").exists()


def test_bad_transcript_error_reaches_the_console_and_leaves_no_output(project, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "badlabel")
    path = corpus / "transcripts" / "P01_w1.txt"
    path.write_text(path.read_text() + "Dr Jones: Sorry, wrong room.\n")
    result = snakemake(project, corpus=corpus)
    assert result.returncode != 0
    expected = f"ERROR: {path}:12: unknown speaker label 'Dr Jones' (1 line)."
    assert any(line.startswith(expected) for line in error_lines(result.stderr))
    assert "The run stopped because of:" in result.stderr
    assert not (project / "outputs" / "badlabel" / "interim" / "turns" / "w1-001.parquet").exists()


def test_bad_quote_in_codes_csv_names_the_row(project, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "badquote")
    with (corpus / "codes.csv").open("a") as f:
        f.write("S01,1,skills_insight,positive,I never said this at all,coder1\n")
    result = snakemake(project, "--until", "import_human_codes", corpus=corpus)  # the job that fails, no further
    assert result.returncode != 0
    assert any(f"{corpus}/codes.csv:21: the quote was not found" in line for line in error_lines(result.stderr))


def test_unlisted_transcript_warns_on_the_console(project, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "extra")
    (corpus / "transcripts" / "P09_w1.txt").write_text("Interviewer: hi\nParticipant: hello\n")
    result = snakemake(project, "-n", corpus=corpus)
    assert result.returncode == 0
    assert f"WARNING: {corpus}/transcripts/P09_w1.txt is not in manifest.csv" in result.stderr


def leak_a_name(corpus):
    """The transcriber missed a partner's name and a phone number in P01's interview (line 5)."""
    path = corpus / "transcripts" / "P01_w1.txt"
    text = path.read_text().replace("any contact with [PARTNER]", "any contact with his partner Kayleigh")
    path.write_text(text.replace("I even look forward to it.", "Ring me on 07700 900123. I even look forward to it."))
    with (corpus / "codes.csv").open("a") as f:
        f.write("P01,1,structure_focus,positive,any contact with his partner Kayleigh,coder1\n")
    return path


def test_a_leaked_name_stops_the_run_in_check_mode(project, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "leaky")
    path = leak_a_name(corpus)
    # and a date in wave 2's interview: another batch, reported by the same run (make run keeps going)
    wave2 = corpus / "transcripts" / "S01_w2.txt"
    wave2.write_bytes(wave2.read_bytes().replace(b"Every day.", b"Every day since 4 August 2021."))
    result = snakemake(project, "--keep-going", corpus=corpus)
    assert result.returncode != 0
    errors = error_lines(result.stderr)
    assert any(
        e.startswith(f"ERROR: {path}:5: 2 possible identifier(s) in this transcript (PERSON 1, PHONE 1)")
        for e in errors
    )
    assert any(e.startswith(f"ERROR: {wave2}:4: 1 possible identifier(s) in this transcript (DATE 1)") for e in errors)
    assert "--keep-going" in (ROOT / "Makefile").read_text().split("\nrun:")[1].split("\n\n")[0]
    assert "Kayleigh" not in result.stderr + result.stdout, "identifier values never reach the console"
    assert not (project / "outputs" / "leaky" / "interim" / "turns" / "w1-001.parquet").exists()
    audit = (project / "private" / "leaky" / "audit" / "w1-001.csv").read_text()
    assert "Kayleigh" in audit and "07700 900123" in audit


@pytest.fixture(scope="module")
def pseudonymised_leak(tmp_path_factory):
    """One pseudonymise-mode run of the tiny corpus with a leaked name: (project, corpus, result). Read only."""
    folder = tmp_path_factory.mktemp("pseudonymised")
    project = make_project(folder / "project")
    corpus = copy_corpus(TINY, folder / "leaky")
    leak_a_name(corpus)
    with (corpus / "corpus.yaml").open("a") as f:
        f.write("anonymisation: {mode: pseudonymise}\n")
    return project, corpus, snakemake(project, corpus=corpus)


def test_a_leaked_name_is_replaced_everywhere_in_pseudonymise_mode(pseudonymised_leak):
    project, _corpus, result = pseudonymised_leak
    assert result.returncode == 0, result.stderr[-3000:]
    out = project / "outputs" / "leaky"
    segments = pd.read_csv(out / "tables" / "segments.csv")
    assert segments["text"].str.contains(r"his partner \[PERSON_1\]").any()
    assert segments["text"].str.contains(r"\[PHONE\]").any()
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes() if path.suffix != ".parquet" else pd.read_parquet(path).to_csv().encode()
            assert b"Kayleigh" not in data and b"900123" not in data, path
    summary = pd.read_csv(out / "tables" / "anonymisation_summary.csv").set_index("category")
    assert summary.loc["PERSON", "found"] == 1 and summary.loc["PHONE", "action"] == "replaced"
    assert pd.read_csv(out / "tables" / "identifier_scan.csv")["files_with_hits"].iloc[0] == 0
    # the coder's quote holding the name still maps onto the pseudonymised segment
    codes = pd.read_parquet(out / "interim" / "human_codes.parquet")
    assert (codes["segment_id"] == "P01_w1_t003_s1").sum() >= 2


def test_the_final_scan_fails_when_an_output_holds_an_identifier(pseudonymised_leak, tmp_path):
    finished, corpus, result = pseudonymised_leak
    assert result.returncode == 0
    project = copy_project(finished, tmp_path / "project")
    # an output that escaped the gate (e.g. a hand-made table dropped into outputs/)
    planted = project / "outputs" / "leaky" / "tables" / "notes.md"
    planted.write_text("Follow up with Kayleigh about the videos.\n")
    result = snakemake(project, "--forcerun", "scan_outputs", corpus=corpus)
    assert result.returncode != 0
    errors = error_lines(result.stderr)
    assert any("also appear in 1 output file(s)" in e and "notes.md (1)" in e for e in errors)
    assert "Kayleigh" not in result.stderr
    detail = pd.read_csv(project / "private" / "leaky" / "scan_hits.csv")
    assert list(detail["value"]) == ["Kayleigh"] and list(detail["found_in"]) == ["P01_w1"]
    assert not (project / "outputs" / "leaky" / "tables" / "identifier_scan.csv").exists()


def test_a_corpus_without_codes_is_coded_by_a_coder_trained_elsewhere(tiny_run, scenario):
    assert tiny_run.result.returncode == 0
    trained = tiny_run.out / "models" / "coder"
    corpus = scenario / CORPUS  # the same interviews, their codes.csv gone
    (corpus / "codes.csv").unlink()
    with (corpus / "corpus.yaml").open("a") as f:
        f.write(f"coding: {{model: {trained}}}\n")
    result = snakemake(scenario, corpus=CORPUS)
    assert result.returncode == 0, result.stderr[-3000:]
    out = scenario / "outputs" / "tiny"
    coded = pd.read_csv(out / "tables" / "segment_codes.csv")
    assert set(coded["source"]) <= {"model", "pattern"} and coded["final"].any()
    assert "applied_from" in (out / "models" / "coder" / "coder.json").read_text()
    assert pd.read_csv(out / "tables" / "coding_validation.csv")["method"].iloc[0] == "pretrained coder"
    # the folder carries the code-level sentiment model too: no human labels here, yet no fallback to VADER
    assert json.loads((trained / "sentiment.json").read_text())["trained"] is True
    assert set(pd.read_csv(out / "tables" / "code_sentiment.csv")["source"]) == {"model"}
    assert json.loads((out / "models" / "coder" / "sentiment.json").read_text())["applied_from"] == str(trained)


def test_a_corpus_without_any_human_coding_runs_end_to_end_with_the_codebook_seeded_coder(scenario):
    project, corpus = scenario, scenario / CORPUS
    (corpus / "codes.csv").unlink()
    result = snakemake(project, corpus=CORPUS)
    assert result.returncode == 0, result.stderr[-3000:]
    out = project / "outputs" / "tiny"
    coded = pd.read_csv(out / "tables" / "segment_codes.csv")
    assert set(coded["source"]) <= {"codebook", "pattern"} and coded["final"].any()
    pairs = lambda rows: set(zip(rows["segment_id"], rows["code_id"], strict=True))  # noqa: E731
    assert pairs(coded[coded["final"]]) == pairs(coded[coded["source"] == "codebook"])
    validation = pd.read_csv(out / "tables" / "coding_validation.csv")
    assert validation["method"].iloc[0] == "codebook-seeded coder, not validated"
    assert validation["cohen_kappa"].isna().all(), "no kappa is claimed"
    assert "This coding has not been validated against a human coder" in (out / "findings.md").read_text()
    assert "NOT VALIDATED" in (out / "notebooks" / "02-thematic-coding.html").read_text()
    assert '"kind": "codebook-seeded"' in (out / "models" / "coder" / "coder.json").read_text()
    assert len(pd.read_csv(out / "tables" / "review_queue.csv"))

    # two review rounds: the reviewer decides the round's teaching batch, copies the queue into the corpus, reruns
    decided = {}
    for round_ in (1, 2):
        queue = pd.read_csv(out / "tables" / "review_queue.csv", dtype=str, keep_default_na=False)
        teach = queue.index[queue["purpose"] == "teach"]
        assert 0 < len(teach) <= 40 and not set(queue.loc[teach, "segment_id"] + queue.loc[teach, "code_id"]) & {
            sid + code for sid, code in decided
        }, "the batch proposes only pairs not decided before"
        for k, i in enumerate(teach):
            queue.loc[i, ["decision", "reviewer"]] = ["include" if k % 2 == 0 else "exclude", f"R{round_}"]
            decided[(queue.loc[i, "segment_id"], queue.loc[i, "code_id"])] = queue.loc[i, "decision"]
        queue.to_csv(corpus / "review_queue.csv", index=False)
        result = snakemake(project, "--until", "code_segments", corpus=CORPUS)  # what the round changes and is read
        assert result.returncode == 0, result.stderr[-3000:]
        model = json.loads((out / "models" / "coder" / "coder.json").read_text())
        assert model["taught_by"] == {"review_decisions": len(decided)}
    again = pd.read_csv(out / "tables" / "review_queue.csv", dtype=str, keep_default_na=False)
    kept = again[again["purpose"] == "decided"]
    assert dict(zip(zip(kept["segment_id"], kept["code_id"], strict=True), kept["decision"], strict=True)) == decided
    coded = pd.read_csv(out / "tables" / "segment_codes.csv")
    final = pairs(coded[coded["final"]])
    assert all((pair in final) == (decision == "include") for pair, decision in decided.items())


def test_a_filled_in_review_queue_comes_back_as_human_decisions(tiny_run, scenario):
    project, corpus = scenario, scenario / CORPUS
    assert tiny_run.result.returncode == 0
    queue = pd.read_csv(project / "outputs" / "tiny" / "tables" / "review_queue.csv", keep_default_na=False)
    assert len(queue) >= 2 and (queue["decision"] == "").all()
    first, second = queue.iloc[0], queue.iloc[1]
    queue["decision"] = ""
    queue.loc[0, ["decision", "reviewer"]] = ["include", "JB"]
    queue.loc[1, "decision"] = "exclude"
    queue.to_csv(corpus / "review_queue.csv", index=False)
    # the round changes the coding: the steps that read it run again, the topic models (which do not) stay
    plan = planned_jobs(snakemake(project, "-n", corpus=CORPUS))
    assert plan.get("code_segments") == 1 and plan.get("relate_topics_to_codes") == 1, plan
    assert not {"fit_topics", "fit_guided_topics", "evaluate_topics", "embed_segments"} & plan.keys(), plan
    result = snakemake(project, "--until", "code_segments", corpus=CORPUS)  # the stage that reads the decisions
    assert result.returncode == 0, result.stderr[-3000:]
    coded = pd.read_csv(project / "outputs" / "tiny" / "tables" / "segment_codes.csv")
    pair = coded[(coded["segment_id"] == first.segment_id) & (coded["code_id"] == first.code_id)]
    assert pair["final"].all() and ((pair["source"] == "human") & (pair["coder"] == "JB")).any()
    excluded = coded[(coded["segment_id"] == second.segment_id) & (coded["code_id"] == second.code_id)]
    assert not excluded["final"].any()


def test_without_topics_guided_no_guided_model_is_fitted_and_its_crosswalk_is_not_asked_for(project):
    """topics.guided: false leaves the guided model out of the plan (notebook 03, which lists its tables as
    optional, then says they were not produced), and relate_topics_to_codes relates the main model only."""
    settings = project / "small_corpus.yaml"
    settings.write_text(settings.read_text() + "topics:\n  guided: false\n")
    result = snakemake(project, "-n", "-p")
    assert result.returncode == 0, result.stderr[-3000:]
    plan = planned_jobs(result)
    assert plan.get("fit_topics") == 1 and plan.get("relate_topics_to_codes") == 1, plan
    assert "fit_guided_topics" not in plan, plan
    relate = next(line for line in result.stdout.splitlines() if "pipeline relate-topics" in line)
    assert "--crosswalk" in relate and "guided" not in relate
    settings.write_text(settings.read_text().replace("guided: false", "guided: true"))
    result = snakemake(project, "-n", "-p")
    assert planned_jobs(result).get("fit_guided_topics") == 1
    relate = next(line for line in result.stdout.splitlines() if "pipeline relate-topics" in line)
    assert "--guided-crosswalk" in relate and "--guided-topics" in relate and "--guided-segment-topics" in relate


def test_two_clean_runs_give_byte_identical_tables_and_figures(tiny_run, tmp_path):
    folders = ("tables", "figures", "models", "interim")
    assert tiny_run.result.returncode == 0
    runs = [output_files(tiny_run.out, folders)]  # the first clean run: the shared one
    project = tiny_project(tmp_path / "second")
    result = snakemake(project, corpus=CORPUS)
    assert result.returncode == 0, result.stderr[-3000:]
    runs.append(output_files(project / "outputs" / "tiny", folders))
    # 22 tables, 2 figures in PNG and SVG; report.smk: 5 figures x 2, 2 tables, 3 tables in .md and .tex;
    # topics.smk: 9 tables, 3 figures x 2; code-level sentiment: 1 table
    assert len([name for name in runs[0] if name.parts[0] in ("tables", "figures")]) == 26 + 18 + 16
    # and the files a later run or another corpus reads: the coder, the topic model, the embeddings
    assert {"models/coder/weights.safetensors", "models/topics/topics.json", "interim/embeddings.safetensors"} <= {
        str(name) for name in runs[0]
    }
    assert runs[0].keys() == runs[1].keys()
    different = [str(name) for name in runs[0] if runs[0][name] != runs[1][name]]
    assert different == []


TOPIC_RULES = ("fit_topics", "fit_guided_topics", "evaluate_topics")


def output_files(out, folders=("tables", "figures")) -> dict:
    """Relative path -> bytes of every file under the named folders of a corpus's outputs."""
    files = (p for p in out.rglob("*") if p.is_file() and p.relative_to(out).parts[0] in folders)
    return {p.relative_to(out): p.read_bytes() for p in files}


def test_a_new_wave_runs_only_its_own_jobs_and_embeds_only_new_text(tiny_run, tmp_path):
    project = tiny_project(tmp_path / "waves")
    manifest = project / CORPUS / "manifest.csv"
    rows = manifest.read_text().splitlines()
    manifest.write_text("\n".join(r for r in rows if ",2," not in r) + "\n")  # wave 1 only
    assert snakemake(project, corpus=CORPUS).returncode == 0
    manifest.write_text("\n".join(rows) + "\n")  # the evaluators add the wave-2 interview
    jobs = planned_jobs(snakemake(project, "-n", corpus=CORPUS))
    assert jobs["prepare_interviews"] == 1, "the new wave is a batch of its own; wave 1's batch does not rerun"
    for corpus_level in ("describe_corpus", "collect_segments", "embed_segments", "code_segments", "tabulate_findings"):
        assert jobs[corpus_level] == 1, corpus_level
    assert snakemake(project, corpus=CORPUS).returncode == 0
    log = (project / "outputs" / "tiny" / "logs" / "embed_segments.log").read_text()
    total, new = map(int, re.search(r"(\d+) segments: (\d+) new texts embedded", log).groups())
    assert 0 < new <= 2 * 2 and total > 10, "only the new interview's segments and questions are embedded"
    provenance = json.loads((project / "outputs" / "tiny" / "provenance.json").read_text())
    assert provenance["corpus"]["interviews"] == 5 and len(provenance["inputs_sha256"]) >= 8
    assert provenance["codebook"]["version"] and provenance["software"]["snakemake"]
    assert {"prepare_interviews", "code_segments"} <= set(provenance["stages"])
    assert provenance["seeds"]["PYTHONHASHSEED"] == "0", "the workflow sets it for jobs started by hand"
    # a run on top of an earlier one gives what a clean run of the same corpus gives, byte for byte (the
    # vectors themselves are compared bit for bit in test_embeddings.py: on this small corpus, batched
    # embeddings whose last bits differed also gave the same rounded tables); the clean run: the shared one
    assert tiny_run.result.returncode == 0, tiny_run.result.stderr[-3000:]
    incremental = output_files(project / "outputs" / "tiny")
    fresh = output_files(tiny_run.out)
    assert incremental.keys() == fresh.keys() and len(fresh) > 50
    different = [str(name) for name in fresh if fresh[name] != incremental[name]]
    # the final scan counts the files present when it ran (the earlier run left more logs): not a result
    assert different in ([], ["tables/identifier_scan.csv"])


def test_frozen_models_learn_only_from_the_listed_waves(scenario):
    project, corpus = scenario, scenario / CORPUS
    with (corpus / "codes.csv").open("a") as f:  # the new wave comes with human codes of its own
        f.write("S01,2,skills_insight,positive,I spot the warning signs,coder1\n")
    settings = project / "small_corpus.yaml"
    base = settings.read_text()

    def trained_on(freeze: bool) -> int:
        settings.write_text(base + f"models:\n  freeze: {str(freeze).lower()}\n  fit_waves: [1]\n")
        result = snakemake(project, "--until", "code_segments", corpus=CORPUS)  # the stage that learns
        assert result.returncode == 0, result.stderr[-3000:]
        coder = json.loads((project / "outputs" / "tiny" / "models" / "coder" / "coder.json").read_text())
        return coder["trained_on"]["segments"]

    frozen, refitted = trained_on(True), trained_on(False)
    segments = pd.read_csv(project / "outputs" / "tiny" / "tables" / "segments.csv")
    wave2 = int((segments["wave"] == 2).sum())  # a coded interview's segments all count (uncoded ones as negatives)
    assert refitted == frozen + wave2, "the default refits on every wave; models.freeze learns from wave 1 only"
    codes = pd.read_csv(project / "outputs" / "tiny" / "tables" / "segment_codes.csv")
    assert ((codes["source"] == "human") & codes["segment_id"].str.startswith("S01_w2")).any()


def test_with_frozen_models_a_new_wave_loads_the_topic_fits_and_gives_what_a_clean_run_gives(tmp_path):
    """models.freeze on a corpus large enough for real topics (the held-out fixture, SU9 as wave 2): adding the
    wave places its segments in the wave-1 topics without fitting them again, and the outputs are those of a
    clean run of both waves (the topic model's files included)."""
    corpus = copy_corpus(TINY.parent / "heldout", tmp_path / "frozenwave")
    manifest, codes = corpus / "manifest.csv", corpus / "codes.csv"
    rows = manifest.read_text().replace("SU9,service_user,1,", "SU9,service_user,2,").splitlines()
    coded = codes.read_text().replace("SU9,1,", "SU9,2,")
    manifest.write_text("\n".join(r for r in rows if not r.startswith("SU9,")) + "\n")  # wave 1 only
    codes.write_text("".join(r for r in coded.splitlines(True) if not r.startswith("SU9,")))

    def frozen_project(folder):
        project = make_project(folder)
        settings = project / "small_corpus.yaml"
        settings.write_text(settings.read_text() + "models:\n  freeze: true\n  fit_waves: [1]\n")
        return project

    project = frozen_project(tmp_path / "waves")
    # wave 1 up to the topic models: what a later run reuses (prepared batches, embeddings, the coder, the topic
    # cache); every other output depends on the segments, which wave 2 changes, so the next run remakes it anyway
    tables = [f"outputs/frozenwave/tables/{name}.csv" for name in ("topics", "guided_topics", "topic_quality")]
    # targets: the outputs of fit_topics, fit_guided_topics and evaluate_topics (-p: so --config ends before them)
    result = snakemake(project, "-p", *tables, corpus=corpus)
    assert result.returncode == 0, result.stderr[-3000:]
    out = project / "outputs" / "frozenwave"
    before = pd.read_csv(out / "tables" / "segment_topics.csv")
    assert before["topic_id"].nunique() >= 3, "the fixture must give a real topic model for this test to mean much"
    manifest.write_text("\n".join(rows) + "\n")  # the evaluators add wave 2 and its codes
    codes.write_text(coded)
    result = snakemake(project, corpus=corpus)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = {r: (out / "logs" / f"{r}.log").read_text() for r in TOPIC_RULES}
    assert "main fit of these" in logs["fit_topics"] and "loaded, not fitted again" in logs["fit_topics"]
    assert "guided fit of these" in logs["fit_guided_topics"] and "loaded" in logs["fit_guided_topics"]
    assert "does not use the BERTopic model" in logs["fit_guided_topics"], "the guided job loads no model"
    assert "does not use the BERTopic model" not in logs["fit_topics"], "fit_topics writes the model and its words"
    assert "is in the cache: written, not computed" in logs["evaluate_topics"]
    # loaded from the cache, the guided fit makes no seed words, and so needs no scikit-learn (1.5 s to import)
    again = snakemake(
        project,
        *("--forcerun", "fit_guided_topics", "--until", "fit_guided_topics"),
        corpus=corpus,
        prefix=("env", "PYTHONPROFILEIMPORTTIME=1"),  # every process lists its imports on stderr
    )
    assert again.returncode == 0 and "loaded" in (out / "logs" / "fit_guided_topics.log").read_text()
    imported = set(re.findall(r"^import time:.*\|\s+([\w.]+)$", again.stderr, re.MULTILINE))
    assert "rule fit_guided_topics" in again.stderr and {"numpy", "pipeline.topics.stage"} <= imported
    assert "sklearn" not in imported, "scikit-learn was imported"
    after = pd.read_csv(out / "tables" / "segment_topics.csv")
    wave2 = after["segment_id"].str.startswith("SU9_w2")
    assert wave2.any() and set(after.loc[wave2 & (after["assignment"] != "too_short"), "assignment"]) == {
        "frozen_model"
    }
    assert after[~wave2].reset_index(drop=True).equals(before), "wave 1's topics stay as they were"
    clean = frozen_project(tmp_path / "clean")
    result = snakemake(clean, corpus=corpus)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loaded" not in (clean / "outputs" / "frozenwave" / "logs" / "fit_topics.log").read_text()

    folders = ("tables", "figures", "models")
    incremental, fresh = output_files(out, folders), output_files(clean / "outputs" / "frozenwave", folders)
    assert incremental.keys() == fresh.keys() and len(fresh) > 60
    different = [str(name) for name in fresh if fresh[name] != incremental[name]]
    assert different == ["tables/identifier_scan.csv"] or different == [], different
