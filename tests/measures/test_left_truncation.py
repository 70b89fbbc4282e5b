"""The member table's entry days from ``observed_from``, worked out by hand on the tiny fixture."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from helpers import open_dataset
from helpers.measures.members import member_table

from conftest import TINY


def test_entry_days_are_zero_seen_late_or_unknown(tmp_path):
    """m3 first joined 7 Jan 08:30 and is seen from 17 Jan 08:30 (10 days late); m5's join is unknown."""
    data = shutil.copytree(TINY, tmp_path / "data")
    stays = pd.read_csv(data / "memberships.csv", dtype=str)
    stays["observed_from"] = ""
    first_m3 = (stays["member_id"] == "m3") & (stays["joined_at"] == "2025-01-07T08:30:00Z")
    stays.loc[first_m3, "observed_from"] = "2025-01-17T08:30:00Z"
    m5 = stays["member_id"] == "m5"
    stays.loc[m5, "observed_from"] = stays.loc[m5, "joined_at"]
    stays.to_csv(data / "memberships.csv", index=False)
    members = member_table(open_dataset(data).tables).set_index("member_id")
    assert members.loc["m3", "entry_days"] == pytest.approx(10.0)
    assert pd.isna(members.loc["m5", "entry_days"])
    assert sorted(members.index) == ["m3", "m5"]  # the owners and the monitor are not members
    assert members.loc["m3", "leave_reason"] == "quit"  # the first stay's reason, not the rejoin's


def test_observed_from_before_the_join_is_a_contract_error(tmp_path):
    data = shutil.copytree(TINY, tmp_path / "data")
    stays = pd.read_csv(data / "memberships.csv", dtype=str)
    stays["observed_from"] = "2024-01-01T00:00:00Z"
    stays.to_csv(data / "memberships.csv", index=False)
    with pytest.raises(Exception, match="observed_from >= joined_at"):
        open_dataset(data)
