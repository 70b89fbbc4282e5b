"""Figures of the recruitment study: windows, recruitment curves, churn by window, model curve, threshold."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.claims.registry import CRITICAL_SIZE, RECRUITMENT_WEEKS
from helpers.figures.axes import axes_for, finish, interval_points, nothing_to_draw
from helpers.figures.theme import percent_axis
from helpers.fmt import label_words
from helpers.stats.estimate import Estimate

CLAIM_DAYS = 7 * RECRUITMENT_WEEKS


def window_distribution(windows: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Histogram of recruitment windows (filled groups), with the count that never filled."""
    ax, made = axes_for(ax, (9, 4))
    filled = windows.loc[windows["filled"], "window_days"]
    if filled.empty:
        why = f"No group reached its fill size ({len(windows):,} groups, none filled)."
        return nothing_to_draw(ax, made, "Recruitment windows", why)
    ax.hist(filled, bins=np.arange(0, max(filled.max(), 1) + 7, 7), color="C0", alpha=0.8)
    ax.axvline(CLAIM_DAYS, color="C3", ls="--", label=f"claimed limit, {RECRUITMENT_WEEKS:g} weeks")
    never = int((~windows["filled"]).sum())
    ax.set(
        xlabel="days from creation to the fill size",
        ylabel="groups",
        title=f"Recruitment windows of {len(filled):,} groups ({never:,} more never filled)",
    )
    ax.legend(fontsize=8)
    return finish(ax, made)


def recruitment_curves(curves: pd.DataFrame, windows: pd.DataFrame, per_bin: int = 8, seed: int = 0) -> plt.Figure:
    """Joiners over days since creation as small multiples: one panel per window bin, a few groups and the median."""
    bins = [(label, part) for label, part in windows.groupby("window_bin", observed=True)] if len(windows) else []
    if curves.empty or not bins:
        fig, ax = plt.subplots(figsize=(9, 2.5))
        nothing_to_draw(ax, False, "Recruitment curves", "No group has a recruitment window to show.")
        return fig
    columns = min(3, len(bins))
    rows = -(-len(bins) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.3 * columns + 0.6, 2.5 * rows + 0.8), sharex=True, sharey=True, squeeze=False
    )
    rng = np.random.default_rng(seed)
    for k, (ax, (label, part)) in enumerate(zip(axes.flat, bins)):
        members = curves[curves["group_id"].isin(part["group_id"])]
        chosen = rng.choice(part["group_id"].to_numpy(), min(per_bin, len(part)), replace=False)
        for group in chosen:
            line = members[members["group_id"] == group]
            ax.plot(line["day"], line["joiners"], color=f"C{k}", lw=0.8, alpha=0.45)
        median = members.groupby("day")["joiners"].median()
        ax.plot(median.index, median.to_numpy(), color=f"C{k}", lw=2.4)
        ax.axhline(CRITICAL_SIZE, color="grey", ls=":", lw=1)
        ax.axvline(CLAIM_DAYS, color="C3", ls="--", lw=1)
        ax.set_title(f"window {label_words(label)} ({len(part)} groups)", fontsize=10)
    for ax in list(axes.flat)[len(bins) :]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("days since creation")
    for ax in axes[:, 0]:
        ax.set_ylabel("members joined")
    fig.suptitle("Recruitment curves by window bin", x=0.01, ha="left", fontweight="bold")
    fig.tight_layout()
    return fig


def churn_by_bin(table: pd.DataFrame, horizon_days: int, ax: plt.Axes | None = None) -> plt.Axes:
    """Early members' exit share per window bin with 95% CIs (Wilson, design-effect adjusted)."""
    ax, made = axes_for(ax, (9, 4))
    title = "Early members who left, by how long their group took to fill"
    if table.empty or "exit_share" not in table:
        return nothing_to_draw(ax, made, title, f"No early member joined {horizon_days}+ days before the data's end.")
    x = np.arange(len(table))
    interval_points(ax, x, table, "exit_share", fmt="o", capsize=4)
    ax.set_xticks(
        x,
        [
            f"{b}\n{n:,} members\n{g} groups"
            for b, n, g in zip(table["window_bin"], table["early_members"], table["groups"])
        ],
        fontsize=8,
    )
    ax.set(xlabel="recruitment window", ylabel=f"left within {horizon_days} days of joining", title=title)
    percent_axis(ax)
    return finish(ax, made)


def window_curve(
    curve: pd.DataFrame, threshold: Estimate | None, horizon_days: int, ax: plt.Axes | None = None
) -> plt.Axes:
    """The logistic model's exit probability by window with its 95% band, the estimated and claimed thresholds."""
    ax, made = axes_for(ax, (9, 4.5))
    if curve.empty:
        title = "Early members' exit probability by recruitment window"
        return nothing_to_draw(ax, made, title, "Too few groups filled to fit the model.")
    ax.plot(curve["window_days"], curve["probability"], color="C1", lw=2, label="model (adjusted)")
    ax.fill_between(curve["window_days"], curve["ci_low"], curve["ci_high"], color="C1", alpha=0.25, lw=0)
    ax.axvline(CLAIM_DAYS, color="C3", ls="--", label=f"claimed {RECRUITMENT_WEEKS:g} weeks")
    if threshold is not None and not threshold.not_estimable:
        high = min(threshold.ci_high, float(curve["window_days"].max()))  # a CI open above runs to the edge
        ax.axvspan(threshold.ci_low, high, color="C2", alpha=0.15, lw=0, label="estimated threshold, 95% CI")
    ax.set(
        xlabel="recruitment window (days)",
        ylabel=f"left within {horizon_days} days (probability)",
        title="Early members' exit probability by recruitment window",
    )
    percent_axis(ax)
    ax.legend(fontsize=8)
    return finish(ax, made)


def threshold_profile(profile: pd.DataFrame, threshold: Estimate, ax: plt.Axes | None = None) -> plt.Axes:
    """Deviance of the threshold model at each candidate threshold (lower fits better), with the profile CI."""
    ax, made = axes_for(ax, (9, 4))
    if profile.empty or threshold.not_estimable:
        return nothing_to_draw(ax, made, "Profile of the threshold", f"Not estimable: {threshold.why_not}.")
    ax.plot(profile["threshold_days"], profile["deviance"] - profile["deviance"].min(), color="C0")
    high = min(threshold.ci_high, float(profile["threshold_days"].max()))  # open above: drawn to the edge
    ax.axvspan(threshold.ci_low, high, color="C2", alpha=0.15, lw=0, label="95% CI (likelihood-ratio set)")
    ax.axvline(threshold.value, color="C2", label=f"estimate, {threshold.value:g} days")
    ax.axvline(CLAIM_DAYS, color="C3", ls="--", label=f"claimed {CLAIM_DAYS:g} days")
    ax.set(xlabel="candidate threshold (days)", ylabel="deviance above the best", title="Profile of the threshold")
    ax.legend(fontsize=8)
    return finish(ax, made)
