"""Small contract-valid datasets of every odd shape, for property tests: what analysts' first exports look like.

A dataset is described by a few structural parameters (``Shape``) that Hypothesis draws
and shrinks; the rows are then dealt by a seeded random generator, so a failing example is
the parameters alone and can be kept as a regression case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

START = pd.Timestamp("2025-03-01", tz="UTC")
KINDS = ("chat", "dry", "wet", "promo", "activity", "welcome")
CHANNELS = ("offline", "parcel_card", "kol", "ads", "mixed")
SEGMENTS = ("baby_0_3m", "baby_3_6m", "mixed")


@dataclass(frozen=True)
class Shape:
    """What a small dataset looks like; ``seed`` deals its rows."""

    groups: int
    span_days: int
    members_max: int
    messages_max: int
    channels: int
    segments: int
    everyone_left: bool
    only_system: bool
    no_messages: bool
    operators: bool
    target_known: bool
    arms: int  # 0: no assignments table
    seed: int


shapes = st.builds(
    Shape,
    groups=st.integers(1, 30),
    span_days=st.sampled_from([1, 3, 10, 40, 120, 300]),
    members_max=st.sampled_from([1, 2, 5, 30, 120]),
    messages_max=st.sampled_from([0, 3, 40, 400]),
    channels=st.integers(1, len(CHANNELS)),
    segments=st.integers(1, len(SEGMENTS)),
    everyone_left=st.booleans(),
    only_system=st.booleans(),
    no_messages=st.booleans(),
    operators=st.booleans(),
    target_known=st.booleans(),
    arms=st.sampled_from([0, 0, 1, 2, 3]),
    seed=st.integers(0, 2**16),
)
"""Hypothesis strategy of dataset shapes: 1-30 groups, days to months, every odd corner switched on or off."""


def _times(rng: np.random.Generator, low: pd.Series | np.ndarray, high: pd.Timestamp) -> pd.Series:
    """A time uniformly between each ``low`` and ``high`` (``low`` itself where it is not before ``high``)."""
    low = pd.to_datetime(pd.Series(low), utc=True)
    room = (high - low).dt.total_seconds().clip(lower=0).to_numpy()
    return (low + pd.to_timedelta(rng.random(len(low)) * room, unit="s")).dt.floor("s").reset_index(drop=True)


def build(shape: Shape, into: Path) -> Path:
    """Write the contract's tables for ``shape`` as Parquet files in ``into``; returns ``into``."""
    rng = np.random.default_rng(shape.seed)
    end = START + pd.Timedelta(days=shape.span_days)
    n = shape.groups
    created = _times(rng, [START] * n, START + pd.Timedelta(days=shape.span_days / 2))
    groups = pd.DataFrame(
        {
            "group_id": [f"g{i:02d}" for i in range(n)],
            "created_at": created,
            "channel": rng.choice(CHANNELS[: shape.channels], n),
            "city": "Hangzhou",
            "segment": rng.choice(SEGMENTS[: shape.segments], n),
            "target_size": pd.array(rng.integers(1, 400, n) if shape.target_known else [None] * n, dtype="Int64"),
            "platform": "wechat",
        }
    )
    stays = []
    for g, born in zip(groups["group_id"], created):
        k = int(rng.integers(1, shape.members_max + 1))
        roles = ["member"] * k
        if shape.operators and k > 1:
            roles[0], roles[1] = "owner", "monitor"
        joined = _times(rng, [born] * k, end)
        gone = shape.everyone_left or rng.random() < 0.5
        leaves = rng.random(k) < (1.0 if shape.everyone_left else 0.4)
        left = _times(rng, joined, end).where(leaves & gone)
        stays.append(
            pd.DataFrame(
                {
                    "group_id": g,
                    "member_id": [f"{g}_m{j}" for j in range(k)],
                    "joined_at": joined,
                    "left_at": left,
                    "role": roles,
                    "leave_reason": np.where(left.notna(), rng.choice(["quit", "removed"], k), None),
                }
            )
        )
    memberships = pd.concat(stays, ignore_index=True)
    messages = _messages(shape, rng, memberships, end)
    written = {"groups": groups, "memberships": memberships, "messages": messages}
    if shape.arms:
        arms = np.array(["control", "promo_low", "promo_high"][: shape.arms])
        written["assignments"] = pd.DataFrame(
            {
                "experiment": "content_ratio",
                "group_id": groups["group_id"],
                "arm": arms[np.arange(n) % len(arms)],
                "assigned_at": _times(rng, created, end),
                "stratum": groups["channel"],
            }
        )
    into.mkdir(parents=True, exist_ok=True)
    for name, frame in written.items():
        frame.to_parquet(into / f"{name}.parquet", index=False)
    return into


def _messages(shape: Shape, rng: np.random.Generator, memberships: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Messages sent by members during their stays (or system lines), 0 to ``messages_max`` per group."""
    columns = ["message_id", "group_id", "member_id", "sent_at", "kind", "text_length"]
    if shape.no_messages or shape.messages_max == 0:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns}).astype(
            {"sent_at": "datetime64[us, UTC]", "text_length": "Int64"}
        )
    parts = []
    for g, stays in memberships.groupby("group_id", sort=True):
        m = int(rng.integers(0, shape.messages_max + 1))
        who = stays.iloc[rng.integers(0, len(stays), m)]
        until = who["left_at"].fillna(end)
        sent = _times(rng, who["joined_at"].to_numpy(), end)
        sent = sent.where(sent <= until.reset_index(drop=True), until.reset_index(drop=True))
        system = np.full(m, shape.only_system) | (rng.random(m) < 0.05)
        parts.append(
            pd.DataFrame(
                {
                    "group_id": g,
                    "member_id": np.where(system, None, who["member_id"].to_numpy()),
                    "sent_at": sent,
                    "kind": np.where(system, "system", rng.choice(KINDS, m)),
                    "text_length": pd.array(rng.integers(0, 200, m), dtype="Int64"),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "message_id", [f"x{i}" for i in range(len(out))])
    return out[columns]
