"""Operations planted per batch: group activities, welcome pacing in join peaks, service agents (claims 7-9).

Drawn once per batch from a stream of their own, before any run, so every arm's run sees
the same activities, welcome policy and agents. Each multiplies members' exit hazard
(``exit_factor``), always by quantities an analyst can rebuild from the contract tables:

- activities: while a group at least 30 days old started fewer than 2 activities in the
  30 days before the day, x ``sparse_activity_exit_hr`` (and conversions x
  ``sparse_activity_conversion_rr``; members talk more on a day an activity starts);
- welcome pacing: a member who joined in a join peak (6+ members joining the group in
  that clock hour), in her first 14 days, x (joins that hour / 6) ^ ``peak_crowding_exit``
  (crowding, whatever the welcomes), and x ``welcome_flood_exit_hr`` if her group welcomes
  each join separately instead of one announcement every 15-30 minutes. Fast-filling
  groups space their welcomes more often (``welcome_confounding``), and they also have the
  bigger peaks: peak size confounds a naive comparison;
- staffing: while the group's service agent (the assistant, the same person across her
  groups, all in one experiment arm) serves more than 10,000 members that day, x
  ``overload_exit_hr``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from helpers.claims.registry import (
    ACTIVITIES_MIN_PER_MONTH,
    AGENT_MEMBER_LIMIT,
    JOIN_PEAK_JOINS,
    WELCOME_SPACING_MINUTES,
    WELCOME_WINDOW_DAYS,
)
from helpers.data.schema import ACTIVITY_KINDS
from helpers.synth.world import World

MONTH_DAYS = 30
"""Activities are counted over the 30 days before each day."""

ACTIVITY_KIND_SHARES = (0.3, 0.25, 0.2, 0.15, 0.1, 0.0)
"""Kinds drawn for planted activities (quiz, check-in, live session, lottery, course, other)."""

ACTIVITY_HOURS = 1 / 24
"""A planted activity lasts an hour, starting 18-22 h local (10-14 h UTC)."""


@dataclass(frozen=True)
class Operations:
    """One batch's activities, welcome policy and service agents."""

    cadence: np.ndarray  # per group: planned activities per 30 days
    activity_group: np.ndarray  # per activity: local group index
    activity_start: np.ndarray  # per activity: days since the dataset start
    activity_kind: np.ndarray  # per activity: index into ACTIVITY_KINDS
    recent: np.ndarray  # (groups, days): activities started in the 30 days before the day
    today: np.ndarray  # (groups, days): an activity starts that day
    spaced: np.ndarray  # per group: welcomes spaced 15-30 minutes apart (else one per join)
    spacing_minutes: np.ndarray  # per group: minutes between spaced welcomes (0 for one per join)
    hour_joins: np.ndarray  # per stay: members who joined the group in that stay's clock hour (0 for operators)
    agent: np.ndarray  # per group: local index of its service agent
    n_agents: int

    def sparse(self, created: np.ndarray, day: int) -> np.ndarray:
        """Per group: at least 30 days old and fewer than 2 activities started in the 30 days before ``day``."""
        return (day - created >= MONTH_DAYS) & (self.recent[:, day] < ACTIVITIES_MIN_PER_MONTH)


def _activities(
    plan: pd.DataFrame, world: World, n_days: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Planned cadence per group and a Poisson stream of activities from the day after creation."""
    n_groups = len(plan)
    low, high = np.log(world.activity_cadence_min), np.log(world.activity_cadence_max)
    cadence = np.exp(rng.uniform(low, high, n_groups))
    first = np.floor(plan["created_day"].to_numpy()) + 1
    span = np.maximum(n_days - first, 0)
    count = rng.poisson(cadence / MONTH_DAYS * span)
    group = np.repeat(np.arange(n_groups), count)
    day = np.floor(first[group] + rng.random(len(group)) * span[group])
    start = day + (10 + 4 * rng.random(len(group))) / 24
    kind = rng.choice(len(ACTIVITY_KINDS), size=len(group), p=ACTIVITY_KIND_SHARES)
    return cadence, group, start, kind


def _recent(group: np.ndarray, start: np.ndarray, n_groups: int, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group and day: activities started in the 30 days before it, and whether one starts that day."""
    per_day = np.zeros((n_groups, n_days + 1))
    np.add.at(per_day, (group, np.floor(start).astype(np.int64)), 1)
    per_day = per_day[:, :n_days]
    before = np.concatenate([np.zeros((n_groups, 1)), np.cumsum(per_day, axis=1)], axis=1)  # started before day d
    lag = np.maximum(np.arange(n_days) - MONTH_DAYS, 0)
    recent = before[:, :n_days] - np.where(np.arange(n_days) >= MONTH_DAYS, before[:, lag], 0.0)
    return recent, per_day > 0


def hour_joins(group: np.ndarray, joined: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per stay: members who joined the same group in the same clock hour (0 for operators)."""
    hour = np.floor(joined * 24).astype(np.int64)
    key = group.astype(np.int64) * 10_000_000 + hour
    _, inverse, counts = np.unique(key[member], return_inverse=True, return_counts=True)
    out = np.zeros(len(group), dtype=np.int64)
    out[member] = counts[inverse]
    return out


def join_waves(cohort, plan: pd.DataFrame, world: World, total_days: float, rng: np.random.Generator):
    """The cohort with a share of each group-day's joins moved into one wave that day (join peaks).

    A wave starts at a random daytime hour of the day (09-22 h local); the joins it takes
    follow it by Exp(``join_burst_minutes``), kept inside the day, after the group's creation
    and before the data's end. Daily join counts stay as drawn; early-member flags follow
    the new times.
    """
    member = np.nonzero(cohort.role == 3)[0]
    created = plan["created_day"].to_numpy()
    joined = cohort.joined.copy()
    day = np.floor(joined[member])
    moves = rng.random(len(member)) < world.join_burst_share
    key = cohort.group[member].astype(np.int64) * 100_000 + day.astype(np.int64)
    _, wave_of = np.unique(key, return_inverse=True)
    wave_hour = rng.uniform(1, 14, wave_of.max() + 1 if len(wave_of) else 0) / 24  # 09-22 local is 01-14 UTC
    at = day + wave_hour[wave_of] + rng.exponential(world.join_burst_minutes / 1440, len(member))
    low = np.maximum(created[cohort.group[member]], day)
    high = np.minimum(day + 1, total_days) - 1e-6
    moved = np.clip(at, low, high)
    joined[member] = np.where(moves & (high > low), moved, joined[member])
    early = cohort.early.copy()
    early[member] = joined[member] - created[cohort.group[member]] <= world.early_days
    return replace(cohort, joined=joined, early=early)


def draw_operations(plan: pd.DataFrame, cohort, world: World, total_days: float, rng: np.random.Generator):
    """The batch's activities, welcome policy per group and agent per group (see the module docstring)."""
    n_groups, n_days = len(plan), int(np.ceil(total_days))
    cadence, group, start, kind = _activities(plan, world, n_days, rng)
    keep = start < total_days
    group, start, kind = group[keep], start[keep], kind[keep]
    recent, today = _recent(group, start, n_groups, n_days)

    speed = np.log(plan["target_size"].to_numpy(float) / plan["window_days"].to_numpy(float))
    z = (speed - speed.mean()) / speed.std() if n_groups > 1 and speed.std() > 0 else np.zeros(n_groups)
    share = np.clip(world.welcome_spaced_share, 1e-6, 1 - 1e-6)
    odds = np.log(share / (1 - share)) + world.welcome_confounding * z
    spaced = rng.random(n_groups) < 1 / (1 + np.exp(-odds))
    low, high = WELCOME_SPACING_MINUTES
    spacing = np.where(spaced, rng.uniform(low, high, n_groups), 0.0)

    agent, n_agents = _agents(plan["arm"].to_numpy(str), world, rng)
    return Operations(
        cadence=cadence,
        activity_group=group.astype(np.int64),
        activity_start=start,
        activity_kind=kind,
        recent=recent,
        today=today,
        spaced=spaced,
        spacing_minutes=spacing,
        hour_joins=hour_joins(cohort.group, cohort.joined, cohort.role == 3),
        agent=agent.astype(np.int64),
        n_agents=n_agents,
    )


def _agents(arms: np.ndarray, world: World, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Per group: its service agent, drawn among the groups of its own arm; and the number of agents.

    Each arm's run simulates every group under that arm, and an agent's load is counted in
    the run; keeping an agent's groups in one arm makes that load the one the written data
    shows (agents spanning arms would be overloaded on a load nobody can observe).
    """
    agent = np.zeros(len(arms), dtype=np.int64)
    n_agents = 0
    for arm in np.unique(arms):
        groups = np.flatnonzero(arms == arm)
        n = max(1, int(round(len(groups) / world.agent_groups_median)))
        weights = np.exp(world.agent_groups_sigma * rng.standard_normal(n))
        agent[groups] = n_agents + rng.choice(n, size=len(groups), p=weights / weights.sum())
        n_agents += n
    return agent, n_agents


def overloaded(ops: Operations, group: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per group: its agent serves more than 10,000 members today (members present in all her groups)."""
    load = np.bincount(ops.agent[group[member]], minlength=ops.n_agents)
    return load[ops.agent] > AGENT_MEMBER_LIMIT


def exit_factor(
    world: World,
    ops: Operations,
    stays: np.ndarray,
    group: np.ndarray,
    tenure: np.ndarray,
    sparse: np.ndarray,
    over: np.ndarray,
) -> np.ndarray:
    """Per present stay: the operations' multiplier of the exit hazard (activities x staffing x welcome pacing)."""
    joins = ops.hour_joins[stays]
    peak = (joins >= JOIN_PEAK_JOINS) & (tenure < WELCOME_WINDOW_DAYS)
    crowd = (np.maximum(joins, 1) / JOIN_PEAK_JOINS) ** world.peak_crowding_exit
    flood = np.where(ops.spaced[group], 1.0, world.welcome_flood_exit_hr)
    return (
        np.where(sparse[group], world.sparse_activity_exit_hr, 1.0)
        * np.where(over[group], world.overload_exit_hr, 1.0)
        * np.where(peak, crowd * flood, 1.0)
    )


def welcome_times(cohort, ops: Operations, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The assistant's welcome announcements: group and time (days), one per join or spaced 15-30 minutes apart.

    One per join: 1-20 minutes after it. Spaced: a join after the last announcement gets one
    1-5 minutes later, but never sooner than the group's spacing after the previous one;
    joins before an announcement already due are covered by it.
    """
    members = np.nonzero(cohort.role == 3)[0]
    group, joined = cohort.group[members], cohort.joined[members]
    per_join = ~ops.spaced[group]
    out_group = [group[per_join]]
    out_time = [joined[per_join] + rng.uniform(1, 20, per_join.sum()) / 1440]
    for g in np.nonzero(ops.spaced)[0]:
        times = np.sort(joined[group == g])
        delay = rng.uniform(1, 5, len(times)) / 1440
        gap = ops.spacing_minutes[g] / 1440
        sent: list[float] = []
        for t, d in zip(times, delay, strict=True):
            if sent and t <= sent[-1]:
                continue
            sent.append(max(t + d, sent[-1] + gap) if sent else t + d)
        out_group.append(np.full(len(sent), g))
        out_time.append(np.array(sent))
    return np.concatenate(out_group).astype(np.int64), np.concatenate(out_time)


def participants(ops: Operations, cohort, exit_day: np.ndarray, world: World, rng: np.random.Generator):
    """Who took part in each activity: members present at its start, each with the world's chance (x3 for KOCs)."""
    member = cohort.role == 3
    chance = np.clip(world.activity_participation * np.where(cohort.koc, 3.0, 1.0), 0.0, 1.0)
    act_out, stay_out = [], []
    order = np.argsort(ops.activity_group, kind="stable")
    bounds = np.searchsorted(ops.activity_group[order], np.arange(len(ops.cadence) + 1))
    for g in range(len(ops.cadence)):
        acts = order[bounds[g] : bounds[g + 1]]
        stays = np.nonzero((cohort.group == g) & member)[0]
        if not len(acts) or not len(stays):
            continue
        at = ops.activity_start[acts]
        present = (cohort.joined[stays][:, None] < at[None, :]) & (exit_day[stays][:, None] > at[None, :])
        takes = present & (rng.random(present.shape) < chance[stays][:, None])
        who, which = np.nonzero(takes)
        act_out.append(acts[which])
        stay_out.append(stays[who])
    if not act_out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(act_out), np.concatenate(stay_out)
