"""Post-stratified arm effects: by hand on two strata, and by simulation with known truth.

The simulation draws experiments whose groups were assigned by simple randomisation (no
blocks) across six strata with very different exit rates and a constant planted effect:
the post-stratified CI must cover it about as often as the plain one and be far narrower.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.studies.experiment import models


def _frame(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """(arm, stratum, members, exits) rows as the outcomes frame ``arm_effect`` reads."""
    frame = pd.DataFrame(rows, columns=["arm", "stratum", "members", "exits"])
    return frame.assign(group_id=range(len(frame)), pre_exits=0, pre_members=0)


def test_post_stratified_effect_by_hand():
    """Stratum a: treated 30/100, control 10/100 (+0.2, 200 members); b: 10/100 vs 5/50 (0.0, 150): 0.2 x 200/350."""
    frame = _frame(
        [
            ("treated", "a", 50, 15),
            ("treated", "a", 50, 15),
            ("control", "a", 60, 6),
            ("control", "a", 40, 4),
            ("treated", "b", 50, 5),
            ("treated", "b", 50, 5),
            ("control", "b", 25, 2),
            ("control", "b", 25, 3),
        ]
    )
    estimate = models.post_stratified_effect(frame, "exit_30d", "treated", "control")
    assert estimate.value == pytest.approx(0.2 * 200 / 350, rel=1e-12)
    plain = models.arm_effect(frame, "exit_30d", "treated", "control", cuped=False).effect
    assert plain.value == pytest.approx(40 / 200 - 15 / 150, rel=1e-12)  # pooled ratios mix the strata


def test_strata_without_both_arms_are_left_out_and_said():
    frame = _frame(
        [("treated", "a", 50, 15), ("treated", "a", 50, 10), ("control", "a", 50, 5), ("control", "a", 50, 4)]
    )
    frame = pd.concat([frame, _frame([("control", "b", 80, 8)]).assign(group_id=9)], ignore_index=True)
    estimate = models.post_stratified_effect(frame, "exit_30d", "treated", "control")
    assert estimate.value == pytest.approx(25 / 100 - 9 / 100, rel=1e-12)
    assert "1 strata" in estimate.method and "71% of the denominator" in estimate.method
    one = models.post_stratified_effect(frame.assign(stratum="x"), "exit_30d", "treated", "control")
    assert one.not_estimable and "not randomised in strata" in one.why_not


def _unblocked(seed: int, groups: int = 60, effect: float = 0.03) -> pd.DataFrame:
    """Groups in six strata with exit rates 5-50%, assigned by coin flips, treated exits raised by ``effect``."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 6, groups)
    arm = np.where(rng.random(groups) < 0.5, "treated", "control")
    members = rng.poisson(150, groups)
    rate = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5])[stratum] + np.where(arm == "treated", effect, 0.0)
    rate = np.clip(rate + rng.normal(0, 0.02, groups), 0.001, 0.999)
    frame = pd.DataFrame({"arm": arm, "stratum": stratum.astype(str), "members": members})
    return frame.assign(exits=rng.binomial(members, rate), group_id=range(groups), pre_exits=0, pre_members=0)


def test_post_stratification_removes_chance_imbalance_and_keeps_coverage():
    covered = {"post": 0, "plain": 0}
    widths = {"post": [], "plain": []}
    for seed in range(150):
        frame = _unblocked(seed)
        post = models.post_stratified_effect(frame, "exit_30d", "treated", "control")
        plain = models.arm_effect(frame, "exit_30d", "treated", "control", cuped=False, stratified=False).effect
        for key, e in (("post", post), ("plain", plain)):
            covered[key] += e.covers(0.03)
            widths[key].append(e.ci_high - e.ci_low)
    assert covered["post"] >= 135 and covered["plain"] >= 135  # 95% intervals: about 142 of 150
    assert np.median(widths["post"]) < 0.4 * np.median(widths["plain"])
