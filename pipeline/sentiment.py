"""Sentiment: how participants feel about what they talk about (VADER, with a domain lexicon).

VADER scores each sentence (its lexicon ships inside the vaderSentiment wheel: no download); a
segment's compound is the mean over its sentences; its label is positive, negative or neutral by
thresholds on that mean, or mixed where a strongly positive and a strongly negative sentence meet.
A domain lexicon (config/sentiment_lexicon.yaml) neutralises words that only describe the subject
matter here (abuse, offence, risk ...) and adds words and phrases of the domain.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.schemas import load_yaml

log = logging.getLogger(__name__)

LABELS = ["positive", "negative", "neutral", "mixed"]


@dataclass(frozen=True)
class Thresholds:
    positive: float = 0.05
    negative: float = -0.05
    strong: float = 0.5


class Scorer:
    """VADER, plain or with a domain lexicon applied on top."""

    def __init__(self, lexicon: dict | None = None):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()
        self.phrases: list[tuple[re.Pattern, str]] = []
        if lexicon:
            for word in lexicon.get("neutral", []):
                self.analyzer.lexicon[word.lower()] = 0.0
            for word, valence in (lexicon.get("words") or {}).items():
                self.analyzer.lexicon[word.lower()] = float(valence)
            for phrase, valence in sorted((lexicon.get("phrases") or {}).items(), key=lambda p: -len(p[0])):
                token = "dom" + re.sub(r"\W+", "", phrase.lower())  # one token VADER can look up
                self.analyzer.lexicon[token] = float(valence)
                self.phrases.append((re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE), token))

    def sentence_scores(self, text: str) -> list[float]:
        from pipeline.segment import sentence_spans

        out = []
        for a, b in sentence_spans(text) or [(0, len(text))]:
            sentence = text[a:b]
            for pattern, token in self.phrases:
                sentence = pattern.sub(token, sentence)
            out.append(self.analyzer.polarity_scores(sentence)["compound"])
        return out or [0.0]


def label(scores: list[float], t: Thresholds) -> tuple[float, str]:
    """(mean compound, label) of a segment from its sentences' compound scores."""
    mean = float(np.mean(scores))
    if max(scores) >= t.strong and min(scores) <= -t.strong:
        return mean, "mixed"
    if mean >= t.positive:
        return mean, "positive"
    if mean <= t.negative:
        return mean, "negative"
    return mean, "neutral"


def score_segments(segments: pd.DataFrame, lexicon: dict, t: Thresholds) -> pd.DataFrame:
    """Pure core: segment_id, compound, label (adapted lexicon) and the same with plain VADER."""
    adapted, plain = Scorer(lexicon), Scorer()
    rows = []
    for sid, text in zip(segments["segment_id"], segments["text"], strict=True):
        c, lab = label(adapted.sentence_scores(text), t)
        pc, plab = label(plain.sentence_scores(text), t)
        rows.append(
            {
                "segment_id": sid,
                "compound": round(c, 4),
                "label": lab,
                "compound_plain": round(pc, 4),
                "label_plain": plab,
            }
        )
    return pd.DataFrame(rows)


def bootstrap_ci(values: np.ndarray, seed: int, n: int = 2000) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean (nan with fewer than 2 values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n, len(values)), replace=True).mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def aggregate(scores: pd.DataFrame, by: list[str], seed: int) -> pd.DataFrame:
    """Mean compound with a bootstrap 95% interval and counts per label, for each group."""
    rows = []
    for i, (key, g) in enumerate(scores.groupby(by, sort=True)):
        key = key if isinstance(key, tuple) else (key,)
        low, high = bootstrap_ci(g["compound"].to_numpy(), seed + i)
        row = dict(zip(by, key, strict=True))
        row.update(
            {
                "segments": len(g),
                "mean_compound": round(g["compound"].mean(), 4),
                "ci_low": round(low, 4),
                "ci_high": round(high, 4),
            }
        )
        row.update({f"n_{lab}": int((g["label"] == lab).sum()) for lab in LABELS})
        rows.append(row)
    return pd.DataFrame(rows)


def validation(human: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Plain and adapted VADER against human sentiment labels (one per coded segment and code)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labelled = human[human["sentiment"].isin(LABELS)].merge(scores, on="segment_id")
    rows = []
    for name, column in (("plain VADER", "label_plain"), ("domain-adapted", "label")):
        y, p = labelled["sentiment"], labelled[column]
        row = {"lexicon": name, "n": len(labelled)}
        if len(labelled):
            row.update(
                {
                    "accuracy": round(accuracy_score(y, p), 4),
                    "macro_f1": round(f1_score(y, p, labels=LABELS, average="macro", zero_division=0), 4),
                }
            )
            matrix = confusion_matrix(y, p, labels=LABELS)
            row.update(
                {
                    f"human_{a}_machine_{b}": int(matrix[i, j])
                    for i, a in enumerate(LABELS)
                    for j, b in enumerate(LABELS)
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def load_lexicon(path) -> dict:
    return load_yaml(path, "lexicon", "the sentiment lexicon")


def run_score(segments_csv, lexicon_path, thresholds: Thresholds, out) -> pd.DataFrame:
    from pipeline.files import read_table, write_csv

    scores = score_segments(read_table(segments_csv), load_lexicon(lexicon_path), thresholds)
    write_csv(scores, out)
    log.info("%d segments scored: %s", len(scores), scores["label"].value_counts().to_dict())
    return scores


def run_summary(
    scores_csv,
    segments_csv,
    segment_codes_csv,
    human_path,
    codebook_path,
    roles: dict,
    seed: int,
    primary: str,
    out: dict,
):
    from pipeline.codebook import load_codebook
    from pipeline.files import read_table, write_csv

    scores = pd.read_csv(scores_csv)
    segments = read_table(segments_csv)[["segment_id", "participant_id", "role", "wave"]]
    segments["wave"] = segments["wave"].astype(int)
    data = scores.merge(segments, on="segment_id")
    write_csv(aggregate(data, ["role"], seed), out["by_role"])
    write_csv(aggregate(data, ["role", "wave"], seed), out["by_wave"])
    write_csv(aggregate(data, ["role", "participant_id"], seed), out["by_participant"])
    codes = pd.read_csv(segment_codes_csv, keep_default_na=False)
    final = codes[codes["final"].astype(str).str.lower() == "true"].drop_duplicates(["segment_id", "code_id"])
    by_code = aggregate(final[["segment_id", "code_id"]].merge(data, on="segment_id"), ["code_id", "role"], seed)
    codebook = load_codebook(codebook_path)
    order = {c: i for i, c in enumerate(codebook.ids)}
    by_code = by_code.sort_values(["code_id", "role"], key=lambda s: s.map(order) if s.name == "code_id" else s)
    by_code.insert(1, "label", by_code["code_id"].map({c.id: c.label for c in codebook.codes}))
    write_csv(by_code, out["by_code"])
    human = (
        pd.read_parquet(human_path)
        if human_path and Path(human_path).exists()
        else pd.DataFrame(columns=["segment_id", "sentiment", "coder"])
    )
    table = validation(human[human["coder"] == primary] if len(human) else human, scores)
    write_csv(table, out["validation"])
    from pipeline.figures import sentiment_by_code, sentiment_by_wave

    sentiment_by_code(by_code, roles, out["figure_by_code"])
    sentiment_by_wave(aggregate(data, ["role", "wave"], seed), roles, out["figure_by_wave"])
    return table
