"""Study 3's numbers: recruitment windows, early members' exits, the threshold (no sentences, no figures)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.claims.registry import RECRUITMENT_WEEKS
from helpers.data.engine import Dataset
from helpers.data.event_time import data_end
from helpers.measures.members import exits_unrecorded
from helpers.stats.estimate import Estimate
from helpers.stats.restricted_mean import restricted_mean
from helpers.studies.recruitment import models
from helpers.studies.recruitment import threshold as thresholds
from helpers.studies.recruitment.measures import early_members, mean_members, recruitment_curves, recruitment_windows
from helpers.studies.recruitment.params import RecruitmentParams

CLAIM_DAYS = 7 * RECRUITMENT_WEEKS
"""The claim's window: groups slower to fill than this are 'slow'."""

RMST_DAYS = 180
"""Horizon of the restricted mean membership compared between slow- and fast-filling groups (the Cox follow-up)."""

HEADLINE = {
    "threshold": "recruitment-window threshold (days)",
    "risk_ratio_slow_vs_fast": "risk ratio of exit, slow vs fast",
    "risk_ratio_slow_or_never_vs_fast": "risk ratio of exit, slow or never filled vs fast",
    "odds_ratio_slow_vs_fast_adjusted": "odds ratio of exit, slow vs fast, adjusted",
    "hazard_ratio_slow_vs_fast": "hazard ratio of exit, slow vs fast",
}


@dataclass(frozen=True)
class RecruitmentEstimates:
    """Every number the recruitment study reports; only ``unrecorded`` and ``headline`` where exits are not recorded."""

    params: RecruitmentParams
    end: pd.Timestamp
    headline: dict[str, Estimate]
    unrecorded: str = ""  # why early members' churn is not measurable here ('' when it is)
    windows: pd.DataFrame | None = None  # per group: window days, filled
    early: pd.DataFrame | None = None  # early members with their group's window and exit
    curves: pd.DataFrame | None = None  # members by day since creation, per group
    by_bin: pd.DataFrame | None = None  # exit shares by window bin
    contrast: models.SlowFastContrast | None = None
    contrast_never: models.SlowFastContrast | None = None
    window_model: models.WindowCurve | None = None
    threshold: thresholds.Threshold | None = None
    cox: models.CoxResult | None = None
    rmst_gap: Estimate | None = None
    unseen_start: int = 0  # groups left out: the data begins after they did (members present with no known join)

    def as_dict(self) -> dict:
        """The headline estimates as plain values (the tables stay with the caller)."""
        return {"headline": {key: e.as_dict() for key, e in self.headline.items()}}


def rmst_gap(early: pd.DataFrame, claim_days: float) -> Estimate:
    """Early members' restricted mean membership over RMST_DAYS, slow- minus fast-filling groups (filled ones)."""
    name = f"restricted mean membership over {RMST_DAYS} days, slow minus fast groups (days)"
    filled = early[early["filled"]]
    if filled.empty:
        return Estimate.missing(name, "no group filled, so no group has a window to compare", n=0)
    speed = np.where(filled["window_days"] > claim_days, "slow", "fast")
    result = restricted_mean(filled.assign(speed=speed), RMST_DAYS, by="speed", reference="fast")
    return result.difference("slow", name)


def _headline(threshold, contrast, contrast_never, window_model, cox, gap) -> dict[str, Estimate]:
    """The headline estimates: the threshold only where one is found, else why not."""
    return {
        "threshold": threshold.threshold
        if threshold.detected
        else Estimate.missing(
            threshold.threshold.name,
            threshold.effect.why_not or "no effect of waiting beyond any candidate window: no threshold to place",
        ),
        "risk_ratio_slow_vs_fast": contrast.risk_ratio,
        "risk_ratio_slow_or_never_vs_fast": contrast_never.risk_ratio,
        "odds_ratio_slow_vs_fast_adjusted": window_model.odds_ratio,
        "hazard_ratio_slow_vs_fast": cox.hazard_ratio,
        "rmst_difference_slow_vs_fast": gap,
    }


def estimate(ds: Dataset, params: RecruitmentParams | None = None) -> RecruitmentEstimates:
    """Exit shares by window, slow-vs-fast risk ratios, adjusted odds and hazard ratios, the RMST gap, the threshold."""
    p = params or RecruitmentParams()
    end = data_end(ds.tables)
    if unrecorded := exits_unrecorded(ds.tables):
        missing = {key: Estimate.missing(name, unrecorded) for key, name in HEADLINE.items()}
        return RecruitmentEstimates(params=p, end=end, headline=missing, unrecorded=unrecorded)
    windows = recruitment_windows(ds.tables, p.target_size, end=end, window_bins=tuple(p.window_bins))
    unseen_start = int((~windows["start_seen"]).sum())
    windows = windows[windows["start_seen"]].reset_index(drop=True)
    early = early_members(ds.tables, windows, None if p.early_k else p.early_days, p.early_k, p.horizon_days, end)
    curves = recruitment_curves(ds.tables, days=int(p.horizon_days + p.early_days))
    early_size = mean_members(curves, int(p.horizon_days + p.early_days))
    contrast = models.slow_vs_fast(early, CLAIM_DAYS)
    contrast_never = models.slow_vs_fast(early, CLAIM_DAYS, include_never=True)
    window_model = models.window_curve(models.group_outcomes(early, early_size), threshold_days=CLAIM_DAYS)
    threshold = thresholds.threshold_estimate(early, windows, curves, p.horizon_days, draws=p.bootstrap_reps)
    cox = models.cox_slow_vs_fast(early, CLAIM_DAYS, early_size=early_size)
    gap = rmst_gap(early, CLAIM_DAYS)
    return RecruitmentEstimates(
        params=p,
        end=end,
        headline=_headline(threshold, contrast, contrast_never, window_model, cox, gap),
        windows=windows,
        early=early,
        curves=curves,
        by_bin=models.churn_by_bin(early),
        contrast=contrast,
        contrast_never=contrast_never,
        window_model=window_model,
        threshold=threshold,
        cox=cox,
        rmst_gap=gap,
        unseen_start=unseen_start,
    )
