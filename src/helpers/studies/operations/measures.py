"""What the operations study reads from the data: stays, agents, join peaks, welcomes, activities, daily counts.

Times are days since ``origin``, the UTC midnight before the first group's creation (or
first join), so day ``d`` is a calendar day in UTC. The engine does the event-level work
(per-day counts of messages, conversions and activity starts, join counts per clock
hour); only stays and the welcome announcements of join-peak hours come back per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.claims.registry import JOIN_PEAK_JOINS
from helpers.data.engine import Tables, epoch_seconds
from helpers.data.event_time import DAY
from helpers.measures.conversions import PAID
from helpers.measures.group_week import messages_with_role
from helpers.measures.members import join_known


@dataclass(frozen=True)
class Timeline:
    """The day grid: its origin (UTC midnight, epoch seconds) and the number of whole or partial days to the end."""

    origin: float
    days: int
    end: float  # the data's end, in days since origin

    def as_dict(self) -> dict:
        """Plain values."""
        return {"origin": self.origin, "days": self.days, "end": self.end}


def timeline(tables: Tables, end: pd.Timestamp) -> Timeline:
    """Days since the UTC midnight before the first group's creation or first join, up to the data's end."""
    g, m = tables.groups, tables.memberships
    first = [
        g.aggregate(t=epoch_seconds(g.created_at).min()).to_pandas().iloc[0, 0],
        m.aggregate(t=epoch_seconds(m.joined_at).min()).to_pandas().iloc[0, 0],
    ]
    origin = float(np.floor(min(t for t in first if pd.notna(t)) / DAY) * DAY)
    end_day = (pd.Timestamp(end).timestamp() - origin) / DAY
    return Timeline(origin, int(np.floor(end_day)) + 1, end_day)


def _day(seconds: ibis.Value, line: Timeline) -> ibis.Value:
    """Days since the origin, as a float engine expression."""
    return (seconds - line.origin) / DAY


def stays(tables: Tables, line: Timeline) -> pd.DataFrame:
    """Every stay of a member or an assistant: group, member, role, joined and left (days; inf while open)."""
    m = tables.memberships.filter(tables.memberships.role.isin(["member", "assistant"]))
    hour = (epoch_seconds(m.joined_at) / 3600).floor().cast("int64")
    known = join_known(m)
    joins = (
        m.filter((m.role == "member") & known)
        .mutate(hour=hour)
        .group_by(["group_id", "hour"])
        .aggregate(hour_joins=ibis._.count())
    )
    rows = m.mutate(hour=hour, known=known).left_join(joins, ["group_id", "hour"])
    out = (
        rows.select(
            "group_id",
            "member_id",
            "role",
            joined=_day(epoch_seconds(rows.joined_at), line),
            left=_day(epoch_seconds(rows.left_at), line),
            hour=rows.hour,
            hour_joins=rows.known.ifelse(rows.hour_joins.fill_null(0), 0),  # a stay begun before the data: no peak
        )
        .to_pyarrow()
        .to_pandas()
    )
    out["left"] = out["left"].fillna(np.inf)
    return out


def group_days(tables: Tables, line: Timeline) -> pd.DataFrame:
    """Groups with their creation day (days since origin), homogeneity and codes in order."""
    g = tables.groups
    out = g.select(
        "group_id", "channel", "city", "segment", created=_day(epoch_seconds(g.created_at), line)
    ).to_pandas()
    return out.sort_values("group_id").reset_index(drop=True)


def agents(stays: pd.DataFrame) -> pd.Series:
    """Per group: its service agent (the assistant with the longest stay), or missing where it has none."""
    a = stays[stays["role"] == "assistant"].copy()
    if a.empty:
        return pd.Series(dtype=object)
    a["length"] = np.minimum(a["left"], 1e9) - a["joined"]
    return a.sort_values("length").groupby("group_id")["member_id"].last()


def daily_counts(expr: ibis.Table, time: ibis.Value, line: Timeline, name: str) -> pd.DataFrame:
    """Per group and day: the number of rows of ``expr`` (``time`` a timestamp column of it)."""
    day = _day(epoch_seconds(time), line).floor().cast("int64")
    out = expr.mutate(day=day).group_by(["group_id", "day"]).aggregate(**{name: ibis._.count()})
    return out.to_pyarrow().to_pandas()


def member_messages(tables: Tables, line: Timeline) -> pd.DataFrame:
    """Per group and day: messages members (not operators) wrote."""
    msg = messages_with_role(tables)
    return daily_counts(msg.filter(msg.role == "member"), msg.sent_at, line, "messages")


def paid_conversions(tables: Tables, line: Timeline) -> pd.DataFrame | None:
    """Per group and day: paid conversions (None without a conversions table)."""
    if tables.conversions is None:
        return None
    c = tables.conversions.filter(tables.conversions.kind.isin(list(PAID)))
    return daily_counts(c, c.converted_at, line, "conversions")


def activity_starts(tables: Tables, line: Timeline) -> pd.DataFrame | None:
    """Per group and day: activities started (None without an activities table)."""
    if tables.activities is None:
        return None
    a = tables.activities
    return daily_counts(a, a.started_at, line, "activities")


def peak_welcomes(tables: Tables, stays: pd.DataFrame, line: Timeline) -> pd.DataFrame:
    """Welcome announcements sent in a group's join-peak hours or the half hour after one: group and time (days)."""
    joiners = stays[(stays["role"] == "member") & (stays["hour_joins"] >= JOIN_PEAK_JOINS)]
    peaks = pd.MultiIndex.from_frame(joiners[["group_id", "hour"]].drop_duplicates())
    if peaks.empty:
        return pd.DataFrame({"group_id": pd.Series(dtype=object), "at": pd.Series(dtype=float)})
    msg = tables.messages.filter(tables.messages.kind == "welcome")
    sent = msg.select("group_id", seconds=epoch_seconds(msg.sent_at)).to_pyarrow().to_pandas()
    hour = np.floor(sent["seconds"] / 3600).astype("int64")
    half_hour_before = np.floor((sent["seconds"] - 1800) / 3600).astype("int64")
    inside = pd.MultiIndex.from_arrays([sent["group_id"], hour]).isin(peaks) | pd.MultiIndex.from_arrays(
        [sent["group_id"], half_hour_before]
    ).isin(peaks)
    out = sent.loc[inside, ["group_id"]].assign(at=(sent.loc[inside, "seconds"] - line.origin) / DAY)
    return out.sort_values(["group_id", "at"]).reset_index(drop=True)
