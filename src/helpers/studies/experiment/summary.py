"""Study 4 as one call: arm effects with CUPED and corrections, stage effects, checks, power; claim 4 judged."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from helpers import fmt
from helpers.claims.registry import CLAIMS, judge, not_testable, rule_line
from helpers.claims.verdict import Verdict
from helpers.data.engine import Dataset
from helpers.figures.survival import km_curves
from helpers.measures.conversions import NO_CONVERSIONS
from helpers.measures.group_week import group_week_panel
from helpers.stats.estimate import Estimate
from helpers.studies.experiment import figures
from helpers.studies.experiment import measures as ex
from helpers.studies.experiment import models as em
from helpers.studies.experiment import net_value as nv
from helpers.studies.experiment.sequential import SequentialReadout, sequential_readout
from helpers.studies.experiment.survival import ArmSurvival, arm_survival
from helpers.studies.result import Finding, StudyResult, records

TITLE = "The content-ratio experiment"
UNITS = {
    "exit_30d": (100, " points"),
    "messages_per_member_week": (1, " messages"),
    "interaction_rate": (100, " points"),
    "conversions_per_member_week": (1000, " per 1,000 member-weeks"),
    "value_per_member_week": (1, " currency units per member-week"),
}
"""How each outcome's effect is written: scale and unit."""

INTERVAL = ("effect", "ci_low", "ci_high")
LABELS = {name: spec[5] for name, spec in {**em.OUTCOMES, **em.WEEKLY_OUTCOMES}.items()}
POWER_GROUPS = (50, 100, 150, 200, 300, 400)
BALANCE = ("age_at_assignment_days", "has_pre_period", "pre_members", "pre_exit_rate", "pre_messages_per_member_week")


@dataclass(frozen=True)
class ExperimentParams:
    """The study's settings (the notebook's parameters, data location aside)."""

    experiment: str = "content_ratio"
    control_arm: str = "control"
    outcomes: tuple[str, ...] = field(default=("exit_30d", "messages_per_member_week", "interaction_rate"))
    alpha: float = 0.05
    correction: Literal["holm", "bh", "none"] = "holm"
    cuped: bool = True
    conversion_outcomes: tuple[str, ...] = field(default=("conversions_per_member_week", "value_per_member_week"))

    def as_dict(self) -> dict:
        """Plain values for provenance (outcomes as a list, as the notebook gives them)."""
        return {**asdict(self), "outcomes": list(self.outcomes), "conversion_outcomes": list(self.conversion_outcomes)}


@dataclass(frozen=True)
class ContentClaims:
    """Claim 4 judged on the experiment, and what the verdicts rest on."""

    exits: Verdict  # the most promotional arm vs control, CI corrected as the study corrects
    stage: Verdict  # arm x stage interaction: the decisive stage gap, CI corrected for the gaps
    promo_shares: pd.Series  # measured promo share per arm, ascending
    dose: Estimate  # exits per 10 points of promo share, across arms
    stage_gaps: em.StageGaps | None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {
            "exits": self.exits.as_dict(),
            "stage": self.stage.as_dict(),
            "promo_shares": {str(k): float(v) for k, v in self.promo_shares.items()},
            "dose": self.dose.as_dict(),
            "stage_gaps": None if self.stage_gaps is None else self.stage_gaps.as_dict(),
        }


def content_verdicts(
    table: pd.DataFrame, groups: pd.DataFrame, panel: pd.DataFrame, control: str, correction: str, alpha: float
) -> ContentClaims:
    """Claim 4 from the experiment: exits under the most promotional arm, and whether arms' effects differ by stage.

    The arm judged is the one whose groups received the largest measured share of promo
    posts, and it must be more promotional than control; its CI is widened to the study's
    multiplicity level, and the study's own corrected p must agree. Stage dependence is
    any pattern: an arm x stage Wald test, with every pairwise stage gap's CI corrected
    for the number of gaps.
    """
    shares = em.arm_promo_shares(groups, panel)
    dose = em.dose_response(groups, shares)
    exits = table[table["outcome"] == "exit_30d"].set_index("arm")
    if exits.empty:
        reason = "30-day exits are not among the outcomes estimated"
        return ContentClaims(
            not_testable("content_exits", reason), not_testable("content_stage", reason), shares, dose, None
        )
    arms = [a for a in exits.index if a in shares.index]
    most = max(arms, key=lambda a: shares[a]) if arms else None
    if most is None or control not in shares.index or not shares[most] > shares[control]:
        exit_verdict = not_testable("content_exits", "no arm received more promotional posts than control")
    else:
        row = exits.loc[most]
        z = em.adjusted_z(len(table), correction, alpha, row["dof"])
        effect = em.widened(
            Estimate.from_row(f"exit_30d: {most} - {control}", row, INTERVAL, "difference of ratios, groups as units"),
            z,
            row["dof"],
        )
        exit_verdict = judge("content_exits", effect, significant=bool(row["adjusted_p"] < alpha), z=z)
    arms_all = [a for a in sorted(groups["arm"].unique()) if a != control]
    gaps = em.stage_gaps(groups, arms_all, control, ex.STAGES, alpha)
    if isinstance(gaps, str):
        return ContentClaims(exit_verdict, not_testable("content_stage", gaps), shares, dose, None)
    smallest = CLAIMS["content_stage"].smallest_effect
    stage_verdict = judge("content_stage", gaps.decisive(smallest), significant=gaps.p_value < alpha, z=gaps.z)
    return ContentClaims(exit_verdict, stage_verdict, shares, dose, gaps)


def _stage_sentence(gaps: em.StageGaps | None, alpha: float) -> str:
    """The arm x stage interaction test in words."""
    if gaps is None:
        return "**Stage dependence** cannot be tested: fewer than two stages have exposed members in every arm."
    stages = sorted({*gaps.gaps["stage_a"], *gaps.gaps["stage_b"]}, key=ex.STAGES.index)
    top = gaps.gap(int(np.argmax(gaps.gaps["gap"].abs().to_numpy())))
    return (
        f"**Stage dependence** (any pattern across {', '.join(stages)}): the arm × stage test gives Wald "
        f"{gaps.chi2:.1f} on {gaps.df} df, p {fmt.p_value(gaps.p_value)} (F test, groups as units)"
        f"{' (significant)' if gaps.p_value < alpha else ''}; the largest gap is {top.name}, "
        f"{100 * top.value:+.1f} points (CI {100 * top.ci_low:+.1f} to {100 * top.ci_high:+.1f}, corrected for "
        f"{len(gaps.gaps)} gaps)."
    )


def _dose_sentence(shares: pd.Series, dose: Estimate) -> str:
    """Measured promo share per arm and the exits' dose-response in words."""
    measured = ", ".join(f"{arm} {fmt.pct(v)}" for arm, v in shares.items())
    if dose.not_estimable:
        return f"**Promotional share received**: {measured}; dose-response not estimable: {dose.why_not}."
    return (
        f"**Dose-response**: the arms' groups received {measured} promotional posts; across arms, 10 points more "
        f"promotion goes with {100 * dose.value:+.2f} points of 30-day exits (95% CI {100 * dose.ci_low:+.2f} to "
        f"{100 * dose.ci_high:+.2f})."
    )


def _decision(row, alpha: float) -> str:
    """One arm x outcome effect in words: the decision at the corrected level, the size and its CI."""
    scale, unit = UNITS.get(row.outcome, (1, ""))
    size = f"{abs(row.effect) * scale:.2f}{unit}"
    ci = f"95% CI {row.ci_low * scale:+.2f} to {row.ci_high * scale:+.2f}{unit}"
    label = LABELS.get(row.outcome, row.outcome)
    if row.adjusted_p < alpha:
        verb = "raises" if row.effect > 0 else "lowers"
        low, high = sorted(abs(x) * scale for x in (row.ci_low, row.ci_high))  # the size's interval, same sign
        ci = f"95% CI {low:.2f} to {high:.2f}{unit}"
        return f"**{row.arm} {verb} {label} by {size}** ({ci}; adjusted p {fmt.p_value(row.adjusted_p)})"
    return f"{row.arm}: no evidence of an effect on {label} ({ci}; adjusted p {fmt.p_value(row.adjusted_p)})"


@dataclass(frozen=True)
class Sales:
    """The conversion side of the experiment: each arm's effect on conversions and their value, its own family."""

    effects: pd.DataFrame  # effects_table rows (empty where not measurable)
    why_not: str = ""  # why conversions are not measurable on this data ('' when they are)

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {"effects": records(self.effects), "why_not": self.why_not}


def conversion_effects(groups: pd.DataFrame, arms: list[str], p: ExperimentParams) -> tuple[Sales, list]:
    """Each arm x conversion outcome effect (CUPED), corrected across the conversion family alone.

    The exit and activity family keeps its own correction (claim 4's verdicts rest on it);
    conversions are the other side of the trade-off, tested as a family of their own.
    """
    if "post_conversions" not in groups:
        return Sales(pd.DataFrame(), NO_CONVERSIONS), []
    if not p.conversion_outcomes:
        return Sales(pd.DataFrame(), "no conversion outcome was asked for"), []
    effects = em.correct(
        [em.arm_effect(groups, o, a, p.control_arm, cuped=p.cuped) for o in p.conversion_outcomes for a in arms],
        p.correction,
        p.alpha,
    )
    return Sales(em.effects_table(effects)), effects


def _trade_off(table: pd.DataFrame, sales: Sales, shares: pd.Series, control: str) -> str:
    """The most promotional arm's exits and conversions side by side: the trade-off a decision weighs."""
    if sales.why_not:
        return f"**Conversion** is not measurable on this data: {sales.why_not}, so only the exit side is shown."
    arms = [a for a in shares.index if a != control]
    if not arms:
        return "**Trade-off**: no arm besides control received content to compare."
    most = max(arms, key=lambda a: shares[a])
    exits = table[(table["outcome"] == "exit_30d") & (table["arm"] == most)]
    conv = sales.effects[(sales.effects["outcome"] == "conversions_per_member_week") & (sales.effects["arm"] == most)]
    if exits.empty or conv.empty:
        return "**Trade-off**: the most promotional arm's exits or conversions could not be estimated."
    e, c = exits.iloc[0], conv.iloc[0]
    return (
        f"**Trade-off** ({most}, the most promotional arm): 30-day exits {100 * e['effect']:+.1f} points "
        f"(95% CI {100 * e['ci_low']:+.1f} to {100 * e['ci_high']:+.1f}) against conversions "
        f"{1000 * c['effect']:+.1f} per 1,000 member-weeks (95% CI {1000 * c['ci_low']:+.1f} to "
        f"{1000 * c['ci_high']:+.1f}) versus control."
    )


def _share_clause(share: Estimate) -> str:
    """The promo share that maximises net value, in words, or why it is not estimated."""
    if share.not_estimable:
        return f"the best promo share is not estimated ({share.why_not})"
    high = "or more" if share.ci_high == float("inf") else f"to {100 * share.ci_high:.0f}%"
    return (
        f"on a quadratic through the arms' measured promo shares, net value is highest at a promo share of "
        f"**{100 * share.value:.0f}%** (95% CI {100 * share.ci_low:.0f}% {high}; an edge of the tested range "
        "means the best may lie beyond it)"
    )


def net_value_line(worth: nv.NetValue) -> str:
    """The net value per member at the start, per arm against control, and which arm is worth most."""
    if worth.best_arm is None:
        why = next(iter(worth.differences.values())).why_not if worth.differences else "no arm to compare"
        return f"**Net value** is not estimable on this data: {why}."
    parts = [
        f"{arm} {e.value:+.1f} (95% CI {e.ci_low:+.1f} to {e.ci_high:+.1f})"
        if not e.not_estimable
        else f"{arm}: {e.why_not}"
        for arm, e in worth.differences.items()
    ]
    return (
        f"**Net value** of a member present at the start, over {worth.horizon_weeks:g} weeks (her purchases while "
        "she stays, plus, if she is still there, a member's future value at control's rates), against control: "
        f"{'; '.join(parts)} (currency units per member). Worth most: **{worth.best_arm}** (best in "
        f"{fmt.pct(worth.best_share, 0)} of resamples); {_share_clause(worth.promo_share)}. Undiscounted, one value per member-week for all of an "
        "arm's members, exits taken at a constant hazard: a decision aid, not an accounting."
    )


def _observational_note(observational: Estimate) -> str:
    """The observational promo-exit association in words, with its caveat (or why there is none)."""
    if observational.not_estimable:
        return f"The observational association of promotion with next week's exits is not estimable: {observational.why_not}."
    return (
        f"Across all weeks of all groups, a week with 10 points more promotional posts is followed by "
        f"{observational.value:.3f}× the exits the next week (95% CI {observational.ci_low:.3f}–"
        f"{observational.ci_high:.3f}; Poisson with group fixed effects, {observational.n:,} group-weeks). This is "
        "an association within groups over time, not an experimental effect: operators may post more promotions "
        "in weeks they expect to be calm, and week-to-week swings in the mix need not act on the following week "
        "at all."
    )


def _survival_table(survival: ArmSurvival) -> pd.DataFrame:
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


def _no_experiment(panel: pd.DataFrame, reason: str) -> StudyResult:
    """The study's result where the data holds no experiment to analyse: it says why; claim 4 is untestable."""
    observational = em.promo_exit_association(panel)
    return StudyResult(
        study="experiment",
        title=TITLE,
        headline={"observational_promo_exit": observational},
        findings=(Finding(f"**No experiment to analyse**: {reason}."),),
        verdicts=(not_testable("content_exits", reason), not_testable("content_stage", reason)),
        methods=(*(rule_line(c) for c in ("content_exits", "content_stage")),),
        details={"reason": reason, "observational_promo_exit": observational.as_dict()},
        notes={
            "observational": _observational_note(observational),
            **{
                name: f"No experiment to show: {reason}."
                for name in ("forest", "stages", "power", "effects", "srm", "balance")
            },
        },
    )


def _survival_line(survival: ArmSurvival, control: str) -> str:
    """How long exposed members stay per arm, in words: hazard ratios, RMST differences, the robust log-rank."""
    if survival.reason:
        return f"**How long exposed members stay** is not compared across arms: {survival.reason}."
    gaps = survival.rmst.differences.set_index("level")
    parts = []
    for row in survival.hazard_ratios.itertuples():
        part = (
            f"{row.arm}: hazard ratio of leaving {row.hazard_ratio:.2f} (95% CI {row.ci_low:.2f}–{row.ci_high:.2f}, "
            f"adjusted p {fmt.p_value(row.adjusted_p)})"
        )
        if row.arm in gaps.index and math.isfinite(gaps.loc[row.arm, "difference"]):
            g = gaps.loc[row.arm]
            part += (
                f", {g['difference']:+.1f} days of the first {survival.rmst.tau:g} (restricted mean, 95% CI "
                f"{g['ci_low']:+.1f} to {g['ci_high']:+.1f})"
            )
        parts.append(part)
    test = survival.logrank
    robust = (
        f"log-rank robust to groups χ² = {test.robust_statistic:.1f} on {test.df} df, p "
        f"{fmt.p_value(test.robust_p_value)} (treating members as independent would give p {fmt.p_value(test.p_value)})"
        if math.isfinite(test.robust_statistic)
        else f"no log-rank test robust to groups ({test.reason})"
    )
    return (
        f"**How long exposed members stay**, every exposed stay followed to its end (days since exposure), against "
        f"{control}: {'; '.join(parts)}. Cox errors and the restricted-mean CIs are clustered by group; p-values "
        f"corrected across arms; {robust}."
    )


def _post_stratified(groups: pd.DataFrame, outcomes: tuple[str, ...], arms: list[str], control: str) -> pd.DataFrame:
    """Per outcome and arm: the plain difference (no CUPED) and the post-stratified one, with CIs and their widths."""
    rows = []
    for outcome in outcomes:
        for arm in arms:
            plain = em.arm_effect(groups, outcome, arm, control, cuped=False).effect
            post = em.post_stratified_effect(groups, outcome, arm, control)
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
                    "width_ratio": (post.ci_high - post.ci_low) / width
                    if (width := plain.ci_high - plain.ci_low) > 0
                    else math.nan,
                    "reason": post.why_not or None,
                }
            )
    return pd.DataFrame(rows)


def _post_stratified_line(table: pd.DataFrame) -> str:
    """Post-stratification by the randomisation strata in words: what it changes."""
    ok = table.dropna(subset=["post_stratified", "width_ratio"])
    if ok.empty:
        why = table["reason"].dropna().iloc[0] if table["reason"].notna().any() else "no estimate"
        return f"**Post-stratified** estimates are not available: {why}."
    ratio = float(ok["width_ratio"].median())
    moved = float((ok["post_stratified"] - ok["effect"]).abs().div((ok["ci_high"] - ok["ci_low"]) / 2).max())
    return (
        "**Post-stratified** by the randomisation strata (each stratum's difference, weighted by its members): CIs "
        f"{'narrower' if ratio < 1 else 'wider'} by a median {abs(1 - ratio):.0%} than the plain estimate's (both "
        f"without CUPED), estimates moved by at most {moved:.2f} half-widths. Blocks within strata already balance "
        "the arms, so little should change here; where groups are assigned without blocks, post-stratification "
        "removes the strata's chance imbalance (in 300 simulated experiments with simple randomisation over six unequal strata, CIs 3.5 times narrower, covering the truth 98% of the time against 96%)."
    )


def _sequential_line(readout: SequentialReadout, arms: list[str]) -> str:
    """When each arm's effect would first have been declared, read weekly: always-valid vs fixed intervals."""
    if readout.reason:
        return f"**Read week by week**: not possible on this data ({readout.reason})."
    looks = int(readout.table["weeks"].max())
    parts = []
    for outcome in dict.fromkeys(readout.table["outcome"]):
        for arm in arms:
            valid = readout.first_excluding_zero(outcome, arm, "cs")
            fixed = readout.first_excluding_zero(outcome, arm, "ci")
            if valid is None and fixed is None:
                continue
            parts.append(
                f"{arm} on {LABELS.get(outcome, outcome)}: "
                + (f"always-valid from week {valid}" if valid is not None else "never always-valid")
                + (f", a fixed CI first at week {fixed}" if fixed is not None else "")
            )
    found = "; ".join(parts) if parts else "no interval of either kind excluded zero at any look"
    return (
        f"**Read week by week** ({looks} weekly looks, each with the whole analysis on the data so far): {found}. "
        "A team that stops the first week a fixed 95% CI excludes zero is wrong far more often than 5% (19% of "
        "100 simulated null experiments with 12 looks at two outcomes); the always-valid intervals (normal-mixture "
        "SPRT) hold at every look at once (1% there), at the price of width."
    )


def _stage_pair(launch: pd.DataFrame, mature: pd.DataFrame, arm: str) -> str:
    """One arm's effect on 30-day exits at launch and when mature, in words (or which is not estimable)."""
    parts = []
    for name, frame in (("at launch", launch), ("when mature", mature)):
        if arm not in frame.index or not np.isfinite(frame.loc[arm, "effect"]):
            parts.append(f"not estimable {name}")
        else:
            r = frame.loc[arm]
            parts.append(
                f"{100 * r['effect']:+.1f} points {name} (CI {100 * r['ci_low_corrected']:+.1f} to "
                f"{100 * r['ci_high_corrected']:+.1f}, adjusted p {fmt.p_value(r['adjusted_p'])})"
            )
    return f"{arm}: {parts[0]} vs {parts[1]}"


def summarise(ds: Dataset, params: ExperimentParams | None = None) -> StudyResult:
    """Each arm x outcome effect (CUPED, corrected), effects by stage, SRM, balance, power, observational view."""
    p = params or ExperimentParams()
    panel = group_week_panel(ds.tables)
    if ds.tables.assignments is None:
        return _no_experiment(panel, "this dataset has no assignments table (no experiment was recorded)")
    groups = ex.add_interaction(ex.group_outcomes(ds.tables, p.experiment), panel)
    arms = [a for a in sorted(groups["arm"].unique()) if a != p.control_arm]
    if groups.empty or not arms or p.control_arm not in set(groups["arm"]):
        found = ", ".join(sorted(groups["arm"].unique())) or "none"
        return _no_experiment(
            panel,
            f"experiment {p.experiment!r} needs the control arm {p.control_arm!r} and another arm among its groups "
            f"with members (arms found: {found})",
        )
    effects = em.correct(
        [em.arm_effect(groups, o, a, p.control_arm, cuped=p.cuped) for o in p.outcomes for a in arms],
        p.correction,
        p.alpha,
    )
    table = em.effects_table(effects)
    plain = em.effects_table(
        [em.arm_effect(groups, o, a, p.control_arm, cuped=False) for o in p.outcomes for a in arms]
    )
    stages = em.stage_effects(groups, arms, p.control_arm, ex.STAGES, p.cuped, p.correction, p.alpha)
    srm_groups, srm_members = em.srm_test(groups), em.srm_test(groups, count="members")
    groups["pre_exit_rate"] = groups["pre_exits"] / groups["pre_members"].where(groups["pre_members"] > 0)
    groups["pre_messages_per_member_week"] = (
        7 * groups["pre_messages"] / groups["pre_member_days"].where(groups["pre_member_days"] > 0)
    )
    balance = em.balance_table(groups, list(BALANCE), p.control_arm)
    power_table = em.power_table(groups["pre_exits"], groups["pre_members"], list(POWER_GROUPS), p.alpha)
    power, power_inputs = power_table.table, power_table.inputs
    observational = em.promo_exit_association(panel)
    content = content_verdicts(table, groups, panel, p.control_arm, p.correction, p.alpha)
    verdicts = (content.exits, content.stage)
    sales, sale_effects = conversion_effects(groups, arms, p)
    worth = None if sales.why_not else nv.net_value(groups, p.control_arm, shares=content.promo_shares)
    survival = arm_survival(ex.member_exposures(ds.tables, p.experiment), p.control_arm, correction=p.correction)
    readout = sequential_readout(groups, panel, arms, p.control_arm, p.alpha, p.cuped)
    post = _post_stratified(groups, p.outcomes, arms, p.control_arm)

    decisions = [Finding(_decision(r, p.alpha) + ".", (f"{r.outcome}: {r.arm}",)) for r in table.itertuples()]
    decisions += [
        Finding(_decision(r, p.alpha) + " (conversion family).", (f"{r.outcome}: {r.arm}",))
        for r in sales.effects.itertuples()
    ]
    launch = stages[stages["stage"] == "launch"].set_index("arm")
    mature = stages[stages["stage"] == "mature"].set_index("arm")
    stage_lines = "; ".join(_stage_pair(launch, mature, a) for a in arms)
    srm_ok = srm_groups.p_value >= 0.001 and srm_members.p_value >= 0.001
    worst_balance = balance[[c for c in balance.columns if c.startswith("std diff")]].abs().max().max()
    per_arm = int(groups["arm"].value_counts().mean())
    mde = em.minimum_detectable_effect(
        per_arm, power_inputs["mean_size"], power_inputs["cv_size"], power_inputs["icc"], power_inputs["sd"], p.alpha
    )
    findings = (
        *decisions,
        Finding(
            f"**By stage** (30-day exits, stage at the start of each member's exposure): {stage_lines}. Stage "
            f"effects are subgroups: their CIs and p-values are corrected ({p.correction}; Bonferroni intervals) "
            f"across all {int(stages['comparisons'].iloc[0]) if len(stages) else 0} stage × arm comparisons."
        ),
        Finding(_stage_sentence(content.stage_gaps, p.alpha)),
        Finding(_survival_line(survival, p.control_arm), tuple(f"exit_hazard_ratio: {a}" for a in arms)),
        Finding(_sequential_line(readout, arms)),
        Finding(_post_stratified_line(post)),
        Finding(_dose_sentence(content.promo_shares, content.dose), ("dose_response",)),
        Finding(_trade_off(table, sales, content.promo_shares, p.control_arm)),
        *([Finding(net_value_line(worth))] if worth is not None else []),
        Finding(
            f"**Checks**: the split of groups {'matches' if srm_groups.p_value >= 0.001 else 'does NOT match'} "
            f"the design (sample-ratio test p {fmt.p_value(srm_groups.p_value)}), and of exposed members p "
            f"{fmt.p_value(srm_members.p_value)}, allowing for members coming in groups"
            f"{'' if srm_ok else ' (investigate before trusting the effects)'}; the largest standardised "
            f"difference in pre-period covariates is {worst_balance:.2f}."
        ),
        Finding(
            f"**Power**: with an ICC of {power_inputs['icc']:.3f} and {power_inputs['mean_size']:.0f} members per "
            f"group on average, {per_arm} groups per arm detect a difference in 30-day exits of about "
            f"{100 * mde:.1f} points with 80% power."
            if np.isfinite(mde)
            else "**Power** cannot be computed: too few members joined in the pre-period to measure the exit rate, "
            "its spread and its clustering."
        ),
        Finding(
            f"{len(groups)} groups randomised in {groups['stratum'].nunique()} strata; p-values adjusted by "
            f"{p.correction} across {len(table)} arm × outcome comparisons"
            f"{'; CUPED with each group’s pre-period value' if p.cuped else ''}."
        ),
    )
    methods = (
        "**Design**: groups randomised to arms within strata (channel × size band), by permuted blocks. Groups open "
        "before the experiment were assigned on its first day; later groups when created.",
        "**Outcomes**, per group, from assignment on: members' 30-day exits (exposure starts at the later of joining "
        "and assignment; only exposures that started 30+ days before the data's end), member messages per "
        "member-week, speakers per member-week.",
        "**Estimates**: each arm's ratio of sums minus control's; standard errors from the delete-one-group "
        "jackknife of the whole estimator (CUPED's adjustment refitted each time), so groups are the independent "
        "units; the jackknife is stratified as the randomisation was (replicates compared within their stratum, "
        "strata with one group in an arm pooled), so the balance the blocks enforce is not counted as "
        "uncertainty; 95% CIs and p-values from Student's t with Welch–Satterthwaite degrees of freedom, because a "
        f"dozen groups per arm make normal intervals too narrow; p-values adjusted by {p.correction} "
        "across all arm × outcome comparisons.",
        "**CUPED**: the influence of each group is adjusted by its pre-period value of the same outcome (the 90 days "
        "before assignment); groups created during the experiment have none, which limits the variance reduction "
        "(shown in the table).",
        "**Stages** are those of the group when each member's exposure started; few groups were already mature when "
        "the experiment began, so mature-stage effects are imprecise.",
        (
            f"**Conversion**: not measurable on this data ({sales.why_not})."
            if sales.why_not
            else "**Conversion**: conversions (orders, redeemed coupons, sign-ups) credited to the group after "
            "assignment per member-week, and their value per member-week (unknown values count 0), estimated as "
            f"the other outcomes are; p-values adjusted by {p.correction} across the conversion comparisons alone, "
            "a family of their own, so the exit decisions above are not diluted by them."
        ),
        "The effects are averages over the groups in the experiment; they transfer to other groups only as far as "
        "those resemble these.",
    )
    shown = table.assign(
        variance_reduction=table["variance_reduction"].round(3),
        ci_width=table["ci_high"] - table["ci_low"],
        ci_width_without_cuped=plain["ci_high"] - plain["ci_low"],
    )
    observed = {r.arm: r.effect for r in table[table["outcome"] == "exit_30d"].itertuples()}
    headline = {f"{e.outcome}: {e.arm}": e.effect for e in [*effects, *sale_effects]}
    if worth is not None:
        headline.update({f"net_value: {arm}": e for arm, e in worth.differences.items()})
        headline["best_promo_share"] = worth.promo_share
    headline["observational_promo_exit"] = observational
    headline["dose_response"] = content.dose
    headline.update({f"exit_hazard_ratio: {a}": survival.hazard_ratio(a) for a in arms})
    return StudyResult(
        study="experiment",
        title=TITLE,
        headline=headline,
        findings=findings,
        verdicts=verdicts,
        methods=(*methods, *(rule_line(c) for c in ("content_exits", "content_stage"))),
        tables={
            "effects": shown[
                [
                    "outcome",
                    "arm",
                    "control",
                    "arm_value",
                    "effect",
                    "ci_low",
                    "ci_high",
                    "p_value",
                    "adjusted_p",
                    "dof",
                    "ci_width",
                    "ci_width_without_cuped",
                    "variance_reduction",
                ]
            ].round(4),
            "conversion_effects": sales.effects.round(4),
            "srm": pd.DataFrame([srm_groups.as_dict(), srm_members.as_dict()]).round(4),
            "balance": balance.round(3),
            "power": power.assign(mde_points=100 * power["mde"]).round(4),
            "arm_survival": _survival_table(survival),
            "sequential": readout.table.assign(week=readout.table["week"].astype(str)).round(5),
            "post_stratified": post.round(4),
        },
        figures={
            "forest": partial(figures.forest, table, LABELS, UNITS),
            "stages": partial(figures.stage_effects, stages, LABELS["exit_30d"], None, *UNITS["exit_30d"]),
            "power": partial(figures.power_curve, power, observed, LABELS["exit_30d"]),
            "arm_survival": partial(km_curves, survival.km.curves, survival.km.at_risk, "arm"),
            "sequential": partial(figures.sequential, readout.table, LABELS),
        },
        details={
            "effects": records(table),
            "effects_without_cuped": records(plain),
            "stage_effects_exit_30d": records(stages),
            "promo_share_by_arm": {str(k): float(v) for k, v in content.promo_shares.items()},
            "dose_response": content.dose.as_dict(),
            "conversions": sales.as_dict(),
            "net_value": None if worth is None else worth.as_dict(),
            "stage_interaction": None if content.stage_gaps is None else content.stage_gaps.as_dict(),
            "srm": {"groups": srm_groups.as_dict(), "members": srm_members.as_dict()},
            "balance": records(balance),
            "power": power_table.as_dict(),
            "observational_promo_exit": observational.as_dict(),
            "arm_survival": survival.as_dict(),
            "sequential": readout.as_dict(),
            "post_stratified": records(post),
        },
        notes={"observational": _observational_note(observational)},
        frames={"group_outcomes": groups},
    )
