"""Each study's Explore section: the study's own helpers re-run on a selection, redrawn in place.

The study notebooks compute their aggregates once (model rows, early members, experiment
outcomes); these functions slice them by segment and channel and re-run the same helpers
as the report cells (``binned_activity``, ``churn_by_bin`` / ``slow_vs_fast``,
``arm_effect``), so what an analyst sees while exploring is computed exactly as in the
report. Study 3's window length and early cut-off change the early-member table itself;
``RecruitmentExplorer`` recomputes it with ``recruitment_windows`` / ``early_members``
and keeps each version, so going back to a setting costs nothing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from helpers import fmt
from helpers.claims.registry import RECRUITMENT_WEEKS
from helpers.data.engine import Tables
from helpers.explore.dashboard import ALL, choices, controls_panel, matching
from helpers.studies.experiment import figures as experiment_plots
from helpers.studies.experiment import measures as experiment
from helpers.studies.experiment import models as experiment_models
from helpers.studies.recruitment import figures as recruitment_plots
from helpers.studies.recruitment import measures as recruitment
from helpers.studies.recruitment import models as recruitment_models
from helpers.studies.size_activity import figures as activity_plots
from helpers.studies.size_activity import models as activity_models

SIZE_VIEWS = ("size bands", "KOC emergence")


EXPERIMENT_VIEWS = ("all outcomes", "exits by stage")


def _select(
    frame: pd.DataFrame, segment: str = ALL, channel: str = ALL, view: str = "", views: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Rows of the chosen segment and channel ('all' matches any); with ``views``, ``view`` must be one of them."""
    if views and view not in views:
        raise ValueError(f"view must be one of {', '.join(views)}, not {view!r}")
    return frame[matching(frame, segment=segment, channel=channel)]


def _subtitle(drawn: plt.Figure | plt.Axes, text: str) -> plt.Figure:
    """Say on the figure which selection it shows (figure functions return their Axes or their Figure)."""
    fig = drawn.figure if isinstance(drawn, plt.Axes) else drawn
    fig.axes[0].set_title(f"{fig.axes[0].get_title()}\n{text}", fontsize=9)
    fig.tight_layout()
    return fig


def _too_few(text: str) -> plt.Figure:
    """A figure that says the selection is too small to estimate anything."""
    fig, ax = plt.subplots(figsize=(9, 2))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    return fig


def draw_size(
    rows: pd.DataFrame,
    view: str = "size bands",
    metric: str = "messages_per_member",
    segment: str = ALL,
    channel: str = ALL,
) -> plt.Figure:
    """Activity by size band, or the share of weeks with 2+ KOCs, for the selected groups (clustered CIs)."""
    part = _select(rows, segment, channel, view=view, views=SIZE_VIEWS)
    label = f"{part['group_id'].nunique()} groups, {len(part):,} group-weeks · segment {segment} · channel {channel}"
    if part["group_id"].nunique() < 2:
        return _too_few(f"Fewer than 2 groups: {label}")
    if view == "size bands":
        return _subtitle(activity_plots.size_bands(activity_models.binned_activity(part), metric), label)
    bands = activity_models.koc_emergence(part).by_band
    return _subtitle(activity_plots.koc_emergence(bands), label)


def size_explorer(rows: pd.DataFrame, metric: str = "messages_per_member"):
    """Study 2's controls (view, metric, segment, channel) over the notebook's model rows."""
    import ipywidgets as widgets

    controls = {
        "view": widgets.ToggleButtons(options=SIZE_VIEWS, description="view"),
        "metric": widgets.Dropdown(options=list(activity_models.METRIC_WORDS), value=metric, description="metric"),
        "segment": widgets.Dropdown(options=choices(rows["segment"]), description="segment"),
        "channel": widgets.Dropdown(options=choices(rows["channel"]), description="channel"),
    }
    return controls_panel(
        controls, lambda **values: draw_size(rows, **values), [["view"], ["metric", "segment", "channel"]]
    )


class RecruitmentExplorer:
    """Early members for any fill size, early cut-off and horizon, each version computed once."""

    def __init__(self, tables: Tables, end: pd.Timestamp, window_bins: tuple[int, ...] = recruitment.WINDOW_BINS):
        self.tables, self.end, self.window_bins = tables, end, tuple(window_bins)
        self._early: dict[tuple[int, float, int], pd.DataFrame] = {}

    def early(self, target_size: int, early_days: float, horizon_days: int) -> pd.DataFrame:
        """``early_members`` for these settings (from the cache after the first time)."""
        key = (int(target_size), float(early_days), int(horizon_days))
        if key not in self._early:
            windows = recruitment.recruitment_windows(self.tables, key[0], end=self.end, window_bins=self.window_bins)
            self._early[key] = recruitment.early_members(self.tables, windows, key[1], None, key[2], self.end)
        return self._early[key]

    def draw(
        self,
        target_size: int = 150,
        early_days: float = 14,
        horizon_days: int = 60,
        threshold_weeks: int = RECRUITMENT_WEEKS,
        segment: str = ALL,
        channel: str = ALL,
    ) -> plt.Figure:
        """Exit share by window bin and the slow-vs-fast risk ratio, for the selected groups."""
        early = _select(self.early(target_size, early_days, horizon_days), segment, channel)
        label = f"fill at {target_size} · early = first {early_days:g} days · segment {segment} · channel {channel}"
        by_bin = recruitment_models.churn_by_bin(early)
        if by_bin.empty:
            return _too_few(f"No early members with a known outcome: {label}")
        fig = recruitment_plots.churn_by_bin(by_bin, horizon_days)
        days = 7 * threshold_weeks
        try:
            rr = recruitment_models.slow_vs_fast(early, days).risk_ratio
            contrast = f"risk ratio slow (> {days} d) vs fast: {fmt.num(rr.value)} ({fmt.ci(rr)})"
        except (ZeroDivisionError, ValueError):
            contrast = f"no slow-vs-fast contrast at {days} days (one side is empty)"
        return _subtitle(fig, f"{label}\n{contrast}")

    def controls(self, target_size: int = 150, early_days: float = 14, horizon_days: int = 60):
        """Study 3's controls: fill size, early cut-off, horizon, threshold, segment, channel."""
        import ipywidgets as widgets

        members = self.early(target_size, early_days, horizon_days)
        controls = {
            "target_size": widgets.IntSlider(value=target_size, min=50, max=300, step=25, description="fill size"),
            "early_days": widgets.IntSlider(value=int(early_days), min=7, max=28, step=7, description="early days"),
            "horizon_days": widgets.Dropdown(
                options=sorted({30, 60, 90, int(horizon_days)}), value=int(horizon_days), description="horizon"
            ),
            "threshold_weeks": widgets.IntSlider(value=RECRUITMENT_WEEKS, min=2, max=8, description="slow after (w)"),
            "segment": widgets.Dropdown(options=choices(members["segment"]), description="segment"),
            "channel": widgets.Dropdown(options=choices(members["channel"]), description="channel"),
        }
        return controls_panel(
            controls,
            self.draw,
            [["target_size", "early_days", "horizon_days"], ["threshold_weeks", "segment", "channel"]],
        )


def draw_experiment(
    outcomes: pd.DataFrame,
    control: str,
    view: str = "all outcomes",
    cuped: bool = True,
    segment: str = ALL,
    channel: str = ALL,
) -> plt.Figure:
    """Every arm's effect on every outcome, or on exits by stage, for the selected groups (groups as units)."""
    part = _select(outcomes, segment, channel, view=view, views=EXPERIMENT_VIEWS)
    label = f"{len(part)} groups · segment {segment} · channel {channel} · CUPED {'on' if cuped else 'off'}"
    arms = [a for a in sorted(part["arm"].unique()) if a != control]
    if (part["arm"] == control).sum() < 2 or not arms:
        return _too_few(f"Too few groups in the control arm or no other arm: {label}")
    names = {name: spec[5] for name, spec in experiment_models.OUTCOMES.items()}
    if view == "all outcomes":
        table = experiment_models.effects_table(
            [experiment_models.arm_effect(part, o, a, control, cuped=cuped) for o in names for a in arms]
        )
        return _subtitle(experiment_plots.forest(table, names), label)
    stages = experiment_models.stage_effects(part, arms, control, experiment.STAGES, cuped=cuped)
    return _subtitle(experiment_plots.stage_effects(stages, names["exit_30d"]), label)


def experiment_explorer(outcomes: pd.DataFrame, groups: pd.DataFrame, control: str, cuped: bool = True):
    """Study 4's controls (view, CUPED, segment, channel) over the notebook's per-group outcomes."""
    import ipywidgets as widgets

    outcomes = outcomes.merge(groups[["group_id", "segment", "channel"]], on="group_id", how="left")
    controls = {
        "view": widgets.ToggleButtons(options=EXPERIMENT_VIEWS, description="view"),
        "cuped": widgets.Checkbox(value=cuped, description="CUPED"),
        "segment": widgets.Dropdown(options=choices(outcomes["segment"]), description="segment"),
        "channel": widgets.Dropdown(options=choices(outcomes["channel"]), description="channel"),
    }
    return controls_panel(
        controls,
        lambda **values: draw_experiment(outcomes, control, **values),
        [["view", "cuped"], ["segment", "channel"]],
    )
