"""From simulated counts to message rows: who sent what kind of message, when, and how long.

Every message is an event in days since the dataset start; the hour within its day
follows the audience's local (UTC+8) hour profile for member talk, office hours for
operator posts. Times are kept inside the sender's stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.data.schema import MESSAGE_KINDS
from helpers.synth.operations import welcome_times
from helpers.synth.simulate import WEEK_OFFSET_DAYS, Cohort, Weeks, promo_share
from helpers.synth.world import LOCAL_UTC_OFFSET_HOURS, OPERATOR_HOURS, STAGES, World

KIND = {name: code for code, name in enumerate(MESSAGE_KINDS)}
TEXT_LENGTH = {  # median characters and lognormal sigma per kind
    "chat": (14, 0.8),
    "dry": (280, 0.4),
    "wet": (180, 0.4),
    "promo": (120, 0.4),
    "activity": (150, 0.4),
    "welcome": (160, 0.1),
    "system": (14, 0.2),
}
MEDIA_SHARE = 0.08
"""Chat messages that are pictures or voice (text length 0)."""

SECOND = 1 / 86_400


@dataclass
class Events:
    """Message events of a batch: sender stay (-1 for system lines), group, time in days, kind code."""

    stay: np.ndarray
    group: np.ndarray
    day: np.ndarray
    kind: np.ndarray

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        """All parts as one."""
        return Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("stay", "group", "day", "kind")))


def _local_hours(rng: np.random.Generator, profile: np.ndarray, n: int) -> np.ndarray:
    """Fraction of a UTC day at which ``n`` events fall, given a local-hour profile."""
    local = rng.choice(24, size=n, p=profile)
    return (((local - LOCAL_UTC_OFFSET_HOURS) % 24) + rng.random(n)) / 24


def _hours_by_segment(rng: np.random.Generator, world: World, prenatal_share: np.ndarray) -> np.ndarray:
    """Time of day for events whose audience is prenatal with the given probability."""
    prenatal = rng.random(len(prenatal_share)) < prenatal_share
    out = np.empty(len(prenatal_share))
    out[prenatal] = _local_hours(rng, world.hour_profile("prenatal"), prenatal.sum())
    out[~prenatal] = _local_hours(rng, world.hour_profile("postnatal"), (~prenatal).sum())
    return out


def first_stay(cohort: Cohort, n_groups: int) -> np.ndarray:
    """Index of each group's owner; its monitor and assistant follow it."""
    return np.searchsorted(cohort.group, np.arange(n_groups))


def member_talk(
    cohort: Cohort,
    plan: pd.DataFrame,
    world: World,
    stay: np.ndarray,
    day: np.ndarray,
    count: np.ndarray,
    rng: np.random.Generator,
) -> Events:
    """Member chat messages from per member-day counts."""
    stay = np.repeat(stay, count)
    day = np.repeat(day, count).astype(np.float64)
    group = cohort.group[stay]
    when = day + _hours_by_segment(rng, world, plan["prenatal"].to_numpy()[group])
    return Events(stay, group, when, np.full(len(stay), KIND["chat"], np.int8))


def monitor_talk(
    cohort: Cohort,
    plan: pd.DataFrame,
    world: World,
    expected: np.ndarray,
    weeks: Weeks,
    emit: np.ndarray,
    rng: np.random.Generator,
) -> Events:
    """The monitor's chat: her planned weekly share of all messages, on top of the members' talk."""
    n_groups, n_days = expected.shape
    week = np.minimum((np.arange(n_days) + WEEK_OFFSET_DAYS) // 7, weeks.monitor_share.shape[1] - 1)
    share = weeks.monitor_share[:, week]
    counts = rng.poisson(share / (1 - share) * expected * emit[:, None])
    group, day = np.nonzero(counts)
    n = counts[group, day]
    group, day = np.repeat(group, n), np.repeat(day, n).astype(np.float64)
    when = day + _hours_by_segment(rng, world, plan["prenatal"].to_numpy()[group])
    return Events(first_stay(cohort, n_groups)[group] + 1, group, when, np.full(len(group), KIND["chat"], np.int8))


def operator_posts(
    cohort: Cohort,
    plan: pd.DataFrame,
    world: World,
    arm_code: np.ndarray,
    weeks: Weeks,
    total_days: float,
    emit: np.ndarray,
    rng: np.random.Generator,
) -> Events:
    """Owner and assistant posts: more at weekends; dry/wet/promo/activity mix set by the arm and week."""
    n_groups, n_days = len(plan), int(np.ceil(total_days))
    days = np.arange(n_days)
    weekend = (days + WEEK_OFFSET_DAYS) % 7 >= 5
    created = plan["created_day"].to_numpy()
    rate = np.where(weekend, world.posts_weekend, world.posts_weekday)[None, :] * (
        days[None, :] >= np.floor(created)[:, None]
    )
    counts = rng.poisson(rate * emit[:, None])
    group, day = np.nonzero(counts)
    n = counts[group, day]
    group, day = np.repeat(group, n), np.repeat(day, n)
    week = np.minimum((day + WEEK_OFFSET_DAYS) // 7, weeks.promo_noise.shape[1] - 1)
    promo = promo_share(
        world, arm_code[group], plan["assigned_day"].to_numpy()[group], weeks.promo_noise[group, week], day
    )
    activity = np.where(weekend[day], world.activity_share_weekend, world.activity_share_weekday)
    stage = world.stage_of(day + 0.5 - created[group])
    wet = np.array([world.wet_share_by_stage[s] for s in STAGES])[stage]
    u = rng.random(len(group))
    rest = (u - promo) / (1 - promo)
    kind = np.select(
        [u < promo, rest < activity, rest < activity + wet], [KIND["promo"], KIND["activity"], KIND["wet"]], KIND["dry"]
    ).astype(np.int8)
    sender = first_stay(cohort, n_groups)[group] + np.where(rng.random(len(group)) < 0.7, 0, 2)
    when = day + _local_hours(rng, OPERATOR_HOURS, len(group))
    return Events(sender, group, when, kind)


def joins_and_exits(cohort: Cohort, exit_day: np.ndarray, n_groups: int, ops, rng: np.random.Generator) -> Events:
    """System lines for each member's join and exit, and the assistant's welcomes (``operations.welcome_times``)."""
    members = np.nonzero(cohort.role == 3)[0]
    left = members[np.isfinite(exit_day[members])]
    group = cohort.group[members]
    welcome_group, welcome_at = welcome_times(cohort, ops, rng)
    assistant = first_stay(cohort, n_groups)[welcome_group] + 2
    return Events(
        stay=np.concatenate([np.full(len(members) + len(left), -1), assistant]),
        group=np.concatenate([group, cohort.group[left], welcome_group]),
        day=np.concatenate([cohort.joined[members], exit_day[left], welcome_at]),
        kind=np.concatenate(
            [np.full(len(members) + len(left), KIND["system"]), np.full(len(welcome_at), KIND["welcome"])]
        ).astype(np.int8),
    )


def keep_within_stays(events: Events, cohort: Cohort, exit_day: np.ndarray, total_days: float) -> Events:
    """Move each sender's messages inside her stay and drop what falls after the data's end."""
    sender = events.stay >= 0
    day = events.day.copy()
    idx = events.stay[sender]
    day[sender] = np.clip(day[sender], cohort.joined[idx] + SECOND, np.minimum(exit_day[idx], total_days) - SECOND)
    keep = (day < total_days) & (day >= 0)
    keep[sender] &= day[sender] > cohort.joined[idx]
    return Events(events.stay[keep], events.group[keep], day[keep], events.kind[keep])


def text_lengths(kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Characters of text per message, by kind (chat media messages have 0)."""
    out = np.zeros(len(kind), dtype=np.int64)
    for name, (median, sigma) in TEXT_LENGTH.items():
        rows = kind == KIND[name]
        out[rows] = np.maximum(1, np.round(median * np.exp(sigma * rng.standard_normal(rows.sum()))))
    out[(kind == KIND["chat"]) & (rng.random(len(kind)) < MEDIA_SHARE)] = 0
    return out
