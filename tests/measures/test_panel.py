"""The group-week panel: hand-computed weeks, and shares that come out as planted."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import open_dataset
from helpers.measures.group_week import group_week_panel


def test_panel_matches_hand_computation(hand_built):
    panel = group_week_panel(hand_built, koc_threshold=1).set_index("week")
    assert len(panel) == 14 and panel["age_weeks"].tolist() == list(range(14))  # 30 Dec .. 31 Mar, empty weeks kept
    first = panel.loc[pd.Timestamp("2024-12-30", tz="UTC")]
    # members are people of role member: the owner's join does not count
    assert (first.members, first.joins, first.exits, first.member_messages, first.speakers, first.kocs) == (
        0,
        3,
        1,
        2,
        2,
        2,
    )
    assert first.monitor_share == 0 and pd.isna(first.promo_share)
    second = panel.loc[pd.Timestamp("2025-01-06", tz="UTC")]  # the owner's chat is not member talk
    assert (second.members, second.members_in_week, second.exits, second.member_messages) == (2, 3, 1, 1)
    assert second.interaction_rate == pytest.approx(1 / 3)
    # a joined 1 Jan 10:00 and b 2 Jan 10:00: 4.58 and 3.58 days before Monday 6 Jan
    assert second.mean_tenure_days == pytest.approx(4.0833, abs=1e-3)
    quiet = panel.loc[pd.Timestamp("2025-01-13", tz="UTC")]
    assert (quiet.members, quiet.member_messages, quiet.interaction_rate) == (2, 0, 0)
    assert panel.loc[pd.Timestamp("2025-03-31", tz="UTC")].member_messages == 1


def test_panel_on_planted_data_is_consistent(planted_world):
    tables = open_dataset(planted_world.path).tables
    panel = group_week_panel(tables)
    assert (panel["members"] >= 0).all()
    m = tables.memberships
    assert panel["joins"].sum() == m.filter(m.role == "member").count().to_pandas()
    tenure = panel["mean_tenure_days"].dropna()
    assert (tenure >= 0).all() and (tenure <= 7 * (panel.loc[tenure.index, "age_weeks"] + 1)).all()
    assert panel.groupby("group_id").size().min() >= 8  # groups open at least two months before the end
    # the monitor's share of the talk centres on her planned share, U(0, 12%) per group
    busy = panel[(panel["member_messages"] + panel["monitor_messages"]) >= 100]
    assert busy["monitor_share"].mean() == pytest.approx(0.06, abs=0.01)
    # operators' promo share follows the arms' 5/15/35% mix (average about 18%)
    assert panel["promo_share"].mean() == pytest.approx(0.18, abs=0.03)
