"""Figures of the content-ratio experiment: a forest plot of effects, effects by stage, the power curve."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.figures.axes import axes_for, finish, nothing_to_draw
from helpers.fmt import label_words


def forest(
    table: pd.DataFrame, labels: dict[str, str], units: dict[str, tuple[float, str]] | None = None
) -> plt.Figure:
    """Each arm's effect on each outcome with its 95% CI, one panel per outcome, in the units the text uses."""
    units = units or {}
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(4 * len(outcomes), 1.8 + 0.5 * table["arm"].nunique()), squeeze=False
    )
    for ax, outcome in zip(axes[0], outcomes):
        part = table[table["outcome"] == outcome].reset_index(drop=True)
        scale, unit = units.get(outcome, (1, ""))
        effect, low, high = (scale * part[c] for c in ("effect", "ci_low", "ci_high"))
        y = np.arange(len(part))[::-1]
        ax.errorbar(effect, y, xerr=[effect - low, high - effect], fmt="o", capsize=4, color="C0")
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(y, [label_words(a) for a in part["arm"]])
        ax.set(
            title=labels.get(outcome, outcome), xlabel=f"difference from control{f' ({unit.strip()})' if unit else ''}"
        )
    fig.suptitle("Effect of each arm vs control (95% CI, groups as units)")
    fig.tight_layout()
    return fig


def stage_effects(
    table: pd.DataFrame, label: str, ax: plt.Axes | None = None, scale: float = 1.0, unit: str = ""
) -> plt.Axes:
    """One outcome's effect per lifecycle stage and arm, with CIs (times ``scale``, in ``unit``).

    The intervals are those corrected across the stage x arm family where the table has them.
    """
    ax, made = axes_for(ax, (8, 4))
    stages = list(dict.fromkeys(table["stage"]))
    bounds = ("ci_low_corrected", "ci_high_corrected") if "ci_low_corrected" in table else ("ci_low", "ci_high")
    for k, (arm, part) in enumerate(table.groupby("arm", sort=False)):
        x = np.array([stages.index(s) for s in part["stage"]]) + (k - 0.5) * 0.2
        effect, low, high = (scale * part[c] for c in ("effect", *bounds))
        ax.errorbar(
            x, effect, yerr=[effect - low, high - effect], fmt="o", capsize=4, label=label_words(arm), color=f"C{k}"
        )
    ax.axhline(0, color="grey", lw=1)
    ax.set_xticks(
        range(len(stages)),
        [f"{s}\n({n} groups)" for s, n in table.drop_duplicates("stage")[["stage", "groups"]].itertuples(index=False)],
    )
    ax.set(
        ylabel=f"difference from control, {label}{f' ({unit.strip()})' if unit else ''}",
        title=f"Effect on {label} by lifecycle stage at exposure",
    )
    ax.legend(fontsize=8)
    return finish(ax, made)


def power_curve(table: pd.DataFrame, observed: dict[str, float], label: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Minimum detectable effect by number of groups per arm, with the observed effects marked."""
    ax, made = axes_for(ax, (8, 4))
    ax.plot(table["groups_per_arm"], table["mde"], marker="o")
    for k, (name, value) in enumerate(observed.items()):
        ax.axhline(abs(value), color=f"C{k + 1}", ls="--", lw=1, label=f"|observed| {name}: {abs(value):.3f}")
    ax.set_title("Power: the smallest difference detected with 80% power at 5%")
    ax.set(xlabel="groups per arm", ylabel=f"minimum detectable effect ({label})")
    ax.legend(fontsize=8)
    return finish(ax, made)


def sequential(table: pd.DataFrame, labels: dict[str, str]) -> plt.Figure:
    """Each watched outcome's effect by week since the start: always-valid band (shaded) and fixed 95% CI (dashed)."""
    outcomes = list(dict.fromkeys(table["outcome"])) if not table.empty else []
    if not outcomes:
        fig, ax = plt.subplots(figsize=(9, 2.5))
        nothing_to_draw(ax, True, "The experiment week by week", "No weekly look had enough groups in each arm.")
        return fig
    fig, axes = plt.subplots(1, len(outcomes), figsize=(9, 3.8), squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        for k, (arm, part) in enumerate(table[table["outcome"] == outcome].groupby("arm", sort=False)):
            colour = f"C{k}"
            ax.plot(part["weeks"], part["effect"], "o-", color=colour, ms=3, label=label_words(arm))
            ax.fill_between(part["weeks"], part["cs_low"], part["cs_high"], color=colour, alpha=0.15)
            ax.plot(part["weeks"], part["ci_low"], "--", color=colour, lw=0.8)
            ax.plot(part["weeks"], part["ci_high"], "--", color=colour, lw=0.8)
        ax.axhline(0, color="grey", lw=1)
        ax.set(xlabel="weeks since the experiment began", title=labels.get(outcome, outcome))
    axes[0][0].set_ylabel("difference from control")
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.suptitle("Read week by week: always-valid 95% band (shaded) vs fixed 95% CI (dashed)", fontsize=10)
    fig.tight_layout()
    return fig
