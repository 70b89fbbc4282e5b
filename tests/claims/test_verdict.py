"""The two decision rules: region claims by where the CI lies, effect claims by the smallest effect that matters.

The effect rule is checked against its definition on hand-made intervals and, for its
error rates, by simulation with a known truth: estimates drawn around a true effect at
the smallest effect that matters give 'supported' at most 2.5% of the time (the one-sided
miss rate of a 95% interval), and never when the truth is no effect at all.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.claims.registry import CLAIMS, judge
from helpers.claims.verdict import Z_POWER, detectable_effect, effect_verdict
from helpers.stats.estimate import Estimate

Z = 1.959964


def _diff(value: float, se: float) -> Estimate:
    return Estimate("d", value, value - Z * se, value + Z * se, "m")


def test_supported_needs_the_whole_interval_beyond_the_smallest_effect():
    assert effect_verdict("c", _diff(0.05, 0.01), 0.01).verdict == "supported"
    # significant (CI above 0) but the CI reaches below the smallest effect that matters
    assert effect_verdict("c", _diff(0.02, 0.008), 0.01).verdict == "inconclusive"
    # the claimed direction matters: the same interval mirrored runs against the claim
    assert effect_verdict("c", _diff(-0.05, 0.01), 0.01).verdict == "contradicted"
    assert effect_verdict("c", _diff(-0.05, 0.01), 0.01, direction="below").verdict == "supported"
    assert effect_verdict("c", _diff(-0.05, 0.01), 0.01, direction="either").verdict == "supported"


def test_the_study_decision_can_veto_support():
    v = effect_verdict("c", _diff(0.05, 0.01), 0.01, significant=False)
    assert v.verdict == "inconclusive" and "not significant" in v.reason


def test_contradicted_inside_the_equivalence_region_or_on_the_other_side():
    assert effect_verdict("c", _diff(0.001, 0.002), 0.01).verdict == "contradicted"
    assert effect_verdict("c", _diff(0.001, 0.002), 0.01, direction="either").verdict == "contradicted"
    wide = effect_verdict("c", _diff(0.001, 0.02), 0.01)
    assert wide.verdict == "inconclusive" and "would detect" in wide.reason


def test_ratios_are_judged_on_the_log_scale():
    hr = Estimate("hr", 1.024, 1.0001, 1.048, "cox")  # the case: significant, but tiny
    assert judge("homophily", hr).verdict == "contradicted"  # inside 1/1.1 to 1.1
    assert judge("homophily", Estimate("hr", 1.5, 1.3, 1.7, "cox")).verdict == "supported"
    assert judge("homophily", Estimate("hr", 0.7, 0.6, 0.8, "cox")).verdict == "contradicted"
    assert judge("homophily", Estimate("hr", 1.1, 0.95, 1.3, "cox")).verdict == "inconclusive"


def test_detectable_effect_is_the_smallest_effect_plus_the_power_distance():
    """Closed form: SE from the CI's half-width; 80% power to clear the bound needs the truth Z_POWER SEs beyond."""
    assert detectable_effect(_diff(0.0, 0.004), 0.01, "difference") == pytest.approx(0.01 + Z_POWER * 0.004)
    hr = Estimate("hr", 1.0, math.exp(-Z * 0.05), math.exp(Z * 0.05), "m")
    assert detectable_effect(hr, 1.1, "ratio") == pytest.approx(math.exp(math.log(1.1) + Z_POWER * 0.05))


def test_not_estimable_is_inconclusive_and_says_why():
    v = effect_verdict("c", Estimate.missing("d", "one group only"), 0.01)
    assert v.verdict == "inconclusive" and "one group only" in v.reason


@pytest.mark.parametrize("truth, most", [(0.0, 0.0), (0.01, 0.025)])
def test_false_support_rate_by_simulation(truth, most):
    """Known truth: at no effect support never happens; at the boundary it stays under the 2.5% one-sided rate."""
    rng = np.random.default_rng(7)
    se = 0.004
    draws = truth + se * rng.standard_normal(20_000)
    supported = np.mean([effect_verdict("c", _diff(v, se), 0.01).verdict == "supported" for v in draws])
    assert supported <= most + 0.004


def test_every_effect_claim_states_its_rule():
    for claim in CLAIMS.values():
        assert claim.rule and (claim.scale == "region" or claim.smallest_effect > 0)
        assert claim.as_dict()["rule"] == claim.rule
