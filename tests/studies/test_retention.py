"""Cohort retention, lifecycle layers and membership survival: hand-computed cases and planted truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from helpers import open_dataset
from helpers.data import event_time
from helpers.measures import members as member_measures
from helpers.stats import survival
from helpers.stats.clustered import clustered_proportion
from helpers.studies.retention import measures as retention
from helpers.studies.retention import models as retention_models

NAN = np.nan


def _row(triangle, cohort: str) -> list[float]:
    return triangle.rates.loc[pd.Timestamp(cohort)].tolist()


def test_membership_triangle_matches_hand_computation(hand_built):
    bounded = retention.retention_triangle(hand_built, "week", "membership", bounded=True, max_periods=12)
    assert bounded.cohort_sizes.tolist() == [3, 1]
    third = 1 / 3
    # cohort of Mon 30 Dec: a, b, c. b covers weeks 0-1; c week 0, then from week 2 (day 17) on.
    assert _row(bounded, "2024-12-30") == pytest.approx(
        [
            1,
            2 * third * 1,
            2 * third,
            2 * third,
            2 * third,
            2 * third,
            2 * third,
            2 * third,
            2 * third,
            2 * third,
            2 * third,
            2 * third,
            NAN,
        ],
        nan_ok=True,
    )
    # cohort of Mon 6 Jan: d leaves exactly at day 14, so weeks 0 and 1 only; too young from week 11.
    assert _row(bounded, "2025-01-06") == pytest.approx([1, 1] + [0] * 9 + [NAN, NAN], nan_ok=True)
    unbounded = retention.retention_triangle(hand_built, "week", "membership", bounded=False, max_periods=12)
    assert _row(unbounded, "2024-12-30")[:3] == pytest.approx([1, 1, 2 * third])  # c comes back later


def test_activity_triangle_matches_hand_computation(hand_built):
    bounded = retention.retention_triangle(hand_built, "week", "activity", bounded=True, max_periods=12)
    third = 1 / 3
    assert _row(bounded, "2024-12-30") == pytest.approx(
        [2 * third, third, 0, 0, third, 0, 0, 0, 0, 0, 0, 0, NAN], nan_ok=True
    )
    assert _row(bounded, "2025-01-06")[:3] == pytest.approx([0, 1, 0])
    unbounded = retention.retention_triangle(hand_built, "week", "activity", bounded=False, max_periods=12)
    assert _row(unbounded, "2024-12-30") == pytest.approx([2 * third] + [third] * 11 + [NAN], nan_ok=True)
    assert _row(unbounded, "2025-01-06")[:3] == pytest.approx([1, 1, 0])


def test_young_cohorts_are_missing_not_zero(planted_world):
    tables = open_dataset(planted_world.path).tables
    tri = retention.retention_triangle(tables, "month", "membership", max_periods=6)
    last = tri.rates.iloc[-1]
    assert last.isna().all()  # December's members have not had a whole month yet
    assert (tri.rates.iloc[0] > 0).all()
    # never 0 where it is missing, never missing where observable
    assert tri.rates.notna().sum().is_monotonic_decreasing


def test_lifecycle_layers_match_hand_computation(hand_built):
    layers = retention.lifecycle_layers(hand_built).set_index("week")
    week = lambda d: layers.loc[pd.Timestamp(d, tz="UTC")].to_dict()  # noqa: E731
    assert week("2024-12-30") == dict(members=3, new=3, active=0, resurrected=0, silent=0, churned=0)
    # c left and rejoined later: counted as present in between (member in the group, gaps ignored)
    assert week("2025-01-06") == dict(members=4, new=1, active=1, resurrected=0, silent=1, churned=1)
    assert week("2025-01-20") == dict(members=3, new=0, active=0, resurrected=0, silent=2, churned=1)
    assert week("2025-01-27") == dict(members=2, new=0, active=1, resurrected=0, silent=1, churned=0)
    assert week("2025-03-31") == dict(members=2, new=0, active=0, resurrected=1, silent=1, churned=0)


def test_lifecycle_layers_partition_members_every_week(planted_world):
    layers = retention.lifecycle_layers(open_dataset(planted_world.path).tables)
    parts = layers[list(retention.LAYERS)]
    assert (parts >= 0).all().all()
    assert (parts.sum(axis=1) == layers["members"]).all()
    assert layers["resurrected"].sum() > 0 and layers["new"].sum() > 100_000


def test_kaplan_meier_equals_statsmodels(planted_world):
    members = member_measures.member_table(open_dataset(planted_world.path).tables)
    part = members[members["segment"] == "baby_3_6m"]
    km = survival.kaplan_meier(part)
    ours = km.curves.set_index("days")["survival"]
    reference = SurvfuncRight(part["duration_days"].to_numpy(), part["left"].astype(int).to_numpy())
    times = reference.surv_times
    assert np.max(np.abs(ours.reindex(times).to_numpy() - reference.surv_prob)) < 1e-9
    assert km.at_risk.loc["all", 0] == len(part)


def test_clustered_proportion_is_wider_than_binomial_when_groups_differ():
    successes, trials = pd.Series([9, 1, 8, 2, 9, 1]), pd.Series([10] * 6)
    estimate = clustered_proportion(successes, trials)
    share, low, high = estimate.value, estimate.ci_low, estimate.ci_high
    assert share == pytest.approx(0.5) and estimate.n == 6 and not estimate.not_estimable
    binomial_half = 1.96 * np.sqrt(0.25 / 60)
    assert (high - low) / 2 > 2 * binomial_half
    manual = np.sqrt(6 / 5 * np.sum((successes - 0.5 * trials) ** 2) / 60**2)
    assert (high - low) / 2 == pytest.approx(1.959964 * manual, rel=1e-5)


def test_n_day_retention_counts_only_members_old_enough(hand_built):
    members = member_measures.member_table(hand_built)
    end = event_time.data_end(hand_built)
    seven = survival.n_day_retention(members, 7, end).iloc[0]
    assert seven["members"] == 4 and seven["retention"] == pytest.approx(3 / 4)  # c left on day 2


def test_retention_curve_is_n_day_retention_at_every_day(hand_built):
    """The explorer's curve and the report's N-day figures are one estimator (checked day by day)."""
    members = member_measures.member_table(hand_built)
    end = event_time.data_end(hand_built)
    days = np.arange(0, 91)
    curve = survival.retention_curve(members, end, days).set_index("days")
    for d in days:
        row = survival.n_day_retention(members, int(d), end).iloc[0]
        if row["members"] == 0:
            assert np.isnan(curve.loc[d, "retention"]) and curve.loc[d, "members"] == 0
        else:
            assert (
                curve.loc[d, "retention"] == pytest.approx(row["retention"])
                and curve.loc[d, "members"] == row["members"]
            )


@pytest.mark.parametrize("world, expected", [("planted_world", "planted"), ("null_world", 1.0)])
def test_homogeneity_hazard_ratio_covers_the_truth(world, expected, request):
    synthetic = request.getfixturevalue(world)
    truth = (
        synthetic.truth["planted_effects"]["homophily"]["mixed_exit_hazard_ratio"]
        if expected == "planted"
        else expected
    )
    members = member_measures.member_table(open_dataset(synthetic.path).tables)
    estimate = retention_models.homogeneity_hazard_ratio(members).hazard_ratio
    assert estimate.covers(truth), estimate
    assert estimate.ci_high - estimate.ci_low < 0.3


def test_weekly_cohorts_pool_into_months_by_their_counts_and_never_mix_young_weeks():
    """Closed form: a month's cell is the sum of its weeks' retained members over the sum of their sizes."""
    weeks = pd.DatetimeIndex(["2024-12-30", "2025-01-06", "2025-01-27", "2025-02-03", "2025-02-10"], name="cohort")
    counts = pd.DataFrame({0: [10, 20, 30, 40, 50], 1: [5, 10, 15, 20, np.nan]}, index=weeks)
    sizes = pd.Series([10, 20, 30, 40, 50], index=weeks)
    triangle = retention.Triangle(counts.div(sizes, axis=0), counts, sizes, "week", "membership", True)
    monthly = retention.monthly_cohorts(triangle)
    # 30 Dec 2024 has its Thursday in January: it joins January's cohort
    assert list(monthly.rates.index) == list(pd.to_datetime(["2025-01-01", "2025-02-01"]))
    assert monthly.cohort_sizes.tolist() == [60, 90]
    assert monthly.rates.loc["2025-01-01", 1] == pytest.approx(30 / 60)
    assert np.isnan(monthly.rates.loc["2025-02-01", 1])  # one of February's weeks is too young for week 1
    assert monthly.rates.loc["2025-02-01", 0] == pytest.approx(1.0)
