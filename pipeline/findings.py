"""Findings: the claims a study reports (a findings file, e.g. config/findings.yaml), which claims apply to a
corpus, and the participant x code matrix they rest on."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline.codebook import Codebook, load_codebook
from pipeline.core.errors import PipelineError
from pipeline.core.files import read_table, write_csv
from pipeline.core.tables import final_codes, read_segment_codes
from pipeline.human_codes import check_codes, read_codes
from pipeline.schemas import read_yaml

log = logging.getLogger(__name__)

NO_CLAIMS = "none"
CHECK_COLUMNS = [
    "claim_id",
    "kind",
    "report",
    "role",
    "code_or_theme",
    "statement",
    "expected",
    "measured",
    "holds",
]


def load_findings(path: str | Path, codebook: Codebook, roles: dict[str, str]) -> list[dict]:
    """Read and validate the claims; every code, theme and role they name must exist.

    A claim may name a wave the corpus does not have yet: the study's claims about wave 2 are checked (and do not
    hold) on a first run of wave 1, before the evaluators add wave 2.
    """
    path = Path(path)
    if not path.is_file():
        raise PipelineError(
            "findings file not found", "Give the path of a claims file (see config/findings.yaml)", file=path
        )
    data, lines = read_yaml(path, "findings", "the findings file")
    seen = set()

    def problem(i: int, key: str, text: str, fix: str) -> PipelineError:
        """The error, at the line of the claim's setting ``key``."""
        return PipelineError(text, fix, file=path, line=lines.get(("claims", i, key), lines.get(("claims", i))))

    for i, claim in enumerate(data["claims"]):
        where = f"claim '{claim['id']}'"
        if claim["id"] in seen:
            raise problem(i, "id", f"{where} is defined twice", "Give every claim a unique id")
        seen.add(claim["id"])
        for key in ("role", "than"):
            if key in claim and claim[key] not in roles:
                raise problem(
                    i,
                    key,
                    f"{where} names the role '{claim[key]}', which the corpus does not declare",
                    f"Use one of {', '.join(roles)}",
                )
        if "code" in claim and claim["code"] not in codebook.ids:
            raise problem(
                i,
                "code",
                f"{where} names the code '{claim['code']}', which is not in the codebook {codebook.path}",
                "Use a code id from that codebook",
            )
        if "theme" in claim and claim["theme"] not in codebook.themes:
            raise problem(
                i,
                "theme",
                f"{where} names the theme '{claim['theme']}', which is not in the codebook {codebook.path}",
                "Use a theme id from that codebook",
            )
    return data["claims"]


def claims_file(corpus, config: dict, command_line: str | None = None) -> tuple[str, str]:
    """Which claims are checked on a corpus: (a findings file or "none", where that choice was made).

    1. ``findings`` given on the command line (``--config findings=PATH|none``, or in a ``--configfile``);
    2. else the corpus.yaml's ``findings:`` (a path relative to the corpus folder, or none);
    3. else the configuration's ``findings`` (config/findings.yaml, the study's claims), if the corpus is coded
       with the configuration's codebook (its corpus.yaml names no other);
    4. else none: a corpus with its own codebook and no claims of its own has no claims checked.
    """
    if command_line:
        return command_line, "command line"
    own = corpus.settings.get("findings")
    if own:
        return (NO_CLAIMS if own == NO_CLAIMS else str(corpus.root / own)), "corpus.yaml"
    default = Path(config["codebook"]).resolve()
    if corpus.codebook is None or corpus.codebook.resolve() == default:
        return config["findings"], "config"
    return NO_CLAIMS, "own codebook"


def corpus_claims(corpus, config: dict, codebook: Codebook, command_line: str | None = None) -> tuple[str, list]:
    """The claims file that applies to a corpus (claims_file) and its claims, checked against the corpus's roles and
    the codebook in use; a problem says how to choose other claims or none."""
    path, origin = claims_file(corpus, config, command_line)
    if path == NO_CLAIMS:
        return path, []
    settings = corpus.root / "corpus.yaml"
    instead = {
        "command line": "or give other claims on the command line (--config findings=PATH), or findings=none",
        "corpus.yaml": f"or name other claims under findings: in {settings}, or write findings: none there",
        "config": (
            f"or, if these claims (the study's, checked on every corpus coded with {config['codebook']}) are not "
            f"about this corpus, write findings: none in {settings}, or write claims of your own and name that "
            "file there (findings: my_claims.yaml, relative to the corpus folder)"
        ),
    }[origin]
    try:
        if origin == "corpus.yaml" and not Path(path).is_file():
            raise PipelineError(
                f"findings: names '{corpus.settings['findings']}', which is not a file ({path})",
                "Give the path of a claims file relative to the corpus folder",
                file=settings,
            )
        claims = load_findings(path, codebook, corpus.roles)
    except PipelineError as exc:
        raise PipelineError(exc.problem, f"{exc.fix}, {instead}", file=exc.file, line=exc.line) from None
    return path, claims


def check_study_inputs(corpus, config: dict, command_line: str | None = None) -> tuple[Codebook, str, list, int]:
    """What the workflow and ``check-corpus`` check before any job: the codebook in use, the claims that apply
    (corpus_claims) and codes.csv's rows (human_codes.check_codes; its quotes are matched once transcripts are
    prepared). Returns (codebook, claims file or "none", claims, codes.csv rows or 0 without one)."""

    codebook_path = corpus.codebook or config["codebook"]
    codebook = load_codebook(codebook_path)
    findings, claims = corpus_claims(corpus, config, codebook, command_line)
    rows = 0
    if corpus.codes_path.exists():
        interviews = {(it.participant_id, it.wave) for it in corpus.interviews}
        rows = check_codes(corpus.codes_path, set(codebook.ids), interviews, codebook_path)
    return codebook, findings, claims, rows


def participant_code_matrix(codes: pd.DataFrame, participants: pd.DataFrame, code_ids: list[str]) -> pd.DataFrame:
    """1 where a participant has at least one segment with the code, else 0.

    ``codes`` has participant_id and code_id columns; ``participants`` has participant_id and role, in
    the order the columns should take. Rows are codes in codebook order.
    """
    present = set(zip(codes["participant_id"], codes["code_id"], strict=True))
    cols = list(participants["participant_id"])
    data = [[int((pid, code) in present) for pid in cols] for code in code_ids]
    return pd.DataFrame(data, index=pd.Index(code_ids, name="code_id"), columns=cols)


def matrix_markdown(matrix: pd.DataFrame, participants: pd.DataFrame, roles: dict[str, str], labels: dict) -> str:
    """The matrix as a Markdown table: an x per expressed code, and n/N per role."""
    role_of = dict(zip(participants["participant_id"], participants["role"], strict=True))
    header = ["code"]
    for role in roles:
        ids = [p for p in matrix.columns if role_of[p] == role]
        header += ids + [f"{roles[role]} n/{len(ids)}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for code, row in matrix.iterrows():
        cells = [f"{labels.get(code, code)} (`{code}`)"]
        for role in roles:
            ids = [p for p in matrix.columns if role_of[p] == role]
            cells += ["x" if row[p] else "" for p in ids] + [f"{int(row[ids].sum())}/{len(ids)}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def human_code_matrix(corpus, codebook: Codebook, coder: str = "coder1", wave: int = 1) -> str:
    """The participant x code matrix of one coder's codes.csv rows for one wave, as Markdown."""

    rows = [r for r in read_codes(corpus.codes_path) if (r.get("coder") or "coder1") == coder]
    codes = pd.DataFrame(
        [(r["participant_id"], r["code"]) for r in rows if r["wave"] == str(wave)],
        columns=["participant_id", "code_id"],
    )
    people = pd.DataFrame(
        [(it.participant_id, it.role) for it in corpus.interviews if it.wave == wave],
        columns=["participant_id", "role"],
    )
    matrix = participant_code_matrix(codes, people, codebook.ids)
    return matrix_markdown(matrix, people, corpus.roles, {c.id: c.label for c in codebook.codes})


# ---------------------------------------------------------------- findings tables from the final codes


def _participants(segments: pd.DataFrame) -> pd.DataFrame:
    return segments.drop_duplicates("participant_id")[["participant_id", "role"]]


def prevalence_by_role(
    codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook, roles: dict, primary: str
) -> pd.DataFrame:
    """Per code and theme and role: participants expressing it (n of N, %) and segments; final, human, machine."""
    people = _participants(segments)
    sources = {
        "final": final_codes(codes),
        "human": codes[(codes["source"] == "human") & (codes["coder"] == primary)],
        "machine": codes[codes["source"].isin(["model", "codebook"])],  # trained on human codes, or codebook-seeded
    }
    rows = []
    units = [("code", c.id, c.label, c.theme, c.kind, {c.id}) for c in codebook.codes]
    for theme_id, label in codebook.themes.items():
        members = {c.id for c in codebook.codes if c.theme == theme_id}
        kinds = {c.kind for c in codebook.codes if c.theme == theme_id}
        units.append(("theme", theme_id, label, theme_id, "/".join(sorted(kinds)), members))
    for level, uid, label, theme, kind, members in units:
        for role, role_label in roles.items():
            total = int((people["role"] == role).sum())
            row = {
                "level": level,
                "id": uid,
                "label": label,
                "theme": theme,
                "kind": kind,
                "role": role,
                "role_label": role_label,
                "N": total,
            }
            for name, table in sources.items():
                sub = table[table["code_id"].isin(members) & (table["role"] == role)]
                n = sub["participant_id"].nunique()
                row[f"{name}_n"] = n
                row[f"{name}_pct"] = round(100 * n / total, 1) if total else 0.0
                row[f"{name}_segments"] = sub["segment_id"].nunique()
            rows.append(row)
    return pd.DataFrame(rows)


def prevalence_by_wave(codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook, roles: dict) -> pd.DataFrame:
    final = final_codes(codes)
    rows = []
    for (role, wave), seg in segments.groupby(["role", "wave"], sort=True):
        total = seg["participant_id"].nunique()
        sub = final[(final["role"] == role) & (final["wave"] == wave)]
        for c in codebook.codes:
            hit = sub[sub["code_id"] == c.id]
            rows.append(
                {
                    "role": role,
                    "role_label": roles.get(role, role),
                    "wave": wave,
                    "code_id": c.id,
                    "label": c.label,
                    "N": total,
                    "n": hit["participant_id"].nunique(),
                    "pct": round(100 * hit["participant_id"].nunique() / total, 1),
                    "segments": hit["segment_id"].nunique(),
                }
            )
    return pd.DataFrame(rows)


def final_matrix(codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Rows (participant, wave), columns codes: the number of segments with the final code."""
    final = final_codes(codes)
    counts = final.groupby(["participant_id", "wave", "code_id"]).size().unstack("code_id", fill_value=0)
    index = segments.drop_duplicates(["participant_id", "wave"])[["participant_id", "role", "wave"]]
    out = index.merge(counts.reset_index(), on=["participant_id", "wave"], how="left").fillna(0)
    for c in codebook.ids:
        out[c] = out[c].astype(int) if c in out else 0
    return out[["participant_id", "role", "wave", *codebook.ids]]


def cooccurrence(codes: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Segments carrying both codes (final codes); the diagonal is the number of segments with the code."""
    final = final_codes(codes)
    onehot = pd.crosstab(final["segment_id"], final["code_id"]).reindex(columns=codebook.ids, fill_value=0)
    m = onehot.T @ onehot
    m.index.name = "code_id"
    return m.reindex(index=codebook.ids, columns=codebook.ids, fill_value=0).reset_index()


def saturation(codes: pd.DataFrame, segments: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Cumulative distinct codes by interview, per role, in interview (manifest) order."""
    final = final_codes(codes)
    codes_of = (
        final.merge(segments[["segment_id", "interview_id"]], on="segment_id")
        .groupby("interview_id")["code_id"]
        .agg(set)
    )
    role_of = segments.drop_duplicates("interview_id").set_index("interview_id")["role"]
    rows, seen, count = [], {}, {}
    for iid in order:
        if iid not in role_of:
            continue
        role = role_of[iid]
        new = codes_of.get(iid, set()) - seen.setdefault(role, set())
        seen[role] |= new
        count[role] = count.get(role, 0) + 1
        rows.append(
            {
                "role": role,
                "interview_number": count[role],
                "interview_id": iid,
                "new_codes": len(new),
                "cumulative_codes": len(seen[role]),
            }
        )
    return pd.DataFrame(rows)


def exemplars(codes, segments, probabilities, codebook: Codebook, roles: dict, per: int = 3) -> pd.DataFrame:
    """For each code and role, the final-coded segments the model is most confident about (pseudonymised text)."""
    final = final_codes(codes)
    probs = probabilities.set_index("segment_id")
    text = segments.set_index("segment_id")
    rows = []
    for c in codebook.codes:
        for role in roles:
            sub = final[(final["code_id"] == c.id) & (final["role"] == role)].copy()
            if sub.empty:
                continue
            sub["confidence"] = [float(probs.at[s, c.id]) for s in sub["segment_id"]]
            sub = sub.sort_values(["confidence", "segment_id"], ascending=[False, True]).head(per)
            for rank, r in enumerate(sub.itertuples(index=False), start=1):
                rows.append(
                    {
                        "code_id": c.id,
                        "label": c.label,
                        "role": role,
                        "rank": rank,
                        "segment_id": r.segment_id,
                        "participant_id": r.participant_id,
                        "wave": r.wave,
                        "confidence": round(r.confidence, 4),
                        "text": text.at[r.segment_id, "text"],
                    }
                )
    columns = ["code_id", "label", "role", "rank", "segment_id", "participant_id", "wave", "confidence", "text"]
    return pd.DataFrame(rows, columns=columns)


def check_claims(claims: list[dict], codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Each claim of findings.yaml: expected, measured from the final codes, and whether it holds."""
    final = final_codes(codes)
    rows = []

    def members(claim):
        return {claim["code"]} if "code" in claim else {c.id for c in codebook.codes if c.theme == claim["theme"]}

    def share(role, wave, claim):
        people = segments[(segments["role"] == role) & (segments["wave"] == wave)]["participant_id"].nunique()
        sub = final[final["code_id"].isin(members(claim)) & (final["role"] == role) & (final["wave"] == wave)]
        return sub["participant_id"].nunique(), people

    for claim in claims:
        wave = claim.get("wave", 1)
        kind = claim["kind"]
        if kind == "participants":
            measured = segments[(segments["role"] == claim["role"]) & (segments["wave"] == wave)][
                "interview_id"
            ].nunique()
            expected, holds, shown = (
                f"{claim['interviews']} interviews",
                measured == claim["interviews"],
                f"{measured} interviews",
            )
        elif kind == "prevalence":
            n, total = share(claim["role"], wave, claim)
            expected = f">= {claim['at_least']} of {claim['of']}"
            holds, shown = n >= claim["at_least"] and total == claim["of"], f"{n} of {total}"
        else:
            n1, t1 = share(claim["role"], wave, claim)
            n2, t2 = share(claim["than"], wave, claim)
            expected = f"share of {claim['role']} > share of {claim['than']}"
            holds = t1 > 0 and t2 > 0 and n1 / t1 > n2 / t2
            shown = f"{n1}/{t1} vs {n2}/{t2}"
        rows.append(
            {
                "claim_id": claim["id"],
                "kind": kind,
                "report": claim.get("report", ""),
                "role": claim.get("role", ""),
                "code_or_theme": claim.get("code", claim.get("theme", "")),
                "statement": claim["statement"],
                "expected": expected,
                "measured": shown,
                "holds": bool(holds),
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def tabulate_findings(
    segment_codes,
    segments_csv,
    probabilities,
    codebook_path,
    findings_path: str | None,
    roles: dict,
    primary: str,
    order: list[str],
    out: dict,
) -> pd.DataFrame:
    codebook = load_codebook(codebook_path)
    codes = read_segment_codes(segment_codes)
    segments = read_table(segments_csv)
    segments["wave"] = segments["wave"].astype(int)
    probs = pd.read_parquet(probabilities)
    write_csv(prevalence_by_role(codes, segments, codebook, roles, primary), out["by_role"])
    write_csv(prevalence_by_wave(codes, segments, codebook, roles), out["by_wave"])
    write_csv(final_matrix(codes, segments, codebook), out["matrix"])
    write_csv(cooccurrence(codes, codebook), out["cooccurrence"])
    write_csv(saturation(codes, segments, order), out["saturation"])
    write_csv(exemplars(codes, segments, probs, codebook, roles), out["exemplars"])
    claims = load_findings(findings_path, codebook, roles) if findings_path else []
    checks = check_claims(claims, codes, segments, codebook)
    write_csv(checks, out["check"])
    if claims:
        log.info("%d of %d findings claims hold", int(checks["holds"].sum()), len(checks))
    else:
        log.info("no findings claims declared for this corpus: findings_check.csv has no rows")
    return checks
