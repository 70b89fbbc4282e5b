"""Stickiness: on how many days of a month does a member who spoke that month speak (PostHog, Mixpanel 'addiction').

Counted where the data lives: members' (role member) distinct message days per calendar
month (UTC) in each group, then how many member-months had 1, 2, ... active days; only
that count per group, month and number of days comes back. Months the data covers only in
part (its first, if it starts after the 1st, and the one it ends in) are left out.
"""

from __future__ import annotations

import pandas as pd

from helpers.data.engine import Tables
from helpers.data.event_time import data_end
from helpers.measures.group_week import messages_with_role


def active_days_by_month(tables: Tables, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per group, whole month and number of active days (1-31): how many members spoke on that many days."""
    end = end if end is not None else data_end(tables)
    msg = messages_with_role(tables)
    msg = msg.filter(msg.role == "member")
    days = msg.select("group_id", "member_id", day=msg.sent_at.truncate("D")).distinct()
    days = days.mutate(month=days.day.truncate("M"))
    per_member = days.group_by(["group_id", "member_id", "month"]).aggregate(
        active_days=days.count(), first_day=days.day.min()
    )
    counts = per_member.group_by(["group_id", "month", "active_days"]).aggregate(
        members=per_member.count(), first_day=per_member.first_day.min()
    )
    frame = counts.to_pyarrow().to_pandas()
    frame["month"] = pd.to_datetime(frame["month"], utc=True)
    last_whole = pd.Timestamp(end).tz_convert("UTC").tz_localize(None).to_period("M").to_timestamp().tz_localize("UTC")
    if len(frame):  # the first day a member spoke, from the same pass: a month it falls after the 1st of is partial
        first = pd.to_datetime(frame["first_day"], utc=True).min()
        frame = frame[frame["month"] > first] if first.day > 1 else frame
    frame = frame[frame["month"] < last_whole].drop(columns="first_day")  # the month the data ends in is partial
    return frame.astype({"active_days": "int64", "members": "int64"}).reset_index(drop=True)
