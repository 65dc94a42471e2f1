"""Pseudonymisation: each identifier ``detect`` finds is replaced by a typed placeholder that is consistent within
an interview (``[PERSON_1]`` is the same person every time), with every other mention of the same value; the
counts per category. Identifier values never go to logs or to ``outputs/``; the audit and the replacement map
stay under ``private/``.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from pipeline.core.files import read_table, write_csv
from pipeline.core.text import REDACTION_RE, count_words
from pipeline.gate.detect import detect
from pipeline.gate.policy import AllowList, Policy
from pipeline.gate.shapes import CATEGORIES, NUMBERED, Finding, _masked

# ---------------------------------------------------------------- pseudonymisation


class Pseudonymiser:
    """Typed placeholders, consistent within one interview: the same person is [PERSON_1] every time."""

    def __init__(self):
        self.numbers: dict[tuple[str, str], int] = {}
        self.counts: dict[str, int] = {}

    @staticmethod
    def key(value: str) -> str:
        return " ".join(re.sub(r"[’']s$", "", value).split()).casefold()

    def placeholder(self, category: str, value: str) -> str:
        if category not in NUMBERED:
            return f"[{category}]"
        key = self.key(value)
        # "Sarah" after "Sarah Jones" (or before it) is the same person
        for (cat, known), n in self.numbers.items():
            if cat == category and (known.split()[0] == key or key.split()[0] == known):
                self.numbers[(category, key)] = n
                return f"[{category}_{n}]"
        if (category, key) not in self.numbers:
            self.counts[category] = self.counts.get(category, 0) + 1
            self.numbers[(category, key)] = self.counts[category]
        return f"[{category}_{self.numbers[(category, key)]}]"

    def replace(self, text: str, findings: list[Finding]) -> str:
        for f in sorted(findings, key=lambda f: f.start, reverse=True):
            text = text[: f.start] + self.placeholder(f.category, f.value) + text[f.end :]
        return text


def value_pattern(values) -> re.Pattern:
    """Any of ``values`` as whole words (the final scan's test of an output)."""
    return re.compile(
        r"(?<![\w])(?:" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)) + r")(?![\w])"
    )


def repeat_findings(
    texts: list[str], findings: list[list[Finding]], marks: re.Pattern = REDACTION_RE
) -> list[list[Finding]]:
    """Every identifier found in one turn, found again wherever its exact words recur in the interview.

    The detectors judge each mention on its own evidence, so a name can be caught in one sentence ("his partner
    Kayleigh") and missed in the next ("Kayleigh said ..."): the repeat is an identifier too, and leaving it would
    make the final scan fail. Repeats are audited with source ``repeat``.
    """
    category: dict[str, str] = {}
    for found in findings:
        for f in found:
            if len(f.value.strip()) >= 2:
                category.setdefault(f.value.strip(), f.category)
    if not category:
        return findings
    pattern = value_pattern(category)
    out = []
    for text, found in zip(texts, findings, strict=True):
        extra = [
            Finding(m.start(), m.end(), category[m.group(0)], m.group(0), "repeat")
            for m in pattern.finditer(_masked(text, marks))
            if not any(m.start() < f.end and f.start < m.end() for f in found)
        ]
        out.append(sorted(found + extra, key=lambda f: f.start) if extra else found)
    return out


def one_category_per_value(findings: list[list[Finding]]) -> list[list[Finding]]:
    """One category for each value in an interview, from its strongest evidence (a cue beats the NER's guess):
    "my partner Kayleigh" makes "Kayleigh's idea" a person too, so the same name gets one placeholder everywhere
    and a coder's quote, pseudonymised value by value, still matches the transcript."""
    rank = {"pattern": 0, "context": 1, "places": 2, "ner": 3, "gazetteer": 4, "repeat": 5}
    best: dict[str, Finding] = {}
    for f in (f for found in findings for f in found):
        key = Pseudonymiser.key(f.value)
        if key not in best or rank[f.source] < rank[best[key].source]:
            best[key] = f
    return [[replace(f, category=best[Pseudonymiser.key(f.value)].category) for f in found] for found in findings]


def screen_turns(
    turns: pd.DataFrame, allow: AllowList, mode: str, nlp=None, policy: Policy = Policy()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pure core: (turns as they pass the gate, audit of findings).

    In ``pseudonymise`` mode every finding is replaced; in ``check`` mode the text is unchanged
    (the caller stops the run if the audit is not empty). An identifier found once is found wherever it recurs
    in the interview (``repeat_findings``).
    """
    texts = list(turns["text"])
    findings = one_category_per_value(repeat_findings(texts, detect(texts, allow, nlp, policy), policy.marks))
    pseudo = Pseudonymiser()
    audit, out_texts = [], []
    for row, text, found in zip(turns.itertuples(index=False), texts, findings, strict=True):
        replaced = pseudo.replace(text, found) if mode == "pseudonymise" else text
        out_texts.append(replaced)
        for f in found:
            audit.append(
                {
                    "interview_id": row.interview_id,
                    "turn_index": row.turn_index,
                    "line": row.line,
                    "category": f.category,
                    "source": f.source,
                    "text": f.value,
                    "placeholder": pseudo.placeholder(f.category, f.value) if mode == "pseudonymise" else "",
                }
            )
    screened = turns.copy()
    screened["text"] = out_texts
    if mode == "pseudonymise":
        screened["word_count"] = [count_words(t, policy.marks) for t in out_texts]
    columns = ["interview_id", "turn_index", "line", "category", "source", "text", "placeholder"]
    return screened, pd.DataFrame(audit, columns=columns)


# ---------------------------------------------------------------- edges: the gate and the final scan


def category_counts(audit: pd.DataFrame) -> pd.DataFrame:
    counts = audit.groupby("category").size() if len(audit) else pd.Series(dtype=int)
    return pd.DataFrame({"category": list(CATEGORIES), "count": [int(counts.get(c, 0)) for c in CATEGORIES]})


def summary_table(counts: list[pd.DataFrame], mode: str) -> pd.DataFrame:
    """Counts by category only (no values): identifiers found and interviews they were found in."""
    allc = pd.concat(counts, ignore_index=True)
    table = (
        allc.groupby("category", sort=False)
        .agg(found=("count", "sum"), interviews=("count", lambda s: int((s > 0).sum())))
        .reset_index()
    )
    table["action"] = "replaced" if mode == "pseudonymise" else "none found"
    table.loc[table["found"] == 0, "action"] = "none found"
    return table


def summarise_anonymisation(counts_paths, mode: str, out) -> pd.DataFrame:
    """Edge: every batch's counts per interview and category -> tables/anonymisation_summary.csv."""
    table = summary_table([read_table(p).astype({"count": int}) for p in counts_paths], mode)
    write_csv(table, out)
    return table
