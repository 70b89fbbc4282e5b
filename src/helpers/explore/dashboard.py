"""Interactive exploration: aggregates computed once per dataset, sliced and redrawn at once by widgets.

``load(ds)`` computes (and caches for the session) the member table, per-group
lifecycle layers, the group-week panel and hour x weekday counts with the studies' own
measures, on the notebook's dataset and engine; every view then filters these small
frames and draws them with the studies' own estimators (``stats.survival.retention_curve``,
``measures.group_week.weekly_activity``), so a control change redraws without touching the
event tables. ``dashboard(data)`` is the ipywidgets front end used in JupyterLab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.data import event_time
from helpers.data.engine import Dataset, open_dataset
from helpers.measures import members as member_measures
from helpers.measures.group_week import group_week_panel, weekly_activity
from helpers.stats.survival import retention_curve
from helpers.studies.retention import figures as plots
from helpers.studies.retention import measures as retention
from helpers.studies.size_activity import timing

VIEWS = ("retention", "layers", "activity", "hours")


ALL = "all"


@dataclass(frozen=True)
class ExploreData:
    """Everything the dashboard draws from, already aggregated."""

    groups: pd.DataFrame  # group attributes, peak members, size band
    members: pd.DataFrame  # member table (first stay, duration, left)
    layers: pd.DataFrame  # lifecycle layers per group and week
    panel: pd.DataFrame  # group-week panel
    hours: pd.DataFrame  # member messages per group, weekday, hour
    end: pd.Timestamp


_CACHE: dict[tuple[str, str], ExploreData] = {}
"""Aggregates per dataset version and engine, computed once for the session."""


def load(source: Dataset | str | Path, engine_url: str | None = None) -> ExploreData:
    """Aggregates for the dashboard, computed once per dataset version (again only if its files change).

    ``source`` is the notebook's ``Dataset`` (its engine is used, so ``engine_url`` is honoured)
    or a dataset folder, opened with ``engine_url``.
    """
    ds = source if isinstance(source, Dataset) else open_dataset(source, engine_url)
    key = (ds.fingerprint, str(ds.tables.messages.get_backend().name))
    if key not in _CACHE:
        end = event_time.data_end(ds.tables)
        _CACHE[key] = ExploreData(
            groups=member_measures.group_profile(ds.tables),
            members=member_measures.member_table(ds.tables, end),
            layers=retention.lifecycle_layers(ds.tables, end, by_group=True),
            panel=group_week_panel(ds.tables, end=end),
            hours=timing.hour_weekday_counts(ds.tables),
            end=end,
        )
        while len(_CACHE) > 4:
            _CACHE.pop(next(iter(_CACHE)))
    return _CACHE[key]


def matching(frame: pd.DataFrame, **chosen: str) -> pd.Series:
    """Rows whose columns hold the chosen values ('all' matches any)."""
    keep = pd.Series(True, index=frame.index)
    for column, value in chosen.items():
        if value != ALL:
            keep &= frame[column].astype(str) == value
    return keep


def choices(values: pd.Series) -> list[str]:
    """'all' and the values present, in category order for categories, else sorted."""
    values = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [ALL] + [str(c) for c in values.cat.categories if (values == c).any()]
    return [ALL] + sorted(values.astype(str).unique())


def selected_groups(data: ExploreData, segment: str = ALL, channel: str = ALL, size_band: str = ALL) -> np.ndarray:
    """Ids of the groups matching the chosen segment, channel and size band ('all' matches any)."""
    g = data.groups
    return g.loc[matching(g, segment=segment, channel=channel, size_band=size_band), "group_id"].to_numpy()


def options(data: ExploreData) -> dict[str, list[str]]:
    """The values each control offers."""
    return {column: choices(data.groups[column]) for column in ("segment", "channel", "size_band")}


def _in_range(weeks: pd.Series, start: pd.Timestamp | None, stop: pd.Timestamp | None) -> pd.Series:
    keep = pd.Series(True, index=weeks.index)
    if start is not None:
        keep &= weeks >= start
    if stop is not None:
        keep &= weeks < stop
    return keep


def draw(
    data: ExploreData,
    view: str,
    segment: str = ALL,
    channel: str = ALL,
    size_band: str = ALL,
    start: pd.Timestamp | None = None,
    stop: pd.Timestamp | None = None,
) -> plt.Figure:
    """One view of the selected groups: retention curve, lifecycle layers, weekly activity, or hour x weekday."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
    ids = selected_groups(data, segment, channel, size_band)
    label = f"{len(ids)} groups · segment {segment} · channel {channel} · size {size_band}"
    if view == "retention":
        members = data.members[data.members["group_id"].isin(ids)]
        members = members[_in_range(members["joined_at"], start, stop)]
        return _retention_figure(members, data.end, label)
    if view == "layers":
        part = data.layers[data.layers["group_id"].isin(ids)]
        part = part[_in_range(part["week"], start, stop)]
        weekly = part.drop(columns="group_id").groupby("week", as_index=False).sum()
        ax = plots.lifecycle_stacked(weekly, retention.LAYERS)
        ax.set_title(f"Lifecycle layers per week: {label}", fontsize=9)
        return ax.figure
    if view == "activity":
        part = data.panel[data.panel["group_id"].isin(ids)]
        part = part[_in_range(part["week"], start, stop)]
        return _activity_figure(part, label)
    part = data.hours[data.hours["group_id"].isin(ids)]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    sns.heatmap(100 * timing.heatmap_table(part), ax=ax, cmap="rocket_r", cbar_kws={"label": "% of messages"})
    ax.set(title=f"Member messages by local hour and weekday: {label}", xlabel="local hour", ylabel="")
    fig.tight_layout()
    return fig


def _retention_figure(members: pd.DataFrame, end: pd.Timestamp, label: str, max_days: int = 180) -> plt.Figure:
    """Share of members still in their group d days after joining (those who joined d+ days before the end)."""
    curve = retention_curve(members, end, np.arange(0, max_days + 1, 2))
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(curve["days"], curve["retention"], color="C0")
    ax.set(
        xlabel="days since joining",
        ylabel="share still a member",
        ylim=(0, 1.02),
        title=f"Membership retention ({len(members):,} members): {label}",
    )
    ax.title.set_fontsize(9)
    fig.tight_layout()
    return fig


def _activity_figure(part: pd.DataFrame, label: str) -> plt.Figure:
    """Messages per member-week and interaction rate by week, over the selected groups."""
    weekly = weekly_activity(part)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(weekly["week"], weekly["messages_per_member"], color="C0", label="messages per member")
    ax2 = ax.twinx()
    ax2.plot(weekly["week"], weekly["interaction_rate"], color="C1", label="interaction rate")
    ax.set(ylabel="messages per member-week", title=f"Weekly activity: {label}")
    ax.title.set_fontsize(9)
    ax2.set(ylabel="interaction rate", ylim=(0, 1))
    ax2.grid(False)
    fig.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def controls_panel(controls: dict, draw: Callable[..., plt.Figure], rows: list[list[str]]):
    """Widgets laid out in ``rows`` above an Output redrawn with ``draw(**values)`` whenever one changes."""
    import ipywidgets as widgets
    from IPython.display import display

    out = widgets.Output()

    def redraw(_=None) -> None:
        fig = draw(**{name: control.value for name, control in controls.items()})
        with out:
            out.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([controls[name] for name in row]) for row in rows] + [out])


def dashboard(data: ExploreData, view: str = "retention"):
    """Controls (view, segment, channel, size band, date range) above a plot redrawn on every change."""
    import ipywidgets as widgets

    choices = options(data)
    weeks = sorted(data.panel["week"].unique())
    controls = {
        "view": widgets.ToggleButtons(options=VIEWS, value=view, description="view"),
        "segment": widgets.Dropdown(options=choices["segment"], description="segment"),
        "channel": widgets.Dropdown(options=choices["channel"], description="channel"),
        "size_band": widgets.Dropdown(options=choices["size_band"], description="size band"),
        "dates": widgets.SelectionRangeSlider(
            options=[(w.strftime("%d %b %Y"), w) for w in weeks],
            index=(0, len(weeks) - 1),
            description="weeks",
            layout=widgets.Layout(width="90%"),
        ),
    }

    def draw_weeks(dates: tuple[pd.Timestamp, pd.Timestamp], **values) -> plt.Figure:
        return draw(data, start=dates[0], stop=dates[1] + pd.Timedelta(days=7), **values)

    return controls_panel(controls, draw_weeks, [["view"], ["segment", "channel", "size_band"], ["dates"]])
