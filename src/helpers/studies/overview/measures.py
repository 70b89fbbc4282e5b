"""Event tables to tidy aggregates.

Each function builds an Ibis expression that runs where the data lives (DuckDB by
default) and returns only the small aggregated frame as pandas.
"""

from __future__ import annotations

import pandas as pd

from helpers.data.engine import Tables
from helpers.measures.members import join_known

PERIODS = {"day": "D", "week": "W", "month": "M"}


def dataset_summary(tables: Tables) -> dict:
    """Counts of groups, members, stays and messages, and the span of the events (UTC)."""
    g, m, msg = tables.groups, tables.memberships, tables.messages
    counts = (
        m.aggregate(
            members=m.member_id.nunique(),
            memberships=m.count(),
            first_join=m.joined_at.min(),
            last_leave=m.left_at.max(),
        )
        .to_pandas()
        .iloc[0]
    )
    groups = g.aggregate(groups=g.count(), first_created=g.created_at.min()).to_pandas().iloc[0]
    sent = (
        msg.aggregate(messages=msg.count(), first_sent=msg.sent_at.min(), last_sent=msg.sent_at.max())
        .to_pandas()
        .iloc[0]
    )
    firsts = [t for t in (groups.first_created, counts.first_join, sent.first_sent) if pd.notna(t)]
    lasts = [t for t in (counts.last_leave, sent.last_sent, counts.first_join) if pd.notna(t)]
    return {
        "groups": int(groups.groups),
        "members": int(counts.members),
        "memberships": int(counts.memberships),
        "messages": int(sent.messages),
        "first_event": min(firsts),
        "last_event": max(lasts),
    }


def members_over_time(tables: Tables, period: str = "week") -> pd.DataFrame:
    """Per period: joins, exits, net growth and members at the period's end, over all groups.

    Stays begun before the data (no known join) are members from the data's start, never joins;
    members of a group the data stops seeing (``observed_until``) leave the count then, never as exits.
    """
    unit = PERIODS[period]
    m = tables.memberships
    known = join_known(m)
    joins = m.group_by(period_start=m.joined_at.truncate(unit)).aggregate(
        joins=known.cast("int64").sum(), present=(~known).cast("int64").sum()
    )
    left = m.filter(m.left_at.notnull())
    exits = left.group_by(period_start=left.left_at.truncate(unit)).aggregate(exits=left.count())
    g = tables.groups.filter(tables.groups.observed_until.notnull())
    open_then = m.join(g.select("group_id", "observed_until"), "group_id")
    open_then = open_then.filter(open_then.left_at.isnull() | (open_then.left_at > open_then.observed_until))
    unseen = open_then.group_by(period_start=open_then.observed_until.truncate(unit)).aggregate(
        unseen=open_then.count()
    )
    parts = [part.to_pandas().set_index("period_start") for part in (joins, exits, unseen)]  # a few rows each
    frame = pd.concat(parts, axis=1).fillna(0).astype("int64").sort_index().rename_axis("period_start").reset_index()
    frame["net_growth"] = frame["joins"] - frame["exits"]
    # members of a group the data stops seeing (observed_until) leave the count then, but are not exits
    frame["members_at_end"] = (frame.pop("present") + frame["net_growth"] - frame.pop("unseen")).cumsum()
    return frame


def messages_over_time(tables: Tables, period: str = "week", by: str = "kind") -> pd.DataFrame:
    """Messages and distinct speakers per period and value of ``by`` (a messages or groups column)."""
    msg = tables.messages
    if by not in msg.columns:
        msg = msg.join(tables.groups.select("group_id", by), "group_id")
    out = msg.group_by([msg.sent_at.truncate(PERIODS[period]).name("period_start"), msg[by]]).aggregate(
        messages=msg.count(), speakers=msg.member_id.nunique()
    )
    return out.order_by(["period_start", by]).to_pandas()


def groups_by(tables: Tables, rows: str = "channel", columns: str = "segment") -> pd.DataFrame:
    """Groups and stays per pair of group attributes, e.g. channel by segment."""
    g, m = tables.groups, tables.memberships
    stays = m.group_by("group_id").aggregate(memberships=m.count())
    joined = g.left_join(stays, "group_id")
    out = joined.group_by([joined[rows], joined[columns]]).aggregate(
        groups=joined.count(), memberships=joined.memberships.fill_null(0).sum()
    )
    return out.order_by([rows, columns]).to_pandas()
