"""Learning curves for the benchmarks: how a cross-validated figure grows with the participants a model learns from.

Each fold of a participant-grouped cross-validation trains on a random subset of n of its training participants
(``draws`` subsets per n, seeded) and predicts its held-out participants as usual; the figure is computed over all
out-of-fold predictions. The last size is every training participant (the benchmark's own figure, one draw).
"""

from __future__ import annotations

import numpy as np


def learning_curve(splits, groups, fit_predict, score, name: str, seed: int, draws: int = 3) -> str:
    """A Markdown table of ``score`` by training participants per fold.

    ``splits``: (train, test) index arrays; ``groups``: each row's participant; ``fit_predict(keep, test)``
    trains on the rows ``keep`` and returns predictions for the rows ``test``; ``score(predictions)`` scores the
    out-of-fold predictions of every row."""
    groups = np.asarray(groups)
    most = min(len(set(groups[train])) for train, _ in splits)
    lines = [f"| training participants per fold | {name}, mean of draws | lowest | highest |", "|---|---|---|---|"]
    for n in [*range(4, most, 2), most]:
        figures = []
        for draw in range(draws if n < most else 1):
            rng = np.random.default_rng(seed + 1000 * n + draw)
            predicted = None
            for train, test in splits:
                chosen = rng.choice(sorted(set(groups[train])), size=n, replace=False)
                out = np.asarray(fit_predict(train[np.isin(groups[train], chosen)], test))
                if predicted is None:
                    predicted = np.empty((len(groups), *out.shape[1:]), dtype=out.dtype)
                predicted[test] = out
            figures.append(score(predicted))
        lines.append(f"| {n} | {np.mean(figures):.3f} | {min(figures):.3f} | {max(figures):.3f} |")
    return "\n".join(lines)
