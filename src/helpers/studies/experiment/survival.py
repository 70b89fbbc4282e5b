"""How long exposed members stay, per arm: Kaplan-Meier, Cox hazard ratios and RMST against control, by group.

The ratio outcomes (30-day exits) count an exit within a window; these follow every
exposed stay to its end or the data's, on one clock (days since exposure). Members of a
group share its arm and its fate, so the Cox errors are clustered by group, the log-rank
test is given robust to groups, and the RMST difference has IJ variances summed by group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from helpers.stats.cox import CoxDidNotConverge, fit_cox
from helpers.stats.estimate import Estimate, plain_fields
from helpers.stats.failures import why_unfitted
from helpers.stats.restricted_mean import RestrictedMean, restricted_mean
from helpers.stats.survival import KaplanMeier, LogRankTest, kaplan_meier, logrank


@dataclass(frozen=True)
class ArmSurvival:
    """Survival of exposed members per arm: curves, hazard ratios, log-rank (naive and robust), RMST differences."""

    km: KaplanMeier
    hazard_ratios: pd.DataFrame  # arm, hazard_ratio, ci_low, ci_high, p_value, adjusted_p, members, groups
    logrank: LogRankTest
    rmst: RestrictedMean
    reason: str | None = None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)

    def hazard_ratio(self, arm: str) -> Estimate:
        """One arm's hazard ratio against control as an Estimate (or why there is none)."""
        name = f"hazard ratio of leaving: {arm} vs control"
        rows = self.hazard_ratios.set_index("arm")
        if arm not in rows.index or not math.isfinite(rows.loc[arm, "hazard_ratio"]):
            return Estimate.missing(name, self.reason or "no Cox fit for this arm")
        r = rows.loc[arm]
        method = "Cox model, arms as indicators, errors clustered by group (Efron ties)"
        return Estimate(name, r["hazard_ratio"], r["ci_low"], r["ci_high"], method, n=int(r["members"]))


def arm_survival(
    exposures: pd.DataFrame, control: str, horizon_days: float = 90, correction: str = "holm"
) -> ArmSurvival:
    """KM per arm, each arm's Cox hazard ratio and RMST difference against ``control``; p-values corrected across arms."""
    km = kaplan_meier(exposures, by="arm")
    test = logrank(exposures, "arm")
    rmst = restricted_mean(exposures, horizon_days, by="arm", reference=control)
    arms = [a for a in sorted(exposures["arm"].unique()) if a != control]
    columns = ["arm", "hazard_ratio", "ci_low", "ci_high", "p_value", "adjusted_p", "members", "groups"]
    reason = None
    if not arms or control not in set(exposures["arm"]):
        reason = f"the arms need {control!r} and another arm with exposed members"
    elif not exposures["left"].any():
        reason = "no exposed member left, so there are no hazards to compare"
    elif exposures["group_id"].nunique() < 3:
        reason = "errors clustered by group need more groups"
    if reason:
        return ArmSurvival(km, pd.DataFrame(columns=columns), test, rmst, reason)
    codes = np.column_stack([(exposures["arm"] == a).to_numpy(float) for a in arms])
    try:
        fit = fit_cox(
            np.maximum(exposures["duration_days"].to_numpy(float), 1e-6),
            exposures["left"].to_numpy(bool),
            codes,
            arms,
            pd.factorize(exposures["group_id"])[0],
        )
    except (CoxDidNotConverge, np.linalg.LinAlgError) as err:
        reason = f"the Cox model cannot be fitted on this data: {why_unfitted(err)}"
        return ArmSurvival(km, pd.DataFrame(columns=columns), test, rmst, reason)
    summary = fit.summary
    p_values = summary["p"].to_numpy()
    adjusted = (
        p_values
        if correction == "none"
        else multipletests(p_values, method={"bh": "fdr_bh"}.get(correction, correction))[1]
    )
    rows = [
        {
            "arm": arm,
            "hazard_ratio": float(summary.loc[arm, "exp(coef)"]),
            "ci_low": float(summary.loc[arm, "exp(coef) lower 95%"]),
            "ci_high": float(summary.loc[arm, "exp(coef) upper 95%"]),
            "p_value": float(p_values[k]),
            "adjusted_p": float(adjusted[k]),
            "members": int((exposures["arm"] == arm).sum()),
            "groups": int(exposures.loc[exposures["arm"] == arm, "group_id"].nunique()),
        }
        for k, arm in enumerate(arms)
    ]
    return ArmSurvival(km, pd.DataFrame(rows, columns=columns), test, rmst)
