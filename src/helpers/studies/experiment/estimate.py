"""Study 4's numbers: arm effects, stages, checks, power, survival, weekly looks, net value (no sentences)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.data.engine import Dataset
from helpers.measures.group_week import group_week_panel
from helpers.stats.estimate import Estimate
from helpers.studies.experiment import measures, models, net_value
from helpers.studies.experiment.content import (
    ContentEvidence,
    Sales,
    content_evidence,
    conversion_effects,
    post_stratified_table,
)
from helpers.studies.experiment.params import ExperimentParams
from helpers.studies.experiment.sequential import SequentialReadout, sequential_readout
from helpers.studies.experiment.survival import ArmSurvival, arm_survival

POWER_GROUPS = (50, 100, 150, 200, 300, 400)
BALANCE = ("age_at_assignment_days", "has_pre_period", "pre_members", "pre_exit_rate", "pre_messages_per_member_week")


@dataclass(frozen=True)
class ExperimentEstimates:
    """Every number the experiment study reports; where there is no experiment, ``reason`` and the observational view."""

    params: ExperimentParams
    headline: dict[str, Estimate]
    observational: Estimate  # promotion and next week's exits across all group-weeks (an association)
    reason: str = ""  # why there is no experiment to analyse ('' when there is)
    groups: pd.DataFrame | None = None  # per group: arm, stratum, pre- and post-period outcomes
    arms: tuple[str, ...] = ()  # the arms other than control
    effects: tuple[models.ArmEffect, ...] = ()  # the exit and activity family, corrected
    table: pd.DataFrame | None = None  # effects_table of ``effects``
    plain: pd.DataFrame | None = None  # the same effects without CUPED
    stages: pd.DataFrame | None = None  # 30-day exit effects by lifecycle stage
    srm_groups: models.SampleRatioTest | None = None
    srm_members: models.SampleRatioTest | None = None
    balance: pd.DataFrame | None = None
    power: models.PowerTable | None = None
    mde: float = float("nan")  # exits difference detectable with 80% power at the groups per arm run
    per_arm: int = 0  # groups per arm, on average
    content: ContentEvidence | None = None
    sales: Sales | None = None
    worth: net_value.NetValue | None = None
    survival: ArmSurvival | None = None
    readout: SequentialReadout | None = None
    post: pd.DataFrame | None = None  # post-stratified effects

    def as_dict(self) -> dict:
        """The headline estimates as plain values (the tables stay with the caller)."""
        return {"headline": {key: e.as_dict() for key, e in self.headline.items()}}


def _no_experiment(p: ExperimentParams, groups: pd.DataFrame | None) -> str:
    """Why the data holds no experiment to analyse ('' when it does)."""
    if groups is None:
        return "this dataset has no assignments table (no experiment was recorded)"
    arms = [a for a in sorted(groups["arm"].unique()) if a != p.control_arm]
    if groups.empty or not arms or p.control_arm not in set(groups["arm"]):
        found = ", ".join(sorted(groups["arm"].unique())) or "none"
        return (
            f"experiment {p.experiment!r} needs the control arm {p.control_arm!r} and another arm among its groups "
            f"with members (arms found: {found})"
        )
    return ""


def _headline(est: dict, sale_effects: list) -> dict[str, Estimate]:
    """Every arm x outcome effect, net values and the best promo share, the observational view, dose, hazard ratios."""
    headline = {f"{e.outcome}: {e.arm}": e.effect for e in [*est["effects"], *sale_effects]}
    if est["worth"] is not None:
        headline.update({f"net_value: {arm}": e for arm, e in est["worth"].differences.items()})
        headline["best_promo_share"] = est["worth"].promo_share
    headline["observational_promo_exit"] = est["observational"]
    headline["dose_response"] = est["content"].dose
    headline.update({f"exit_hazard_ratio: {a}": est["survival"].hazard_ratio(a) for a in est["arms"]})
    return headline


def _checks(groups: pd.DataFrame, p: ExperimentParams) -> dict:
    """Sample-ratio tests, pre-period balance, the power table and the detectable effect at this design."""
    power = models.power_table(groups["pre_exits"], groups["pre_members"], list(POWER_GROUPS), p.alpha)
    inputs, per_arm = power.inputs, int(groups["arm"].value_counts().mean())
    return {
        "srm_groups": models.srm_test(groups),
        "srm_members": models.srm_test(groups, count="members"),
        "balance": models.balance_table(groups, list(BALANCE), p.control_arm),
        "power": power,
        "per_arm": per_arm,
        "mde": models.minimum_detectable_effect(
            per_arm, inputs["mean_size"], inputs["cv_size"], inputs["icc"], inputs["sd"], p.alpha
        ),
    }


def _effects(groups: pd.DataFrame, arms: list[str], p: ExperimentParams) -> dict:
    """The exit and activity family (CUPED, corrected), the same without CUPED, and effects by stage."""
    effects = models.correct(
        [models.arm_effect(groups, o, a, p.control_arm, cuped=p.cuped) for o in p.outcomes for a in arms],
        p.correction,
        p.alpha,
    )
    plain = [models.arm_effect(groups, o, a, p.control_arm, cuped=False) for o in p.outcomes for a in arms]
    return {
        "effects": tuple(effects),
        "table": models.effects_table(effects),
        "plain": models.effects_table(plain),
        "stages": models.stage_effects(groups, arms, p.control_arm, measures.STAGES, p.cuped, p.correction, p.alpha),
    }


def estimate(ds: Dataset, params: ExperimentParams | None = None) -> ExperimentEstimates:
    """Each arm x outcome effect (CUPED, corrected), stages, SRM, balance, power, survival, looks, net value."""
    p = params or ExperimentParams()
    panel = group_week_panel(ds.tables)
    observational = models.promo_exit_association(panel)
    groups = None
    if ds.tables.assignments is not None:
        groups = measures.add_interaction(measures.group_outcomes(ds.tables, p.experiment), panel)
    if reason := _no_experiment(p, groups):
        headline = {"observational_promo_exit": observational}
        return ExperimentEstimates(params=p, headline=headline, observational=observational, reason=reason)
    arms = [a for a in sorted(groups["arm"].unique()) if a != p.control_arm]
    est = {"params": p, "observational": observational, "arms": tuple(arms), **_effects(groups, arms, p)}
    groups = measures.with_pre_rates(groups)
    est.update(_checks(groups, p))
    est["content"] = content_evidence(est["table"], groups, panel, p.control_arm, p.alpha)
    sales, sale_effects = conversion_effects(
        groups, arms, p.conversion_outcomes, p.control_arm, p.cuped, p.correction, p.alpha
    )
    shares = est["content"].promo_shares
    est["sales"] = sales
    est["worth"] = None if sales.why_not else net_value.net_value(groups, p.control_arm, shares=shares)
    exposures = measures.member_exposures(ds.tables, p.experiment)
    est["survival"] = arm_survival(exposures, p.control_arm, correction=p.correction)
    est["readout"] = sequential_readout(groups, panel, arms, p.control_arm, p.alpha, p.cuped)
    est["post"] = post_stratified_table(groups, p.outcomes, arms, p.control_arm)
    return ExperimentEstimates(groups=groups, headline=_headline(est, sale_effects), **est)
