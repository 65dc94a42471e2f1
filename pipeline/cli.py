"""One command line for every stage: ``python -m pipeline <stage> ...``.

Snakemake rules are thin shell calls to these subcommands; notebooks and tests call the same
functions directly. A known problem (PipelineError) prints one ``ERROR:`` line on the console
and in the log, and exits with status 2.

Each subcommand imports its stage inside its own function (the one exception to imports at the top): a job
then loads only its stage and that stage's libraries, so a per-interview job does not import BERTopic or
PyTorch, and ``python -m pipeline --help`` starts at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from pathlib import Path

import yaml

from pipeline.core.errors import PipelineError, raise_all

log = logging.getLogger("pipeline")


def _setup_logging(log_file: str | None, verbose: bool) -> None:
    root = logging.getLogger("pipeline")
    root.setLevel(logging.INFO)
    root.handlers.clear()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, mode="w", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)


def _to_log_file(text: str) -> None:
    """Write to the stage's log file only (not the console)."""
    for handler in log.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.stream.write(text)
            handler.flush()


def _spacy_without_torch() -> None:
    """Stages that use spaCy's CPU pipelines alone hide torch from it: thinc imports torch when it can (1-2 s
    in every job) though these pipelines never use it. Their results are the same with and without it."""
    sys.modules.setdefault("torch", None)


# ---------------------------------------------------------------- subcommands


def cmd_prepare_interviews(a) -> None:
    _spacy_without_torch()
    from pipeline.gate import prepare

    settings = prepare.Settings.from_json(json.loads(a.settings))
    prepare.prepare_interviews(a.transcripts, settings, a.turns_out, a.segments_out, a.counts_out, a.audit)


def manifest_interviews(path: str, roles: dict) -> list:
    """The interviews of a corpus's manifest.csv, in its order, with their attributes. Rules pass the manifest's
    path, not its rows: the rows of a thousand interviews make a command longer than a shell accepts (128 KB)."""
    from pipeline.corpus import read_manifest

    return read_manifest(Path(path), roles)[0]


def cmd_describe_corpus(a) -> None:
    from pipeline import describe

    roles = json.loads(a.roles)
    interviews = manifest_interviews(a.manifest, roles)
    describe.describe_corpus(
        a.turns,
        roles,
        [{"interview_id": it.interview_id, **it.attributes} for it in interviews],
        a.participants_out,
        a.interviews_out,
    )


def cmd_collect_segments(a) -> None:
    from pipeline import describe

    describe.collect_segments(a.segments, a.out)


def cmd_import_human_codes(a) -> None:
    from pipeline import human_codes

    human_codes.import_human_codes(a.codes, a.segments, a.turns, a.codebook, a.out, a.audit)


def cmd_summarise_anonymisation(a) -> None:
    from pipeline.gate import anonymise

    anonymise.summarise_anonymisation(a.counts, a.mode, a.out)


def cmd_scan_outputs(a) -> None:
    from pipeline.gate import policy, scan

    allow = policy.AllowList(json.loads(a.allow))
    scan.scan_outputs(Path(a.outputs), a.audit, Path(a.out), allow, a.cache or None, workers=a.workers)


def cmd_embed_segments(a) -> None:
    from pipeline import embeddings

    embeddings.embed_segments(a.segments, a.cache, a.out, workers=a.workers, runtime=a.runtime)


def cmd_code_segments(a) -> None:
    from pipeline import coding

    settings = coding.CoderSettings.from_config(json.loads(a.settings))
    out = {
        "segment_codes": a.segment_codes,
        "review_queue": a.review_queue,
        "validation": a.validation,
        "reliability": a.reliability,
        "probabilities": a.probabilities,
        "model": (a.model_meta, a.model_weights),
    }
    coding.code_segments(
        a.segments,
        a.embeddings,
        a.human,
        a.codebook,
        settings,
        a.primary_coder,
        out,
        a.pretrained,
        a.review,
        a.queue_size,
        json.loads(a.fit_waves) if a.fit_waves else None,
        a.batch_size,
        a.cache or None,
        a.coder_cache or None,
    )


def cmd_tabulate_findings(a) -> None:
    from pipeline import findings

    out = {
        k: getattr(a, k) for k in ("by_role", "by_wave", "matrix", "cooccurrence", "saturation", "exemplars", "check")
    }
    findings.tabulate_findings(
        a.segment_codes,
        a.segments,
        a.probabilities,
        a.codebook,
        a.findings if a.findings != "none" else "",
        json.loads(a.roles),
        a.primary_coder,
        [it.interview_id for it in manifest_interviews(a.manifest, json.loads(a.roles))],
        out,
    )


def cmd_score_sentiment(a) -> None:
    from pipeline import sentiment

    thresholds = sentiment.Thresholds(a.positive, a.negative, a.strong)
    sentiment.score_sentiment(a.segments, a.lexicon, thresholds, a.out, a.cache or None)


def cmd_summarise_sentiment(a) -> None:
    from pipeline import sentiment

    out = {
        k: getattr(a, k)
        for k in ("by_role", "by_wave", "by_participant", "by_code", "validation", "figure_by_code", "figure_by_wave")
    }
    out.update(code_sentiment=a.code_sentiment, model_meta=a.model_meta, model_weights=a.model_weights)
    sentiment.summarise_sentiment(
        a.scores,
        a.segments,
        a.segment_codes,
        a.human,
        a.codebook,
        json.loads(a.roles),
        a.seed,
        a.primary_coder,
        out,
        a.embeddings,
        a.c,
        a.pretrained,
        a.lexicon or None,
    )


def cmd_fit_topics(a) -> None:
    from pipeline import topics

    settings = topics.TopicSettings.from_config(json.loads(a.settings))
    names = ("topics", "segment_topics", "per_role", "per_wave", "model", "figure_words", "figure_roles")
    out = {k: getattr(a, k) for k in names if getattr(a, k)}
    out["roles"] = json.loads(a.roles)
    fit_waves = json.loads(a.fit_waves) if a.fit_waves else None
    if a.guided and not a.codebook:
        raise PipelineError("--guided needs --codebook", "Give the codebook whose codes seed the guided topics")
    topics.fit_topics(
        a.segments,
        a.embeddings,
        settings,
        out,
        guided=a.guided,
        fit_waves=fit_waves,
        cache_folder=a.cache or None,
        codebook_path=a.codebook or None,
    )


def cmd_relate_topics(a) -> None:
    from pipeline import topics

    models = {"main": {"segment_topics": a.segment_topics, "topics": a.topics, "crosswalk": a.crosswalk}}
    guided = (a.guided_segment_topics, a.guided_topics, a.guided_crosswalk)
    if any(guided) and not all(guided):
        raise PipelineError(
            "--guided-segment-topics, --guided-topics and --guided-crosswalk go together",
            "Give all three (the guided model's tables and its crosswalk) or none",
        )
    if all(guided):
        models["guided"] = dict(zip(("segment_topics", "topics", "crosswalk"), guided, strict=True))
    if bool(a.quality_runs) != bool(a.quality):
        raise PipelineError(
            "--quality-runs and --quality go together",
            "Give both (evaluate_topics' runs and the quality table to write) or neither",
        )
    quality = (a.quality_runs, a.quality) if a.quality else None
    topics.relate_topics_to_codes(
        a.segment_codes, a.codebook, models, figure_codes=a.figure_codes or None, quality=quality
    )


def cmd_evaluate_topics(a) -> None:
    from pipeline import topics

    settings = topics.TopicSettings.from_config(json.loads(a.settings))
    fit_waves = json.loads(a.fit_waves) if a.fit_waves else None
    topics.evaluate_topics(
        a.segments,
        a.embeddings,
        settings,
        a.out,
        workers=a.workers,
        fit_waves=fit_waves,
        cache_folder=a.cache or None,
    )


def cmd_execute_notebook(a) -> None:
    from pipeline import notebooks

    notebooks.execute_notebook(a.source, a.outputs, a.ipynb, a.html, a.timeout)


def cmd_format_tables(a) -> None:
    from pipeline import report

    out = {"prevalence": a.by_role, "participants": a.participants, "reliability": a.reliability_out, "waves": a.waves}
    report.format_tables(
        a.by_role, a.participants, a.reliability, a.validation, a.by_wave, a.matrix, json.loads(a.roles), out
    )


def cmd_draw_figures(a) -> None:
    from pipeline import report

    out = dict(item.split("=", 1) for item in a.figures) if a.figures else a.out
    report.draw_figures(a.by_role, a.matrix, a.cooccurrence, a.saturation, a.waves, json.loads(a.roles), out)


def cmd_write_findings(a) -> None:
    from pipeline import report

    keys = ("by_role", "participants", "exemplars", "waves", "segment_codes", "reliability", "validation")
    paths = {k: getattr(a, k) for k in keys}
    paths.update({"sentiment": a.sentiment, "sentiment_validation": a.sentiment_validation, "check": a.check})
    report.write_findings(paths, json.loads(a.roles), a.name, a.claims_source, a.out)


def cmd_corpus_name(a) -> None:
    from pipeline.corpus import load_corpus

    config = yaml.safe_load(Path(a.config).read_text(encoding="utf-8"))
    print(load_corpus(a.corpus or config["corpus"], config).name)


def cmd_record_provenance(a) -> None:
    from pipeline import provenance

    provenance.record_provenance(a.corpus, a.config_json, a.benchmarks, a.out)


def cmd_check_corpus(a) -> None:
    """Every problem of a corpus folder in one pass: corpus.yaml, manifest, codebook, claims, codes.csv rows, each
    transcript's format, encoding and speaker labels (printed per file with how each resolved), each quote, and in
    check mode the identifier gate. Exit 2 with one ERROR line per problem."""

    from pipeline.corpus import load_corpus, unlisted_files
    from pipeline.findings import NO_CLAIMS, check_study_inputs
    from pipeline.gate import check

    config = yaml.safe_load(Path(a.config).read_text(encoding="utf-8"))
    corpus = load_corpus(a.corpus, config)
    for name in unlisted_files(corpus):
        log.warning(
            "%s is not in manifest.csv and will not be analysed. Add a row for it, or move it out of the corpus "
            "folder.",
            corpus.root / name,
        )
    problems = []
    try:
        codebook, findings, claims, _ = check_study_inputs(corpus, config, a.findings)
    except PipelineError as exc:
        problems.append(exc)
        codebook = findings = None
    reports, turns, ingest_problems = check.ingest_all(corpus)
    for report in reports:
        print(report.line())
    problems += ingest_problems
    rows, quote_problems = check.check_quotes(corpus, turns)
    problems += quote_problems
    problems += check.check_identifiers(corpus, turns, Path("private") / corpus.name / "audit" / "check-corpus.csv")
    if problems:
        print(f"{corpus.name}: {len(problems)} problem(s), listed below", file=sys.stderr)
        raise_all(problems)
    checked = "no claims declared" if findings == NO_CLAIMS else f"{len(claims)} claims in {findings}"
    coded = f"codes.csv {rows} rows, every quote found" if corpus.codes_path.exists() else "no codes.csv"
    print(
        f"{corpus.name}: {len(corpus.interviews)} interviews, roles {', '.join(corpus.roles)}; "
        f"codebook {codebook.path} ({len(codebook.codes)} codes); {coded}; {checked}: OK"
    )


def cmd_code_matrix(a) -> None:
    from pipeline.codebook import load_codebook
    from pipeline.corpus import load_corpus
    from pipeline.findings import human_code_matrix

    config = yaml.safe_load(Path(a.config).read_text(encoding="utf-8"))
    corpus = load_corpus(a.corpus, config)
    codebook = load_codebook(corpus.codebook or config["codebook"])
    print(human_code_matrix(corpus, codebook, a.coder, a.wave), end="")


def cmd_check_codebook(a) -> None:
    from pipeline.codebook import load_codebook

    cb = load_codebook(a.codebook)
    print(f"{cb.name} {cb.version}: {len(cb.themes)} themes, {len(cb.codes)} codes: OK")


def cmd_import_qdpx(a) -> None:
    from pipeline.exchange import importer

    config = yaml.safe_load(Path(a.config).read_text(encoding="utf-8"))
    speakers = config.get("speakers", {})
    options = importer.Options(
        participant_from=a.participant_from,
        role_variable=a.role_variable,
        wave_variable=a.wave_variable,
        default_role=a.default_role,
        default_wave=a.default_wave,
        skip_unreadable=a.skip_unreadable,
        interviewer=[*speakers.get("interviewer", []), *a.interviewer],
        participant=[*speakers.get("participant", []), *a.participant],
        other=list(speakers.get("other", [])),
        declare={"interviewer": a.interviewer, "participant": a.participant},
    )
    for line in importer.import_qdpx(a.project, a.corpus, options, force=a.force):
        print(line)
    print(f"{a.corpus}: written; check it with python -m pipeline check-corpus {a.corpus}")


def cmd_export_qdpx(a) -> None:
    from pipeline.exchange import exporter

    roles = json.loads(a.roles)
    exporter.export_qdpx(
        a.name,
        roles,
        manifest_interviews(a.manifest, roles),
        a.codebook,
        a.turns,
        a.segments,
        a.segment_codes,
        a.out_qdpx,
        a.out_qdc,
        codes_path=a.codes,
        review_path=a.review,
        audit_paths=a.audit,
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    p.add_argument("--log", help="write the stage's log to this file")
    p.add_argument("-v", "--verbose", action="store_true", help="show progress on the console")
    sub = p.add_subparsers(dest="stage", required=True, metavar="stage")

    def add(name, func, help):
        sp = sub.add_parser(name, help=help)
        sp.set_defaults(func=func)
        sp.add_argument("--log", help="write the stage's log to this file", default=argparse.SUPPRESS)
        sp.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
        return sp

    sp = add("prepare-interviews", cmd_prepare_interviews, "a batch of transcripts -> turns, gate, segments")
    sp.add_argument("--transcripts", nargs="+", required=True, help="transcript files, in the order of --settings")
    sp.add_argument(
        "--settings",
        required=True,
        help="JSON: interviews (interview_id, participant_id, role, wave per transcript), interviewer_labels, "
        "participant_labels, label_mode, mode (check | pseudonymise), allow, max_words",
    )
    sp.add_argument("--turns-out", required=True, help="the batch's screened turns (.parquet)")
    sp.add_argument("--segments-out", required=True, help="the batch's segments (.parquet)")
    sp.add_argument("--counts-out", required=True, help="identifiers found by category and interview (no values)")
    sp.add_argument("--audit", required=True, help="private audit of what was found (values, placeholders)")

    sp = add("summarise-anonymisation", cmd_summarise_anonymisation, "per-interview counts -> summary table")
    sp.add_argument("--counts", nargs="+", required=True)
    sp.add_argument("--mode", required=True)
    sp.add_argument("--out", required=True)

    sp = add("scan-outputs", cmd_scan_outputs, "search every output file for every identifier found")
    sp.add_argument("--outputs", required=True)
    sp.add_argument("--audit", nargs="*", default=[])
    sp.add_argument("--allow", default="[]", help="JSON list: the corpus's allowed names, never searched for")
    sp.add_argument("--out", required=True)
    sp.add_argument("--cache", default="", help="a private folder remembering the files already searched")
    sp.add_argument("--workers", type=int, default=1, help="processes searching the files (a large corpus's)")

    sp = add("describe-corpus", cmd_describe_corpus, "turns of every interview -> Table 1 and the interview list")
    sp.add_argument("--turns", nargs="+", required=True)
    sp.add_argument("--roles", required=True, help="JSON object role id -> display name")
    sp.add_argument("--manifest", required=True, help="the corpus's manifest.csv (attributes of each interview)")
    sp.add_argument("--participants-out", required=True)
    sp.add_argument("--interviews-out", required=True)

    sp = add("collect-segments", cmd_collect_segments, "segments of every interview -> segments.csv")
    sp.add_argument("--segments", nargs="+", required=True)
    sp.add_argument("--out", required=True)

    sp = add("import-human-codes", cmd_import_human_codes, "codes.csv -> human codes per segment")
    sp.add_argument("--codes", required=True)
    sp.add_argument("--segments", nargs="+", required=True)
    sp.add_argument("--turns", nargs="+", required=True)
    sp.add_argument("--codebook", required=True)
    sp.add_argument("--out", required=True)
    sp.add_argument("--audit", nargs="*", default=[], help="the gate's private audits (pseudonymise mode)")

    sp = add("embed-segments", cmd_embed_segments, "segments.csv -> embeddings of segments and questions")
    sp.add_argument("segments")
    sp.add_argument("out")
    sp.add_argument("--cache", required=True, help="the corpus's embedding cache folder")
    sp.add_argument("--workers", type=int, default=1, help="processes embedding at once (vectors do not depend on it)")
    sp.add_argument("--runtime", default="onnx-int8", help="onnx-int8 (default), onnx or torch: what runs the model")

    sp = add(
        "code-segments",
        cmd_code_segments,
        "train or apply the coder; code every segment; validation",
    )
    sp.add_argument("--segments", required=True)
    sp.add_argument("--embeddings", required=True)
    sp.add_argument("--human", default="", help="human codes (interim/human_codes.parquet), if the corpus has any")
    sp.add_argument("--codebook", required=True)
    sp.add_argument("--settings", required=True, help="JSON of the coding block of the configuration")
    sp.add_argument("--primary-coder", default="coder1")
    sp.add_argument("--pretrained", default="", help="a trained coder folder to apply instead of training")
    sp.add_argument("--review", default="", help="a filled-in review_queue.csv to import as human decisions")
    sp.add_argument("--queue-size", type=int, default=200)
    sp.add_argument("--batch-size", type=int, default=40, help="decisions proposed to teach the coder each round")
    for name in ("segment-codes", "review-queue", "validation", "reliability", "probabilities"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--model-meta", required=True, help="output: the coder's coder.json")
    sp.add_argument("--model-weights", required=True, help="output: the coder's weights.safetensors")
    sp.add_argument("--fit-waves", default="", help="JSON list: learn only from these waves (models.freeze)")
    sp.add_argument("--cache", default="", help="a folder keeping the codebook phrases found in each segment")
    sp.add_argument("--coder-cache", default="", help="a folder keeping each segment's probabilities under the coder")

    sp = add(
        "tabulate-findings",
        cmd_tabulate_findings,
        "final codes -> prevalence, matrices, saturation, exemplars, claims",
    )
    for name in ("segment-codes", "segments", "probabilities", "codebook", "roles", "manifest"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument(
        "--findings",
        nargs="?",
        const="",
        default="",
        help="the claims file; with no value (or none), no claims were declared and findings_check.csv has no rows",
    )
    sp.add_argument("--primary-coder", default="coder1")
    for name in ("by-role", "by-wave", "matrix", "cooccurrence", "saturation", "exemplars", "check"):
        sp.add_argument(f"--{name}", required=True)

    sp = add("score-sentiment", cmd_score_sentiment, "segments -> VADER sentiment (plain and adapted)")
    sp.add_argument("segments")
    sp.add_argument("out")
    sp.add_argument("--lexicon", required=True)
    sp.add_argument("--positive", type=float, default=0.05)
    sp.add_argument("--negative", type=float, default=-0.05)
    sp.add_argument("--strong", type=float, default=0.5)
    sp.add_argument("--cache", default="", help="a folder keeping each segment's scores between runs")

    sp = add("summarise-sentiment", cmd_summarise_sentiment, "segment sentiment -> aggregates, validation, figures")
    for name in ("scores", "segments", "segment-codes", "codebook", "roles"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--human", default="")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--primary-coder", default="coder1")
    for name in ("by-role", "by-wave", "by-participant", "by-code", "validation", "figure-by-code", "figure-by-wave"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--embeddings", default="", help="segment embeddings (code-level sentiment)")
    sp.add_argument("--c", type=float, default=1.0, help="inverse regularisation of the code-level sentiment model")
    sp.add_argument("--code-sentiment", default="", help="output: sentiment of every final (segment, code) pair")
    sp.add_argument("--pretrained", default="", help="a model folder (coding.model) whose sentiment model to apply")
    sp.add_argument("--lexicon", default="", help="the domain lexicon the scores used (recorded with the model)")
    sp.add_argument("--model-meta", default="", help="output: sentiment.json of the code-level sentiment model")
    sp.add_argument("--model-weights", default="", help="output: sentiment.safetensors (its weights)")

    sp = add("fit-topics", cmd_fit_topics, "segments (+ embeddings) -> topic model, topic tables and figures")
    for name in ("segments", "settings", "topics", "segment-topics"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--codebook", default="", help="the codebook whose codes seed the topics (with --guided)")
    sp.add_argument("--embeddings", default="", help="the embeddings file (profile bertopic)")
    sp.add_argument("--roles", default="{}")
    sp.add_argument("--guided", action="store_true", help="seed the topics from the codebook")
    sp.add_argument("--fit-waves", default="", help="JSON list: fit on these waves only, apply to the rest")
    sp.add_argument("--cache", default="", help="folder of fitted models: a fit of the same input is loaded")
    for name in ("per-role", "per-wave", "model", "figure-words", "figure-roles"):
        sp.add_argument(f"--{name}", default="")

    sp = add("relate-topics", cmd_relate_topics, "topic tables + final codes -> crosswalks, heatmap, quality table")
    for name in ("segment-codes", "codebook", "segment-topics", "topics", "crosswalk"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--figure-codes", default="", help="output: the main model's topic x code heatmap (PNG + SVG)")
    for name in ("guided-segment-topics", "guided-topics", "guided-crosswalk"):
        sp.add_argument(f"--{name}", default="", help="the guided model's tables and its crosswalk (all or none)")
    sp.add_argument("--quality-runs", default="", help="evaluate-topics' runs (with --quality)")
    sp.add_argument("--quality", default="", help="output: the quality table, the runs with each model's NMI")

    sp = add("evaluate-topics", cmd_evaluate_topics, "BERTopic vs LDA vs NMF: coherence, diversity, stability runs")
    for name in ("segments", "settings", "out"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--embeddings", default="")
    sp.add_argument("--workers", type=int, default=1, help="processes for the runs (the table does not depend on it)")
    sp.add_argument("--fit-waves", default="", help="JSON list: evaluate on these waves only (models.freeze)")
    sp.add_argument("--cache", default="", help="fit_topics' cache folder: its main fit and earlier runs")

    sp = add(
        "execute-notebook",
        cmd_execute_notebook,
        "a reviewer notebook (.py) on the outputs -> .ipynb, .html",
    )
    sp.add_argument("source", help="the notebook, a jupytext percent .py in notebooks/")
    sp.add_argument("--outputs", required=True, help="the corpus's output folder, outputs/<corpus>")
    sp.add_argument("--ipynb", required=True)
    sp.add_argument("--html", required=True)
    sp.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")

    sp = add("format-tables", cmd_format_tables, "headline tables -> Markdown and LaTeX; reliability and wave tables")
    for name in ("by-role", "participants", "reliability", "validation", "by-wave", "matrix", "roles"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--reliability-out", required=True, help="tables/reliability_summary.csv")
    sp.add_argument("--waves", required=True, help="tables/wave_comparison.csv")

    sp = add("draw-figures", cmd_draw_figures, "findings tables -> the findings figures (PNG and SVG)")
    for name in ("by-role", "matrix", "cooccurrence", "saturation", "waves", "roles"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--figures", nargs="+", default=[], help="KEY=PNG for each figure (keys: report.FIGURES)")
    sp.add_argument("--out", default="", help="or: a folder where the figures take their usual names")

    sp = add("write-findings", cmd_write_findings, "findings tables -> findings.md, the findings in words")
    for name in ("by-role", "participants", "exemplars", "waves", "segment-codes", "reliability", "validation"):
        sp.add_argument(f"--{name}", required=True)
    for name in ("sentiment", "sentiment-validation", "check", "roles", "name", "out"):
        sp.add_argument(f"--{name}", required=True)
    sp.add_argument("--claims-source", default="the findings file", help="where the claims come from, for the text")

    sp = add("corpus-name", cmd_corpus_name, "print a corpus's name (its outputs go to outputs/<name>/)")
    sp.add_argument("corpus", nargs="?", default="", help="the corpus folder (default: corpus: in --config)")
    sp.add_argument("--config", default="config/config.yaml")

    sp = add(
        "record-provenance",
        cmd_record_provenance,
        "what went into a run: inputs, settings, versions, timings",
    )
    sp.add_argument("--corpus", required=True)
    sp.add_argument("--config-json", required=True)
    sp.add_argument("--benchmarks", required=True)
    sp.add_argument("--out", required=True)

    sp = add("check-corpus", cmd_check_corpus, "check a corpus folder, its codebook and its claims")
    sp.add_argument("corpus")
    sp.add_argument("--config", default="config/config.yaml")
    sp.add_argument("--findings", default="", help="the claims to check, as --config findings=PATH|none would give")

    sp = add("code-matrix", cmd_code_matrix, "print the participant x code matrix of a corpus's codes.csv")
    sp.add_argument("corpus")
    sp.add_argument("--coder", default="coder1")
    sp.add_argument("--wave", type=int, default=1)
    sp.add_argument("--config", default="config/config.yaml")

    sp = add("check-codebook", cmd_check_codebook, "validate a codebook file")
    sp.add_argument("codebook")

    sp = add("import-qdpx", cmd_import_qdpx, "a REFI-QDA project (.qdpx) -> a corpus folder")
    sp.add_argument("project")
    sp.add_argument("corpus")
    sp.add_argument("--force", action="store_true", help="replace the corpus folder if it exists")
    sp.add_argument("--participant-from", choices=["case", "source"], default="case")
    sp.add_argument("--role-variable", default="role")
    sp.add_argument("--wave-variable", default="wave")
    sp.add_argument("--default-role", default="")
    sp.add_argument("--default-wave", type=int, default=1)
    sp.add_argument("--skip-unreadable", action="store_true", help="skip PDF, media and other non-text sources")
    sp.add_argument("--interviewer", action="append", default=[], help="an interviewer's speaker label (repeat)")
    sp.add_argument("--participant", action="append", default=[], help="a participant's speaker label (repeat)")
    sp.add_argument("--config", default="config/config.yaml", help="its speakers: are the labels known")

    sp = add("export-qdpx", cmd_export_qdpx, "a run's coding -> REFI-QDA project and codebook")
    sp.add_argument("--name", required=True, help="the corpus's name (the project's)")
    sp.add_argument("--roles", required=True, help="JSON object role id -> display name")
    sp.add_argument("--manifest", required=True, help="the corpus's manifest.csv (interviews and their attributes)")
    sp.add_argument("--codebook", required=True)
    sp.add_argument("--turns", nargs="+", required=True, help="the screened turns of every batch")
    sp.add_argument("--segments", required=True)
    sp.add_argument("--segment-codes", required=True)
    sp.add_argument("--codes", default="", help="the corpus's codes.csv, if any")
    sp.add_argument("--review", default="", help="the corpus's review_queue.csv, if any")
    sp.add_argument("--audit", nargs="*", default=[], help="the gate's private audits (pseudonymise mode)")
    sp.add_argument("--out-qdpx", required=True)
    sp.add_argument("--out-qdc", required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    _setup_logging(getattr(args, "log", None), getattr(args, "verbose", False))
    started = time.perf_counter()
    try:
        args.func(args)
    except PipelineError as exc:
        for problem in getattr(exc, "errors", [exc]):
            message = f"ERROR: {problem.message()}"
            print(message, file=sys.stderr)
            _to_log_file(message + "\n")
        return 2
    except ImportError as exc:
        print(
            f"ERROR: the package '{exc.name}' is not installed in the Python running this stage "
            f"({sys.executable}). Run the workflow with `make run`, or activate the project's environment "
            "first: source .venv/bin/activate.",
            file=sys.stderr,
        )
        _to_log_file(traceback.format_exc())
        return 2
    except Exception as exc:  # a bug, not bad input: keep the details in the log only
        hint = f" The details are in {args.log}." if getattr(args, "log", None) else ""
        print(
            f"ERROR: the {args.stage} stage failed unexpectedly ({type(exc).__name__}). This is a bug in the "
            f"pipeline, not in your data: please report it.{hint}",
            file=sys.stderr,
        )
        _to_log_file(traceback.format_exc())
        return 1
    log.info("%s finished in %.2fs", args.stage, time.perf_counter() - started)
    return 0
