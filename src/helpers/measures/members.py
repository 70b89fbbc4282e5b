"""Members in groups as engine expressions: first stays, the member table, group profiles and homogeneity.

The unit is a member in a group (a person who rejoins the same group is one member with
several stays). Used by the retention and recruitment studies and by the explorer.
"""

from __future__ import annotations

import ibis
import pandas as pd
import pyarrow as pa

from helpers.data.engine import Tables, kept
from helpers.data.event_time import data_end, days_between
from helpers.data.schema import MIXED
from helpers.measures.activity import member_weeks
from helpers.measures.size_bands import size_band


def group_ends(tables: Tables, end: pd.Timestamp) -> ibis.Table:
    """Per group, when the data stops seeing it: ``end``, or its ``observed_until`` when that is earlier."""
    end_lit = ibis.literal(pd.Timestamp(end).to_pydatetime(), type="timestamp('UTC')")
    g = tables.groups
    return g.select("group_id", seen_until=ibis.least(end_lit, g.observed_until.fill_null(end_lit)))


def join_known(m: ibis.Table) -> ibis.Value:
    """True for a stay whose join is known: not one begun before the data (``observed_from`` at or before the join)."""
    return m.observed_from.isnull() | (m.observed_from > m.joined_at)


def first_stays(tables: Tables, roles: tuple[str, ...] = ("member",)) -> ibis.Table:
    """Per member in a group: first join, end of the first stay, number of stays, final leave (null if in).

    Those of ordinary members (the default) are computed once per dataset and kept (``kept``).
    """
    if roles == ("member",):
        return kept(tables, "first_stays", lambda: _first_stays(tables, roles))
    return _first_stays(tables, roles)


def _first_stays(tables: Tables, roles: tuple[str, ...]) -> ibis.Table:
    """The expression behind ``first_stays``."""
    m = tables.memberships.filter(tables.memberships.role.isin(list(roles)))
    per_member = m.group_by(["group_id", "member_id"]).aggregate(
        first_joined=m.joined_at.min(),
        open_stays=m.left_at.isnull().cast("int64").sum(),
        last_left_at=m.left_at.max(),
        stays=m.count(),
    )
    stay = m.select(
        "group_id",
        "member_id",
        "leave_reason",
        first_joined=m.joined_at,
        left_at=m.left_at,
        observed_from=m.observed_from,
    ).view()
    first = per_member.join(stay, ["group_id", "member_id", "first_joined"])
    return first.select(
        "group_id",
        "member_id",
        "left_at",
        "stays",
        "observed_from",
        "leave_reason",
        joined_at=first.first_joined,
        final_left_at=ibis.ifelse(first.open_stays > 0, ibis.null("timestamp('UTC')"), first.last_left_at),
    )


def member_expr(tables: Tables, end: pd.Timestamp, roles: tuple[str, ...] = ("member",)) -> ibis.Table:
    """One row per member in a group: first stay, later stays, messages.

    ``duration_days`` runs from the first join to the end of the first stay, or to ``end``
    (the group's ``observed_until`` if earlier: ``group_ends``) if that stay is still open
    (``left`` False: censored): survival is time to first exit.
    ``left_at`` is when the first stay ended; ``stays`` counts stays (rejoins add one);
    ``final_left_at`` is null while any stay is open; ``leave_reason`` is the first stay's
    (quit, removed, or null: unknown or still in). ``entry_days`` is the first stay's
    left truncation: days from the join to when the data began to see it (0 when seen from
    the join, null when the join itself is unknown). ``messages`` counts all her messages in
    the group, ``messages_per_week`` spreads them over her time from first join to final
    leave (or ``end``), at least one week.
    """
    stays = first_stays(tables, roles)
    stays = stays.join(group_ends(tables, end), "group_id")
    weeks = member_weeks(tables)
    talk = weeks.group_by(["group_id", "member_id"]).aggregate(
        messages=weeks.messages.sum(), first_message_at=weeks.first_at.min(), last_message_at=weeks.last_at.max()
    )
    out = stays.left_join(talk, ["group_id", "member_id"])
    end_lit = out.seen_until  # the data's end, or the group's own where the data stops seeing it earlier
    return out.select(
        "group_id",
        "member_id",
        "joined_at",
        "left_at",
        "leave_reason",
        "stays",
        "final_left_at",
        left=out.left_at.notnull(),
        duration_days=days_between(ibis.coalesce(out.left_at, end_lit), out.joined_at),
        entry_days=ibis.cases(
            (out.observed_from.isnull(), ibis.literal(0.0)),
            (out.observed_from <= out.joined_at, ibis.null("float64")),
            else_=days_between(out.observed_from, out.joined_at),
        ),
        messages=out.messages.fill_null(0),
        messages_per_week=out.messages.fill_null(0).cast("float64")
        * 7
        / ibis.greatest(days_between(ibis.coalesce(out.final_left_at, end_lit), out.joined_at), 7.0),
        first_message_at=out.first_message_at,
        last_message_at=out.last_message_at,
    )


def homogeneous(groups: pd.DataFrame) -> pd.Series:
    """True for groups with one channel, one city and one segment (none of them 'mixed')."""
    return ~(groups[["channel", "city", "segment"]] == MIXED).any(axis=1)


def group_profile(tables: Tables) -> pd.DataFrame:
    """One row per group: its attributes, homogeneity, peak member count and size band."""
    m = tables.memberships
    moves = m.select("group_id", at=m.joined_at, step=ibis.literal(1)).union(
        m.filter(m.left_at.notnull()).select("group_id", at=m.left_at, step=ibis.literal(-1))
    )
    window = ibis.window(group_by="group_id", order_by=["at", "step"], rows=(None, 0))
    headcount = moves.mutate(members=moves.step.sum().over(window))
    peak = headcount.group_by("group_id").aggregate(peak_members=headcount.members.max())
    g = tables.groups
    out = (
        g.left_join(peak, "group_id")
        .select(
            "group_id",
            "created_at",
            "channel",
            "city",
            "segment",
            "target_size",
            peak_members=peak.peak_members.fill_null(0),
        )
        .to_pandas()
    )
    out["homogeneous"] = homogeneous(out)
    out["size_band"] = size_band(out["peak_members"])
    return out


def member_table(tables: Tables, end: pd.Timestamp | None = None, roles: tuple[str, ...] = ("member",)) -> pd.DataFrame:
    """The member table as pandas, with each group's attributes (channel, segment, size band, ...)."""
    end = end if end is not None else data_end(tables)
    members = member_expr(tables, end, roles).to_pyarrow()  # faster than to_pandas for millions of rows
    profile = pa.Table.from_pandas(group_profile(tables).drop(columns=["created_at"]), preserve_index=False)
    # joined in Arrow (a C++ hash join): a pandas merge on the group ids takes as long as the query at 3M members;
    # Arrow joins no column of nulls alone (e.g. no group's target size known): those are added after
    empty = [f.name for f in profile.schema if pa.types.is_null(f.type)]
    joined = members.join(profile.drop_columns(empty), "group_id", join_type="left outer")
    for name in empty:
        joined = joined.append_column(name, pa.nulls(joined.num_rows))
    return joined.select([*members.column_names, *profile.column_names[1:]]).to_pandas()


NO_EXITS = (
    "no member's leaving is recorded in this data (every stay is still open), so retention and churn cannot be "
    "measured: a message log without join and leave events says who spoke, not who stayed"
)


def exits_unrecorded(tables: Tables) -> str:
    """Why nothing about leaving can be measured when the data records no exit at all ('' when it records some)."""
    m = tables.memberships
    counts = m.aggregate(stays=m.count(), exits=m.left_at.notnull().sum()).to_pandas().iloc[0]
    return NO_EXITS if counts["stays"] and not counts["exits"] else ""


SIZES_UNCHANGED = (
    "no group's size ever changed in this data: nobody joined after a group's first record and nobody left, as in "
    "a message log without join and leave events, so a group's 'size' is everyone who ever wrote there and says "
    "nothing about how many members it had"
)


def sizes_unchanged(tables: Tables) -> str:
    """Why nothing about group size can be measured when no group's headcount ever changed ('' when some did)."""
    m, g = tables.memberships, tables.groups
    start = m.group_by("group_id").aggregate(first_join=m.joined_at.min())
    stays = m.join(g.select("group_id", "created_at"), "group_id").join(start, "group_id")
    opened = ibis.greatest(stays.created_at, stays.first_join)
    counts = stays.aggregate(
        stays=stays.count(), changes=(stays.left_at.notnull() | (stays.joined_at > opened)).cast("int64").sum()
    ).to_pandas()
    row = counts.iloc[0]
    return SIZES_UNCHANGED if row["stays"] and not row["changes"] else ""
