"""Event time: the data's end, Monday weeks, naive UTC, and day differences in engine expressions."""

from __future__ import annotations

import ibis
import pandas as pd

from helpers.data.engine import Tables, epoch_seconds

DAY = 86_400.0


def data_end(tables: Tables) -> pd.Timestamp:
    """The last instant the data covers: the latest join, leave or message (UTC)."""
    m, msg = tables.memberships, tables.messages
    times = m.aggregate(j=m.joined_at.max(), l=m.left_at.max()).to_pandas().iloc[0].tolist()
    times.append(msg.aggregate(s=msg.sent_at.max()).to_pandas().iloc[0, 0])
    return max(pd.Timestamp(t) for t in times if pd.notna(t))


def monday_of(instant: pd.Timestamp) -> pd.Timestamp:
    """Monday 00:00 (naive UTC) of the week an instant falls in."""
    return naive_utc(pd.DatetimeIndex([instant]))[0].to_period("W-SUN").start_time


def naive_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Times as naive UTC (DuckDB returns some truncated timestamps with a zone, some without)."""
    return index.tz_convert(None) if index.tz is not None else index


def days_between(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    """Days from ``earlier`` to ``later`` as a float engine expression."""
    return (epoch_seconds(later) - epoch_seconds(earlier)).cast("float64") / DAY
