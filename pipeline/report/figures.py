"""The findings' figures: prevalence by role, participant x code and co-occurrence heatmaps, saturation, waves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.plots import ROLE_COLOURS, _pyplot, _runs, _wrap

# ---------------------------------------------------------------- findings figures (pipeline/report.py draws them)

KIND_TITLES = {"strength": "Strengths", "challenge": "Challenges", "context": "Context", "outcome": "Outcomes"}


HEAT_CMAP = "Blues"  # single-hue sequential: readable in grey and by colour-blind readers


def kind_title(kind: str) -> str:
    """'strength' -> 'Strengths'; a theme mixing kinds ('challenge/strength') -> 'Challenges / Strengths'."""
    return " / ".join(KIND_TITLES.get(k, k.capitalize()) for k in str(kind).split("/"))


def _kind_order(kind: str) -> int:
    first = str(kind).split("/")[0]
    return list(KIND_TITLES).index(first) if first in KIND_TITLES else len(KIND_TITLES)


def prevalence_by_role(by_role: pd.DataFrame, roles: dict):
    """The headline figure: for each theme and code, the share of each role's participants who raised it (n/N).

    ``by_role`` is tables/code_prevalence_by_role.csv (final codes). One panel per kind of theme, strengths and
    challenges side by side first; within a panel each theme's 'any code' bar comes before its codes.
    """
    plt = _pyplot()
    themes = by_role[by_role["level"] == "theme"].drop_duplicates("id")
    kinds = sorted(dict.fromkeys(themes["kind"]), key=_kind_order)
    panels = []
    for kind in kinds:
        rows = []
        for theme in themes[themes["kind"] == kind].itertuples(index=False):
            rows.append(
                (f"{theme.label}: any code", True, by_role[(by_role["level"] == "theme") & (by_role["id"] == theme.id)])
            )
            codes = by_role[(by_role["level"] == "code") & (by_role["theme"] == theme.id)]
            for code_id in dict.fromkeys(codes["id"]):
                sub = codes[codes["id"] == code_id]
                rows.append((sub["label"].iloc[0], False, sub))
        panels.append((kind, rows))
    # two columns (one if a single panel); panels of a row start level and keep one height per bar row
    ncols = 2 if len(panels) > 1 else 1
    # grid units: two per bar row, one above a panel for its title, three below for its axis
    tops, top = [], 0
    for start in range(0, len(panels), ncols):
        pair = panels[start : start + ncols]
        tops += [top + 1] * len(pair)
        top += 2 * max(len(rows) for _, rows in pair) + 4
    unit = 0.1 + 0.07 * len(roles)  # inches per grid unit
    height = unit * top
    fig = plt.figure(figsize=(10 if ncols == 2 else 5.2, height))
    grid = fig.add_gridspec(top, ncols, hspace=0, wspace=1.05, top=1, bottom=0)
    axes = [fig.add_subplot(grid[tops[i] : tops[i] + 2 * len(rows), i % ncols]) for i, (_, rows) in enumerate(panels)]
    bar = 0.8 / len(roles)
    for ax, (kind, rows) in zip(axes, panels, strict=True):
        y = np.arange(len(rows))[::-1].astype(float)
        for i, role in enumerate(roles):
            offset = (len(roles) - 1) / 2 * bar - i * bar
            for yi, (_, is_theme, sub) in zip(y, rows, strict=True):
                hit = sub[sub["role"] == role]
                if hit.empty:
                    continue
                n, total, pct = int(hit["final_n"].iloc[0]), int(hit["N"].iloc[0]), float(hit["final_pct"].iloc[0])
                colour = ROLE_COLOURS[i % len(ROLE_COLOURS)]
                ax.barh(yi + offset, pct, height=bar * 0.92, color=colour, alpha=1.0 if is_theme else 0.85)
                ax.text(pct + 1.5, yi + offset, f"{n}/{total}", va="center", fontsize=6.5, color="#333333")
        for yi, (_, is_theme, _) in zip(y, rows, strict=True):
            if is_theme:
                ax.axhspan(yi - 0.5, yi + 0.5, color="#F2F2F2", zorder=0, linewidth=0)
        ax.set_yticks(y, [_wrap(label, 36) for label, _, _ in rows])
        for tick, (_, is_theme, _) in zip(ax.get_yticklabels(), rows, strict=True):
            tick.set_fontweight("bold" if is_theme else "normal")
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 25, 50, 75, 100], ["0", "25%", "50%", "75%", "100%"])
        ax.tick_params(axis="y", length=0)
        ax.set_title(kind_title(kind), fontsize=10, loc="left", fontweight="bold")
        ax.set_xlabel("Participants who raised it (% of the group)", fontsize=8)
    N = by_role.drop_duplicates("role").set_index("role")["N"]
    handles = [plt.Rectangle((0, 0), 1, 1, color=ROLE_COLOURS[i % len(ROLE_COLOURS)]) for i in range(len(roles))]
    names = [f"{label} (N = {int(N.get(role, 0))})" for role, label in roles.items()]
    fig.legend(handles, names, loc="lower center", ncol=len(roles), frameon=False, bbox_to_anchor=(0.5, 1.0))
    fig.suptitle("Themes and codes raised by each group of participants", fontsize=11, y=1.0 + 0.4 / height)
    return fig


def _annotate_cells(ax, data: np.ndarray, vmax: float) -> None:
    """Counts printed in the cells (blank for 0), white on dark cells."""
    for (r, c), value in np.ndenumerate(data):
        if value > 0:
            colour = "white" if value > 0.55 * vmax else "#222222"
            ax.text(c, r, f"{int(value)}", ha="center", va="center", fontsize=6, color=colour)


LABELLED_COLUMNS = 60


def participant_code_heatmap(matrix: pd.DataFrame, codes: pd.DataFrame, roles: dict):
    """Segments with each final code, by participant and wave (tables/participant_code_matrix.csv).

    ``codes`` lists the codebook's codes in order (code_id, label, theme_label). Columns are grouped by role,
    rows by theme.
    """
    plt = _pyplot()
    order = {role: i for i, role in enumerate(roles)}
    people = matrix.assign(_role=matrix["role"].map(order), _row=range(len(matrix)))
    people = people.sort_values(["_role", "wave", "_row"], kind="stable")
    code_ids = [c for c in codes["code_id"] if c in matrix.columns]
    data = people[code_ids].to_numpy(dtype=float).T
    several_waves = people["wave"].nunique() > 1
    columns = [
        f"{p} w{w}" if several_waves else str(p) for p, w in zip(people["participant_id"], people["wave"], strict=True)
    ]
    # one labelled, numbered column per interview up to LABELLED_COLUMNS; beyond, a fixed width (a figure 0.3 in
    # per column would pass matplotlib's 65,536-pixel limit at about 700 interviews), unlabelled thin columns
    labelled = len(columns) <= LABELLED_COLUMNS
    width = 0.3 * len(columns) if labelled else 0.3 * LABELLED_COLUMNS
    fig, ax = plt.subplots(figsize=(width, 1.3 + 0.26 * len(code_ids)))
    fig.subplots_adjust(left=0, right=1)
    vmax = max(float(data.max()), 1.0)
    image = ax.imshow(np.ma.masked_equal(data, 0), cmap=HEAT_CMAP, vmin=0, vmax=vmax, aspect="auto")
    labels = codes.set_index("code_id")
    ax.set_yticks(range(len(code_ids)), [labels.at[c, "label"] for c in code_ids])
    if labelled:
        _annotate_cells(ax, data, vmax)
        ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(columns):,} interviews, one column each (tables/participant_code_matrix.csv)", fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # themes: a rule between them and the theme's name on the right
    themes = [labels.at[c, "theme_label"] for c in code_ids]
    for start, end, theme in _runs(themes):
        if end < len(themes):
            ax.axhline(end - 0.5, color="#555555", linewidth=0.8)
        ax.text(
            len(columns) - 0.3,
            (start + end - 1) / 2,
            _wrap(theme, 18),
            va="center",
            fontsize=7,
            color="#555555",
            style="italic",
        )
    # roles: a rule between them and the role's name on top
    role_of = list(people["role"])
    for start, end, role in _runs(role_of):
        if end < len(role_of):
            ax.axvline(end - 0.5, color="#555555", linewidth=0.8)
        ax.text(
            (start + end - 1) / 2,
            -0.8,
            roles.get(role, role),
            ha="center",
            va="bottom",
            fontsize=9,
            fontweight="bold",
        )
    # the colour bar right of the theme names (about 1.3 inches)
    bar_axes = ax.inset_axes([1 + 1.3 / width, 0.2, 0.15 / width, 0.6])
    colourbar = fig.colorbar(image, cax=bar_axes)
    colourbar.set_label("Segments with the code", fontsize=8)
    colourbar.ax.tick_params(labelsize=7)
    ax.set_title("Segments coded, by participant and interview", fontsize=10, pad=22)
    return fig


def cooccurrence_heatmap(cooccurrence: pd.DataFrame, codes: pd.DataFrame):
    """Segments carrying both codes (tables/code_cooccurrence.csv), lower triangle; the diagonal goes in the labels."""
    plt = _pyplot()
    table = cooccurrence.set_index("code_id")
    code_ids = [c for c in codes["code_id"] if c in table.index]
    m = table.loc[code_ids, code_ids].to_numpy(dtype=float)
    labels = codes.set_index("code_id")["label"]
    rows, cols = code_ids[1:], code_ids[:-1]
    data = m[1:, :-1].copy()
    data[np.triu_indices_from(data, k=1)] = 0
    mask = np.triu(np.ones_like(data, dtype=bool), k=1)
    size = 1.6 + 0.3 * len(cols)
    fig, ax = plt.subplots(figsize=(size + 1.8, size))
    vmax = max(float(data.max()), 1.0)
    # matplotlib loads slowly (and sets its backend): only where a figure is drawn
    from matplotlib.colors import ListedColormap

    # the lower triangle on a light grey ground (pairs never coded together), the upper left blank
    ax.imshow(np.ma.masked_array(np.ones_like(data), mask), cmap=ListedColormap(["#F3F3F3"]), vmin=0, vmax=1)
    shown = np.ma.masked_array(data, mask | (data == 0))
    image = ax.imshow(shown, cmap=HEAT_CMAP, vmin=0, vmax=vmax)
    _annotate_cells(ax, np.where(mask, 0, data), vmax)
    diagonal = dict(zip(code_ids, np.diag(m).astype(int), strict=True))
    ax.set_yticks(range(len(rows)), [f"{labels[c]} ({diagonal[c]})" for c in rows])
    ax.set_xticks(
        range(len(cols)),
        [f"{labels[c]} ({diagonal[c]})" for c in cols],
        rotation=50,
        ha="right",
        rotation_mode="anchor",
    )
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    colourbar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    colourbar.set_label("Segments with both codes", fontsize=8)
    colourbar.ax.tick_params(labelsize=7)
    ax.set_title("Codes applied to the same segment\n(in brackets: segments with the code)", fontsize=10)
    return fig


# the saturation figure labels every interview on its axis, and marks each, up to this many per group
LABELLED_INTERVIEWS = 40


def saturation_curves(saturation: pd.DataFrame, roles: dict, n_codes: int):
    """Cumulative distinct codes by interview, one line per role (tables/saturation.csv)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    longest = 1
    for i, (role, role_label) in enumerate(roles.items()):
        sub = saturation[saturation["role"] == role]
        if sub.empty:
            continue
        x, y = sub["interview_number"].astype(int).to_numpy(), sub["cumulative_codes"].astype(int).to_numpy()
        longest = max(longest, int(x.max()))
        colour = ROLE_COLOURS[i % len(ROLE_COLOURS)]
        reached = int(x[np.argmax(y)])
        label = f"{role_label}: {int(y.max())} codes by interview {reached}"
        marker = "o" if len(x) <= LABELLED_INTERVIEWS else None  # beyond, the markers would merge into a bar
        ax.plot(x, y, marker=marker, drawstyle="steps-post", color=colour, markersize=4, linewidth=1.6, label=label)
    ax.axhline(n_codes, color="#999999", linestyle="--", linewidth=0.8)
    ax.text(0.6, n_codes + 0.15, f"all {n_codes} codes of the codebook", va="bottom", fontsize=7, color="#666666")
    ax.set_xlim(0.5, longest + 0.5)
    ax.set_ylim(0, n_codes * 1.12)
    if longest <= LABELLED_INTERVIEWS:
        ax.set_xticks(range(1, longest + 1))
    else:  # one label per interview would overlap into a black bar: matplotlib picks a few round numbers
        # matplotlib loads slowly (and sets its backend): only where a figure is drawn
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("Interviews of the group, in manifest order")
    ax.set_ylabel("Distinct codes found so far")
    ax.set_title("Saturation: new codes as interviews are added", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def wave_comparison(comparison: pd.DataFrame, codes: pd.DataFrame, roles: dict):
    """Prevalence of each code in the first and last wave, per role, with the change in percentage points.

    ``comparison`` is tables/wave_comparison.csv (pipeline.report.wave_comparison).
    """
    plt = _pyplot()
    code_ids = list(codes["code_id"])
    labels = codes.set_index("code_id")["label"]
    height = 0.26 * len(code_ids) + 1.85  # inches: the rows, 0.95 above (titles) and 0.9 below (axis, legend)
    fig, axes = plt.subplots(1, len(roles), figsize=(3.3 * len(roles) + 1.8, height), sharey=True, squeeze=False)
    fig.subplots_adjust(wspace=0.35, top=1 - 0.95 / height, bottom=0.9 / height)
    y = np.arange(len(code_ids))[::-1]
    for i, (ax, (role, role_label)) in enumerate(zip(axes[0], roles.items(), strict=True)):
        colour = ROLE_COLOURS[i % len(ROLE_COLOURS)]
        sub = comparison[comparison["role"] == role]
        ax.set_yticks(y, [labels[c] for c in code_ids])
        ax.set_ylim(-0.6, len(code_ids) - 0.4)
        ax.set_xlim(-3, 103)
        ax.set_xticks([0, 25, 50, 75, 100], ["0", "25%", "50%", "75%", "100%"])
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", color="#EEEEEE", linewidth=0.5)
        ax.set_xlabel("Participants who raised it")
        if sub.empty:
            ax.set_title(f"{role_label}\n(interviewed in one wave only)", fontsize=9)
            continue
        sub = sub[sub["to_wave"] == sub["to_wave"].max()].set_index("code_id").reindex(code_ids)
        ax.hlines(y, sub["from_pct"], sub["to_pct"], color=colour, linewidth=1.2, alpha=0.7)
        ax.plot(sub["from_pct"], y, "o", markerfacecolor="white", markeredgecolor=colour, markersize=5)
        ax.plot(sub["to_pct"], y, "o", color=colour, markersize=5)
        for yi, change in zip(y, sub["change_pp"], strict=True):
            if pd.notna(change):
                text = "0" if round(change) == 0 else f"{change:+.0f}"
                ax.text(1.02, yi, text, transform=ax.get_yaxis_transform(), va="center", fontsize=7, color="#333333")
        ax.text(1.02, 1.0, "pp", transform=ax.transAxes, va="bottom", fontsize=7, color="#666666")
        row = sub.dropna(subset=["from_N"]).iloc[0]
        ax.set_title(
            f"{role_label}\nwave {int(row['from_wave'])} (N = {int(row['from_N'])}) \u2192 "
            f"wave {int(row['to_wave'])} (N = {int(row['to_N'])})",
            fontsize=9,
        )
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#333333"),
        plt.Line2D([], [], marker="o", linestyle="", color="#333333"),
    ]
    fig.legend(handles, ["earlier wave", "later wave"], loc="lower center", ncol=2, frameon=False)
    fig.suptitle(
        "Change between interview waves (change in percentage points on the right)", fontsize=10, y=1 - 0.15 / height
    )
    return fig
