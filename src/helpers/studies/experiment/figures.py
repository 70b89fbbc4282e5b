"""Figures of the content-ratio experiment: a forest plot of effects, effects by stage, the power curve."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.figures.axes import axes_for, finish


def forest(table: pd.DataFrame, labels: dict[str, str]) -> plt.Figure:
    """Each arm's effect on each outcome with its 95% CI, one panel per outcome (scales differ)."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(4 * len(outcomes), 0.9 + 0.5 * table["arm"].nunique()), squeeze=False
    )
    for ax, outcome in zip(axes[0], outcomes):
        part = table[table["outcome"] == outcome].reset_index(drop=True)
        y = np.arange(len(part))[::-1]
        ax.errorbar(
            part["effect"],
            y,
            xerr=[part["effect"] - part["ci_low"], part["ci_high"] - part["effect"]],
            fmt="o",
            capsize=4,
            color="C0",
        )
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(y, part["arm"])
        ax.set(title=labels.get(outcome, outcome), xlabel="difference from control")
    fig.suptitle("Effect of each arm vs control (95% CI, groups as units)")
    fig.tight_layout()
    return fig


def stage_effects(table: pd.DataFrame, label: str, ax: plt.Axes | None = None) -> plt.Axes:
    """One outcome's effect per lifecycle stage and arm, with 95% CIs."""
    ax, made = axes_for(ax, (8, 4))
    stages = list(dict.fromkeys(table["stage"]))
    for k, (arm, part) in enumerate(table.groupby("arm", sort=False)):
        x = np.array([stages.index(s) for s in part["stage"]]) + (k - 0.5) * 0.2
        ax.errorbar(
            x,
            part["effect"],
            yerr=[part["effect"] - part["ci_low"], part["ci_high"] - part["effect"]],
            fmt="o",
            capsize=4,
            label=arm,
            color=f"C{k}",
        )
    ax.axhline(0, color="grey", lw=1)
    ax.set_xticks(
        range(len(stages)),
        [f"{s}\n({n} groups)" for s, n in table.drop_duplicates("stage")[["stage", "groups"]].itertuples(index=False)],
    )
    ax.set(ylabel=f"difference from control, {label}", title=f"Effect on {label} by lifecycle stage at exposure")
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
