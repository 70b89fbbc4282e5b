"""Study 4's words, written from its numbers alone (``ExperimentEstimates``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import fmt
from helpers.claims.registry import rule_line
from helpers.stats.estimate import Estimate
from helpers.studies.experiment import measures, models, net_value
from helpers.studies.experiment.content import Sales
from helpers.studies.experiment.estimate import ExperimentEstimates
from helpers.studies.experiment.sequential import SequentialReadout
from helpers.studies.experiment.survival import ArmSurvival
from helpers.studies.result import Finding

UNITS = {
    "exit_30d": (100, " points"),
    "messages_per_member_week": (1, " messages"),
    "interaction_rate": (100, " points"),
    "conversions_per_member_week": (1000, " per 1,000 member-weeks"),
    "value_per_member_week": (1, " currency units per member-week"),
}
"""How each outcome's effect is written: scale and unit."""

LABELS = {name: spec[5] for name, spec in {**models.OUTCOMES, **models.WEEKLY_OUTCOMES}.items()}


def stage_sentence(gaps: models.StageGaps | None, alpha: float) -> str:
    """The arm x stage interaction test in words."""
    if gaps is None:
        return "**Stage dependence** cannot be tested: fewer than two stages have exposed members in every arm."
    stages = sorted({*gaps.gaps["stage_a"], *gaps.gaps["stage_b"]}, key=measures.STAGES.index)
    top = gaps.gap(int(np.argmax(gaps.gaps["gap"].abs().to_numpy())))
    return (
        f"**Stage dependence** (any pattern across {', '.join(stages)}): the arm × stage test gives Wald "
        f"{gaps.chi2:.1f} on {gaps.df} df, p {fmt.p_value(gaps.p_value)} (F test, groups as units)"
        f"{' (significant)' if gaps.p_value < alpha else ''}; the largest gap is {top.name}, "
        f"{100 * top.value:+.1f} points (CI {100 * top.ci_low:+.1f} to {100 * top.ci_high:+.1f}, corrected for "
        f"{len(gaps.gaps)} gaps)."
    )


def dose_sentence(shares: pd.Series, dose: Estimate) -> str:
    """Measured promo share per arm and the exits' dose-response in words."""
    measured = ", ".join(f"{arm} {fmt.pct(v)}" for arm, v in shares.items())
    if dose.not_estimable:
        return f"**Promotional share received**: {measured}; dose-response not estimable: {dose.why_not}."
    return (
        f"**Dose-response**: the arms' groups received {measured} promotional posts; across arms, 10 points more "
        f"promotion goes with {100 * dose.value:+.2f} points of 30-day exits (95% CI {100 * dose.ci_low:+.2f} to "
        f"{100 * dose.ci_high:+.2f})."
    )


def decision(row, alpha: float) -> str:
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


def trade_off(table: pd.DataFrame, sales: Sales, shares: pd.Series, control: str) -> str:
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


def share_clause(share: Estimate) -> str:
    """The promo share that maximises net value, in words, or why it is not estimated."""
    if share.not_estimable:
        return f"the best promo share is not estimated ({share.why_not})"
    high = "or more" if share.ci_high == float("inf") else f"to {100 * share.ci_high:.0f}%"
    return (
        f"on a quadratic through the arms' measured promo shares, net value is highest at a promo share of "
        f"**{100 * share.value:.0f}%** (95% CI {100 * share.ci_low:.0f}% {high}; an edge of the tested range "
        "means the best may lie beyond it)"
    )


def net_value_line(worth: net_value.NetValue) -> str:
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
        f"{fmt.pct(worth.best_share, 0)} of resamples); {share_clause(worth.promo_share)}. Undiscounted, one value per member-week for all of an "
        "arm's members, exits taken at a constant hazard: a decision aid, not an accounting."
    )


def observational_note(observational: Estimate) -> str:
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


def survival_line(survival: ArmSurvival, control: str) -> str:
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


def post_stratified_line(table: pd.DataFrame) -> str:
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


def sequential_line(readout: SequentialReadout, arms: list[str]) -> str:
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


def stage_pair(launch: pd.DataFrame, mature: pd.DataFrame, arm: str) -> str:
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


def checks_line(est: ExperimentEstimates) -> str:
    """The sample-ratio tests and the largest pre-period imbalance in words."""
    srm_groups, srm_members, balance = est.srm_groups, est.srm_members, est.balance
    srm_ok = srm_groups.p_value >= 0.001 and srm_members.p_value >= 0.001
    worst_balance = balance[[c for c in balance.columns if c.startswith("std diff")]].abs().max().max()
    return (
        f"**Checks**: the split of groups {'matches' if srm_groups.p_value >= 0.001 else 'does NOT match'} "
        f"the design (sample-ratio test p {fmt.p_value(srm_groups.p_value)}), and of exposed members p "
        f"{fmt.p_value(srm_members.p_value)}, allowing for members coming in groups"
        f"{'' if srm_ok else ' (investigate before trusting the effects)'}; the largest standardised "
        f"difference in pre-period covariates is {worst_balance:.2f}."
    )


def power_line(est: ExperimentEstimates) -> str:
    """The difference in 30-day exits this design detects with 80% power, or why it cannot be computed."""
    inputs = est.power.inputs
    if not np.isfinite(est.mde):
        return (
            "**Power** cannot be computed: too few members joined in the pre-period to measure the exit rate, "
            "its spread and its clustering."
        )
    return (
        f"**Power**: with an ICC of {inputs['icc']:.3f} and {inputs['mean_size']:.0f} members per "
        f"group on average, {est.per_arm} groups per arm detect a difference in 30-day exits of about "
        f"{100 * est.mde:.1f} points with 80% power."
    )


def by_stage_line(est: ExperimentEstimates) -> str:
    """Each arm's 30-day exit effect at launch and when mature, corrected across the stage x arm family."""
    stages, p = est.stages, est.params
    launch = stages[stages["stage"] == "launch"].set_index("arm")
    mature = stages[stages["stage"] == "mature"].set_index("arm")
    stage_lines = "; ".join(stage_pair(launch, mature, a) for a in est.arms)
    return (
        f"**By stage** (30-day exits, stage at the start of each member's exposure): {stage_lines}. Stage "
        f"effects are subgroups: their CIs and p-values are corrected ({p.correction}; Bonferroni intervals) "
        f"across all {int(stages['comparisons'].iloc[0]) if len(stages) else 0} stage × arm comparisons."
    )


def findings(est: ExperimentEstimates) -> tuple[Finding, ...]:
    """The study's findings in reading order (one, saying why, where there is no experiment)."""
    if est.reason:
        return (Finding(f"**No experiment to analyse**: {est.reason}."),)
    p, arms, content = est.params, list(est.arms), est.content
    decisions = [Finding(decision(r, p.alpha) + ".", (f"{r.outcome}: {r.arm}",)) for r in est.table.itertuples()]
    decisions += [
        Finding(decision(r, p.alpha) + " (conversion family).", (f"{r.outcome}: {r.arm}",))
        for r in est.sales.effects.itertuples()
    ]
    return (
        *decisions,
        Finding(by_stage_line(est)),
        Finding(stage_sentence(content.stage_gaps, p.alpha)),
        Finding(survival_line(est.survival, p.control_arm), tuple(f"exit_hazard_ratio: {a}" for a in arms)),
        Finding(sequential_line(est.readout, arms)),
        Finding(post_stratified_line(est.post)),
        Finding(dose_sentence(content.promo_shares, content.dose), ("dose_response",)),
        Finding(trade_off(est.table, est.sales, content.promo_shares, p.control_arm)),
        *([Finding(net_value_line(est.worth))] if est.worth is not None else []),
        Finding(checks_line(est)),
        Finding(power_line(est)),
        Finding(
            f"{len(est.groups)} groups randomised in {est.groups['stratum'].nunique()} strata; p-values adjusted by "
            f"{p.correction} across {len(est.table)} arm × outcome comparisons"
            f"{'; CUPED with each group’s pre-period value' if p.cuped else ''}."
        ),
    )


def methods(est: ExperimentEstimates) -> tuple[str, ...]:
    """The study's methods and caveats, with the verdict rules (only the rules where there is no experiment)."""
    if est.reason:
        return tuple(rule_line(c) for c in ("content_exits", "content_stage"))
    p, sales = est.params, est.sales
    return (
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
        *(rule_line(c) for c in ("content_exits", "content_stage")),
    )
