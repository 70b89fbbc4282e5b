"""Figures of the operations study: exits by activity cadence, agents' loads over time, peak joiners' exits."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.claims.registry import AGENT_MEMBER_LIMIT
from helpers.figures.axes import axes_for, finish, nothing_to_draw

RATE = "exits per 1,000 member-days"


def cadence_bars(cadence: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Exit rate by activities started in the last 30 days."""
    ax, made = axes_for(ax, (8, 3.5))
    if cadence.empty:
        return nothing_to_draw(ax, made, "Exits by activity cadence", "No activities table in this data.")
    labels = cadence.iloc[:, 0].astype(str)
    ax.bar(labels, cadence[RATE], color=["C3", "C3", "C0", "C2"][: len(cadence)], alpha=0.85)
    ax.set(
        xlabel="activities the group started in the 30 days before",
        ylabel=RATE,
        title="Members' exits by the group's recent activity cadence (groups 30+ days old)",
    )
    return finish(ax, made)


def agent_loads(load: np.ndarray, origin: float, ax: plt.Axes | None = None) -> plt.Axes:
    """Each agent's members served per day, against the claimed limit."""
    ax, made = axes_for(ax, (9, 4))
    if not len(load):
        return nothing_to_draw(ax, made, "Service agents' loads", "No service agent is recorded in this data.")
    days = pd.to_datetime(origin + 86_400 * np.arange(load.shape[1]), unit="s")
    order = np.argsort(-load.max(axis=1))
    for rank, a in enumerate(order):
        ax.plot(days, load[a], lw=1.2 if rank < 5 else 0.6, alpha=0.9 if rank < 5 else 0.4, color="C0")
    ax.axhline(AGENT_MEMBER_LIMIT, color="C3", ls="--", label=f"claimed limit, {AGENT_MEMBER_LIMIT:,} members")
    ax.set(ylabel="members served that day", title=f"Members each of {len(load)} service agents served, by day")
    ax.legend(fontsize=8)
    return finish(ax, made)


def welcome_bars(welcome: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Peak joiners' exit rate in their first 14 days, by welcome policy (unadjusted)."""
    ax, made = axes_for(ax, (7, 3.5))
    if welcome.empty:
        return nothing_to_draw(ax, made, "Peak joiners' exits", "No welcome announcements around join peaks.")
    ax.bar(welcome["welcome policy"], welcome[RATE], color=["C3", "C0"][: len(welcome)], alpha=0.85)
    ax.set(ylabel=RATE, title="Exits of members who joined in a join peak, first 14 days (raw)")
    return finish(ax, made)


def figures(cadence: pd.DataFrame, load: np.ndarray, line, welcome: pd.DataFrame) -> dict[str, Callable]:
    """The study's figures by name."""
    return {
        "cadence": partial(cadence_bars, cadence),
        "agent_load": partial(agent_loads, load, line.origin),
        "welcome": partial(welcome_bars, welcome),
    }
