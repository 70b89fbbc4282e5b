"""Recruitment windows, recruitment curves and early members: the tables of the recruitment study.

The recruitment window of a group is the time from its creation to its n-th joiner,
n = ``target_size`` (default 150, the practitioners' critical size), or the group's own
target if smaller (``cap_at_group_target``). Joiners are distinct people of any role, by
their first join: joins, not headcount net of exits, so the window measures recruitment
alone. Groups with fewer joiners have no window: they never filled (censored at the data's
end).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from helpers.data.engine import Tables, epoch_seconds
from helpers.data.event_time import DAY, data_end
from helpers.data.outliers import EARLIEST_PLAUSIBLE
from helpers.measures.members import first_stays, homogeneous, join_known

WINDOW_BINS = (7, 14, 28, 42)
"""Upper edges in days of the window bins <=1w, 1-2w, 2-4w, 4-6w; beyond is >6w; 'never' if unfilled."""


def window_bin_labels(edges: tuple[int, ...] = WINDOW_BINS) -> list[str]:
    """Labels of the window bins: '<=1w', '1-2w', '2-4w', '4-6w', '>6w', 'never' for the default edges."""
    weeks = [f"{e / 7:g}" for e in edges]
    return [f"<={weeks[0]}w"] + [f"{a}-{b}w" for a, b in zip(weeks[:-1], weeks[1:])] + [f">{weeks[-1]}w", "never"]


def _joiners(tables: Tables) -> ibis.Table:
    """Distinct people per group (any role) with their first join."""
    m = tables.memberships
    return m.group_by(["group_id", "member_id"]).aggregate(first_joined=m.joined_at.min())


def recruitment_windows(
    tables: Tables,
    target_size: int = 150,
    cap_at_group_target: bool = True,
    end: pd.Timestamp | None = None,
    window_bins: tuple[int, ...] = WINDOW_BINS,
) -> pd.DataFrame:
    """One row per group: fill size, ``window_days`` to reach it (empty if never), joiners so far, window bin.

    ``start_seen`` is False for a group the data sees only after it began (members present
    before the data, with no known join) or whose creation is not a real time (before 2000,
    e.g. 1970-01-01): its window is not known, and the study leaves it out.
    Also ``observed_days`` (creation to the data's end), ``filled``, the group's channel,
    segment, target size and ``homogeneous`` (no attribute 'mixed').
    """
    end = end if end is not None else data_end(tables)
    joiners = _joiners(tables)
    ranked = joiners.mutate(rank=ibis.row_number().over(group_by="group_id", order_by="first_joined") + 1)
    g = tables.groups
    fill = ibis.literal(int(target_size))
    if cap_at_group_target:
        fill = ibis.least(fill, g.target_size.fill_null(int(target_size)))
    g = g.mutate(fill_size=fill.cast("int64"))
    nth = ranked.join(g.select("group_id", "fill_size"), "group_id")
    nth = nth.filter(nth["rank"] == nth.fill_size).select("group_id", filled_at=nth.first_joined)
    m = tables.memberships
    plausible = ibis.literal(EARLIEST_PLAUSIBLE.to_pydatetime(), type="timestamp('UTC')")
    totals = joiners.group_by("group_id").aggregate(joiners=joiners.count())
    unseen = m.group_by("group_id").aggregate(unseen_joins=(~join_known(m)).cast("int64").sum())
    out = g.left_join(nth, "group_id").drop("group_id_right").left_join(totals, "group_id").drop("group_id_right")
    out = out.left_join(unseen, "group_id").drop("group_id_right")
    out = out.select(
        "group_id",
        "channel",
        "city",
        "segment",
        "target_size",
        "fill_size",
        "joiners",
        start_seen=(out.unseen_joins.fill_null(0) == 0) & (out.created_at >= plausible),
        created_s=epoch_seconds(out.created_at),
        filled_s=epoch_seconds(out.filled_at),
    )
    frame = out.to_pyarrow().to_pandas()
    end_s = pd.Timestamp(end).timestamp()
    frame["window_days"] = (frame.pop("filled_s") - frame["created_s"]) / DAY
    frame["observed_days"] = (end_s - frame.pop("created_s")) / DAY
    frame["joiners"] = frame["joiners"].fillna(0).astype("int64")
    frame["filled"] = frame["window_days"].notna()
    frame["homogeneous"] = homogeneous(frame)
    labels = window_bin_labels(window_bins)
    edges = [-np.inf, *window_bins, np.inf]
    frame["window_bin"] = pd.Categorical(
        pd.cut(frame["window_days"], edges, labels=labels[:-1], right=True)
        .astype(object)
        .where(frame["filled"], "never"),
        categories=labels,
        ordered=True,
    )
    return frame.sort_values("group_id").reset_index(drop=True)


def early_members(
    tables: Tables,
    windows: pd.DataFrame,
    early_days: float | None = 14,
    early_k: int | None = None,
    horizon_days: int = 60,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Early members (role member) of each group with their first stay and the ``horizon_days`` outcome.

    Early = joined within ``early_days`` of the group's creation, or (if ``early_k`` is set)
    among its first ``early_k`` member joiners. Outcome ``exited``: the first stay ended
    within ``horizon_days`` of joining; ``counted`` is False for members who joined less
    than ``horizon_days`` before the data's end (their outcome is not known yet).
    ``duration_days`` / ``left`` give time to first exit, censored at the data's end.
    """
    if (early_days is None) == (early_k is None):
        raise ValueError("set exactly one of early_days and early_k")
    end = end if end is not None else data_end(tables)
    stays = first_stays(tables)
    stays = stays.filter(join_known(stays))  # a member present before the data has no known join day
    g = tables.groups.select("group_id", "created_at")
    stays = stays.join(g, "group_id")
    stays = stays.mutate(joined_day=(epoch_seconds(stays.joined_at) - epoch_seconds(stays.created_at)) / DAY)
    if early_k is None:
        early = stays.filter(stays.joined_day <= early_days)
    else:  # the ranking is a window over every stay: only when asked for
        rank = ibis.row_number().over(group_by="group_id", order_by=["joined_at", "member_id"]) + 1
        early = stays.mutate(rank=rank).filter(lambda t: t["rank"] <= early_k)
    end_lit = ibis.literal(pd.Timestamp(end).to_pydatetime(), type="timestamp('UTC')")
    early = early.select(
        "group_id",
        "member_id",
        "joined_day",
        duration_days=(epoch_seconds(ibis.coalesce(early.left_at, end_lit)) - epoch_seconds(early.joined_at)) / DAY,
        left=early.left_at.notnull(),
        room_days=(epoch_seconds(end_lit) - epoch_seconds(early.joined_at)) / DAY,
    )
    frame = early.to_pyarrow().to_pandas()
    frame["counted"] = frame.pop("room_days") >= horizon_days
    frame["exited"] = frame["left"] & (frame["duration_days"] <= horizon_days)
    columns = [
        "group_id",
        "window_days",
        "window_bin",
        "filled",
        "fill_size",
        "target_size",
        "channel",
        "segment",
        "homogeneous",
    ]
    return frame.merge(windows[columns], on="group_id", how="inner").sort_values(
        ["group_id", "joined_day"], ignore_index=True
    )


def recruitment_curves(tables: Tables, days: int = 120) -> pd.DataFrame:
    """Per group and day since creation (0..days): cumulative joiners and members present (role member)."""
    m = tables.memberships.filter(tables.memberships.role == "member")
    g = tables.groups.select("group_id", created_s=epoch_seconds(tables.groups.created_at))
    moves = m.join(g, "group_id")
    joins = moves.select(
        "group_id",
        day=((epoch_seconds(moves.joined_at) - moves.created_s) / DAY).floor().cast("int64"),
        joined=ibis.literal(1),
        departed=ibis.literal(0),
    )
    left = moves.filter(moves.left_at.notnull())
    leaves = left.select(
        "group_id",
        day=((epoch_seconds(left.left_at) - left.created_s) / DAY).floor().cast("int64"),
        joined=ibis.literal(0),
        departed=ibis.literal(1),
    )
    steps = joins.union(leaves)
    steps = steps.filter(steps.day <= days)
    daily = steps.group_by(["group_id", "day"]).aggregate(joins=steps.joined.sum(), leaves=steps.departed.sum())
    frame = daily.to_pyarrow().to_pandas()
    grid = pd.MultiIndex.from_product([sorted(frame["group_id"].unique()), range(days + 1)], names=["group_id", "day"])
    frame = frame.set_index(["group_id", "day"]).reindex(grid, fill_value=0).reset_index()
    frame["joiners"] = frame.groupby("group_id")["joins"].cumsum()
    frame["members"] = frame["joiners"] - frame.groupby("group_id")["leaves"].cumsum()
    return frame[["group_id", "day", "joiners", "members"]]


def mean_members(curves: pd.DataFrame, until_day: int) -> pd.Series:
    """Per group: mean members present over days 0..``until_day`` since creation (from ``recruitment_curves``)."""
    part = curves[curves["day"] <= until_day]
    return part.groupby("group_id")["members"].mean()
