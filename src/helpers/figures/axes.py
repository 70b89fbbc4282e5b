"""Axes for figure functions: draw into the caller's axes (so views compose) or into a new figure of a given size."""

from __future__ import annotations

import matplotlib.pyplot as plt


def axes_for(ax: plt.Axes | None, figsize: tuple[float, float]) -> tuple[plt.Axes, bool]:
    """The axes to draw into, and whether this call made their figure (then it lays the figure out)."""
    if ax is not None:
        return ax, False
    _, made = plt.subplots(figsize=figsize)
    return made, True


def finish(ax: plt.Axes, made: bool) -> plt.Axes:
    """Lay out a figure this call made; leave a caller's figure to the caller. Returns the axes."""
    if made:
        ax.figure.tight_layout()
    return ax


def interval_points(ax: plt.Axes, x: object, frame: object, value: str, **style: object) -> plt.Axes:
    """Points at ``frame[value]`` with error bars to its ``ci_low`` and ``ci_high`` columns."""
    centre = frame[value]
    ax.errorbar(x, centre, yerr=[centre - frame["ci_low"], frame["ci_high"] - centre], **style)
    return ax


def nothing_to_draw(ax: plt.Axes, made: bool, title: str, why: str) -> plt.Axes:
    """An empty panel that says why there is nothing to show (a figure never fails on data that is merely thin)."""
    ax.set(title=title, xticks=[], yticks=[])
    ax.text(0.5, 0.5, why, ha="center", va="center", wrap=True, transform=ax.transAxes, color="0.35")
    return finish(ax, made)
