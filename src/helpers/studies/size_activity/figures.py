"""Figures of the size, KOC, monitor-share and timing study: estimates in, a matplotlib Figure out."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.claims.registry import KOC_ALMOST_EVERY, KOC_SIZE, MONITOR_SHARE, SIZE_BAND
from helpers.figures.axes import axes_for, finish, interval_points, nothing_to_draw
from helpers.figures.theme import percent_axis
from helpers.fmt import label_words, words
from helpers.studies.size_activity.models import Curve, WithinFit

LABELS = {
    "messages_per_member": "messages per member-week",
    "interaction_rate": "interaction rate (speakers / members)",
}


def _peak_marks(ax: plt.Axes, curve: Curve, scale: float = 1.0) -> None:
    """Shade the estimated peak's CI (to the edge of the curve where it has no end there) and draw the peak."""
    if curve.peak.not_estimable or curve.curve.empty:
        return
    low = max(curve.peak.ci_low, float(curve.curve["x"].min()))
    high = min(curve.peak.ci_high, float(curve.curve["x"].max()))
    ax.axvspan(low * scale, high * scale, color="C3", alpha=0.15, lw=0, label="peak, 95% CI")
    ax.axvline(curve.peak.value * scale, color="C3", lw=1)


def size_activity(
    sample: pd.DataFrame, smooth: pd.DataFrame, curve: Curve, metric: str, ax: plt.Axes | None = None
) -> plt.Axes:
    """Group-weeks (sample), the unadjusted smoother, and the model curve with its 95% band, against size."""
    ax, made = axes_for(ax, (9, 5))
    title = f"{LABELS[metric].capitalize()} by group size"
    if sample.empty:
        return nothing_to_draw(ax, made, title, "No whole group-week to show.")
    ax.scatter(sample["size"], sample[metric], s=4, alpha=0.15, color="grey", rasterized=True, label="group-weeks")
    ax.plot(smooth["x"], smooth[metric], color="C0", lw=1.5, ls="--", label="smoother (unadjusted)")
    table = curve.curve
    ax.plot(table["x"], table["level"], color="C1", lw=2, label="model (adjusted)")
    ax.fill_between(table["x"], table["ci_low"], table["ci_high"], color="C1", alpha=0.25, lw=0)
    ax.axvspan(*SIZE_BAND, color="C2", alpha=0.08, lw=0, label="claimed 150-350")
    _peak_marks(ax, curve)
    ax.set_xscale("log")
    top = np.nanmax([np.nanquantile(sample[metric], 0.98), table["ci_high"].max() if len(table) else np.nan])
    ax.set(xlabel="members (mean over the week, log scale)", ylabel=LABELS[metric], title=title)
    if np.isfinite(top) and top > 0:
        ax.set_ylim(0, top * 1.05)
    ax.legend(loc="upper left", fontsize=8)
    return finish(ax, made)


def size_bands(binned: pd.DataFrame, metric: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Activity per size band with 95% CIs clustered by group."""
    low, high = ("mpm_ci_low", "mpm_ci_high") if metric == "messages_per_member" else ("rate_ci_low", "rate_ci_high")
    ax, made = axes_for(ax, (9, 4))
    if binned.empty:
        return nothing_to_draw(ax, made, f"{LABELS[metric].capitalize()} by size band", "No whole group-week to show.")
    x = np.arange(len(binned))
    ax.bar(
        x,
        binned[metric],
        color=[
            "C2" if b in ("150-200", "200-250", "250-300", "300-350") else "C0" for b in binned["size_band"].astype(str)
        ],
        alpha=0.7,
    )
    ax.errorbar(
        x,
        binned[metric],
        yerr=[binned[metric] - binned[low], binned[high] - binned[metric]],
        fmt="none",
        color="black",
        capsize=3,
    )
    ax.set_xticks(
        x,
        [f"{label_words(b)}\n({n:,} gw)" for b, n in zip(binned["size_band"].astype(str), binned["group_weeks"])],
        fontsize=8,
    )
    ax.set(
        xlabel="size band (members); gw = group-weeks",
        ylabel=LABELS[metric],
        title=f"{LABELS[metric].capitalize()} by size band (green: the claimed 150-350)",
    )
    return finish(ax, made)


def size_curves(pooled: Curve, within: WithinFit, ax: plt.Axes | None = None) -> plt.Axes:
    """Between- and within-group size curves, each relative to its own peak, with 95% bands."""
    ax, made = axes_for(ax, (9, 4.5))
    title = "Size curve between groups and within groups"
    if pooled.curve.empty and within.curve.empty:
        why = pooled.peak.why_not or within.peak.why_not
        return nothing_to_draw(ax, made, title, f"Neither size curve could be fitted: {why}.")
    table = pooled.curve
    peak_level = table["level"].max()
    ax.plot(table["x"], table["relative"], color="C1", lw=2, label="all groups (pooled model)")
    ax.fill_between(
        table["x"], table["ci_low"] / peak_level, table["ci_high"] / peak_level, color="C1", alpha=0.2, lw=0
    )
    ax.plot(within.curve["x"], within.curve["relative"], color="C4", lw=2, label="within groups (fixed effects)")
    ax.fill_between(within.curve["x"], within.curve["ci_low"], within.curve["ci_high"], color="C4", alpha=0.2, lw=0)
    ax.axvspan(*SIZE_BAND, color="C2", alpha=0.08, lw=0, label="claimed 150-350")
    ax.axhline(pooled.margin, color="grey", ls=":", lw=1, label=f"{pooled.margin:.0%} of peak")
    ax.set_xscale("log")
    ax.set(xlabel="members (log scale)", ylabel="activity relative to the peak", ylim=(0, 1.3), title=title)
    ax.legend(fontsize=8)
    return finish(ax, made)


def koc_emergence(bands: pd.DataFrame, at_least: int = 2, ax: plt.Axes | None = None) -> plt.Axes:
    """Share of group-weeks with ``at_least`` KOCs per size band, with 95% CIs clustered by group."""
    ax, made = axes_for(ax, (9, 4))
    title = f"Groups with {at_least} or more very active members (KOCs) in a week"
    if bands.empty:
        return nothing_to_draw(ax, made, title, "No whole group-week to show.")
    x = np.arange(len(bands))
    interval_points(ax, x, bands, "share", fmt="o-", color="C0", capsize=3)
    ax.axhline(KOC_ALMOST_EVERY, color="grey", ls=":", label=f"'almost every group' ({KOC_ALMOST_EVERY:.0%})")
    edges = [float(str(b).split("-")[0].rstrip("+")) for b in bands["size_band"].astype(str)]
    ax.axvline(np.searchsorted(edges, KOC_SIZE) - 0.5, color="C2", ls="--", label=f"{KOC_SIZE:g} members")
    ax.set_xticks(x, [label_words(b) for b in bands["size_band"].astype(str)])
    ax.set(xlabel="size band (members)", ylabel=f"weeks with {at_least}+ KOCs", ylim=(0, 1.05), title=title)
    percent_axis(ax)
    ax.legend(fontsize=8)
    return finish(ax, made)


def monitor_share(curve: Curve, metric: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Adjusted activity against the monitor's share of the week's messages, with the 95% band and the claim."""
    ax, made = axes_for(ax, (9, 4.5))
    table = curve.curve
    if table.empty:
        why = f"The curve could not be fitted: {curve.peak.why_not}."
        return nothing_to_draw(ax, made, "Activity by the monitor's share of the talk", why)
    ax.plot(100 * table["x"], table["level"], color="C1", lw=2, label="model (adjusted)")
    ax.fill_between(100 * table["x"], table["ci_low"], table["ci_high"], color="C1", alpha=0.25, lw=0)
    ax.axvline(100 * MONITOR_SHARE, color="C2", ls="--", label="claimed 5%")
    _peak_marks(ax, curve, scale=100)
    ax.set(
        xlabel="monitor's share of the week's messages (%)",
        ylabel=LABELS[metric],
        title="Activity by the monitor's share of the talk",
    )
    ax.legend(fontsize=8)
    return finish(ax, made)


def hour_weekday(tables: dict[str, pd.DataFrame], claimed: dict[str, list[int]]) -> plt.Figure:
    """Heatmaps of message shares by local weekday and hour, one per audience; claimed peak hours marked."""
    if not tables:
        fig, ax = plt.subplots(figsize=(11, 2.6))
        nothing_to_draw(ax, False, "Member messages by local hour and weekday", "No prenatal or postnatal messages.")
        return fig
    fig, axes = plt.subplots(len(tables), 1, figsize=(11, 2.6 * len(tables)), squeeze=False)
    for ax, (name, table) in zip(axes[:, 0], tables.items()):
        sns.heatmap(100 * table, ax=ax, cmap="rocket_r", cbar_kws={"label": "% of messages"})
        for label in ax.get_xticklabels():
            if int(label.get_text()) in claimed.get(name, []):
                label.set(color="C2", fontweight="bold")
        ax.set(
            title=f"{name}: member messages by local hour and weekday (green hours: claimed peaks)",
            xlabel="local hour",
            ylabel="",
        )
    fig.tight_layout()
    return fig


def stickiness(distribution: pd.DataFrame, by: str) -> plt.Axes:
    """Of members who spoke in a month, the share by number of days they spoke, one bar per level of ``by``."""
    ax, made = axes_for(None, (9, 0.6 + 0.45 * max(distribution["level"].nunique(), 1)))
    if distribution.empty:
        return nothing_to_draw(ax, made, "Stickiness", "No whole month with messages from members.")
    table = distribution.pivot(index="level", columns="days", values="share")
    table = table.loc[list(dict.fromkeys(distribution["level"]))[::-1], list(dict.fromkeys(distribution["days"]))]
    left = np.zeros(len(table))
    colours = plt.get_cmap("Blues")(np.linspace(0.25, 0.95, table.shape[1]))
    for k, column in enumerate(table.columns):
        ax.barh(range(len(table)), table[column], left=left, color=colours[k], label=column)
        left += table[column].to_numpy()
    ax.set_yticks(range(len(table)), [label_words(v) for v in table.index])
    ax.set(
        xlabel="share of member-months with messages",
        xlim=(0, 1),
        title=f"Active days per month by {words(by, capital=False)}",
    )
    percent_axis(ax, "x")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title="spoke on", fontsize=8)
    return finish(ax, made)
