"""Claim 4's evidence from the experiment: the promo share each arm received, the dose-response, the stage gaps."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.measures.conversions import NO_CONVERSIONS
from helpers.stats.estimate import Estimate
from helpers.studies.experiment import measures, models


@dataclass(frozen=True)
class ContentEvidence:
    """What claim 4's verdicts rest on besides the effects table."""

    promo_shares: pd.Series  # measured promo share per arm, ascending
    dose: Estimate  # exits per 10 points of promo share, across arms
    stage_gaps: models.StageGaps | None  # arm x stage interaction (None: not tested, see why)
    stages_why: str = ""  # why the stage gaps were not tested

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {
            "promo_shares": {str(k): float(v) for k, v in self.promo_shares.items()},
            "dose": self.dose.as_dict(),
            "stage_gaps": None if self.stage_gaps is None else self.stage_gaps.as_dict(),
        }


def content_evidence(
    table: pd.DataFrame, groups: pd.DataFrame, panel: pd.DataFrame, control: str, alpha: float
) -> ContentEvidence:
    """Promo shares, dose-response and (when 30-day exits are estimated) the arm x stage gaps."""
    shares = models.arm_promo_shares(groups, panel)
    dose = models.dose_response(groups, shares)
    if (table["outcome"] == "exit_30d").sum() == 0:
        return ContentEvidence(shares, dose, None, "30-day exits are not among the outcomes estimated")
    arms = [a for a in sorted(groups["arm"].unique()) if a != control]
    gaps = models.stage_gaps(groups, arms, control, measures.STAGES, alpha)
    if isinstance(gaps, str):
        return ContentEvidence(shares, dose, None, gaps)
    return ContentEvidence(shares, dose, gaps)


@dataclass(frozen=True)
class Sales:
    """The conversion side of the experiment: each arm's effect on conversions and their value, its own family."""

    effects: pd.DataFrame  # effects_table rows (empty where not measurable)
    why_not: str = ""  # why conversions are not measurable on this data ('' when they are)

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {"effects": self.effects.to_dict(orient="records"), "why_not": self.why_not}


def conversion_effects(
    groups: pd.DataFrame,
    arms: list[str],
    outcomes: tuple[str, ...],
    control: str,
    cuped: bool,
    correction: str,
    alpha: float,
) -> tuple[Sales, list]:
    """Each arm x conversion outcome effect (CUPED), corrected across the conversion family alone.

    The exit and activity family keeps its own correction (claim 4's verdicts rest on it);
    conversions are the other side of the trade-off, tested as a family of their own.
    """
    if "post_conversions" not in groups:
        return Sales(pd.DataFrame(), NO_CONVERSIONS), []
    if not outcomes:
        return Sales(pd.DataFrame(), "no conversion outcome was asked for"), []
    effects = models.correct(
        [models.arm_effect(groups, o, a, control, cuped=cuped) for o in outcomes for a in arms], correction, alpha
    )
    return Sales(models.effects_table(effects)), effects


def post_stratified_table(
    groups: pd.DataFrame, outcomes: tuple[str, ...], arms: list[str], control: str
) -> pd.DataFrame:
    """Per outcome and arm: the plain difference (no CUPED) and the post-stratified one, with CIs and their widths."""
    rows = []
    for outcome in outcomes:
        for arm in arms:
            plain = models.arm_effect(groups, outcome, arm, control, cuped=False).effect
            post = models.post_stratified_effect(groups, outcome, arm, control)
            width = plain.ci_high - plain.ci_low
            rows.append(
                {
                    "outcome": outcome,
                    "arm": arm,
                    "effect": plain.value,
                    "ci_low": plain.ci_low,
                    "ci_high": plain.ci_high,
                    "post_stratified": post.value,
                    "ps_ci_low": post.ci_low,
                    "ps_ci_high": post.ci_high,
                    "width_ratio": (post.ci_high - post.ci_low) / width if width > 0 else float("nan"),
                    "reason": post.why_not or None,
                }
            )
    return pd.DataFrame(rows)
