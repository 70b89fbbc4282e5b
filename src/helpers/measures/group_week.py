"""The group-week panel: one row per group and week, the unit of the size, monitor and content studies.

Weeks start on Monday 00:00 UTC. A group's rows run from the week it was created to
the week the data ends, including weeks without messages. Built as one Ibis
expression where the data lives; only the panel (groups x weeks rows) comes back.
"""

from __future__ import annotations

import ibis
import pandas as pd

from helpers.data.engine import Tables, epoch_seconds, week_start
from helpers.data.event_time import data_end
from helpers.measures.activity import member_weeks, talk
from helpers.measures.members import group_ends, join_known

WEEK_SECONDS = 604_800
OPERATOR_POSTS = ("dry", "wet", "promo", "activity")
"""Message kinds that are operators' content posts."""


def with_role(tables: Tables, rows: ibis.Table) -> ibis.Table:
    """``rows`` (with ``group_id`` and ``member_id``) with the sender's ``role`` in that group.

    Operators are few, so their roles are a small lookup; every other sender counts as a
    member (also one whose stay the export missed). The lookup's ``op_role`` column stays:
    dropping it makes DuckDB plan the panel query about 1.7x slower at 60M messages.
    """
    m = tables.memberships
    operators = m.filter(m.role != "member").group_by(["group_id", "member_id"]).aggregate(op_role=m.role.max())
    rows = rows.left_join(operators, ["group_id", "member_id"]).drop("group_id_right", "member_id_right")
    return rows.mutate(role=rows.op_role.fill_null("member"))


def messages_with_role(tables: Tables) -> ibis.Table:
    """Messages with a sender (system lines dropped) and the sender's ``role`` in that group."""
    return with_role(tables, talk(tables))


def group_week_panel(tables: Tables, koc_threshold: int = 10, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per group and week: members, joins, exits, messages, speakers, KOCs, monitor and promo shares.

    - ``members``: people of role member (operators left out) at the week's start; ``joins`` / ``exits``:
      their stays begun / ended in the week; ``new_joins``: the joins the data saw (not stays begun before
      the data, which count as present from its start).
    - ``mean_tenure_days``: mean days since those members joined (their current stay), at the week's start.
    - ``member_messages`` / ``speakers``: messages and distinct senders of role member.
    - ``members_in_week`` = members + joins: everyone who was a member at some time in the week.
    - ``interaction_rate`` = speakers / members_in_week; ``messages_per_member`` = member_messages /
      members_in_week (both empty when the group had nobody that week).
    - ``kocs``: members of role member with at least ``koc_threshold`` messages that week.
    - ``monitor_share``: the monitor's messages / (member + monitor messages): her share of the talk.
    - ``promo_share``: promo posts / operator posts (dry, wet, promo, activity); empty without posts.
    - ``age_weeks``: whole weeks since the group's creation week.
    - ``seen_until``: when the data stops seeing the group (``end``, or its ``observed_until`` if earlier);
      its weeks run to the week this falls in.
    """
    grid = _week_grid(tables, end if end is not None else data_end(tables))
    m = tables.memberships
    stays = m.filter(m.role == "member")
    stays = stays.mutate(joined_s=epoch_seconds(stays.joined_at))
    # sums of join instants let pandas follow the tenure of whoever is present (see below)
    joins = stays.group_by(["group_id", week_start(stays.joined_at).name("week")]).aggregate(
        joins=stays.count(), new_joins=join_known(stays).cast("int64").sum(), joined_s_in=stays.joined_s.sum()
    )
    left = stays.filter(stays.left_at.notnull())
    exits = left.group_by(["group_id", week_start(left.left_at).name("week")]).aggregate(
        exits=left.count(), joined_s_out=left.joined_s.sum()
    )

    # one pass over the messages (shared): counts per sender and week, then per week (members and operators apart)
    per_sender = with_role(tables, member_weeks(tables)).rename(n="messages")
    is_member = per_sender.role == "member"
    talk = per_sender.group_by(["group_id", "week"]).aggregate(
        member_messages=is_member.ifelse(per_sender.n, 0).sum(),
        speakers=is_member.cast("int64").sum(),
        kocs=(is_member & (per_sender.n >= koc_threshold)).cast("int64").sum(),
        monitor_messages=(per_sender.role == "monitor").ifelse(per_sender.n, 0).sum(),
    )
    msg = tables.messages
    posts = msg.filter(msg.member_id.notnull() & msg.kind.isin(list(OPERATOR_POSTS)))
    posts = posts.group_by(["group_id", week_start(posts.sent_at).name("week")]).aggregate(
        operator_posts=posts.count(), promo_posts=(posts.kind == "promo").cast("int64").sum()
    )

    panel = grid
    for part in (joins, exits, talk, posts):
        panel = panel.left_join(part, ["group_id", "week"]).drop("group_id_right", "week_right")
    frame = panel.to_pyarrow().to_pandas()
    counts = [
        "joins",
        "new_joins",
        "exits",
        "member_messages",
        "speakers",
        "kocs",
        "monitor_messages",
        "operator_posts",
        "promo_posts",
    ]
    frame = _derived(frame, counts)
    columns = [
        "group_id",
        "week",
        "age_weeks",
        "seen_until",
        "members",
        "members_in_week",
        "joins",
        "new_joins",
        "exits",
        "mean_tenure_days",
        "member_messages",
        "speakers",
        "interaction_rate",
        "messages_per_member",
        "kocs",
        "monitor_messages",
        "monitor_share",
        "operator_posts",
        "promo_posts",
        "promo_share",
    ]
    return frame[columns]


def _week_grid(tables: Tables, end: pd.Timestamp) -> ibis.Table:
    """Every group's weeks from its creation week to the week its data ends in (``group_ends``), with the age."""
    g = tables.groups.join(group_ends(tables, end), "group_id")
    grid = g.select("group_id", "seen_until", first_week=week_start(g.created_at))
    grid = grid.mutate(
        n_weeks=((epoch_seconds(week_start(grid.seen_until)) - epoch_seconds(grid.first_week)) / WEEK_SECONDS)
        .round()
        .cast("int64")
        + 1
    )
    grid = grid.mutate(age_weeks=ibis.range(0, grid.n_weeks).unnest())
    grid = grid.select(
        "group_id",
        "age_weeks",
        "seen_until",
        week=(epoch_seconds(grid.first_week) + grid.age_weeks * WEEK_SECONDS)
        .cast("int64")
        .as_timestamp("s")
        .cast("timestamp('UTC')"),
    )

    return grid


def _derived(frame: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """Counts filled with 0, members at the week's start, their mean tenure, and the rates and shares."""
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame = frame.sort_values(["group_id", "week"]).reset_index(drop=True)
    net = frame["joins"] - frame["exits"]
    frame["members"] = (net.groupby(frame["group_id"]).cumsum() - net).astype("int64")  # at the week's start
    flow = frame["joined_s_in"].fillna(0) - frame["joined_s_out"].fillna(0)
    present_joined_s = flow.groupby(frame["group_id"]).cumsum() - flow  # sum of join instants of those present
    week_s = (frame["week"] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    present = frame["members"].where(frame["members"] > 0)
    frame["mean_tenure_days"] = (week_s - present_joined_s / present) / 86_400
    frame["members_in_week"] = frame["members"] + frame["joins"]
    has_members = frame["members_in_week"].where(frame["members_in_week"] > 0)
    frame["interaction_rate"] = frame["speakers"] / has_members
    frame["messages_per_member"] = frame["member_messages"] / has_members
    talk_total = frame["member_messages"] + frame["monitor_messages"]
    frame["monitor_share"] = frame["monitor_messages"] / talk_total.where(talk_total > 0)
    frame["promo_share"] = frame["promo_posts"] / frame["operator_posts"].where(frame["operator_posts"] > 0)
    return frame


def weekly_activity(panel: pd.DataFrame) -> pd.DataFrame:
    """Messages per member-week and interaction rate per week, pooled over the panel's groups (ratios of sums)."""
    weekly = panel.groupby("week", as_index=False)[["member_messages", "speakers", "members_in_week"]].sum()
    members = weekly["members_in_week"].where(weekly["members_in_week"] > 0)
    return weekly.assign(
        messages_per_member=weekly["member_messages"] / members, interaction_rate=weekly["speakers"] / members
    )
