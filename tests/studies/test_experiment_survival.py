"""Exposed members' survival per arm: Cox hazard ratios clustered by group, the robust log-rank, stage corrections.

Checked by simulation with known truth: exponential stays whose rate is multiplied by a
planted hazard ratio in the treated arm and by a shared gamma frailty per group (members
of one group share its fate, as in the chat groups the experiment randomises).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.stats.survival import logrank
from helpers.studies.experiment import models
from helpers.studies.experiment.survival import arm_survival


def _exposures(seed: int, hazard_ratio: float, groups: int = 40, members: int = 30, frailty: float = 0.5):
    """Exposed stays in ``groups`` groups, half treated; exit rate 1/60 a day times the group's frailty (and the HR)."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(groups) % 2 == 0, "control", "treated")
    shared = rng.gamma(1 / frailty, frailty, groups)  # mean 1, variance ``frailty``
    group = np.repeat(np.arange(groups), members)
    rate = shared[group] / 60 * np.where(arm[group] == "treated", hazard_ratio, 1.0)
    exit_after = rng.exponential(1 / rate)
    follow = rng.uniform(30, 180, len(group))
    return pd.DataFrame(
        {
            "group_id": group,
            "arm": arm[group],
            "duration_days": np.minimum(exit_after, follow),
            "left": exit_after <= follow,
        }
    )


def test_the_log_rank_robust_to_groups_holds_its_level_where_the_naive_one_does_not():
    """200 null worlds with a shared group frailty: the naive test rejects far too often, the robust one near 5%."""
    naive = robust = 0
    for seed in range(200):
        test = logrank(_exposures(seed, 1.0), "arm")
        naive += test.p_value < 0.05
        robust += test.robust_p_value < 0.05
    assert naive / 200 > 0.25  # about a third: members of a group are not independent
    assert robust / 200 <= 0.09  # 40 groups: near the nominal 5%


def test_the_hazard_ratio_clustered_by_group_covers_the_planted_one():
    covered = 0
    for seed in range(40):
        estimate = arm_survival(_exposures(1000 + seed, 1.5), "control").hazard_ratio("treated")
        covered += estimate.covers(1.5)
    assert covered >= 34  # a frailty attenuates a marginal HR a little; 95% intervals cover nearly always


def test_arm_survival_says_why_when_nobody_left():
    frame = _exposures(1, 1.2).assign(left=False)
    result = arm_survival(frame, "control")
    assert result.hazard_ratio("treated").not_estimable and "no exposed member left" in result.reason
    assert result.rmst.estimate("treated").not_estimable


def test_stage_effects_are_corrected_across_the_stage_by_arm_family(null_world):
    from helpers import open_dataset
    from helpers.studies.experiment import measures

    groups = measures.group_outcomes(open_dataset(null_world.path).tables, "content_ratio")
    table = models.stage_effects(groups, ["promo_high", "promo_low"], "control", measures.STAGES)
    ok = table.dropna(subset=["effect"])
    assert (ok["adjusted_p"] >= ok["p_value"] - 1e-12).all()
    assert (ok["ci_high_corrected"] - ok["ci_low_corrected"] > ok["ci_high"] - ok["ci_low"]).all()
    assert (ok["comparisons"] == len(ok)).all()


@pytest.mark.parametrize("correction", ["holm", "bh", "none"])
def test_hazard_ratio_p_values_are_adjusted_across_arms(correction: str):
    frame = _exposures(5, 1.3)
    frame.loc[frame.index % 3 == 0, "arm"] = "other"
    table = arm_survival(frame, "control", correction=correction).hazard_ratios
    assert len(table) == 2
    if correction == "none":
        np.testing.assert_allclose(table["adjusted_p"], table["p_value"])
    else:
        assert (table["adjusted_p"] >= table["p_value"] - 1e-12).all()
