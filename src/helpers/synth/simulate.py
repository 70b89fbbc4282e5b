"""The day-by-day simulation of one batch of groups: arrivals, exits and message counts.

Everything random that shapes who stays is drawn once per batch, before the day loop
(``draw_cohort``, ``draw_weeks``), so the same batch can be run under each experiment arm
with common random numbers: a member leaves when her cumulative hazard passes her own
Exp(1) threshold, and only the hazard depends on the arm. The difference between two
runs is then the arm's effect on these very groups, with no sampling noise in it.
Message counts come from a separate random stream and never feed back into exits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.synth import operations as ops_
from helpers.synth.world import ARMS, STAGES, World

ROLE_CODES = ("owner", "monitor", "assistant", "member")
MEMBER = 3
WEEK_OFFSET_DAYS = 2
"""Day 0 (2025-01-01) is a Wednesday: week k runs from Monday ``7k - 2``."""


@dataclass(frozen=True)
class Cohort:
    """Every stay of one batch (operators first in each group), drawn before any run."""

    group: np.ndarray  # local group index
    joined: np.ndarray  # days since the dataset start
    role: np.ndarray  # index into ROLE_CODES
    propensity: np.ndarray  # messages per day before multipliers
    koc: np.ndarray  # bool
    early: np.ndarray  # joined within world.early_days of the group's creation
    threshold: np.ndarray  # Exp(1): leaves when cumulative hazard passes it
    removed: np.ndarray  # bool: an exit would be a removal, not a quit


@dataclass(frozen=True)
class Weeks:
    """Per group and week: promo-share noise and the monitor's planned share."""

    promo_noise: np.ndarray  # (groups, weeks) lognormal multiplier
    monitor_share: np.ndarray  # (groups, weeks)


@dataclass
class Run:
    """What one run of a batch under given arms produced."""

    exit_day: np.ndarray  # per stay; inf if still a member at the end
    reached_day: np.ndarray  # per group: day of its min(target, critical_size)-th join; inf if never
    message_member: np.ndarray  # member messages: stay index, day, count (only groups asked for)
    message_day: np.ndarray
    message_count: np.ndarray
    expected_messages: np.ndarray  # (groups, days) expected member messages
    post_member_days: np.ndarray  # (groups, 3 stages) member-days after assignment
    post_messages: np.ndarray  # (groups, 3 stages) expected member messages after assignment
    member_messages: np.ndarray  # per stay: expected messages over the stay (up to the data's end)
    conversion_member: np.ndarray  # conversions drawn (only groups asked for): stay index and time (days)
    conversion_time: np.ndarray
    post_conversions: np.ndarray  # (groups, 3 stages) expected conversions after assignment
    overload_member_days: np.ndarray | None = None  # per group: member-days while its agent served 10,000+
    sparse_member_days: np.ndarray | None = None  # per group: member-days with < 2 activities in the last 30 days


def draw_cohort(plan: pd.DataFrame, world: World, total_days: float, rng: np.random.Generator) -> Cohort:
    """Arrivals (front-loaded over each group's window, until the target or give-up) and member traits."""
    n_groups = len(plan)
    created = plan["created_day"].to_numpy()
    target = plan["target_size"].to_numpy()
    window = plan["window_days"].to_numpy()
    group = np.repeat(np.arange(n_groups), target)
    offset = window[group] * rng.random(len(group)) ** world.arrival_front_load
    joined = created[group] + offset
    keep = (offset <= world.recruiting_gives_up_days) & (joined < total_days)
    group, offset, joined = group[keep], offset[keep], joined[keep]

    op_group = np.repeat(np.arange(n_groups), 3)
    op_joined = created[op_group] + np.tile([0.0, 1.0, 2.0], n_groups) / 1440
    order = np.argsort(np.concatenate([op_group, group]), kind="stable")
    group = np.concatenate([op_group, group])[order]
    joined = np.concatenate([op_joined, joined])[order]
    role = np.concatenate([np.tile([0, 1, 2], n_groups), np.full(keep.sum(), MEMBER)])[order].astype(np.int8)
    early = np.concatenate([np.zeros(3 * n_groups, bool), offset <= world.early_days])[order]

    n = len(group)
    koc = (rng.random(n) < world.koc_share) & (role == MEMBER)
    propensity = np.where(
        koc,
        np.exp(np.log(world.koc_activity_median) + world.koc_activity_sigma * rng.standard_normal(n)),
        np.exp(np.log(world.activity_median) + world.activity_sigma * rng.standard_normal(n)),
    )
    return Cohort(
        group=group.astype(np.int32),
        joined=joined,
        role=role,
        propensity=propensity,
        koc=koc,
        early=early,
        threshold=rng.exponential(1.0, n),
        removed=rng.random(n) < world.removed_share,
    )


def fill_days(cohort: Cohort, fill_size: np.ndarray) -> np.ndarray:
    """Per group, the day of its ``fill_size``-th join (all roles counted); inf if it never gets there.

    Joins, not headcount net of exits: the window is then set by recruitment alone and is
    the same in every arm's run.
    """
    n_groups = len(fill_size)
    order = np.lexsort((cohort.joined, cohort.group))
    group, joined = cohort.group[order], cohort.joined[order]
    first = np.searchsorted(group, np.arange(n_groups))
    counts = np.bincount(group, minlength=n_groups)
    at = np.minimum(first + fill_size - 1, len(group) - 1)
    return np.where(counts >= fill_size, joined[at], np.inf)


def draw_weeks(plan: pd.DataFrame, world: World, n_weeks: int, rng: np.random.Generator) -> Weeks:
    """Weekly noise on each group's content mix and monitor share."""
    shape = (len(plan), n_weeks)
    promo = np.exp(world.promo_week_sigma * rng.standard_normal(shape) - world.promo_week_sigma**2 / 2)
    monitor = plan["monitor_share"].to_numpy()[:, None] * np.exp(0.25 * rng.standard_normal(shape) - 0.03125)
    return Weeks(promo_noise=promo, monitor_share=np.clip(monitor, 0.0, 0.3))


def arm_codes(arms: np.ndarray) -> np.ndarray:
    """Index of each arm name in ``ARMS``."""
    index = {arm: code for code, arm in enumerate(ARMS)}
    return np.array([index[a] for a in np.asarray(arms, dtype=str)], dtype=np.int64)


def promo_share(
    world: World, arm_code: np.ndarray, assigned: np.ndarray, noise: np.ndarray, day: np.ndarray | int
) -> np.ndarray:
    """Planned promo share of operator posts per group on ``day`` (the control mix before assignment)."""
    base = np.array([world.arm_promo_share[a] for a in ARMS])
    share = np.where(day + 0.5 >= assigned, base[arm_code], world.arm_promo_share["control"])
    return np.clip(share * noise, 0.0, 0.8)


def exit_hazard(
    world: World,
    tenure: np.ndarray,
    size_term: np.ndarray,
    mixed_hr: np.ndarray,
    early_hr: np.ndarray,
    promo_term: np.ndarray,
) -> np.ndarray:
    """Exits per member-day: base x new-member boost x size x homophily x early-member doubt x content.

    ``size_term`` is ln(size / peak)^2, ``promo_term`` is beta[stage] x (promo share - control share).
    """
    return (
        world.exit_base
        * (1 + world.exit_tenure_boost * np.exp(-tenure / world.exit_tenure_tau_days))
        * np.exp(world.exit_size_curvature * size_term)
        * mixed_hr
        * early_hr
        * np.exp(promo_term)
    )


def message_rate(
    world: World,
    propensity: np.ndarray,
    tenure: np.ndarray,
    size_term: np.ndarray,
    monitor_share: np.ndarray,
    promo_term: np.ndarray,
    weekday_lift: np.ndarray | float,
) -> np.ndarray:
    """Expected messages per member-day: propensity x size x monitor share x content x tenure x weekday.

    ``size_term`` is ln(size / peak)^2, ``promo_term`` is alpha[stage] x (promo share - control share).
    """
    monitor_gap = (monitor_share - world.monitor_optimum) / world.monitor_optimum
    return (
        propensity
        * np.exp(-world.activity_size_curvature * size_term)
        * np.exp(-world.monitor_curvature * monitor_gap**2)
        * np.exp(-promo_term)
        * (0.4 + 0.6 * np.exp(-tenure / world.activity_tenure_decay_days))
        * weekday_lift
    )


def conversion_rate(world: World, promo: np.ndarray, homogeneous: np.ndarray, koc_rich: np.ndarray) -> np.ndarray:
    """Conversions per member-day: base x content (promotion converts now) x homophily x a KOC-rich group.

    ``promo`` is the promo share minus the control share; never feeds back into exits or talk.
    """
    return (
        world.conversion_base
        * np.exp(world.promo_conversion_gamma * promo)
        * np.where(homogeneous, world.homogeneous_conversion_rr, 1.0)
        * np.where(koc_rich, world.koc_conversion_rr, 1.0)
    )


@dataclass
class _Totals:
    """What a simulation run adds up day by day (arrays updated in place), turned into a ``Run`` at the end."""

    exit_day: np.ndarray
    expected: np.ndarray
    post_days: np.ndarray
    post_msgs: np.ndarray
    member_messages: np.ndarray
    post_conv: np.ndarray
    overload_days: np.ndarray
    sparse_days: np.ndarray
    conv_member: list = field(default_factory=list)
    conv_time: list = field(default_factory=list)
    out_member: list = field(default_factory=list)
    out_day: list = field(default_factory=list)
    out_count: list = field(default_factory=list)

    @classmethod
    def empty(cls, n_groups: int, n_days: int, n_members: int) -> _Totals:
        """Zeros for ``n_groups`` groups over ``n_days`` days and ``n_members`` member stays; no exit yet."""
        cells = n_groups * 3
        return cls(
            np.full(n_members, np.inf),
            np.zeros((n_groups, n_days)),
            np.zeros(cells),
            np.zeros(cells),
            np.zeros(n_members),
            np.zeros(cells),
            np.zeros(n_groups),
            np.zeros(n_groups),
        )

    def add_conversions(
        self,
        rng: np.random.Generator,
        who: np.ndarray,
        rate: np.ndarray,
        start: np.ndarray,
        present: np.ndarray,
        end: float,
    ) -> None:
        """Draw the day's conversions of members converting at ``rate``, each at a time they were present."""
        n = rng.poisson(rate)
        member = np.repeat(who, n)
        at = np.repeat(start, n) + rng.random(len(member)) * np.repeat(present, n)
        inside = at < end
        self.conv_member.append(member[inside])
        self.conv_time.append(at[inside])

    def add_messages(self, rng: np.random.Generator, who: np.ndarray, rate: np.ndarray, day: int) -> None:
        """Draw the day's message counts of members writing at ``rate``; keep those who wrote."""
        counts = rng.poisson(rate)
        nonzero = counts > 0
        self.out_member.append(who[nonzero])
        self.out_day.append(np.full(nonzero.sum(), day, dtype=np.int32))
        self.out_count.append(counts[nonzero])

    def run(self, reached: np.ndarray, n_groups: int) -> Run:
        """The totals as a ``Run``."""
        return Run(
            exit_day=self.exit_day,
            reached_day=reached,
            message_member=np.concatenate(self.out_member),
            message_day=np.concatenate(self.out_day),
            message_count=np.concatenate(self.out_count),
            expected_messages=self.expected,
            post_member_days=self.post_days.reshape(n_groups, 3),
            post_messages=self.post_msgs.reshape(n_groups, 3),
            member_messages=self.member_messages,
            conversion_member=np.concatenate(self.conv_member) if self.conv_member else np.zeros(0, np.int64),
            conversion_time=np.concatenate(self.conv_time) if self.conv_time else np.zeros(0),
            post_conversions=self.post_conv.reshape(n_groups, 3),
            overload_member_days=self.overload_days,
            sparse_member_days=self.sparse_days,
        )


def _exits_today(
    cum: np.ndarray,
    threshold: np.ndarray,
    hazard: np.ndarray,
    exposure: np.ndarray,
    start: np.ndarray,
    active: np.ndarray,
    exit_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Add today's hazard to the active members' cumulative hazards; whoever crosses her threshold leaves then.

    Updates ``cum`` and ``exit_day`` in place; returns who leaves and the days each was present today.
    """
    before = cum[active]
    cum[active] = before + hazard * exposure
    leaving = cum[active] >= threshold[active]
    left_at = start + (threshold[active] - before) / np.where(hazard > 0, hazard, 1.0)
    exit_day[active[leaving]] = left_at[leaving]
    return leaving, np.where(leaving, left_at - start, exposure)


def _day_lift(
    world: World, ops: ops_.Operations | None, weekend_lift: np.ndarray, g: np.ndarray, day: int
) -> np.ndarray | float:
    """Talk's lift today per active member: the weekend's, times an activity day's where one starts."""
    lift = weekend_lift[g] if (day + WEEK_OFFSET_DAYS) % 7 >= 5 else 1.0
    if ops is not None:
        lift = lift * np.where(ops.today[g, day], world.activity_day_message_lift, 1.0)
    return lift


def simulate(
    plan: pd.DataFrame,
    cohort: Cohort,
    weeks: Weeks,
    world: World,
    total_days: float,
    arms: np.ndarray,
    emit: np.ndarray,
    rng: np.random.Generator,
    early_effect: bool = True,
    conversion_rng: np.random.Generator | None = None,
    ops: ops_.Operations | None = None,
) -> Run:
    """Run the batch day by day under ``arms`` (one per group); count messages for groups where ``emit``.

    Conversions are drawn from ``conversion_rng`` (for the groups where ``emit``; none without
    it), so they never change the other streams: the dataset's other tables stay the same.
    ``ops`` (activities, welcome pacing, agents) multiplies exits, talk and conversions.
    """
    n_groups, n_days = len(plan), int(np.ceil(total_days))
    created = plan["created_day"].to_numpy()
    assigned = plan["assigned_day"].to_numpy()
    mixed_hr = np.where(plan["mixed"].to_numpy(), world.mixed_exit_hr, 1.0)
    arm_code = arm_codes(arms)
    control = world.arm_promo_share["control"]
    beta = np.array([world.promo_exit_beta[s] for s in STAGES])
    alpha = np.array([world.promo_activity_alpha[s] for s in STAGES])
    early_hr = world.early_exit_hr if early_effect else 1.0
    prenatal = plan["prenatal"].to_numpy()
    weekend_lift = prenatal * world.weekend_activity["prenatal"] + (1 - prenatal) * world.weekend_activity["postnatal"]

    order = np.argsort(cohort.joined, kind="stable")
    start_of_day = np.searchsorted(cohort.joined[order], np.arange(n_days + 1))
    t = _Totals.empty(n_groups, n_days, len(cohort.group))
    exit_day, member_messages = t.exit_day, t.member_messages
    cum = np.zeros(len(cohort.group))
    reached = fill_days(cohort, np.minimum(plan["target_size"].to_numpy(), world.critical_size))
    homogeneous = ~plan["mixed"].to_numpy(bool)
    active = np.empty(0, dtype=np.int64)
    no_group = np.zeros(n_groups, bool)

    for day in range(n_days):
        active = np.concatenate([active, order[start_of_day[day] : start_of_day[day + 1]]])
        g = cohort.group[active]
        joined = cohort.joined[active]
        size = np.bincount(g, minlength=n_groups)
        size_term = np.log(np.maximum(size, world.size_floor) / world.size_peak) ** 2
        age = day + 0.5 - created
        stage = world.stage_of(age)
        week = min((day + WEEK_OFFSET_DAYS) // 7, weeks.promo_noise.shape[1] - 1)
        promo = promo_share(world, arm_code, assigned, weeks.promo_noise[:, week], day) - control
        waiting = (age > world.window_threshold_days) & (day + 0.5 < reached)

        start = np.maximum(joined, day)
        exposure = np.clip(day + 1 - start, 0.0, 1.0)
        tenure = np.maximum(day + 0.5 - joined, 0.0)
        member = cohort.role[active] == MEMBER
        early_waiting = cohort.early[active] & waiting[g]
        sparse = ops.sparse(created, day) if ops is not None else no_group
        over = ops_.overloaded(ops, g, member) if ops is not None else no_group
        operations = ops_.exit_factor(world, ops, active, g, tenure, sparse, over) if ops is not None else 1.0
        early = np.where(early_waiting, early_hr, 1.0)
        hazard = operations * exit_hazard(world, tenure, size_term[g], mixed_hr[g], early, beta[stage[g]] * promo[g])
        leaving, present = _exits_today(cum, cohort.threshold, hazard * member, exposure, start, active, exit_day)

        weekday_lift = _day_lift(world, ops, weekend_lift, g, day)
        t.overload_days += np.bincount(g, weights=present * member * over[g], minlength=n_groups)
        t.sparse_days += np.bincount(g, weights=present * member * sparse[g], minlength=n_groups)
        monitor, promo_effect = weeks.monitor_share[g, week], alpha[stage[g]] * promo[g]
        rate = message_rate(world, cohort.propensity[active], tenure, size_term[g], monitor, promo_effect, weekday_lift)
        rate = rate * present * member
        t.expected[:, day] = np.bincount(g, weights=rate, minlength=n_groups)
        member_messages[active] += rate
        after = (day + 0.5 >= assigned[g]) & member
        cell = g[after] * 3 + stage[g[after]]
        t.post_days += np.bincount(cell, weights=present[after], minlength=n_groups * 3)
        t.post_msgs += np.bincount(cell, weights=rate[after], minlength=n_groups * 3)

        koc_rich = np.bincount(g, weights=cohort.koc[active] & member, minlength=n_groups) >= 2
        converting = (
            conversion_rate(world, promo[g], homogeneous[g], koc_rich[g])
            * np.where(sparse[g], world.sparse_activity_conversion_rr, 1.0)
            * present
            * member
        )
        t.post_conv += np.bincount(cell, weights=converting[after], minlength=n_groups * 3)
        if conversion_rng is not None:
            buying = emit[g] & (converting > 0)
            t.add_conversions(
                conversion_rng, active[buying], converting[buying], start[buying], present[buying], total_days
            )
        speaking = emit[g] & (rate > 0)
        t.add_messages(rng, active[speaking], rate[speaking], day)

        active = active[~leaving]

    return t.run(reached, n_groups)
