"""Figures of the data overview: members and messages over time, groups by attribute."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from helpers.data.schema import MESSAGE_KINDS
from helpers.figures.axes import axes_for, finish, nothing_to_draw
from helpers.figures.theme import mark_partial, thousands_axis

Spans = list[tuple[pd.Timestamp, pd.Timestamp]]


def members_over_time(frame: pd.DataFrame, partial: Spans = ()) -> plt.Figure:
    """Members at each period's end (line) above joins and exits per period (bars); partial periods shaded."""
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
    thousands_axis(top)
    thousands_axis(bottom)
    mark_partial(top, list(partial))
    mark_partial(bottom, list(partial), label="")
    fig.tight_layout()
    return fig


def messages_over_time(
    frame: pd.DataFrame, by: str = "kind", partial: Spans = (), ax: plt.Axes | None = None
) -> plt.Axes:
    """Messages per period, stacked by ``by`` (e.g. message kind or channel); partial periods shaded."""
    wide = frame.pivot_table(index="period_start", columns=by, values="messages", aggfunc="sum", fill_value=0)
    if by == "kind":  # the contract's order, so colours mean the same kind in every report
        wide = wide[[k for k in MESSAGE_KINDS if k in wide.columns]]
    ax, made = axes_for(ax, (9, 4))
    if wide.empty:
        return nothing_to_draw(ax, made, f"Messages over time by {by}", "No messages in this dataset.")
    ax.stackplot(
        wide.index,
        wide.T.to_numpy(),
        labels=[str(c) for c in wide.columns],
        colors=sns.color_palette("tab10", len(wide.columns)),
    )
    ax.set(ylabel="messages", xlabel="period start (UTC)", title=f"Messages over time by {by}")
    mark_partial(ax, list(partial))
    thousands_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=by)
    return finish(ax, made)


def groups_heatmap(
    frame: pd.DataFrame, rows: str, columns: str, value: str = "groups", ax: plt.Axes | None = None
) -> plt.Axes:
    """Heatmap of ``value`` (e.g. groups) for each pair of two group attributes."""
    wide = frame.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum", fill_value=0)
    ax, made = axes_for(ax, (1.2 + 1.0 * len(wide.columns), 1.0 + 0.5 * len(wide.index)))
    sns.heatmap(wide, annot=True, fmt="g", cmap="Blues", cbar=False, ax=ax)
    ax.set(title=f"{value.capitalize()} by {rows} and {columns}", xlabel=columns, ylabel=rows)
    ax.tick_params(axis="x", labelrotation=30)
    return finish(ax, made)
