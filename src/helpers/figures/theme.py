"""One look for every figure in every report and deck: the theme, percent axes, and partial periods marked."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter, PercentFormatter

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 160,  # sharp on a slide without upscaling
    "figure.autolayout": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""Settings on top of seaborn's whitegrid: titles left and bold, no top and right spines, slide-sharp saves."""

PARTIAL_COLOUR = "0.55"


def apply_theme() -> None:
    """Set the workbench theme (seaborn whitegrid, colour-blind palette, the settings in ``RC``)."""
    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind", rc=RC)


def percent_axis(ax: plt.Axes, axis: str = "y", decimals: int | None = None) -> plt.Axes:
    """Label an axis holding shares (0-1) in percent, as the text writes them."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(1.0, decimals=decimals))
    return ax


def thousands_axis(ax: plt.Axes, axis: str = "y") -> plt.Axes:
    """Counts on an axis with thousands separators (64,000, not 64000)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    return ax


PERIOD_OFFSETS = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(days=7), "month": pd.offsets.MonthBegin(1)}


def partial_periods(
    starts: pd.Series, period: str, first: pd.Timestamp, last: pd.Timestamp
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The (start, end) of each period that the span [first, last] covers only in part (its counts run low)."""
    step = PERIOD_OFFSETS[period]
    first, last = _naive(first), _naive(last)
    out = []
    for start in sorted(pd.to_datetime(pd.Series(starts)).dropna().unique()):
        start = _naive(pd.Timestamp(start))
        end = start + step
        if start < first or end > last + pd.Timedelta(microseconds=1):
            out.append((start, end))
    return out


def mark_partial(ax: plt.Axes, spans: list[tuple[pd.Timestamp, pd.Timestamp]], label: str = "partial") -> plt.Axes:
    """Shade periods the data covers only in part, so a low count there does not read as a collapse."""
    for start, end in spans:
        ax.axvspan(start, end, color=PARTIAL_COLOUR, alpha=0.18, lw=0, zorder=0)
        ax.text(
            start, 0.98, f" {label}", transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=7, color="0.35"
        )
    return ax


def _naive(t: pd.Timestamp) -> pd.Timestamp:
    """A timestamp in naive UTC (the figures' frames hold naive UTC period starts)."""
    t = pd.Timestamp(t)
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t
