"""Claim 4 judged on the experiment: exits under the most promotional arm, and whether effects differ by stage."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.claims.registry import CLAIMS, judge, not_testable
from helpers.claims.verdict import Verdict
from helpers.stats.estimate import Estimate
from helpers.studies.experiment import models
from helpers.studies.experiment.content import ContentEvidence, content_evidence
from helpers.studies.experiment.estimate import ExperimentEstimates

INTERVAL = ("effect", "ci_low", "ci_high")


@dataclass(frozen=True)
class ContentClaims:
    """Claim 4 judged on the experiment, and what the verdicts rest on."""

    exits: Verdict  # the most promotional arm vs control, CI corrected as the study corrects
    stage: Verdict  # arm x stage interaction: the decisive stage gap, CI corrected for the gaps
    promo_shares: pd.Series  # measured promo share per arm, ascending
    dose: Estimate  # exits per 10 points of promo share, across arms
    stage_gaps: models.StageGaps | None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {
            "exits": self.exits.as_dict(),
            "stage": self.stage.as_dict(),
            "promo_shares": {str(k): float(v) for k, v in self.promo_shares.items()},
            "dose": self.dose.as_dict(),
            "stage_gaps": None if self.stage_gaps is None else self.stage_gaps.as_dict(),
        }


def _exit_verdict(table: pd.DataFrame, shares: pd.Series, control: str, correction: str, alpha: float) -> Verdict:
    """The most promotional arm's 30-day exits against control, its CI widened to the study's multiplicity level."""
    exits = table[table["outcome"] == "exit_30d"].set_index("arm")
    arms = [a for a in exits.index if a in shares.index]
    most = max(arms, key=lambda a: shares[a]) if arms else None
    if most is None or control not in shares.index or not shares[most] > shares[control]:
        return not_testable("content_exits", "no arm received more promotional posts than control")
    row = exits.loc[most]
    z = models.adjusted_z(len(table), correction, alpha, row["dof"])
    effect = models.widened(
        Estimate.from_row(f"exit_30d: {most} - {control}", row, INTERVAL, "difference of ratios, groups as units"),
        z,
        row["dof"],
    )
    return judge("content_exits", effect, significant=bool(row["adjusted_p"] < alpha), z=z)


def judge_content(
    table: pd.DataFrame, evidence: ContentEvidence, control: str, correction: str, alpha: float
) -> ContentClaims:
    """Claim 4 from the effects table and its evidence.

    The arm judged is the one whose groups received the largest measured share of promo
    posts, and it must be more promotional than control; its CI is widened to the study's
    multiplicity level, and the study's own corrected p must agree. Stage dependence is
    any pattern: an arm x stage Wald test, with every pairwise stage gap's CI corrected
    for the number of gaps.
    """
    shares, dose, gaps = evidence.promo_shares, evidence.dose, evidence.stage_gaps
    if (table["outcome"] == "exit_30d").sum() == 0:
        reason = evidence.stages_why
        return ContentClaims(
            not_testable("content_exits", reason), not_testable("content_stage", reason), shares, dose, None
        )
    exit_verdict = _exit_verdict(table, shares, control, correction, alpha)
    if gaps is None:
        return ContentClaims(exit_verdict, not_testable("content_stage", evidence.stages_why), shares, dose, None)
    smallest = CLAIMS["content_stage"].smallest_effect
    stage_verdict = judge("content_stage", gaps.decisive(smallest), significant=gaps.p_value < alpha, z=gaps.z)
    return ContentClaims(exit_verdict, stage_verdict, shares, dose, gaps)


def content_verdicts(
    table: pd.DataFrame, groups: pd.DataFrame, panel: pd.DataFrame, control: str, correction: str, alpha: float
) -> ContentClaims:
    """Claim 4 from an effects table, the groups and their weekly panel: the evidence computed, then judged."""
    return judge_content(table, content_evidence(table, groups, panel, control, alpha), control, correction, alpha)


def verdicts(est: ExperimentEstimates) -> tuple[Verdict, ...]:
    """Claim 4's two verdicts: exits under promotion, and dependence on the group's stage."""
    if est.reason:
        return (not_testable("content_exits", est.reason), not_testable("content_stage", est.reason))
    p = est.params
    claims = judge_content(est.table, est.content, p.control_arm, p.correction, p.alpha)
    return (claims.exits, claims.stage)
