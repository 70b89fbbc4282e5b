"""KOCs (key opinion consumers) relative to their group: members who talk far more than the group's median member.

Claim 1 says large groups almost always have several KOCs. A fixed count ("10+ messages a
week") makes every busy group full of KOCs and every quiet one empty of them, so a KOC is
defined relative to the group: a member whose messages per day present are at least
``factor`` times the group's median member's. Members present fewer than ``MIN_DAYS`` days
are not classified (a few days' rate is mostly noise), and the median is taken over
members present at least ``MEDIAN_DAYS`` days. Event-level work runs in the engine; only
one row per member in a group comes back.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from helpers.data.engine import MONDAY_SHIFT, Tables, epoch_seconds
from helpers.data.event_time import DAY
from helpers.measures.group_week import WEEK_SECONDS, messages_with_role

MIN_DAYS = 7
"""A member is classified only after this many days present."""
MEDIAN_DAYS = 14
"""The group's median member is taken over members present at least this many days."""
MIN_MESSAGES = 5
"""A KOC has written at least this many messages (guards groups whose median member is silent)."""


def member_activity(tables: Tables, end: pd.Timestamp) -> pd.DataFrame:
    """Per member (role member) in a group: days present up to ``end`` over all stays, and messages written."""
    end_s = ibis.literal(pd.Timestamp(end).timestamp())
    m = tables.memberships.filter(tables.memberships.role == "member")
    joined_s = epoch_seconds(m.joined_at)
    stop = ibis.least(m.left_at.isnull().ifelse(end_s, epoch_seconds(m.left_at)), end_s)
    stays = m.group_by(["group_id", "member_id"]).aggregate(days=(ibis.greatest(stop - joined_s, 0) / DAY).sum())
    msg = messages_with_role(tables)
    msg = msg.filter((msg.role == "member") & (epoch_seconds(msg.sent_at) <= end_s))
    talk = msg.group_by(["group_id", "member_id"]).aggregate(messages=msg.count())
    joined = stays.left_join(talk, ["group_id", "member_id"]).drop("group_id_right", "member_id_right")
    frame = joined.to_pyarrow().to_pandas()
    frame["messages"] = frame["messages"].fillna(0).astype("int64")
    return frame


def classify_kocs(activity: pd.DataFrame, factor: float) -> pd.DataFrame:
    """``activity`` with ``rate`` (messages per day), the group's median ``group_rate``, ``ratio`` and ``koc``."""
    out = activity.copy()
    out["rate"] = out["messages"] / out["days"].where(out["days"] > 0)
    settled = out[out["days"] >= MEDIAN_DAYS]
    median = settled.groupby("group_id")["rate"].median()
    floor = 0.5 / settled.groupby("group_id")["days"].median()  # half a message over a typical stay
    out["group_rate"] = out["group_id"].map(np.maximum(median, floor.reindex(median.index)))
    out["ratio"] = out["rate"] / out["group_rate"]
    out["koc"] = (out["days"] >= MIN_DAYS) & (out["messages"] >= MIN_MESSAGES) & (out["ratio"] >= factor)
    return out


def kocs_at_week_start(tables: Tables, kocs: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Per group and week (Monday 00:00 UTC): KOCs present at the week's start (joined before, not yet left)."""
    pairs = kocs.loc[kocs["koc"], ["group_id", "member_id"]]
    if pairs.empty:
        return pd.DataFrame(
            {
                "group_id": pd.Series(dtype=str),
                "week": pd.Series(dtype="datetime64[ns, UTC]"),
                "kocs_relative": pd.Series(dtype="int64"),
            }
        )
    m = tables.memberships.filter(tables.memberships.role == "member")
    stays = m.join(ibis.memtable(pairs), ["group_id", "member_id"]).select(
        "group_id", joined_s=epoch_seconds(m.joined_at), left_s=epoch_seconds(m.left_at)
    )
    frame = stays.to_pyarrow().to_pandas()
    end_s = pd.Timestamp(end).timestamp()
    first = np.ceil((frame["joined_s"].to_numpy() + MONDAY_SHIFT) / WEEK_SECONDS)  # first Monday at or after joining
    left = frame["left_s"].fillna(end_s + 1).clip(upper=end_s + 1).to_numpy()
    last = np.ceil((left + MONDAY_SHIFT) / WEEK_SECONDS) - 1  # last Monday before leaving
    n = np.maximum(last - first + 1, 0).astype(np.int64)
    week = np.repeat(first, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    counts = (
        pd.DataFrame({"group_id": np.repeat(frame["group_id"].to_numpy(), n), "week_no": week.astype(np.int64)})
        .value_counts()
        .rename("kocs_relative")
        .reset_index()
    )
    counts["week"] = pd.to_datetime(counts.pop("week_no") * WEEK_SECONDS - MONDAY_SHIFT, unit="s", utc=True)
    return counts
