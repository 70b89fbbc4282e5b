"""Survival figures shared by studies: Kaplan-Meier curves with numbers at risk."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from helpers.figures.axes import nothing_to_draw
from helpers.figures.theme import percent_axis
from helpers.fmt import label_words, words


def km_curves(curves: pd.DataFrame, at_risk: pd.DataFrame, by: str) -> plt.Figure:
    """Kaplan-Meier membership survival with 95% bands, and members at risk under the axis."""
    if curves.empty or at_risk.empty:
        fig, ax = plt.subplots(figsize=(9, 3))
        nothing_to_draw(ax, False, f"Membership survival by {words(by, capital=False)}", "No member stays to draw.")
        return fig
    fig, (ax, table_ax) = plt.subplots(2, 1, figsize=(9, 5.6), height_ratios=[4, 0.25 + 0.22 * len(at_risk)])
    for i, (level, part) in enumerate(curves.groupby("level", sort=False)):
        colour = f"C{i % 10}"
        ax.step(part["days"], part["survival"], where="post", color=colour, label=label_words(level))
        ax.fill_between(part["days"], part["ci_low"], part["ci_high"], step="post", color=colour, alpha=0.2)
    ax.set(
        xlabel="days since first join",
        ylabel="still a member",
        ylim=(0, 1.02),
        title=f"Membership survival by {words(by, capital=False)} (Kaplan–Meier, 95% bands)",
    )
    percent_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=words(by, capital=False))
    table_ax.axis("off")
    cells = [[f"{int(v):,}" for v in row] for row in at_risk.to_numpy()]
    table = table_ax.table(
        cellText=cells,
        rowLabels=[label_words(r) for r in at_risk.index],
        colLabels=[f"day {c}" for c in at_risk.columns],
        loc="center",
        cellLoc="right",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table_ax.set_title("members at risk", fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def incidence_figure(curves: pd.DataFrame, by: str) -> plt.Figure:
    """Cumulative incidence of each way out (one panel per way), one line per level of ``by``."""
    causes = list(dict.fromkeys(curves["cause"])) if not curves.empty else []
    if not causes:
        fig, ax = plt.subplots(figsize=(9, 3))
        nothing_to_draw(ax, False, "Ways out of the group", "No member left, so there is no way out to draw.")
        return fig
    fig, axes = plt.subplots(1, len(causes), figsize=(9, 3.8), sharey=True, squeeze=False)
    top = float(curves["incidence"].max())
    for ax, cause in zip(axes[0], causes, strict=True):
        for i, (level, part) in enumerate(curves[curves["cause"] == cause].groupby("level", sort=False)):
            ax.step(part["days"], part["incidence"], where="post", color=f"C{i % 10}", label=label_words(level))
        ax.set(xlabel="days since first join", title=f"left by: {cause}", ylim=(0, min(1.0, top * 1.1 + 0.01)))
        percent_axis(ax)
    axes[0][0].set_ylabel("cumulative incidence")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=words(by, capital=False))
    fig.suptitle(f"Ways out by {words(by, capital=False)} (Aalen–Johansen cumulative incidence)", fontsize=10)
    fig.tight_layout()
    return fig
