"""Experiments that randomise whole groups: the assignment design and each group's outcomes before and after.

The unit of randomisation is the group, so every outcome here is a per-group total
(numerator and denominator), and the analysis (``models``) treats groups as
the independent units. Stages follow the group's age: launch (< 4 weeks), growth
(< 12 weeks), mature.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from helpers.data.engine import Tables, epoch_seconds
from helpers.data.event_time import DAY, data_end
from helpers.measures.group_week import messages_with_role
from helpers.measures.stages import STAGE_EDGES_DAYS, STAGES


def randomise(
    units: pd.DataFrame,
    arms: list[str],
    strata: list[str],
    seed: int,
    experiment: str,
    assigned_at: pd.Timestamp,
    weights: list[float] | None = None,
) -> pd.DataFrame:
    """Stratified randomisation of groups into arms, reproducible by seed, as the contract's assignments table.

    Within each stratum (the combination of the ``strata`` columns) groups are shuffled
    and dealt to arms in permuted blocks, so every stratum is balanced up to one block;
    ``weights`` give unequal allocation (default equal).
    """
    weights = np.asarray(weights if weights is not None else [1.0] * len(arms), float)
    rng = np.random.default_rng(seed)
    stratum = units[strata].astype(str).agg("|".join, axis=1) if strata else pd.Series("all", index=units.index)
    block = np.repeat(np.arange(len(arms)), np.round(weights / weights.min()).astype(int))
    arm_of = pd.Series(index=units.index, dtype=object)
    for _, members in stratum.groupby(stratum).groups.items():
        order = rng.permutation(np.asarray(members))
        deals = np.concatenate([rng.permutation(block) for _ in range(int(np.ceil(len(order) / len(block))))])
        arm_of.loc[order] = np.asarray(arms, dtype=object)[deals[: len(order)]]
    return pd.DataFrame(
        {
            "experiment": experiment,
            "group_id": units["group_id"].to_numpy(),
            "arm": arm_of.to_numpy(),
            "assigned_at": pd.Timestamp(assigned_at),
            "stratum": stratum.to_numpy(),
        }
    )


def group_outcomes(
    tables: Tables, experiment: str, horizon_days: int = 30, end: pd.Timestamp | None = None, pre_days: int = 90
) -> pd.DataFrame:
    """Per randomised group: its arm, and exit, message and interaction totals before and after assignment.

    - Post exits: members (role member) present at or joining after ``assigned_at``; exposure
      starts at max(joined, assigned); counted if it starts ``horizon_days`` before the end;
      exited if the stay ended within ``horizon_days`` of its start. Also per stage at that start.
    - Pre exits (for CUPED): members who joined in the ``pre_days`` before assignment and at
      least ``horizon_days`` before it; exited within ``horizon_days`` of joining.
    - Messages and member-days of role member after (and in the ``pre_days`` before) assignment.
    - Where the dataset has conversions: those credited to the group after (and in the ``pre_days``
      before) assignment, and their value (unknown values count 0).
    Groups assigned at creation have no pre-period (their pre columns are 0).
    """
    if tables.assignments is None:
        raise ValueError("this dataset has no assignments table")
    end = end if end is not None else data_end(tables)
    end_s = ibis.literal(pd.Timestamp(end).timestamp())
    a = tables.assignments.filter(tables.assignments.experiment == experiment)
    g = tables.groups.select("group_id", created_s=epoch_seconds(tables.groups.created_at))
    a = a.join(g, "group_id").select("group_id", "arm", "stratum", "created_s", assigned_s=epoch_seconds(a.assigned_at))
    horizon = horizon_days * DAY
    m = tables.memberships.filter(tables.memberships.role == "member")
    m = m.select("group_id", joined_s=epoch_seconds(m.joined_at), left_s=epoch_seconds(m.left_at)).join(a, "group_id")
    stop = m.left_s.fill_null(end_s)
    start = ibis.greatest(m.joined_s, m.assigned_s)
    post = m.filter(stop > m.assigned_s).mutate(start=start)
    post = post.filter(post.start + horizon <= end_s)
    age_days = (post.start - post.created_s) / DAY
    post = post.mutate(
        exited=(post.left_s.notnull() & (post.left_s < post.start + horizon)).cast("int64"),
        stage=ibis.cases(
            (age_days < STAGE_EDGES_DAYS[0], "launch"), (age_days < STAGE_EDGES_DAYS[1], "growth"), else_="mature"
        ),
    )
    by_stage = post.group_by(["group_id", "stage"]).aggregate(members=post.count(), exits=post.exited.sum())

    pre = m.filter((m.joined_s < m.assigned_s - horizon) & (m.joined_s >= m.assigned_s - pre_days * DAY))
    pre = pre.group_by("group_id").aggregate(
        pre_members=pre.count(),
        pre_exits=(pre.left_s.notnull() & (pre.left_s < pre.joined_s + horizon)).cast("int64").sum(),
    )
    days = m.mutate(
        post_days=ibis.greatest(stop - ibis.greatest(m.joined_s, m.assigned_s), 0) / DAY,
        pre_days=ibis.greatest(
            ibis.least(stop, m.assigned_s) - ibis.greatest(m.joined_s, m.assigned_s - pre_days * DAY), 0
        )
        / DAY,
    )
    member_days = days.group_by("group_id").aggregate(
        post_member_days=days.post_days.sum(), pre_member_days=days.pre_days.sum()
    )
    # messages compared as instants (seconds since 1970 as doubles cost a third of this pass over the messages)
    assigned = tables.assignments.filter(tables.assignments.experiment == experiment)
    assigned = assigned.select("group_id", "assigned_at", pre_from=assigned.assigned_at - ibis.interval(days=pre_days))
    msg = messages_with_role(tables)
    msg = msg.filter(msg.role == "member").select("group_id", "sent_at").join(assigned, "group_id")
    talk = msg.group_by("group_id").aggregate(
        post_messages=(msg.sent_at >= msg.assigned_at).cast("int64").sum(),
        pre_messages=((msg.sent_at < msg.assigned_at) & (msg.sent_at >= msg.pre_from)).cast("int64").sum(),
    )

    parts = [pre, member_days, talk]
    if tables.conversions is not None:
        parts.append(_conversion_totals(tables.conversions, a, pre_days))
    frame = a.to_pyarrow().to_pandas()
    for part in parts:
        frame = frame.merge(part.to_pyarrow().to_pandas(), on="group_id", how="left")
    frame = frame.merge(_stage_columns(by_stage).reset_index(), on="group_id", how="left").fillna(0)
    frame["age_at_assignment_days"] = (frame["assigned_s"] - frame.pop("created_s")) / DAY
    frame["assigned_at"] = pd.to_datetime(frame.pop("assigned_s"), unit="s", utc=True)
    frame["has_pre_period"] = frame["pre_member_days"] > 0
    counts = [c for c in frame.columns if c.startswith(("members", "exits", "pre_members", "pre_exits"))]
    counts += ["post_messages", "pre_messages"]
    counts += [c for c in ("post_conversions", "pre_conversions") if c in frame]
    frame[counts] = frame[counts].astype("int64")
    return frame.sort_values("group_id").reset_index(drop=True)


def _conversion_totals(c: ibis.Table, assigned: ibis.Table, pre_days: int) -> ibis.Table:
    """Per group: conversions and their value after assignment and in the ``pre_days`` before (unknown values 0)."""
    c = c.select("group_id", at_s=epoch_seconds(c.converted_at), value=c.value.fill_null(0.0)).join(
        assigned, "group_id"
    )
    after = c.at_s >= c.assigned_s
    before = (c.at_s < c.assigned_s) & (c.at_s >= c.assigned_s - pre_days * DAY)
    return c.group_by("group_id").aggregate(
        post_conversions=after.cast("int64").sum(),
        pre_conversions=before.cast("int64").sum(),
        post_value=ibis.ifelse(after, c.value, 0.0).sum(),
        pre_value=ibis.ifelse(before, c.value, 0.0).sum(),
    )


def _stage_columns(by_stage: ibis.Table) -> pd.DataFrame:
    """Members and exits per stage as columns (0 for a stage nobody was exposed in), and their totals, by group."""
    stages = (
        by_stage.to_pyarrow()
        .to_pandas()
        .pivot_table(index="group_id", columns="stage", values=["members", "exits"], fill_value=0)
    )
    stages.columns = [f"{value}_{stage}" for value, stage in stages.columns]
    for stage in STAGES:
        for value in ("members", "exits"):
            if f"{value}_{stage}" not in stages:
                stages[f"{value}_{stage}"] = 0
    stages["members"] = stages[[f"members_{s}" for s in STAGES]].sum(axis=1)
    stages["exits"] = stages[[f"exits_{s}" for s in STAGES]].sum(axis=1)
    return stages


def add_interaction(outcomes: pd.DataFrame, panel: pd.DataFrame, pre_days: int = 90) -> pd.DataFrame:
    """Add speakers and member-weeks (from the group-week panel) in whole weeks after and before assignment.

    Post: weeks starting at or after ``assigned_at``; pre: weeks ending at or before it,
    within ``pre_days``. Interaction rate = speakers / members in the week, summed over weeks.
    """
    weeks = panel.merge(outcomes[["group_id", "assigned_at"]], on="group_id")
    week = pd.to_datetime(weeks["week"], utc=True)
    post = weeks[week >= weeks["assigned_at"]]
    pre = weeks[
        (week + pd.Timedelta(days=7) <= weeks["assigned_at"])
        & (week >= weeks["assigned_at"] - pd.Timedelta(days=pre_days))
    ]
    sums = {}
    for name, part in (("post", post), ("pre", pre)):
        total = part.groupby("group_id")[["speakers", "members_in_week"]].sum()
        sums[f"{name}_speakers"] = total["speakers"]
        sums[f"{name}_member_weeks"] = total["members_in_week"]
    added = pd.DataFrame(sums).reset_index().rename(columns={"index": "group_id"})
    out = outcomes.merge(added, on="group_id", how="left")
    columns = list(sums)
    out[columns] = out[columns].fillna(0).astype("int64")
    return out


def member_exposures(tables: Tables, experiment: str, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per member stay exposed to the experiment: its group, arm, days from exposure to exit, and whether it ended.

    Exposure starts at the later of joining and assignment (as in ``group_outcomes``), for
    stays of role member still open at assignment; a stay open at the data's end is
    censored there. Time runs from exposure, so stays present at assignment and later
    joiners share one clock: the arm's effect on how long exposed members stay.
    """
    if tables.assignments is None:
        raise ValueError("this dataset has no assignments table")
    end = end if end is not None else data_end(tables)
    end_s = ibis.literal(pd.Timestamp(end).timestamp())
    a = tables.assignments.filter(tables.assignments.experiment == experiment)
    a = a.select("group_id", "arm", assigned_s=epoch_seconds(a.assigned_at))
    m = tables.memberships.filter(tables.memberships.role == "member")
    m = m.select("group_id", joined_s=epoch_seconds(m.joined_at), left_s=epoch_seconds(m.left_at)).join(a, "group_id")
    stop = m.left_s.fill_null(end_s)
    start = ibis.greatest(m.joined_s, m.assigned_s)
    exposed = m.filter((stop > m.assigned_s) & (start < end_s))
    out = exposed.select(
        "group_id",
        "arm",
        duration_days=(ibis.least(stop, end_s) - start) / DAY,
        left=exposed.left_s.notnull() & (exposed.left_s <= end_s),
    )
    return out.to_pyarrow().to_pandas()


def with_pre_rates(groups: pd.DataFrame) -> pd.DataFrame:
    """Groups with their pre-period exit rate and messages per member-week (NaN where the group had no pre-period)."""
    out = groups.copy()
    out["pre_exit_rate"] = out["pre_exits"] / out["pre_members"].where(out["pre_members"] > 0)
    out["pre_messages_per_member_week"] = (
        7 * out["pre_messages"] / out["pre_member_days"].where(out["pre_member_days"] > 0)
    )
    return out
