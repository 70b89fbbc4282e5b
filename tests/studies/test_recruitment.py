"""Study 3: recruitment windows and early members by hand; the planted threshold and slow-vs-fast effect recovered."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from helpers import open_dataset
from helpers.stats import clustered
from helpers.stats.estimate import Estimate
from helpers.studies.recruitment import measures as recruitment
from helpers.studies.recruitment import models, threshold
from helpers.studies.recruitment.findings import threshold_verdict


def test_window_is_days_to_the_nth_joiner_of_any_role(hand_built):
    windows = recruitment.recruitment_windows(hand_built, target_size=3).iloc[0]
    # created 1 Jan 09:00; joiners o (09:00), a (10:00), b (2 Jan 10:00): the third is b, 25 hours in
    assert windows["fill_size"] == 3 and windows["window_days"] == pytest.approx(25 / 24)
    assert windows["window_bin"] == "<=1w" and windows["joiners"] == 5
    unfilled = recruitment.recruitment_windows(hand_built, target_size=10).iloc[0]
    assert not unfilled["filled"] and np.isnan(unfilled["window_days"]) and unfilled["window_bin"] == "never"


def test_early_members_and_their_outcome(hand_built):
    windows = recruitment.recruitment_windows(hand_built, target_size=3)
    early = recruitment.early_members(hand_built, windows, early_days=1.5, horizon_days=10).set_index("member_id")
    assert sorted(early.index) == ["a", "b"]  # c joined 49 h in; the owner is not a member
    assert early.loc["b", "exited"] and not early.loc["a", "exited"]  # b left exactly 10 days after joining
    assert early["counted"].all()
    by_rank = recruitment.early_members(hand_built, windows, early_days=None, early_k=3, horizon_days=10)
    assert sorted(by_rank["member_id"]) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="exactly one"):
        recruitment.early_members(hand_built, windows, early_days=14, early_k=3)


def test_recruitment_curves_count_joiners_and_members(hand_built):
    curves = recruitment.recruitment_curves(hand_built, days=20).set_index("day")
    assert curves.loc[2, "joiners"] == 3 and curves.loc[4, "members"] == 2  # c left on day 4
    assert curves.loc[6, "joiners"] == 4 and curves.loc[19, "joiners"] == 5  # d on day 6, c's rejoin is no new joiner
    assert recruitment.mean_members(curves.reset_index(), 1).iloc[0] == pytest.approx(1.5)


def test_wilson_without_clustering_is_the_usual_wilson():
    successes, trials = pd.Series([1] * 30 + [0] * 70), pd.Series([1] * 100)
    wilson = clustered.wilson_clustered(successes, trials)
    low, high, deff = wilson.share.ci_low, wilson.share.ci_high, wilson.design_effect
    expected = proportion_confint(30, 100, method="wilson")
    assert deff == pytest.approx(1.0, abs=0.02) and (low, high) == pytest.approx(expected, abs=2e-3)


def _study(world) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tables = open_dataset(world.path).tables
    windows = recruitment.recruitment_windows(tables)
    early = recruitment.early_members(tables, windows, horizon_days=60)
    curves = recruitment.recruitment_curves(tables, days=74)
    return early, models.group_outcomes(early, recruitment.mean_members(curves, 74)), windows, curves


@pytest.fixture(scope="module")
def planted(planted_world):
    return _study(planted_world)


@pytest.fixture(scope="module")
def null(null_world):
    return _study(null_world)


def test_churn_by_bin_matches_truth(planted_world, planted):
    truth = planted_world.truth["planted_effects"]["recruitment_window"]["emergent"]["by_window_bin"]["60d"]
    table = models.churn_by_bin(planted[0]).set_index("window_bin")
    for label in ("<=1w", "1-2w", "2-4w", "4-6w"):
        assert table.loc[label, "exit_share"] == pytest.approx(truth[label]["exit_share"], abs=0.005)
        assert table.loc[label, "ci_low"] <= truth[label]["exit_share"] <= table.loc[label, "ci_high"]


def test_slow_vs_fast_risk_ratio_covers_truth(planted_world, planted):
    truth = planted_world.truth["planted_effects"]["recruitment_window"]["emergent"]["slow_vs_fast"]["60d"]
    contrast = models.slow_vs_fast(planted[0], 28)
    assert contrast.risk_ratio.covers(truth["risk_ratio_slow_filled"]) and contrast.risk_ratio.ci_low > 1.2
    assert models.slow_vs_fast(planted[0], 28, include_never=True).risk_ratio.covers(truth["risk_ratio_slow_or_never"])


def test_threshold_recovers_the_planted_four_weeks_and_hazard_ratio(planted_world, planted):
    """Simulation with known truth: the default world plants a 28-day threshold with hazard ratio 3."""
    truth = planted_world.truth["planted_effects"]["recruitment_window"]
    early, _, windows, curves = planted
    result = threshold.threshold_estimate(early, windows, curves, horizon_days=60, draws=500)
    assert result.detected and result.p_value < 0.01
    assert (
        result.threshold.covers(truth["threshold_days"]) and abs(result.threshold.value - truth["threshold_days"]) <= 3
    )
    assert result.effect.covers(truth["early_exit_hazard_ratio"])


def test_null_world_has_no_threshold_and_no_slow_vs_fast_effect(null):
    early, _, windows, curves = null
    result = threshold.threshold_estimate(early, windows, curves, horizon_days=60, draws=500)
    assert not result.detected and result.p_value >= 0.05
    assert models.slow_vs_fast(null[0], 28).risk_ratio.covers(1.0)
    assert models.window_curve(null[1]).odds_ratio.covers(1.0)


def test_threshold_set_inverts_the_likelihood_ratio_at_hansens_critical_value():
    """Closed form: a deviance (c - 30)^2 / 10 scaled by 2 accepts |c - 30| <= sqrt(20 x 7.35)."""
    assert threshold.HANSEN_95 == pytest.approx(7.3523, abs=1e-4)  # Hansen (2000), Table 1, 95%
    candidates = np.arange(7, 85).astype(float)
    inside = threshold.threshold_set(candidates, (candidates - 30) ** 2 / 10, scale=2.0, n=50)
    reach = np.sqrt(20 * threshold.HANSEN_95)  # 12.13 days
    assert inside.value == 30
    assert (inside.ci_low, inside.ci_high) == (np.ceil(30 - reach) - 0.5, np.floor(30 + reach) + 0.5)
    rising = threshold.threshold_set(candidates, candidates - 7.0, scale=1.0, n=50)
    falling = threshold.threshold_set(candidates, 84.0 - candidates, scale=1.0, n=50)
    assert rising.ci_low == 0 and np.isfinite(rising.ci_high)  # the best is the lowest candidate: no lower bound
    assert falling.ci_high == np.inf and falling.value == 84  # the best is the highest: open above


def test_exit_cells_split_follow_up_at_days_and_tenure_bands_by_hand():
    """A member joined at age 0.5 who left 3.2 days later: pieces at day and tenure-band edges (0, 2, 4 ...)."""
    early = pd.DataFrame(
        {"group_id": ["g", "g"], "joined_day": [0.5, 1.0], "duration_days": [3.2, 80.0], "left": [True, False]}
    )
    curves = pd.DataFrame({"group_id": ["g"] * 3, "day": [0, 1, 2], "members": [1, 2, 5]})
    cells = threshold.exit_cells(early, curves, horizon_days=4).set_index(["day", "band"])
    # first member (left at age 3.7): day 0 [0.5, 1); day 1; day 2 split at tenure 2 (age 2.5); day 3 [3, 3.7)
    # second member (followed 4 days, to age 5): days 1-2 in band 0, days 3-4 in band 1 (tenure 2 at age 3)
    assert cells.loc[(0, 0), "days"] == pytest.approx(0.5)
    assert cells.loc[(1, 0), "days"] == pytest.approx(2.0) and cells.loc[(2, 0), "days"] == pytest.approx(1.5)
    assert cells.loc[(2, 1), "days"] == pytest.approx(0.5) and cells.loc[(3, 1), "days"] == pytest.approx(1.7)
    assert cells.loc[(4, 1), "days"] == pytest.approx(1.0) and len(cells) == 6
    assert cells["exits"].sum() == 1 and cells.loc[(3, 1), "exits"] == 1
    assert cells["days"].sum() == pytest.approx(3.2 + 4.0)
    assert cells.loc[(3, 1), "members"] == 5  # after the curves' last day, the last headcount carries forward


def _toy_early(rng: np.random.Generator, groups: int, threshold: float, hazard_ratio: float) -> tuple:
    """Early members with a known hazard: 0.0035 x (1 + 3 e^(-tenure/7)) x HR while their group waits."""
    n = rng.integers(10, 50, groups)
    window = np.where(rng.random(groups) < 0.2, np.nan, rng.lognormal(np.log(threshold), 0.6, groups))
    group = np.repeat(np.arange(groups), n)
    joined = rng.uniform(0, 14, len(group))
    # daily steps: exact enough for a hazard that changes over weeks
    alive, duration = np.ones(len(group), bool), np.full(len(group), np.inf)
    for t in np.arange(0, 120, 0.25):
        age = joined + t + 0.125
        waiting = (age > threshold) & (age < np.nan_to_num(window[group], nan=np.inf))
        hazard = 0.0035 * (1 + 3 * np.exp(-(t + 0.125) / 7)) * np.where(waiting, hazard_ratio, 1.0)
        leave = alive & (rng.random(len(group)) < hazard * 0.25)
        duration[leave] = t + rng.random(leave.sum()) * 0.25
        alive &= ~leave
    early = pd.DataFrame(
        {
            "group_id": group,
            "joined_day": joined,
            "duration_days": np.minimum(duration, 120.0),
            "left": np.isfinite(duration),
        }
    )
    days = np.arange(75)
    curves = pd.DataFrame(
        {
            "group_id": np.repeat(np.arange(groups), len(days)),
            "day": np.tile(days, groups),
            "members": np.repeat(n, len(days)) + np.tile(days, groups),
        }
    )
    return early, pd.DataFrame({"group_id": np.arange(groups), "window_days": window}), curves


def test_threshold_on_simulated_members_with_a_known_hazard():
    """Simulation with known truth, without the generator: threshold 30 days, hazard ratio 2.5, 300 groups."""
    early, windows, curves = _toy_early(np.random.default_rng(11), 300, 30.0, 2.5)
    result = threshold.threshold_estimate(early, windows, curves, horizon_days=60, draws=500)
    assert result.detected and result.threshold.covers(30.0) and result.effect.covers(2.5)
    null = threshold.threshold_estimate(
        *_toy_early(np.random.default_rng(12), 300, 30.0, 1.0), horizon_days=60, draws=500
    )
    assert not null.detected


def test_threshold_is_not_estimable_with_too_few_groups_with_exits():
    early, windows, curves = _toy_early(np.random.default_rng(3), 6, 30.0, 2.0)
    result = threshold.threshold_estimate(early, windows, curves, horizon_days=60)
    assert result.effect.not_estimable and "only" in result.effect.why_not and not result.detected
    assert result.p_value is None and result.profile.empty


def _threshold_with(ci_high: np.ndarray, detected: bool = False) -> threshold.Threshold:
    """A threshold result over candidates 7-84 with the given upper CI bounds of the waiting hazard ratio."""
    days = np.arange(7.0, 85.0)
    profile = pd.DataFrame(
        {"threshold_days": days, "deviance": (days - 50) ** 2, "hazard_ratio": 1.0, "ci_low": 0.8, "ci_high": ci_high}
    )
    best = Estimate("recruitment-window threshold (days)", 50.0, 40.0, 60.0, "test")
    return threshold.Threshold(profile, best, Estimate(threshold.EFFECT, 1.0, 0.8, 1.2, "test"), 0.5, detected)


def test_claim_is_contradicted_only_if_every_threshold_in_range_rules_out_an_effect_that_matters():
    """Intersection-union: the claim needs one threshold in 21-35 days with hazard ratio 1.25+."""
    assert threshold_verdict(_threshold_with(np.full(78, 1.2))).verdict == "contradicted"
    one_open = np.full(78, 1.2)
    one_open[30 - 7] = 1.3  # 30 days: an effect that matters is not ruled out there
    assert threshold_verdict(_threshold_with(one_open)).verdict == "inconclusive"
    gap = _threshold_with(np.full(78, 1.2))
    gap = replace(gap, profile=gap.profile[gap.profile["threshold_days"] != 28])
    assert threshold_verdict(gap).verdict == "inconclusive"  # 28 days not fitted: cannot be ruled out
