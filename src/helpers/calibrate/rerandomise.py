"""The experiment's A/A rate, measured precisely: a null world's groups re-randomised many times by its own design.

Where a world planted no arm effect on an outcome, every assignment the design could
have drawn is an A/A test of the same groups. Redrawing the assignment within the
world's strata (permuted blocks, as the generator and ``randomise`` deal them) and
re-estimating each arm's effect gives hundreds of A/A tests per world instead of two,
so a rate of 4% can be told from 5%. The tests of one world share its groups, so the
rate's interval treats worlds, not tests, as the independent units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from helpers.studies.experiment import models
from helpers.studies.experiment.measures import randomise

DRAWS = 50
"""Re-randomisations per null world: 50 x 2 arms = 100 A/A tests per outcome, about 1 s."""

OUTCOMES = {"exit_30d": "exit_30d_members", "messages_per_member_week": "messages_per_member_week"}
"""Outcomes tested, with the key of their true arm effects in truth.json."""


def null_outcomes(truth: dict) -> list[str]:
    """The outcomes on which every arm's true effect in this world is exactly zero."""
    effects = truth["planted_effects"]["content_ratio_experiment"]["true_values"]["effects"]
    return [o for o, key in OUTCOMES.items() if all(e.get(key) == 0 for e in effects.values())]


def rerandomised_tests(groups: pd.DataFrame, outcomes: list[str], control: str, draws: int = DRAWS) -> dict:
    """Per outcome, how many arm-vs-control 95% CIs exclude 0 over ``draws`` re-randomisations, and how many were made.

    ``groups`` is the experiment study's per-group outcome frame (arm, stratum, outcome
    totals); each draw deals the same arms to the groups within their strata, and every
    arm's effect is estimated as the study estimates it (CUPED, stratified jackknife).
    """
    arms = sorted(groups["arm"].unique())
    strata = ["stratum"] if "stratum" in groups and groups["stratum"].notna().any() else []
    units = groups.assign(stratum=groups["stratum"].fillna("")) if strata else groups
    counts = {o: {"k": 0, "n": 0} for o in outcomes}
    for draw in range(draws):
        dealt = randomise(units, arms, strata, seed=draw, experiment="aa", assigned_at=pd.Timestamp(0))
        shuffled = groups.assign(arm=dealt["arm"].to_numpy())
        for outcome in outcomes:
            for arm in arms:
                if arm == control:
                    continue
                effect = models.arm_effect(shuffled, outcome, arm, control).effect
                if effect.not_estimable:
                    continue
                counts[outcome]["n"] += 1
                counts[outcome]["k"] += not (effect.ci_low <= 0 <= effect.ci_high)
    return counts


def pooled_rate(per_world: list[dict]) -> dict:
    """Share of A/A tests rejecting over worlds, with a 95% Wilson interval on the effective number of tests.

    Tests within a world are correlated (the same groups), so the number of tests is
    divided by the design effect: the between-world (cluster) variance of the share over
    the binomial one, never below 1, so a handful of worlds cannot give a zero-width
    interval.
    """
    k = np.array([w["k"] for w in per_world], float)
    n = np.array([w["n"] for w in per_world], float)
    worlds = int((n > 0).sum())
    if worlds == 0:
        return {"k": 0, "n": 0, "worlds": 0, "share": None, "design_effect": None, "ci": [None, None]}
    total = float(n.sum())
    share = float(k.sum() / total)
    cluster = worlds / max(worlds - 1, 1) * float(((k - share * n) ** 2).sum()) / total**2
    binomial = share * (1 - share) / total
    deff = max(1.0, cluster / binomial) if binomial > 0 else 1.0
    low, high = proportion_confint(share * total / deff, total / deff, alpha=0.05, method="wilson")
    return {
        "k": int(k.sum()),
        "n": int(total),
        "worlds": worlds,
        "share": share,
        "design_effect": deff,
        "ci": [float(low), float(high)],
    }
