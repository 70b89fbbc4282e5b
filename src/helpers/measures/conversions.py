"""Paid conversion of members: who converted within N days of joining, and at what value, by cohort and segment.

The unit is a member in a group (her first stay, as in retention). A member counts for a
horizon of N days if she joined at least N days before the data's end; she converted if a
conversion of the chosen kinds credited to that group falls within N days of her first join
(whether or not she is still in the group then). The join of conversions to members runs
where the data lives; only one row per member comes back. Rates are shares of members with
CIs clustered by group (members of a group share its operators, content and mood).
"""

from __future__ import annotations

import ibis
import pandas as pd

from helpers.data.engine import Tables, epoch_seconds, week_start
from helpers.data.event_time import DAY
from helpers.measures.members import first_stays

PAID = ("purchase",)
"""Kinds that count as a paid conversion (the practitioners' 'paid conversion rate')."""

NO_CONVERSIONS = "the dataset has no conversions table (orders, redeemed coupons, sign-ups)"


def member_conversions(
    tables: Tables, end: pd.Timestamp, horizon_days: int = 30, kinds: tuple[str, ...] = PAID
) -> pd.DataFrame | None:
    """Per member (first stay) joined ``horizon_days`` before ``end``: converted within the horizon, count, value.

    None when the dataset has no conversions table. Unknown values count 0.
    """
    if tables.conversions is None:
        return None
    end_s = ibis.literal(pd.Timestamp(end).timestamp())
    stays = first_stays(tables)
    stays = stays.select("group_id", "member_id", joined_s=epoch_seconds(stays.joined_at))
    stays = stays.filter(stays.joined_s + horizon_days * DAY <= end_s)
    c = tables.conversions.filter(tables.conversions.kind.isin(list(kinds)))
    c = c.select("group_id", "member_id", at_s=epoch_seconds(c.converted_at), value=c.value.fill_null(0.0))
    hit = stays.join(c, ["group_id", "member_id"])
    hit = hit.filter((hit.at_s >= hit.joined_s) & (hit.at_s < hit.joined_s + horizon_days * DAY))
    sums = hit.group_by(["group_id", "member_id"]).aggregate(conversions=hit.count(), value=hit.value.sum())
    out = stays.left_join(sums, ["group_id", "member_id"]).select(
        "group_id",
        "member_id",
        "joined_s",
        conversions=ibis.coalesce(sums.conversions, 0),
        value=ibis.coalesce(sums.value, 0.0),
    )
    frame = out.to_pyarrow().to_pandas()
    frame["converted"] = (frame["conversions"] > 0).astype("int64")
    frame["joined_at"] = pd.to_datetime(frame.pop("joined_s"), unit="s", utc=True)
    return frame


def weekly_conversions(tables: Tables, kinds: tuple[str, ...] = PAID) -> pd.DataFrame | None:
    """Per group and week (Monday start, as the group-week panel): conversions of ``kinds`` and their value.

    None when the dataset has no conversions table. Unknown values count 0.
    """
    if tables.conversions is None:
        return None
    c = tables.conversions.filter(tables.conversions.kind.isin(list(kinds)))
    c = c.mutate(week=week_start(c.converted_at))
    weekly = c.group_by(["group_id", "week"]).aggregate(conversions=c.count(), value=c.value.fill_null(0.0).sum())
    return weekly.to_pyarrow().to_pandas()
