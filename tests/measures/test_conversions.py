"""Paid conversion of members: counted by hand on a tiny dataset, and recovered on a world with a planted ratio."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from helpers import open_dataset
from helpers.measures.conversions import NO_CONVERSIONS, member_conversions
from helpers.measures.members import member_table
from helpers.stats.clustered import clustered_ratio
from helpers.studies.retention.conversion import conversion_rates, overall_rate
from helpers.synth import generate
from helpers.synth.world import null

from conftest import TINY


def test_conversions_within_the_horizon_of_the_first_join_counted_by_hand(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    pd.DataFrame(
        {
            "conversion_id": ["c1", "c2", "c3", "c4"],
            "group_id": ["g1", "g1", "g2", "g1"],
            "member_id": ["m3", "m3", "m5", "m3"],
            "converted_at": [
                "2025-01-20T10:00:00Z",
                "2025-02-06T10:00:00Z",
                "2025-01-12T10:00:00Z",
                "2025-01-08T00:00:00Z",
            ],
            "kind": ["purchase", "purchase", "coupon_redeemed", "purchase"],
            "value": ["100", "40", "5", ""],
            "currency": ["CNY"] * 4,
        }
    ).to_csv(data / "conversions.csv", index=False)
    ds = open_dataset(data)
    end = pd.Timestamp("2025-02-11T10:00:00Z")  # the tiny data's last event
    members = member_conversions(ds.tables, end, horizon_days=30).set_index("member_id")
    # m3 joined 7 Jan: c1 (13 days) and c4 (unknown value, counts 0) are within 30 days, c2 (30.06 days) is not
    assert members.loc["m3", ["conversions", "converted", "value"]].tolist() == [2, 1, 100.0]
    assert members.loc["m5", ["conversions", "converted"]].tolist() == [0, 0]  # a coupon is not a paid conversion
    assert member_conversions(ds.tables, end, horizon_days=40).empty  # nobody joined 40 days before the end
    assert overall_rate(members.reset_index()).value == pytest.approx(0.5)
    shutil.rmtree(data)
    shutil.copytree(TINY, data)
    bare = open_dataset(data)
    assert member_conversions(bare.tables, end) is None and overall_rate(None).why_not == NO_CONVERSIONS


def test_a_planted_conversion_ratio_between_homogeneous_and_mixed_groups_is_recovered(tmp_path):
    """Reference: the planted rate ratio 2 (null world otherwise: the same exits in both kinds of group)."""
    world = replace(null(), homogeneous_conversion_rr=2.0, conversion_base=0.004)
    generate(tmp_path / "w", n_groups=200, seed=21, months=5, progress=False, world=world)
    ds = open_dataset(tmp_path / "w")
    end = pd.Timestamp("2025-06-01T00:00:00Z")
    members = member_conversions(ds.tables, end)
    kinds = member_table(ds.tables, end)[["group_id", "member_id", "homogeneous"]]
    members = members.merge(kinds, on=["group_id", "member_id"])
    per_member = {}
    for homogeneous, part in members.groupby("homogeneous"):
        per_group = part.groupby("group_id").agg(n=("member_id", "size"), k=("conversions", "sum"))
        per_member[homogeneous] = clustered_ratio(per_group["k"], per_group["n"])
    ratio = per_member[True].value / per_member[False].value
    se = ratio * np.hypot(*((e.ci_high - e.ci_low) / 3.92 / e.value for e in per_member.values()))
    assert abs(ratio - 2.0) < 2.6 * se, (ratio, se)
    table = conversion_rates(members, "homogeneous").set_index("homogeneous")
    assert table.loc[True, "rate"] > table.loc[False, "rate"] and table["groups"].sum() == 200
