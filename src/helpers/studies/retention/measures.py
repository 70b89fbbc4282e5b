"""Cohorts and lifecycle layers: event tables to retention triangles and weekly layers.

The unit is a member in a group (a person who rejoins the same group is one member
with several stays). Retention periods are counted from each member's first join, in
fixed lengths (7 days for weeks, 30 days for months); cohorts are the calendar period
(Monday week or month, UTC) of that first join. Everything heavy runs as Ibis
expressions where the data lives; only per-cohort and per-week counts come back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import ibis
import numpy as np
import pandas as pd

from helpers.data.engine import Tables, week_start
from helpers.data.event_time import data_end, days_between, monday_of, naive_utc
from helpers.measures.activity import member_weeks
from helpers.measures.members import first_stays
from helpers.stats.estimate import plain_fields

PERIOD_DAYS = {"week": 7, "month": 30}
MASK_BITS = 62
"""On DuckDB activity retention keeps each member's periods as bits of one integer up to this many periods."""


COHORT_UNIT = {"week": "W", "month": "M"}


@dataclass(frozen=True)
class Triangle:
    """A retention triangle: cohorts in rows, periods since first join in columns."""

    rates: pd.DataFrame  # share retained; NaN where the cohort is too young for the period
    counts: pd.DataFrame  # members retained
    cohort_sizes: pd.Series  # members per cohort
    period: str
    kind: str  # "membership" or "activity"
    bounded: bool  # True: in period k exactly; False: in period k or later
    entry: str = "first"  # "first": each member once, from her first join; "recurring": from every (re)join
    brackets: tuple[int, ...] | None = None  # custom periods: day edges (0, 1, 7, 30, ...) instead of fixed lengths
    relative: bool = False  # rates are retained in k over retained in k - 1, not over the cohort

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)

    def column_labels(self) -> dict[int, str]:
        """Display labels of the period columns: k, or the bracket's days ('7–30 d')."""
        if self.brackets is None:
            return {k: str(k) for k in self.rates.columns}
        edges = self.brackets
        return {k: f"{edges[k]}–{edges[k + 1]} d" for k in self.rates.columns if k + 1 < len(edges)}


def relative_to_previous(triangle: Triangle) -> Triangle:
    """Retention relative to the previous period: members retained in period k over those retained in k - 1.

    A ratio of counts (PostHog's 'relative to previous period'): for bounded retention those
    retained in k need not all have been in k - 1 (rejoins, a quiet period between two
    talkative ones), so a cell can pass 100%. Period 0 has no previous period and is left out.
    """
    previous = triangle.counts.shift(1, axis=1)
    rates = (triangle.counts / previous.where(previous > 0)).iloc[:, 1:]
    rates.columns.name = triangle.counts.columns.name
    return replace(triangle, rates=rates, counts=triangle.counts.iloc[:, 1:], relative=True)


def retention_triangle(
    tables: Tables,
    period: str = "week",
    kind: str = "membership",
    bounded: bool = True,
    max_periods: int = 12,
    end: pd.Timestamp | None = None,
    min_cohort_size: int = 1,
    start: str | None = None,
    stop: str | None = None,
    group_ids: list[str] | None = None,
    entry: str = "first",
    brackets: tuple[int, ...] | None = None,
) -> Triangle:
    """Cohort retention: share of each join cohort still a member (or still talking) in period k.

    ``kind="membership"``: a member is retained in period k if one of her stays covers part
    of [first join + k L, first join + (k+1) L), L = 7 or 30 days; ``kind="activity"``: if she
    sent a message in it. ``bounded=False`` counts period k *or later* instead. A cohort's
    cell is missing (never 0) unless period k has ended for all of its members.
    ``start``/``stop`` bound the cohorts (dates, UTC); ``group_ids`` keeps those groups only.
    ``entry="recurring"`` counts a member in the cohort of every join (a rejoin is a new
    entry, its periods counted from it); ``"first"`` once, from her first join. ``brackets``
    (day edges from 0, e.g. (0, 1, 7, 30, 90)) replaces the fixed periods by those ranges of
    days since the entry (period k: [edge k, edge k+1)); cohorts stay weeks or months.
    """
    if period not in PERIOD_DAYS or kind not in ("membership", "activity") or entry not in ("first", "recurring"):
        raise ValueError(
            f"period must be week or month, kind membership or activity and entry first or recurring, not "
            f"{period!r}, {kind!r}, {entry!r}"
        )
    if brackets is not None:
        brackets = tuple(int(b) for b in brackets)
        if len(brackets) < 2 or brackets[0] != 0 or any(b <= a for a, b in zip(brackets, brackets[1:])):
            raise ValueError(f"brackets must be increasing day edges from 0, e.g. (0, 1, 7, 30), not {brackets}")
        max_periods = len(brackets) - 2
    end = end if end is not None else data_end(tables)
    length = PERIOD_DAYS[period]
    m = tables.memberships.filter(tables.memberships.role == "member")
    if group_ids is not None:
        m = m.filter(m.group_id.isin(list(group_ids)))
    first = _entries(tables, m, entry, period, group_ids, start, stop)
    sizes = first.group_by("cohort").aggregate(members=first.count()).to_pandas().set_index("cohort")["members"]

    if kind == "membership":
        counts = _membership_counts(m, first, end, length, brackets, bounded, max_periods)
    else:
        counts = _activity_counts(tables, first, length, brackets, bounded, max_periods)

    counts = counts.reindex(sizes.index).fillna(0)
    keep = sizes[sizes >= min_cohort_size].index
    counts, sizes = counts.loc[keep].sort_index(), sizes.loc[keep].sort_index()
    next_cohort = sizes.index + (pd.offsets.Week(weekday=0) if period == "week" else pd.offsets.MonthBegin())
    period_days = np.arange(1, max_periods + 2) * length if brackets is None else np.array(brackets[1:])
    period_ends = np.add.outer(naive_utc(next_cohort).to_numpy(), period_days * np.timedelta64(1, "D"))
    observable = period_ends <= naive_utc(pd.DatetimeIndex([end]))[0].to_datetime64()
    rates = counts.div(sizes, axis=0).where(observable)
    counts = counts.where(observable)
    rates.index.name = counts.index.name = "cohort"
    rates.columns.name = counts.columns.name = "days since join" if brackets else f"{period}s since join"
    return Triangle(rates, counts, sizes, period, kind, bounded, entry, brackets)


ENTRY_COLUMNS = ["group_id", "member_id", "first_joined", "cohort"]
"""One entry: a member from one join."""


def _entries(
    tables: Tables,
    m: ibis.Table,
    entry: str,
    period: str,
    group_ids: list[str] | None,
    start: str | None,
    stop: str | None,
) -> ibis.Table:
    """The entries a triangle counts (first joins, or every join), with their cohort, within the cohort range."""
    if entry == "first":
        first = first_stays(tables).select("group_id", "member_id", first_joined="joined_at")  # kept per dataset
    else:  # every join is an entry
        first = m.select("group_id", "member_id", first_joined=m.joined_at).distinct()
    if group_ids is not None:
        first = first.filter(first.group_id.isin(list(group_ids)))
    first = first.mutate(cohort=first.first_joined.truncate(COHORT_UNIT[period]))
    if start is not None:
        first = first.filter(first.cohort >= ibis.timestamp(pd.Timestamp(start, tz="UTC").to_pydatetime()))
    if stop is not None:
        first = first.filter(first.cohort < ibis.timestamp(pd.Timestamp(stop, tz="UTC").to_pydatetime()))
    return first


def _membership_counts(
    m: ibis.Table,
    first: ibis.Table,
    end: pd.Timestamp,
    length: int,
    brackets: tuple[int, ...] | None,
    bounded: bool,
    max_periods: int,
) -> pd.DataFrame:
    """Members per cohort still a member in period k (or in k or later)."""
    entries = ENTRY_COLUMNS
    spans = _stay_periods(m, first, end, length, brackets)
    if bounded:  # +1 where a stay starts covering, -1 after it stops: cumulative sum = members in period k
        starts = spans.group_by(["cohort", spans.k_from.name("k")]).aggregate(n=spans.count())
        stops = spans.group_by(["cohort", (spans.k_to + 1).name("k")]).aggregate(n=-spans.count())
        steps = starts.union(stops).to_pandas()
        counts = _cumulate(steps, max_periods, reverse=False)
    else:
        last = spans.group_by(entries).aggregate(k=spans.k_to.max())
        counts = _cumulate(
            last.group_by(["cohort", "k"]).aggregate(n=last.count()).to_pandas(), max_periods, reverse=True
        )
    return counts


def _activity_counts(
    tables: Tables, first: ibis.Table, length: int, brackets: tuple[int, ...] | None, bounded: bool, max_periods: int
) -> pd.DataFrame:
    """Members per cohort who wrote in period k (or in k or later)."""
    entries = ENTRY_COLUMNS
    # the periods she wrote in, from each week's first and last message (see member_weeks)
    per = member_weeks(tables).join(first, ["group_id", "member_id"])
    per = per.select(
        *entries,
        **{
            f"k_{at}": period_index(days_between(per[f"{at}_at"], per.first_joined), length, brackets, "start")
            for at in ("first", "last")
        },
    )
    if bounded:  # period k counts members who wrote in it: only the first max_periods matter
        per = per.filter((per.k_last >= 0) & (per.k_first <= max_periods))
    if bounded and max_periods < MASK_BITS and per._find_backend(use_default=True).name == "duckdb":
        # each member's periods as bits of one integer (a week's first and last message set theirs), then
        # members per cohort and bit: a grouping of members rather than of (member, period) pairs
        bits = [
            ibis.ifelse((k >= 0) & (k <= max_periods), ibis.literal(1, "int64") << k.clip(0, max_periods), 0)
            for k in (per.k_first, per.k_last)
        ]
        per = per.mutate(bits=bits[0] | bits[1])
        masks = per.group_by(entries).aggregate(mask=per.bits.bit_or())
        wide = (
            masks.group_by("cohort")
            .aggregate(**{str(k): ((masks.mask >> k) & 1).sum() for k in range(max_periods + 1)})
            .to_pandas()
        )
        steps = wide.melt(id_vars="cohort", var_name="k", value_name="n").astype({"k": "int64"})
        counts = _cumulate(steps, max_periods, reverse=None)
    elif bounded:  # more periods than bits, or no BIT_OR on this backend (Spark): distinct (member, period) pairs
        talk = ibis.union(*(per.select(*entries, k=per[f"k_{at}"]) for at in ("first", "last")), distinct=True)
        talk = talk.filter((talk.k >= 0) & (talk.k <= max_periods))
        counts = _cumulate(
            talk.group_by(["cohort", "k"]).aggregate(n=talk.count()).to_pandas(), max_periods, reverse=None
        )
    else:  # period k or later: her last period with a message
        per = per.filter(per.k_last >= 0)
        last = per.group_by(entries).aggregate(k=per.k_last.max())
        counts = _cumulate(
            last.group_by(["cohort", "k"]).aggregate(n=last.count()).to_pandas(), max_periods, reverse=True
        )
    return counts


def period_index(days: ibis.Value, length: int, brackets: tuple[int, ...] | None, at: str) -> ibis.Value:
    """The period an instant ``days`` after the entry falls in (-1 before it): fixed ``length`` days, or brackets.

    ``at="start"``: the period holding that instant; ``at="end"``: the last period a span
    ending then covers (an end exactly on a boundary does not reach into the next period).
    """
    if brackets is None:
        if at == "start":
            return (days / length).floor().cast("int64")
        return ((days / length).ceil() - 1).cast("int64")
    edges = brackets[1:]
    passed = [((days >= e) if at == "start" else (days > e)).cast("int64") for e in edges]
    index = passed[0]
    for more in passed[1:]:
        index = index + more
    before = (days < 0) if at == "start" else (days <= 0)
    return ibis.ifelse(before, ibis.literal(-1, "int64"), index)


def monthly_cohorts(triangle: Triangle) -> Triangle:
    """Weekly cohorts pooled into months (each week into the month holding most of its days, i.e. its Thursday).

    A month's cell is the retained members over the month's members, shown only when every
    week pooled into it has that cell (a month is never a mix of old and young weeks).
    """
    if triangle.period != "week" or triangle.counts.empty:
        return triangle
    month = (pd.DatetimeIndex(triangle.counts.index) + pd.Timedelta(days=3)).to_period("M").to_timestamp()
    if getattr(triangle.counts.index, "tz", None) is not None:
        month = month.tz_localize("UTC")
    counts = triangle.counts.groupby(month).sum(min_count=1)
    complete = triangle.counts.notna().groupby(month).all()
    sizes = triangle.cohort_sizes.groupby(month).sum()
    counts = counts.where(complete)
    rates = counts.div(sizes, axis=0)
    for frame in (rates, counts):
        frame.index.name = "cohort"
        frame.columns.name = triangle.counts.columns.name
    return replace(triangle, rates=rates, counts=counts, cohort_sizes=sizes)


def pooled_retention(triangle: Triangle) -> pd.DataFrame:
    """Retention by period since join over all cohorts old enough for it (member-weighted)."""
    counts = triangle.counts
    sizes = counts.notna().mul(triangle.cohort_sizes, axis=0)
    frame = pd.DataFrame(
        {"k": counts.columns.astype(int), "retained": counts.sum().to_numpy(), "members": sizes.sum().to_numpy()}
    )
    frame["retention"] = frame["retained"] / frame["members"].where(frame["members"] > 0)
    return frame


def _stay_periods(
    m: ibis.Table, first: ibis.Table, end: pd.Timestamp, length: int, brackets: tuple[int, ...] | None = None
) -> ibis.Table:
    """Per entry and stay from it on: the first and last period (since the entry) it covers, without double counts."""
    end_lit = ibis.literal(end.to_pydatetime(), type="timestamp('UTC')")
    s = m.join(first, ["group_id", "member_id"])
    s = s.filter(s.joined_at >= s.first_joined)  # an entry's own stay and the later ones (stays never overlap)
    until = ibis.coalesce(s.left_at, end_lit)
    k_from = period_index(days_between(s.joined_at, s.first_joined), length, brackets, "start")
    # a stay ending exactly on a boundary does not cover the next period
    k_to = period_index(days_between(until, s.first_joined), length, brackets, "end")
    spans = s.select(
        "group_id", "member_id", "first_joined", "cohort", "joined_at", k_from=k_from, k_to=ibis.greatest(k_to, k_from)
    )
    previous = spans.k_to.lag().over(
        ibis.window(group_by=["group_id", "member_id", "first_joined"], order_by="joined_at")
    )
    # a rejoin in the period its previous stay ended in starts one period later
    spans = spans.mutate(
        k_from=ibis.ifelse(previous.notnull() & (previous >= spans.k_from), previous + 1, spans.k_from)
    )
    return spans.filter(spans.k_from <= spans.k_to)


def _cumulate(steps: pd.DataFrame, max_periods: int, reverse: bool | None) -> pd.DataFrame:
    """Cohort x period counts from per-period numbers: as they are, running sums, or reverse sums."""
    wide = steps.pivot_table(index="cohort", columns="k", values="n", aggfunc="sum", fill_value=0)
    top = int(max(wide.columns.max(), max_periods)) if len(wide.columns) else max_periods
    wide = wide.reindex(columns=range(0, top + 2), fill_value=0)
    if reverse is True:
        wide = wide.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1]
    elif reverse is False:
        wide = wide.cumsum(axis=1)
    return wide.loc[:, :max_periods].astype(float)


LAYERS = ("new", "active", "resurrected", "silent", "churned")
"""Lifecycle layers, in order of precedence when a member fits several in one week."""


def lifecycle_layers(
    tables: Tables, end: pd.Timestamp | None = None, silent_weeks: int = 4, by_group: bool = False
) -> pd.DataFrame:
    """Members per week in each lifecycle layer (Monday weeks, UTC; ordinary members only).

    new: first joined this week. churned: left this week for good (and did not join in it).
    Of the rest who were members during the week: resurrected: spoke after ``silent_weeks``
    or more whole weeks without speaking (counted from the join); active: spoke otherwise;
    silent: did not speak. The five layers partition the members present each week.
    With ``by_group`` one row per group and week (sum over any set of groups for theirs).
    """
    end = end if end is not None else data_end(tables)
    members = first_stays(tables)
    end_week = monday_of(end)
    weeks = members.select(
        "group_id", "member_id", join_week=week_start(members.joined_at), leave_week=week_start(members.final_left_at)
    )
    talked = member_weeks(tables)
    # each talk week's previous one, over the narrow member-week rows (before the join widens them)
    previous = talked.week.lag().over(ibis.window(group_by=["group_id", "member_id"], order_by="week"))
    spoke = talked.select("group_id", "member_id", "week", previous=previous).join(weeks, ["group_id", "member_id"])
    gap_days = days_between(spoke.week, ibis.coalesce(spoke.previous, spoke.join_week))
    spoke = spoke.mutate(resurrected=gap_days >= 7 * (silent_weeks + 1))
    middle = spoke.filter(
        (spoke.week > spoke.join_week) & (spoke.leave_week.isnull() | (spoke.week < spoke.leave_week))
    )
    keys = ["group_id"] if by_group else []
    talk = (
        middle.group_by([*keys, "week"])
        .aggregate(resurrected=middle.resurrected.cast("int64").sum(), active=(~middle.resurrected).cast("int64").sum())
        .to_pandas()
    )
    new = weeks.group_by([*keys, weeks.join_week.name("week")]).aggregate(new=weeks.count()).to_pandas()
    gone = weeks.filter(weeks.leave_week.notnull())
    left = (
        gone.group_by([*keys, gone.leave_week.name("week")])
        .aggregate(churned=(gone.leave_week != gone.join_week).cast("int64").sum(), gone_after=gone.count())
        .to_pandas()
    )

    if new.empty:  # no member stays at all: no week to describe
        empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in [*keys, "week", "members", *LAYERS]})
        return empty.astype({"week": "datetime64[ns, UTC]", **({"group_id": "string"} if keys else {})})
    for part in (new, talk, left):
        part["week"] = naive_utc(pd.DatetimeIndex(part["week"]))
    all_weeks = pd.date_range(new["week"].min(), end_week, freq="W-MON")
    if by_group:
        grid = pd.MultiIndex.from_product([sorted(new["group_id"].unique()), all_weeks], names=["group_id", "week"])
        frame = grid.to_frame(index=False)
    else:
        frame = pd.DataFrame({"week": all_weeks})
    for part in (new, talk, left):
        frame = frame.merge(part, on=[*keys, "week"], how="left")
    frame = frame.fillna(0)
    # members during week w: joined in or before w, and not gone before w
    cum_new = frame.groupby(keys)["new"].cumsum() if keys else frame["new"].cumsum()
    cum_gone = frame.groupby(keys)["gone_after"].cumsum() if keys else frame["gone_after"].cumsum()
    frame["members"] = cum_new - (cum_gone - frame["gone_after"])
    frame["silent"] = frame["members"] - frame["new"] - frame["churned"] - frame["active"] - frame["resurrected"]
    frame["week"] = frame["week"].dt.tz_localize("UTC")
    cols = [*keys, "week", "members", *LAYERS]
    return frame[cols].astype({c: "int64" for c in ["members", *LAYERS]})


WAYS_OUT = {1: "quit", 2: "removed", 3: "reason not recorded"}
"""Codes of the ways a stay ends (0: still in)."""


def ways_out(members: pd.DataFrame) -> pd.DataFrame:
    """Members with the way each first stay ended: 0 still in, 1 quit, 2 removed, 3 left for a reason not recorded."""
    reason = members["leave_reason"] if "leave_reason" in members else pd.Series(None, index=members.index)
    cause = reason.map({"quit": 1, "removed": 2}).fillna(3).astype(int)
    return members.assign(cause=cause.where(members["left"].astype(bool), 0))


def largest_level(members: pd.DataFrame, by: str) -> str | None:
    """The level of ``by`` with the most members (the reference differences are taken from)."""
    counts = members[by].astype(str).value_counts()
    return str(counts.index[0]) if len(counts) else None


def with_attributes(conversions: pd.DataFrame, members: pd.DataFrame, by: str) -> pd.DataFrame:
    """Members' conversions with their group's ``by`` attribute and their monthly join cohort."""
    attributes = members[["group_id", "member_id", by]].drop_duplicates(["group_id", "member_id"])
    out = conversions.merge(attributes, on=["group_id", "member_id"], how="left")
    out["cohort"] = out["joined_at"].dt.tz_convert(None).dt.to_period("M").astype(str)
    return out


def curves_by_level(tables: Tables, members: pd.DataFrame, by: str, cohorts: dict) -> pd.DataFrame:
    """Pooled retention by periods since join, one curve per value of ``by`` (one triangle query per level)."""
    curves = []
    for level, groups in members.groupby(by, observed=True)["group_id"]:
        part = retention_triangle(tables, **cohorts, group_ids=groups.unique().tolist())
        curves.append(pooled_retention(part).assign(**{by: str(level)}))
    return pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=["k", "retention", by])
