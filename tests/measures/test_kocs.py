"""KOCs relative to their group, worked out by hand on the four-member group of ``hand_built``.

Days present up to the data's end (Mon 31 Mar 10:00): a 89, b 10, c 2 + 70 = 72, d 14;
messages: a 4, b 1, c 0, d 1. Mondays a KOC is present at 00:00: a from 6 Jan to 31 Mar
(13 Mondays), d on 13 and 20 Jan (she left on 21 Jan).
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.data.event_time import data_end
from helpers.measures.group_week import group_week_panel
from helpers.measures.kocs import classify_kocs, kocs_at_week_start, member_activity
from helpers.studies.size_activity.models import model_rows, with_koc_counts


def test_member_activity_by_hand(hand_built):
    frame = member_activity(hand_built, data_end(hand_built)).set_index("member_id").sort_index()
    assert list(frame.index) == ["a", "b", "c", "d"]  # the owner is not a member
    assert frame["days"].to_numpy() == pytest.approx([89, 10, 72, 14])
    assert list(frame["messages"]) == [4, 1, 0, 1]


def test_kocs_are_relative_to_the_group_median():
    activity = pd.DataFrame(
        {
            "group_id": ["quiet"] * 5 + ["busy"] * 5,
            "member_id": list("abcde") + list("fghij"),
            "days": [30, 30, 30, 30, 5] * 2,
            "messages": [3, 3, 3, 40, 40, 30, 30, 30, 400, 30],
        }
    )
    out = classify_kocs(activity, 10).set_index("member_id")
    assert out.loc["d", "ratio"] == pytest.approx(40 / 3)  # 1.33 a day against the quiet group's 0.1
    assert out.loc["d", "koc"] and out.loc["i", "koc"]  # one per group, busy or quiet
    assert not out.loc["e", "koc"]  # 8 a day, but present only 5 days: not classified
    assert not out.loc[["a", "b", "c", "f", "g", "h", "j"], "koc"].any()


def test_kocs_present_at_each_week_start_by_hand(hand_built):
    end = data_end(hand_built)
    kocs = pd.DataFrame({"group_id": "g1", "member_id": list("abcd"), "koc": [True, False, False, True]})
    counts = kocs_at_week_start(hand_built, kocs, end).set_index("week")["kocs_relative"].sort_index()
    assert len(counts) == 13 and counts.index[0] == pd.Timestamp("2025-01-06", tz="UTC")
    assert counts.index[-1] == pd.Timestamp("2025-03-31", tz="UTC")
    assert counts[pd.Timestamp("2025-01-13", tz="UTC")] == 2 and counts[pd.Timestamp("2025-01-20", tz="UTC")] == 2
    assert counts.sum() == 15
    panel = group_week_panel(hand_built, end=end)
    rows = model_rows(panel, hand_built.groups.to_pandas(), end, min_members=1)
    merged = with_koc_counts(rows, counts.rename("kocs_relative").reset_index().assign(group_id="g1"))
    by_week = merged.set_index(pd.to_datetime(merged["week"], utc=True))["kocs"]
    assert by_week[pd.Timestamp("2025-01-13", tz="UTC")] == 2 and (merged["kocs"] >= 1).all()


def test_leave_one_week_out_monitor_share_by_hand(hand_built):
    end = data_end(hand_built)
    panel = group_week_panel(hand_built, end=end)
    rows = model_rows(panel, hand_built.groups.to_pandas(), end, min_members=1)
    rows = rows.assign(monitor_messages=range(len(rows)))
    talk = rows["member_messages"] + rows["monitor_messages"]
    expected = (rows["monitor_messages"].sum() - rows["monitor_messages"]) / (talk.sum() - talk)
    recomputed = model_rows(
        panel.assign(monitor_messages=panel["week"].map(dict(zip(rows["week"], rows["monitor_messages"]))).fillna(0)),
        hand_built.groups.to_pandas(),
        end,
        min_members=1,
    )
    assert recomputed["monitor_share_loo"].to_numpy() == pytest.approx(expected.to_numpy())
