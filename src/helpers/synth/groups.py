"""Groups: when they open, whom they recruit, how big they are meant to be, and their experiment arm."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.data.schema import MIXED
from helpers.synth.world import (
    ARMS,
    CHANNEL_WEIGHTS,
    CHANNELS,
    CITIES,
    CITY_WEIGHTS,
    PRENATAL_SEGMENTS,
    SEGMENTS,
    START,
    World,
)

EXPERIMENT = "content_ratio"
SIZE_BANDS = (0, 100, 200, 350, np.inf)
SIZE_BAND_LABELS = ("<100", "100-200", "200-350", "350+")


def calendar(months: int) -> tuple[pd.Timestamp, float]:
    """The dataset's start instant and its length in days (``months`` calendar months)."""
    start = pd.Timestamp(START)
    return start, float((start + pd.DateOffset(months=months) - start).days)


def plan_groups(world: World, n_groups: int, months: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per group: contract attributes plus the hidden plan the simulation follows.

    Hidden columns (never written to the contract tables): ``created_day`` (days since
    the start), ``window_days`` (days the operator needs to recruit the target),
    ``monitor_share`` (the monitor's planned share of a week's messages), ``mixed``
    (any attribute mixed) and ``prenatal`` (share of the audience that is pregnant).
    """
    _, total_days = calendar(months)
    open_span = max(total_days - 61.0, 0.5 * total_days)
    created_day = np.sort(rng.uniform(0, open_span, n_groups))
    created_day = np.floor(created_day) + rng.uniform(9, 21, n_groups) / 24 - 8 / 24  # 09-21 local
    created_day = np.maximum(created_day, 0.0)

    channel = rng.choice(CHANNELS, n_groups, p=CHANNEL_WEIGHTS).astype(object)
    city = rng.choice(CITIES, n_groups, p=CITY_WEIGHTS).astype(object)
    segment = rng.choice(SEGMENTS, n_groups).astype(object)
    homogeneous = rng.random(n_groups) < world.homogeneous_share
    which = rng.random((n_groups, 3)) < 0.5
    which[~which.any(axis=1), rng.integers(0, 3, n_groups)[~which.any(axis=1)]] = True
    which[homogeneous] = False
    channel[which[:, 0]] = MIXED
    city[which[:, 1]] = MIXED
    segment[which[:, 2]] = MIXED
    prenatal = np.where(segment == MIXED, 0.5, np.isin(segment, PRENATAL_SEGMENTS).astype(float))

    log_target = rng.uniform(np.log(world.target_size_min), np.log(world.target_size_max), n_groups)
    window = np.exp(np.log(world.window_median_days) + world.window_sigma * rng.standard_normal(n_groups))
    return pd.DataFrame(
        {
            "group_id": [f"g_{i + 1:05d}" for i in range(n_groups)],
            "created_day": created_day,
            "channel": channel,
            "city": city,
            "segment": segment,
            "target_size": np.round(np.exp(log_target)).astype(int),
            "platform": "wechat",
            "window_days": np.clip(window, world.window_min_days, world.window_max_days),
            "monitor_share": rng.uniform(0, world.monitor_share_max, n_groups),
            "mixed": ~homogeneous,
            "prenatal": prenatal,
        }
    )


def assign_arms(plan: pd.DataFrame, world: World, months: int, rng: np.random.Generator) -> pd.DataFrame:
    """Stratified randomisation of groups to arms (permuted blocks within channel x size band).

    Groups open before the experiment starts are assigned on its first day (their earlier
    weeks are a pre-period); groups opened later are assigned when created.
    """
    start_day = min(world.experiment_start_month * 30.44, calendar(months)[1] / 4)
    band = pd.cut(plan["target_size"], SIZE_BANDS, labels=SIZE_BAND_LABELS, right=False).astype(str)
    stratum = plan["channel"].astype(str) + "|" + band
    arm = np.empty(len(plan), dtype=object)
    for _, rows in plan.groupby(stratum, sort=True).groups.items():
        rows = np.asarray(rows)
        blocks = -(-len(rows) // len(ARMS))
        labels = np.concatenate([rng.permutation(ARMS) for _ in range(blocks)])[: len(rows)]
        arm[rng.permutation(rows)] = labels
    out = plan.copy()
    out["arm"] = arm
    out["stratum"] = stratum
    out["assigned_day"] = np.maximum(plan["created_day"], start_day)
    return out


def day_to_time(start: pd.Timestamp, days: np.ndarray) -> np.ndarray:
    """Days since ``start`` as int64 microseconds since the epoch (UTC)."""
    return start.value // 1000 + np.round(np.asarray(days) * 86_400e6).astype(np.int64)


def groups_table(plan: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """The contract's ``groups`` table."""
    return pd.DataFrame(
        {
            "group_id": plan["group_id"],
            "created_at": pd.to_datetime(day_to_time(start, plan["created_day"]), unit="us", utc=True),
            "channel": plan["channel"].astype(str),
            "city": plan["city"].astype(str),
            "segment": plan["segment"].astype(str),
            "target_size": plan["target_size"].astype("int64"),
            "platform": plan["platform"],
        }
    )


def assignments_table(plan: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """The contract's ``assignments`` table."""
    return pd.DataFrame(
        {
            "experiment": EXPERIMENT,
            "group_id": plan["group_id"],
            "arm": plan["arm"].astype(str),
            "assigned_at": pd.to_datetime(day_to_time(start, plan["assigned_day"]), unit="us", utc=True),
            "stratum": plan["stratum"],
        }
    )
