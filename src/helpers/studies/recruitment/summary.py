"""Study 3 as one call: the numbers (``estimate``), the words and verdict (``findings``), tables and figures."""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.data.engine import Dataset
from helpers.figures.survival import km_curves
from helpers.stats.survival import kaplan_meier
from helpers.studies.data_warnings import warnings_touching
from helpers.studies.recruitment import figures
from helpers.studies.recruitment.captions import CAPTIONS, QUESTION
from helpers.studies.recruitment.estimate import CLAIM_DAYS, RecruitmentEstimates, estimate
from helpers.studies.recruitment.findings import findings, methods, verdicts
from helpers.studies.recruitment.params import RecruitmentParams
from helpers.studies.result import StudyResult, records

TITLE = "The recruitment window and early members' churn"

FIGURES = ("windows", "curves", "churn_by_bin", "window_curve", "survival", "threshold_profile")


def _survival_figure(early: pd.DataFrame, claim_days: float) -> plt.Figure:
    """Kaplan-Meier of early members for groups that filled fast, slowly or never; fitted only when drawn."""
    slow = np.where(early["window_days"] > claim_days, f"slow (> {claim_days:g} d)", f"fast (<= {claim_days:g} d)")
    filling = early.assign(filling=np.where(~early["filled"], "never filled", slow))
    km = kaplan_meier(filling, by="filling", at_risk_days=(0, 14, 30, 60, 90, 180))
    return km_curves(km.curves, km.at_risk, "filling")


def figure_makers(est: RecruitmentEstimates) -> dict:
    """The study's figures, each drawn only when shown (none where churn is not measurable)."""
    if est.unrecorded:
        return {}
    threshold, horizon = est.threshold, est.params.horizon_days
    return {
        "windows": partial(figures.window_distribution, est.windows),
        "curves": partial(figures.recruitment_curves, est.curves, est.windows),
        "churn_by_bin": partial(figures.churn_by_bin, est.by_bin, horizon),
        "window_curve": partial(
            figures.window_curve, est.window_model.curve, threshold.threshold if threshold.detected else None, horizon
        ),
        "survival": partial(_survival_figure, est.early, CLAIM_DAYS),
        "threshold_profile": partial(figures.threshold_profile, threshold.profile, threshold.threshold),
    }


def tables(est: RecruitmentEstimates) -> dict[str, pd.DataFrame]:
    """The Cox model of slow vs fast filling and its proportional-hazards test."""
    if est.unrecorded:
        return {}
    summary = est.cox.summary
    columns = ["exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%", "p"]
    shown = summary[columns].round(3) if not summary.empty else pd.DataFrame()
    return {"cox": shown, "ph_test": est.cox.ph_test.round(4)}


def details(est: RecruitmentEstimates) -> dict:
    """Numbers for readers of results.json."""
    if est.unrecorded:
        return {"reason": est.unrecorded}
    threshold, windows = est.threshold, est.windows
    filled = windows["filled"]
    return {
        "threshold": threshold.threshold.as_dict(),
        "threshold_effect": threshold.effect.as_dict(),
        "threshold_test_p": threshold.p_value,
        "threshold_detected": threshold.detected,
        "risk_ratio_slow_vs_fast": est.contrast.risk_ratio.as_dict(),
        "risk_ratio_slow_or_never_vs_fast": est.contrast_never.risk_ratio.as_dict(),
        "exit_share": {"fast": est.contrast.fast_share, "slow": est.contrast.slow_share},
        "odds_ratio_slow_vs_fast_adjusted": est.window_model.odds_ratio.as_dict(),
        "hazard_ratio_slow_vs_fast": est.cox.hazard_ratio.as_dict(),
        "proportional_hazards_test": records(est.cox.ph_test.reset_index().rename(columns={"index": "covariate"})),
        "churn_by_bin": records(est.by_bin),
        "groups": {"total": len(windows), "filled": int(filled.sum()), "never_filled": int((~filled).sum())},
    }


def summarise(ds: Dataset, params: RecruitmentParams | None = None) -> StudyResult:
    """Exit shares by window, slow-vs-fast risk ratio, adjusted odds and hazard ratios, the threshold; claim 2."""
    est = estimate(ds, params)
    return StudyResult(
        study="recruitment",
        title=TITLE,
        headline=est.headline,
        findings=(*findings(est), *warnings_touching(ds, "recruitment")),
        verdicts=verdicts(est),
        methods=methods(est),
        tables=tables(est),
        figures=figure_makers(est),
        details=details(est),
        notes={name: f"Not measurable: {est.unrecorded}." for name in FIGURES} if est.unrecorded else {},
        frames={"data_end": est.end},
        question=QUESTION,
        captions=CAPTIONS,
    )
