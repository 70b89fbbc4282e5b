"""Figures of the retention study: cohort triangle, curves by level, estimates by level, lifecycle layers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from helpers.figures.axes import axes_for, finish, nothing_to_draw
from helpers.figures.theme import percent_axis
from helpers.fmt import label_words, words


def retention_heatmap(
    rates: pd.DataFrame,
    cohort_sizes: pd.Series,
    title: str,
    ax: plt.Axes | None = None,
    monthly: bool = False,
    data_start: pd.Timestamp | None = None,
    value_label: str = "% of cohort retained",
) -> plt.Axes:
    """Cohort retention triangle as a heatmap (percent, colours spanning the data's range), sizes in the row labels.

    ``monthly``: rows are months (weekly cohorts pooled); ``data_start``: a cohort that begins before
    it is labelled partial. Blank cells: the cohort is too young for the period.
    """
    if rates.empty:
        ax, made = axes_for(ax, (8, 1.6))
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            f"{title}: no cohort is large enough to show (lower the smallest cohort shown)",
            ha="center",
            va="center",
        )
        return finish(ax, made)
    start = None if data_start is None else pd.Timestamp(data_start).tz_localize(None).floor("D")

    def label(cohort: object, n: int) -> str:
        """A row's label: the cohort's period, its size, and whether the data covers all of it."""
        c = pd.Timestamp(cohort).tz_localize(None)
        name = f"{c:%b %Y}" if monthly else f"{c:%d %b %Y}"
        return f"{name}  (n={int(n):,})" + ("  partial" if start is not None and c < start else "")

    labels = [label(c, n) for c, n in zip(rates.index, cohort_sizes.loc[rates.index])]
    shown = rates * 100
    later = shown.iloc[:, 1:] if shown.shape[1] > 1 else shown
    low = float(np.nanmin(later.to_numpy())) if later.notna().any().any() else 0.0
    vmin = max(0.0, 10 * np.floor(low / 10))  # the colours span the values there are, not 0-100
    ax, made = axes_for(ax, (1.9 + 0.55 * len(rates.columns), 1.3 + 0.32 * len(rates.index)))
    sns.heatmap(
        shown,
        annot=len(rates.index) <= 30,
        fmt=".0f",
        cmap="viridis",
        vmin=vmin,
        vmax=100,
        cbar_kws={"label": value_label},
        ax=ax,
        annot_kws={"fontsize": 9},
    )
    ax.grid(False)
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels, fontsize=9, rotation=0)
    ax.set(
        title=title,
        xlabel=rates.columns.name or "periods since join",
        ylabel="month of joining" if monthly else "join cohort",
    )
    return finish(ax, made)


def retention_curves(
    frame: pd.DataFrame, level: str, period: str, overall: pd.DataFrame | None = None, columns: int = 4
) -> plt.Figure:
    """Pooled retention by periods since join as small multiples: one panel per ``level`` value, all levels in grey."""
    curves = frame.dropna(subset=["retention"])
    if curves.empty:
        fig, ax = plt.subplots(figsize=(8, 2.5))
        nothing_to_draw(
            ax, False, f"Retention by {words(level, capital=False)}", "No join cohort is old enough to show retention."
        )
        return fig
    levels = list(dict.fromkeys(curves[level]))
    columns = min(columns, len(levels))
    rows = -(-len(levels) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(2.6 * columns + 0.6, 2.3 * rows + 0.7), sharex=True, sharey=True, squeeze=False
    )
    low = max(0.0, float(np.floor(curves["retention"].min() * 10) / 10) - 0.05)
    for i, (ax, name) in enumerate(zip(axes.flat, levels)):
        for other in levels:  # every level faintly, so each panel reads against the rest
            part = curves[curves[level] == other]
            ax.plot(part["k"], part["retention"], color="0.82", lw=1, zorder=1)
        if overall is not None and len(overall):
            ax.plot(
                overall["k"],
                overall["retention"],
                color="0.3",
                lw=1,
                ls="--",
                zorder=2,
                label="all members" if i == 0 else None,
            )
        part = curves[curves[level] == name]
        ax.plot(part["k"], part["retention"], color=f"C{i % 10}", lw=2.2, marker="o", ms=3, zorder=3)
        ax.set_title(label_words(name), fontsize=10)
        ax.set_ylim(low, 1.0)
        percent_axis(ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(levels) :]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel(f"{period}s since join")
    for ax in axes[:, 0]:
        ax.set_ylabel("retained")
    fig.suptitle(f"Retention by {words(level, capital=False)}", x=0.01, ha="left", fontweight="bold")
    if overall is not None and len(overall):
        fig.legend(loc="upper right", frameon=False)
    fig.tight_layout()
    return fig


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
    frame: pd.DataFrame, value: str, title: str, xlabel: str, ax: plt.Axes | None = None, percent: bool = True
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
    labels = [f"{words(r.dimension, capital=False)}: {label_words(r.level)}" for r in frame.itertuples()]
    ax.set_yticks(y, labels, fontsize=9)
    ax.set(xlabel=xlabel, title=title)
    if percent:
        percent_axis(ax, "x")
    return finish(ax, made)
