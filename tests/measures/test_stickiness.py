"""Stickiness: active days per member-month, by hand and against a pandas reference on a drawn small dataset."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import open_dataset
from helpers.measures.active_days import active_days_by_month
from helpers.measures.members import group_profile
from helpers.studies.size_activity.stickiness import stickiness_by

sys.path.insert(0, str(Path(__file__).parents[1] / "studies"))
from small_datasets import Shape, build  # noqa: E402


def _write(folder: Path, messages: list[tuple[str, str, str]]) -> Path:
    """Two groups: g1 (members a, b; monitor o), g2 (member c); ``messages`` as (group, member, time)."""
    folder.mkdir()
    pd.DataFrame(
        {
            "group_id": ["g1", "g2"],
            "created_at": ["2025-02-20T00:00:00Z"] * 2,
            "channel": ["kol", "kol"],
            "city": ["x", "x"],
            "segment": ["s", "s"],
            "target_size": [None, None],
            "platform": [None, None],
        }
    ).to_csv(folder / "groups.csv", index=False)
    pd.DataFrame(
        {
            "group_id": ["g1", "g1", "g1", "g2"],
            "member_id": ["a", "b", "o", "c"],
            "joined_at": ["2025-02-20T00:00:00Z"] * 4,
            "left_at": [None] * 4,
            "role": ["member", "member", "monitor", "member"],
            "leave_reason": [None] * 4,
        }
    ).to_csv(folder / "memberships.csv", index=False)
    frame = pd.DataFrame(messages, columns=["group_id", "member_id", "sent_at"])
    frame.insert(0, "message_id", [f"m{k}" for k in range(len(frame))])
    frame.assign(kind="chat", text_length=5).to_csv(folder / "messages.csv", index=False)
    return folder


def test_active_days_by_hand(tmp_path):
    """February and April are partial (the data starts on the 25th, ends on 10 April): March only."""
    march = [("g1", "a", f"2025-03-{d:02d}T10:00:00Z") for d in (3, 3, 17, 30)]  # 3 days, one of them twice
    march += [("g1", "b", "2025-03-31T23:59:00Z")]
    march += [("g1", "o", f"2025-03-{d:02d}T08:00:00Z") for d in range(1, 6)]  # the monitor: not a member
    march += [("g2", "c", f"2025-03-{d:02d}T12:00:00Z") for d in range(1, 13)]
    edges = [("g1", "a", "2025-02-25T10:00:00Z"), ("g2", "c", "2025-04-10T10:00:00Z")]
    ds = open_dataset(_write(tmp_path / "data", march + edges))
    counts = active_days_by_month(ds.tables).sort_values(["group_id", "active_days"]).reset_index(drop=True)
    assert counts["month"].dt.strftime("%Y-%m").unique().tolist() == ["2025-03"]
    assert counts[["group_id", "active_days", "members"]].values.tolist() == [["g1", 1, 1], ["g1", 3, 1], ["g2", 12, 1]]
    result = stickiness_by(counts, group_profile(ds.tables), "channel")
    assert result.mean_days.value == pytest.approx(16 / 3)
    assert result.sticky_share.value == pytest.approx(1 / 3)
    spread = result.distribution.set_index("days")["share"]
    assert spread["1 day"] == spread["3–4 days"] == spread["10–19 days"] == pytest.approx(1 / 3)


def test_active_days_equal_a_pandas_count_on_a_drawn_dataset(tmp_path):
    """Distinct UTC message days per member (operators left out) and month, counted again in pandas."""
    folder = build(Shape(6, 120, 40, 400, 2, 2, False, False, False, True, True, 0, 4242), tmp_path / "data")
    ds = open_dataset(folder)
    ours = active_days_by_month(ds.tables)
    messages, stays = ds.tables.messages.to_pandas(), ds.tables.memberships.to_pandas()
    operators = stays[stays["role"] != "member"][["group_id", "member_id"]].drop_duplicates().assign(op=True)
    talk = messages.dropna(subset=["member_id"]).merge(operators, on=["group_id", "member_id"], how="left")
    talk = talk[talk["op"].isna()]
    talk["day"] = talk["sent_at"].dt.tz_convert("UTC").dt.floor("D")
    talk["month"] = talk["day"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp().dt.tz_localize("UTC")
    per_member = talk.groupby(["group_id", "member_id", "month"])["day"].nunique().rename("active_days")
    theirs = per_member.reset_index().groupby(["group_id", "month", "active_days"]).size().rename("members")
    theirs = theirs.reset_index()
    theirs = theirs[theirs["month"].isin(set(ours["month"]))]
    key = ["group_id", "month", "active_days"]
    assert len(ours) > 20
    pd.testing.assert_frame_equal(
        ours.sort_values(key).reset_index(drop=True), theirs.sort_values(key).reset_index(drop=True), check_dtype=False
    )
