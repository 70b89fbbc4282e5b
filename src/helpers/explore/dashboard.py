"""Interactive exploration: aggregates computed once per dataset, sliced and redrawn at once by widgets.

``load(data_dir)`` computes (and caches for the session) the member table, per-group
lifecycle layers, the group-week panel and hour x weekday counts; every view then
filters these small frames in pandas, so a control change redraws without touching the
event tables. ``dashboard(data)`` is the ipywidgets front end used in JupyterLab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.data import event_time
from helpers.data.engine import dataset_fingerprint, open_dataset
from helpers.measures import members as member_measures
from helpers.measures.group_week import group_week_panel
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


@lru_cache(maxsize=4)
def _load(data_dir: str, fingerprint: str) -> ExploreData:
    """The aggregates of one dataset version (cached by its fingerprint)."""
    ds = open_dataset(data_dir)
    end = event_time.data_end(ds.tables)
    return ExploreData(
        groups=member_measures.group_profile(ds.tables),
        members=member_measures.member_table(ds.tables, end),
        layers=retention.lifecycle_layers(ds.tables, end, by_group=True),
        panel=group_week_panel(ds.tables, end=end),
        hours=timing.hour_weekday_counts(ds.tables),
        end=end,
    )


def load(data_dir: str | Path) -> ExploreData:
    """Aggregates for the dashboard, computed once per dataset (and again only if its files change)."""
    return _load(str(Path(data_dir).resolve()), dataset_fingerprint(data_dir))


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
        fig = plots.lifecycle_stacked(weekly, retention.LAYERS)
        fig.axes[0].set_title(f"Lifecycle layers per week: {label}", fontsize=9)
        return fig
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
    days = np.arange(0, max_days + 1, 2)
    room = (end - members["joined_at"]).dt.total_seconds().to_numpy() / 86_400
    duration = members["duration_days"].to_numpy()
    share = [np.mean(duration[room >= d] >= d) if (room >= d).any() else np.nan for d in days]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(days, share, color="C0")
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
    weekly = part.groupby("week")[["member_messages", "speakers", "members_in_week"]].sum()
    fig, ax = plt.subplots(figsize=(10, 3.6))
    members = weekly["members_in_week"].where(weekly["members_in_week"] > 0)
    ax.plot(weekly.index, weekly["member_messages"] / members, color="C0", label="messages per member")
    ax2 = ax.twinx()
    ax2.plot(weekly.index, weekly["speakers"] / members, color="C1", label="interaction rate")
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
