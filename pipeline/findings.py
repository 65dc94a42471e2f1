"""Findings: the study's claims (config/findings.yaml) and the participant x code matrix they rest on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from pipeline.codebook import Codebook
from pipeline.errors import PipelineError
from pipeline.schemas import validate


def load_findings(path: str | Path, codebook: Codebook, roles: dict[str, str]) -> list[dict]:
    """Read and validate the claims; every code, theme and role they name must exist."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PipelineError(
            "the findings file is not valid YAML",
            "Fix the syntax near that line",
            file=path,
            line=None if mark is None else mark.line + 1,
        ) from None
    validate(data, "findings", path)
    seen = set()
    for claim in data["claims"]:
        where = f"claim '{claim['id']}'"
        if claim["id"] in seen:
            raise PipelineError(f"{where} is defined twice", "Give every claim a unique id", file=path)
        seen.add(claim["id"])
        for key in ("role", "than"):
            if key in claim and claim[key] not in roles:
                raise PipelineError(
                    f"{where} names the role '{claim[key]}', which the corpus does not declare",
                    f"Use one of {', '.join(roles)}",
                    file=path,
                )
        if "code" in claim and claim["code"] not in codebook.ids:
            raise PipelineError(
                f"{where} names the code '{claim['code']}', which is not in the codebook",
                "Use a code id from the codebook",
                file=path,
            )
        if "theme" in claim and claim["theme"] not in codebook.themes:
            raise PipelineError(
                f"{where} names the theme '{claim['theme']}', which is not in the codebook",
                "Use a theme id from the codebook",
                file=path,
            )
    return data["claims"]


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
    from pipeline.human_codes import read_codes

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
