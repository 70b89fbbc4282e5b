"""Figures of the retention study: cohort triangle, curves by level, estimates by level, lifecycle layers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.figures.axes import axes_for, finish, nothing_to_draw

sns.set_theme(style="whitegrid", context="notebook")


def retention_heatmap(rates: pd.DataFrame, cohort_sizes: pd.Series, title: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Cohort retention triangle as a heatmap (percent), cohort sizes in the row labels; blank = too young."""
    if rates.empty:
        ax, made = axes_for(ax, (8, 1.6))
        ax.axis("off")
        ax.text(
            0.5, 0.5, f"{title}: no cohort is large enough to show (lower min_cohort_size)", ha="center", va="center"
        )
        return finish(ax, made)
    labels = [f"{pd.Timestamp(c):%Y-%m-%d}  (n={int(n):,})" for c, n in zip(rates.index, cohort_sizes.loc[rates.index])]
    ax, made = axes_for(ax, (1.6 + 0.62 * len(rates.columns), 1.2 + 0.26 * len(rates.index)))
    sns.heatmap(
        rates * 100,
        annot=len(rates.index) <= 60,
        fmt=".0f",
        cmap="viridis",
        vmin=0,
        vmax=100,
        cbar_kws={"label": "% of cohort"},
        ax=ax,
        annot_kws={"fontsize": 7},
    )
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels, fontsize=7)
    ax.set(title=title, xlabel=rates.columns.name or "periods since join", ylabel="join cohort (members)")
    return finish(ax, made)


def retention_curves(frame: pd.DataFrame, level: str, period: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Pooled retention by periods since join, one line per ``level`` value (e.g. segment)."""
    ax, made = axes_for(ax, (8, 4.2))
    if frame["retention"].dropna().empty:
        return nothing_to_draw(ax, made, f"Retention by {level}", "No join cohort is old enough to show retention.")
    sns.lineplot(data=frame.reset_index(drop=True), x="k", y="retention", hue=level, marker="o", ax=ax)
    ax.set(
        xlabel=f"{period}s since join",
        ylabel="share of members retained",
        ylim=(0, 1.02),
        title=f"Retention by {level}",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=level)
    return finish(ax, made)


def lifecycle_stacked(frame: pd.DataFrame, layers: tuple[str, ...], ax: plt.Axes | None = None) -> plt.Axes:
    """Members per week in each lifecycle layer, stacked (churned drawn below zero)."""
    ax, made = axes_for(ax, (9, 4.2))
    if frame.empty:
        return nothing_to_draw(ax, made, "Lifecycle layers", "No member stays to sort into layers.")
    above = [layer for layer in layers if layer != "churned"]
    colours = {"new": "C2", "active": "C0", "resurrected": "C4", "silent": "C7", "churned": "C3"}
    ax.stackplot(frame["week"], frame[above].T.to_numpy(), labels=above, colors=[colours[c] for c in above])
    if "churned" in layers:
        ax.bar(frame["week"], -frame["churned"], width=5, color=colours["churned"], label="churned (below 0)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel="week (UTC, Monday start)", ylabel="members", title="Lifecycle layers per week")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return finish(ax, made)


def estimates_by_level(
    frame: pd.DataFrame, value: str, title: str, xlabel: str, ax: plt.Axes | None = None
) -> plt.Axes:
    """Point estimates with CI bars (``ci_low``/``ci_high``), one panel row per ``dimension``."""
    frame = frame.reset_index(drop=True)
    ax, made = axes_for(ax, (8, 0.6 + 0.28 * len(frame)))
    y = np.arange(len(frame))[::-1]
    colours = {d: f"C{i % 10}" for i, d in enumerate(frame["dimension"].unique())}
    for yy, row in zip(y, frame.itertuples()):
        ax.errorbar(
            getattr(row, value),
            yy,
            xerr=[[getattr(row, value) - row.ci_low], [row.ci_high - getattr(row, value)]],
            fmt="o",
            color=colours[row.dimension],
            capsize=3,
        )
    ax.set_yticks(y, [f"{r.dimension}: {r.level}" for r in frame.itertuples()], fontsize=8)
    ax.set(xlabel=xlabel, title=title)
    return finish(ax, made)
