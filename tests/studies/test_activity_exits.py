"""Falling silent vs leaving while active, worked out by hand on five members."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.studies.retention.activity_exits import activity_exits

END = pd.Timestamp("2025-06-30", tz="UTC")


def _member(joined: str, left: str | None, first: str | None, last: str | None, stays: int = 1, entry: float = 0.0):
    """One member-table row (times as dates, UTC)."""
    at = lambda v: pd.Timestamp(v, tz="UTC") if v else pd.NaT  # noqa: E731
    return {
        "group_id": "g1",
        "joined_at": at(joined),
        "left_at": at(left),
        "left": left is not None,
        "stays": stays,
        "first_message_at": at(first),
        "last_message_at": at(last),
        "entry_days": entry,
    }


def test_each_way_out_by_hand():
    members = pd.DataFrame(
        [
            _member("2025-01-01", None, "2025-01-02", "2025-03-01"),  # in, quiet since 1 Mar: silent at day 59
            _member("2025-01-01", "2025-02-10", "2025-01-05", "2025-02-01"),  # left 9 days after talking: day 40
            _member("2025-01-01", "2025-04-01", "2025-01-03", "2025-01-10"),  # quiet 81 days, then left: silent day 9
            _member("2025-05-01", None, "2025-05-02", "2025-06-25"),  # still talking: censored at 2 Jun, day 32
            _member("2025-01-01", None, None, None),  # never spoke: left out
            _member("2025-01-01", None, "2025-01-02", "2025-01-03", stays=2),  # rejoined: left out
            _member("2025-01-01", None, "2025-01-02", "2025-01-03", entry=float("nan")),  # join unknown: left out
            _member("2025-06-20", None, "2025-06-21", "2025-06-22"),  # joined after the horizon, still in: left out
        ]
    )
    out = activity_exits(members, END)
    assert out["cause"].tolist() == [1, 2, 1, 0]
    assert out["duration_days"].tolist() == pytest.approx([59, 40, 9, 32])
