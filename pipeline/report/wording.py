"""How findings are put in words: counts, shares, changes, quotes, Markdown and LaTeX tables."""

from __future__ import annotations

import re

import pandas as pd

# Exemplar quotes longer than this are cut at a sentence boundary and marked [...].
QUOTE_MAX_WORDS = 90


# ---------------------------------------------------------------- small text helpers


def n_of(n, total) -> str:
    """'7/9': participants with the code out of participants in the group."""
    return f"{int(n)}/{int(total)}"


def pct(n, total) -> str:
    return f"{100 * n / total:.0f}%" if total else "n/a"


def share_text(n, total) -> str:
    """'7/9 (78%)'."""
    return f"{n_of(n, total)} ({pct(n, total)})"


def lower_first(label: str) -> str:
    """'Case managers' -> 'case managers' inside a sentence; acronyms ('GPs') are left alone."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def group_phrase(n, total, group: str) -> str:
    """'all 9 case managers', 'none of the 7 men on probation', '4 of 7 men on probation'."""
    group = lower_first(group)
    n, total = int(n), int(total)
    if total and n == total:
        return f"all {total} {group}" if total > 2 else f"both {group}" if total == 2 else f"the one {group}"
    if n == 0:
        return f"none of the {total} {group}"
    return f"{n} of {total} {group}"


def change_text(change_pp) -> str:
    """'+22 pp', '-11 pp', 'no change'."""
    if pd.isna(change_pp):
        return "n/a"
    return "no change" if round(float(change_pp)) == 0 else f"{float(change_pp):+.0f} pp"


def trim_quote(text: str, max_words: int = QUOTE_MAX_WORDS) -> str:
    """The quote's first sentences up to ``max_words`` words, marked ' [...]' where cut."""
    text = _mend_brackets(text)
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(words))
    kept = []
    for sentence in sentences:
        if kept and len(" ".join(kept + [sentence]).split()) > max_words:
            break
        kept.append(sentence)
    if len(" ".join(kept).split()) > max_words:  # one long sentence: cut at the word limit
        kept = [" ".join(words[:max_words])]
    return " ".join(kept) + " [...]"


def _mend_brackets(text: str) -> str:
    """A transcriber's note cut by a segment boundary ('pause] And ...', '... glued. [') is made whole again."""
    text = text.strip()
    if re.match(r"^[^\[\]]{1,30}\]", text):
        text = "[" + text
    if re.search(r"\[[^\]]{0,30}$", text):
        text = text[: text.rindex("[")].rstrip() + ("" if text.endswith("[") else " [...]")
    return text


def _md_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("<", "&lt;")


def markdown_table(table: pd.DataFrame) -> str:
    return table.to_markdown(index=False, disable_numparse=True) + "\n"


def latex_table(table: pd.DataFrame, caption: str, label: str) -> str:
    """A booktabs table (\\usepackage{booktabs}); special characters escaped; columns of numbers set right."""
    numeric = re.compile(r"^[\d,.%/()\s+\-\u2192]*$")
    align = "".join("r" if table[c].astype(str).str.match(numeric).all() else "l" for c in table.columns)
    return table.to_latex(index=False, caption=caption, label=label, escape=True, column_format=align)
