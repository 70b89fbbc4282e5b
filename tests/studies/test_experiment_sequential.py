"""The experiment read week by week: the always-valid intervals hold their level at every look, fixed CIs do not.

Checked against a closed form (the mixture boundary equals Waudby-Smith et al.'s asymptotic
confidence sequence) and by simulation with known truth: null experiments of 40 groups
watched for 12 weekly looks, the groups' exit rates and talk sharing a frailty each.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.stats.sequential import mixing_variance, sequence_half_width
from helpers.studies.experiment.sequential import sequential_readout

WATCHED = ("exits_per_member_week", "interaction_rate")


def test_the_mixture_boundary_is_the_asymptotic_confidence_sequence():
    """sigma sqrt(2 (n rho^2 + 1) / (n^2 rho^2) log(sqrt(n rho^2 + 1) / alpha)) with V = sigma^2 / n, tau^2 = sigma^2 rho^2."""
    sigma, rho, alpha = 2.0, 0.05, 0.05
    for n in (10, 100, 1000, 10_000):
        theirs = sigma * math.sqrt(2 * (n * rho**2 + 1) / (n**2 * rho**2) * math.log(math.sqrt(n * rho**2 + 1) / alpha))
        assert sequence_half_width(sigma**2 / n, sigma**2 * rho**2, alpha) == pytest.approx(theirs, rel=1e-12)
    # tuned to a planned variance, the sequence is narrowest there (GrowthBook's rho)
    planned = 0.01
    tau2 = mixing_variance(planned)
    widths = [float(sequence_half_width(planned, t)) for t in (tau2 * 0.5, tau2, tau2 * 2)]
    assert widths[1] < widths[0] and widths[1] < widths[2]


def _world(seed: int, effect: float = 1.0, groups: int = 40, weeks: int = 13) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group-week rows of a two-arm experiment started on its first week; ``effect`` multiplies treated exits."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(groups) % 2 == 0, "control", "treated")
    start = pd.Timestamp("2025-01-06", tz="UTC")
    frailty, talk = rng.gamma(4, 0.25, groups), rng.beta(8, 8, groups)
    members = rng.poisson(120, (groups, weeks))
    rate = 0.02 * frailty[:, None] * np.where(arm == "treated", effect, 1.0)[:, None]
    panel = pd.DataFrame(
        {
            "group_id": np.repeat([f"g{g}" for g in range(groups)], weeks),
            "week": np.tile([start + pd.Timedelta(weeks=w) for w in range(weeks)], groups),
            "members_in_week": members.ravel(),
            "exits": rng.poisson(members * rate).ravel(),
            "speakers": rng.binomial(members, talk[:, None]).ravel(),
        }
    )
    units = pd.DataFrame(
        {
            "group_id": [f"g{g}" for g in range(groups)],
            "arm": arm,
            "stratum": "all",
            "assigned_at": start,
            "pre_member_weeks": 0,
            "pre_speakers": 0,
        }
    )
    return units, panel


def test_peeking_at_fixed_cis_is_wrong_far_more_often_than_the_always_valid_intervals():
    """100 null experiments, 12 weekly looks at two outcomes: fixed CIs 19% 'significant' somewhere, sequences 1%."""
    fixed = valid = 0
    for seed in range(100):
        readout = sequential_readout(*_world(seed), ["treated"], "control")
        assert readout.table["weeks"].max() == 12
        fixed += any(readout.first_excluding_zero(o, "treated", "ci") is not None for o in WATCHED)
        valid += any(readout.first_excluding_zero(o, "treated", "cs") is not None for o in WATCHED)
    assert fixed >= 10
    assert valid <= 5


def test_a_real_effect_is_found_and_the_sequence_is_wider_than_the_fixed_ci():
    found = 0
    for seed in range(20):
        readout = sequential_readout(*_world(700 + seed, effect=2.0), ["treated"], "control")
        found += readout.first_excluding_zero("exits_per_member_week", "treated", "cs") is not None
        table = readout.table
        assert ((table["cs_high"] - table["cs_low"]) > (table["ci_high"] - table["ci_low"])).all()
    assert found >= 14


def test_too_few_groups_per_arm_says_why():
    units, panel = _world(3, groups=4)
    readout = sequential_readout(units, panel, ["treated"], "control")
    assert readout.table.empty and "groups in each arm" in readout.reason
