"""Study 4 as one call: the numbers (``estimate``), the words and verdicts (``findings``), tables and figures."""

from __future__ import annotations

from functools import partial

import pandas as pd

from helpers.data.engine import Dataset
from helpers.figures.survival import km_curves
from helpers.studies.data_warnings import warnings_touching
from helpers.studies.experiment import figures
from helpers.studies.experiment.captions import CAPTIONS, QUESTION
from helpers.studies.experiment.estimate import ExperimentEstimates, estimate
from helpers.studies.experiment.findings import LABELS, UNITS, findings, methods, observational_note
from helpers.studies.experiment.params import ExperimentParams
from helpers.studies.experiment.survival import ArmSurvival
from helpers.studies.experiment.verdicts import verdicts
from helpers.studies.result import StudyResult, records

TITLE = "The content-ratio experiment"

EFFECT_COLUMNS = (
    "outcome", "arm", "control", "arm_value", "effect", "ci_low", "ci_high", "p_value", "adjusted_p", "dof",
    "ci_width", "ci_width_without_cuped", "variance_reduction",
)  # fmt: skip
NO_EXPERIMENT = ("forest", "stages", "power", "effects", "srm", "balance")
"""What the report shows nothing for, saying why, where there is no experiment."""


def survival_table(survival: ArmSurvival) -> pd.DataFrame:
    """Per arm: hazard ratio against control and the restricted-mean difference in days, with their CIs."""
    levels = survival.rmst.levels.rename(columns={"level": "arm", "ci_low": "rmst_ci_low", "ci_high": "rmst_ci_high"})
    gaps = survival.rmst.differences.rename(
        columns={"level": "arm", "difference": "rmst_difference", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high"}
    )
    table = levels[["arm", "rmst", "rmst_ci_low", "rmst_ci_high", "members", "groups"]].merge(
        gaps[["arm", "rmst_difference", "diff_ci_low", "diff_ci_high"]], on="arm", how="left"
    )
    hr = survival.hazard_ratios.drop(columns=["members", "groups"]).rename(
        columns={"ci_low": "hr_ci_low", "ci_high": "hr_ci_high"}
    )
    return table.merge(hr, on="arm", how="left").round(4)


def tables(est: ExperimentEstimates) -> dict[str, pd.DataFrame]:
    """The report's tables (none where there is no experiment)."""
    if est.reason:
        return {}
    table, plain, power, readout = est.table, est.plain, est.power.table, est.readout
    shown = table.assign(
        variance_reduction=table["variance_reduction"].round(3),
        ci_width=table["ci_high"] - table["ci_low"],
        ci_width_without_cuped=plain["ci_high"] - plain["ci_low"],
    )
    return {
        "effects": shown[list(EFFECT_COLUMNS)].round(4),
        "conversion_effects": est.sales.effects.round(4),
        "srm": pd.DataFrame([est.srm_groups.as_dict(), est.srm_members.as_dict()]).round(4),
        "balance": est.balance.round(3),
        "power": power.assign(mde_points=100 * power["mde"]).round(4),
        "arm_survival": survival_table(est.survival),
        "sequential": readout.table.assign(week=readout.table["week"].astype(str)).round(5),
        "post_stratified": est.post.round(4),
    }


def figure_makers(est: ExperimentEstimates) -> dict:
    """The study's figures, each drawn only when shown (none where there is no experiment)."""
    if est.reason:
        return {}
    table, survival = est.table, est.survival
    observed = {r.arm: r.effect for r in table[table["outcome"] == "exit_30d"].itertuples()}
    return {
        "forest": partial(figures.forest, table, LABELS, UNITS),
        "stages": partial(figures.stage_effects, est.stages, LABELS["exit_30d"], None, *UNITS["exit_30d"]),
        "power": partial(figures.power_curve, est.power.table, observed, LABELS["exit_30d"]),
        "arm_survival": partial(km_curves, survival.km.curves, survival.km.at_risk, "arm"),
        "sequential": partial(figures.sequential, est.readout.table, LABELS),
    }


def details(est: ExperimentEstimates) -> dict:
    """Numbers for readers of results.json."""
    if est.reason:
        return {"reason": est.reason, "observational_promo_exit": est.observational.as_dict()}
    content = est.content
    return {
        "effects": records(est.table),
        "effects_without_cuped": records(est.plain),
        "stage_effects_exit_30d": records(est.stages),
        "promo_share_by_arm": {str(k): float(v) for k, v in content.promo_shares.items()},
        "dose_response": content.dose.as_dict(),
        "conversions": est.sales.as_dict(),
        "net_value": None if est.worth is None else est.worth.as_dict(),
        "stage_interaction": None if content.stage_gaps is None else content.stage_gaps.as_dict(),
        "srm": {"groups": est.srm_groups.as_dict(), "members": est.srm_members.as_dict()},
        "balance": records(est.balance),
        "power": est.power.as_dict(),
        "observational_promo_exit": est.observational.as_dict(),
        "arm_survival": est.survival.as_dict(),
        "sequential": est.readout.as_dict(),
        "post_stratified": records(est.post),
    }


def notes(est: ExperimentEstimates) -> dict[str, str]:
    """The observational view in words, and why each view is empty where there is no experiment."""
    out = {"observational": observational_note(est.observational)}
    if est.reason:
        out.update({name: f"No experiment to show: {est.reason}." for name in NO_EXPERIMENT})
    return out


def summarise(ds: Dataset, params: ExperimentParams | None = None) -> StudyResult:
    """Each arm x outcome effect (CUPED, corrected), effects by stage, SRM, balance, power, observational view."""
    est = estimate(ds, params)
    return StudyResult(
        study="experiment",
        title=TITLE,
        headline=est.headline,
        findings=(*findings(est), *warnings_touching(ds, "experiment")),
        verdicts=verdicts(est),
        methods=methods(est),
        tables=tables(est),
        figures=figure_makers(est),
        details=details(est),
        notes=notes(est),
        frames={} if est.reason else {"group_outcomes": est.groups},
        question=QUESTION,
        captions=CAPTIONS,
    )
