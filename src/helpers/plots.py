"""Figures: tidy aggregates in, a matplotlib Figure out (no computation beyond layout)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.schema import MESSAGE_KINDS

sns.set_theme(style="whitegrid", context="notebook")


def members_over_time(frame: pd.DataFrame) -> plt.Figure:
    """Members at each period's end (line) above joins and exits per period (bars)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, height_ratios=[2, 1])
    sns.lineplot(data=frame, x="period_start", y="members_at_end", ax=top, color="C0")
    top.set(ylabel="members", xlabel="", title="Members over time (all groups)")
    step = frame["period_start"].diff().median()  # NaT when all joins and exits fall in one period
    width = (pd.Timedelta(days=7) if pd.isna(step) else step) * 0.4
    bottom.bar(frame["period_start"] - width / 2, frame["joins"], width=width, label="joins", color="C2")
    bottom.bar(frame["period_start"] + width / 2, -frame["exits"], width=width, label="exits", color="C3")
    bottom.axhline(0, color="grey", lw=0.8)
    bottom.set(ylabel="joins / −exits", xlabel="period start (UTC)")
    bottom.legend(loc="upper right", frameon=False)
    fig.tight_layout()
    return fig


def messages_over_time(frame: pd.DataFrame, by: str = "kind") -> plt.Figure:
    """Messages per period, stacked by ``by`` (e.g. message kind or channel)."""
    wide = frame.pivot_table(index="period_start", columns=by, values="messages", aggfunc="sum", fill_value=0)
    if by == "kind":  # the contract's order, so colours mean the same kind in every report
        wide = wide[[k for k in MESSAGE_KINDS if k in wide.columns]]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.stackplot(wide.index, wide.T.to_numpy(), labels=[str(c) for c in wide.columns],
                 colors=sns.color_palette("tab10", len(wide.columns)))
    ax.set(ylabel="messages", xlabel="period start (UTC)", title=f"Messages over time by {by}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=by)
    fig.tight_layout()
    return fig


def groups_heatmap(frame: pd.DataFrame, rows: str, columns: str, value: str = "groups") -> plt.Figure:
    """Heatmap of ``value`` (e.g. groups) for each pair of two group attributes."""
    wide = frame.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum", fill_value=0)
    fig, ax = plt.subplots(figsize=(1.2 + 1.0 * len(wide.columns), 1.0 + 0.5 * len(wide.index)))
    sns.heatmap(wide, annot=True, fmt="g", cmap="Blues", cbar=False, ax=ax)
    ax.set(title=f"{value.capitalize()} by {rows} and {columns}", xlabel=columns, ylabel=rows)
    ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    return fig


def retention_heatmap(rates: pd.DataFrame, cohort_sizes: pd.Series, title: str) -> plt.Figure:
    """Cohort retention triangle as a heatmap (percent), cohort sizes in the row labels; blank = too young."""
    if rates.empty:
        fig, ax = plt.subplots(figsize=(8, 1.6))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{title}: no cohort is large enough to show (lower min_cohort_size)", ha="center",
                va="center")
        return fig
    labels = [f"{pd.Timestamp(c):%Y-%m-%d}  (n={int(n):,})" for c, n in zip(rates.index, cohort_sizes.loc[rates.index])]
    fig, ax = plt.subplots(figsize=(1.6 + 0.62 * len(rates.columns), 1.2 + 0.26 * len(rates.index)))
    sns.heatmap(rates * 100, annot=len(rates.index) <= 60, fmt=".0f", cmap="viridis", vmin=0, vmax=100,
                cbar_kws={"label": "% of cohort"}, ax=ax, annot_kws={"fontsize": 7})
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels, fontsize=7)
    ax.set(title=title, xlabel=rates.columns.name or "periods since join", ylabel="join cohort (members)")
    fig.tight_layout()
    return fig


def retention_curves(frame: pd.DataFrame, level: str, period: str) -> plt.Figure:
    """Pooled retention by periods since join, one line per ``level`` value (e.g. segment)."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    sns.lineplot(data=frame, x="k", y="retention", hue=level, marker="o", ax=ax)
    ax.set(xlabel=f"{period}s since join", ylabel="share of members retained", ylim=(0, 1.02),
           title=f"Retention by {level}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=level)
    fig.tight_layout()
    return fig


def km_curves(curves: pd.DataFrame, at_risk: pd.DataFrame, by: str) -> plt.Figure:
    """Kaplan-Meier membership survival with 95% bands, and members at risk under the axis."""
    fig, (ax, table_ax) = plt.subplots(2, 1, figsize=(9, 5.6), height_ratios=[4, 0.25 + 0.22 * len(at_risk)])
    for i, (level, part) in enumerate(curves.groupby("level", sort=False)):
        colour = f"C{i % 10}"
        ax.step(part["days"], part["survival"], where="post", color=colour, label=level)
        ax.fill_between(part["days"], part["ci_low"], part["ci_high"], step="post", color=colour, alpha=0.2)
    ax.set(xlabel="days since first join", ylabel="share still a member", ylim=(0, 1.02),
           title=f"Membership survival by {by} (Kaplan-Meier, 95% bands)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=by)
    table_ax.axis("off")
    cells = [[f"{int(v):,}" for v in row] for row in at_risk.to_numpy()]
    table = table_ax.table(cellText=cells, rowLabels=list(at_risk.index),
                           colLabels=[f"day {c}" for c in at_risk.columns], loc="center", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table_ax.set_title("members at risk", fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def lifecycle_stacked(frame: pd.DataFrame, layers: tuple[str, ...]) -> plt.Figure:
    """Members per week in each lifecycle layer, stacked (churned drawn below zero)."""
    fig, ax = plt.subplots(figsize=(9, 4.2))
    above = [layer for layer in layers if layer != "churned"]
    colours = {"new": "C2", "active": "C0", "resurrected": "C4", "silent": "C7", "churned": "C3"}
    ax.stackplot(frame["week"], frame[above].T.to_numpy(), labels=above, colors=[colours[c] for c in above])
    if "churned" in layers:
        ax.bar(frame["week"], -frame["churned"], width=5, color=colours["churned"], label="churned (below 0)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel="week (UTC, Monday start)", ylabel="members", title="Lifecycle layers per week")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def estimates_by_level(frame: pd.DataFrame, value: str, title: str, xlabel: str) -> plt.Figure:
    """Point estimates with CI bars (``ci_low``/``ci_high``), one panel row per ``dimension``."""
    frame = frame.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.28 * len(frame)))
    y = np.arange(len(frame))[::-1]
    colours = {d: f"C{i % 10}" for i, d in enumerate(frame["dimension"].unique())}
    for (yy, row) in zip(y, frame.itertuples()):
        ax.errorbar(getattr(row, value), yy, xerr=[[getattr(row, value) - row.ci_low], [row.ci_high - getattr(row, value)]],
                    fmt="o", color=colours[row.dimension], capsize=3)
    ax.set_yticks(y, [f"{r.dimension}: {r.level}" for r in frame.itertuples()], fontsize=8)
    ax.set(xlabel=xlabel, title=title)
    fig.tight_layout()
    return fig
