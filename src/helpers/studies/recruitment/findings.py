"""Study 3's words and verdict, written from its numbers alone (``RecruitmentEstimates``)."""

from __future__ import annotations

import math

import numpy as np

from helpers import fmt
from helpers.claims.registry import CLAIMS, judge, not_testable, rule_line
from helpers.claims.verdict import Verdict, detectable_effect
from helpers.stats.estimate import Estimate
from helpers.studies.recruitment import threshold as thresholds
from helpers.studies.recruitment.estimate import CLAIM_DAYS, RMST_DAYS, RecruitmentEstimates
from helpers.studies.result import Finding


def threshold_verdict(threshold: thresholds.Threshold) -> Verdict:
    """Claim 2's verdict: where the threshold lies, once an effect of waiting that matters is shown.

    Supported needs the sup-score test to find a threshold, the waiting hazard ratio's CI
    above the smallest effect that matters and the threshold's CI inside the claim's range.
    Contradicted: a found threshold whose CI lies outside the range, or, at every candidate
    threshold inside the range, a hazard ratio whose CI lies below the smallest effect that
    matters (the claim needs one such threshold, so each is tested at 5%: an
    intersection-union test). Otherwise inconclusive.
    """
    claim = CLAIMS["recruitment"]
    effect = threshold.effect
    if effect.not_estimable:
        return not_testable("recruitment", effect.why_not)
    low, high = claim.allowed
    in_range = threshold.profile[threshold.profile["threshold_days"].between(low, high)]
    every_day = len(in_range) == int(np.floor(high) - np.ceil(low)) + 1 and in_range["ci_high"].notna().all()
    if every_day and (in_range["ci_high"] < claim.smallest_effect).all():
        reason = (
            f"at every candidate threshold from {low:g} to {high:g} days the hazard ratio of waiting has its 95% CI "
            f"below {claim.smallest_effect:g}, the smallest effect that matters (highest upper bound "
            f"{in_range['ci_high'].max():.2f})"
        )
        return Verdict(claim.label, "contradicted", reason, effect, claim.id)
    located = judge("recruitment", threshold.threshold, detected=threshold.detected)
    if located.verdict == "supported" and effect.ci_low < claim.smallest_effect:
        reason = (
            f"{located.reason}, but the waiting hazard ratio's CI ({fmt.ci(effect)}) reaches below "
            f"{claim.smallest_effect:g}, the smallest effect that matters"
        )
        return Verdict(claim.label, "inconclusive", reason, threshold.threshold, claim.id)
    return located


def verdicts(est: RecruitmentEstimates) -> tuple[Verdict, ...]:
    """Claim 2 (early members leave when a group takes more than 4 weeks to fill), judged."""
    if est.unrecorded:
        return (not_testable("recruitment", est.unrecorded),)
    return (threshold_verdict(est.threshold),)


def rmst_sentence(gap: Estimate) -> str:
    """The restricted-mean gap in words (or why there is none)."""
    if gap.not_estimable:
        return f"The restricted-mean comparison is not estimable: {gap.why_not}."
    return (
        f"In restricted mean membership over the first {RMST_DAYS} days (a difference in days, which needs no "
        f"proportional hazards), early members of slow groups stayed {gap.value:+.1f} days (95% CI "
        f"{gap.ci_low:+.1f} to {gap.ci_high:+.1f}) against fast groups': unadjusted, like the risk ratio, so it "
        "carries the smaller headcount slow groups live through; CI clustered by group."
    )


def early_members_words(est: RecruitmentEstimates) -> str:
    """Who the early members are, in words."""
    p = est.params
    if p.early_k:
        return f"the first {p.early_k} member joiners"
    return f"members who joined within {p.early_days:g} days of the group's creation"


def threshold_line(est: RecruitmentEstimates) -> str:
    """The threshold in words: where it lies and how much waiting beyond it raises exits, or why none is found."""
    threshold = est.threshold
    effect = threshold.effect
    if threshold.detected:
        return (
            f"On the days a group is older than **{threshold.threshold.value:.0f} days** "
            f"({fmt.ci(threshold.threshold, '.1f')} days) and still unfilled, its early members leave at "
            f"**{fmt.num(effect.value)}×** the rate ({fmt.ci(effect)}) of members of the same tenure in groups of "
            f"the same age and headcount that had filled (test over all candidate thresholds: "
            f"p {fmt.p_value(threshold.p_value)})."
        )
    if effect.not_estimable:
        return f"**The threshold is not estimable** on this data: {effect.why_not}."
    return (
        "**No threshold is found**: the test over all candidate thresholds finds no rise in early members' "
        f"exits while a group waits (p {fmt.p_value(threshold.p_value)}; at the best-fitting age, "
        f"{threshold.threshold.value:.0f} days, the hazard ratio is {fmt.num(effect.value)}, {fmt.ci(effect)}). "
        + (
            f"This data would detect, with 80% power, waiting that multiplies the hazard by about {detectable:.2f}."
            if math.isfinite(detectable := detectable_effect(effect, 1.0, "ratio"))
            else "The interval is too wide here to say which effect this data could detect."
        )
    )


def unseen_sentence(groups: int) -> str:
    """Says how many groups were left out because the data begins after they did ('' when none)."""
    if not groups:
        return ""
    return (
        f" {groups:,} group(s) are left out: their start is not in the data (members there with no known join, "
        "or a creation time before 2000, which is no real time), so how fast they filled is not known."
    )


def findings(est: RecruitmentEstimates) -> tuple[Finding, ...]:
    """The study's findings in reading order (one, saying why, where churn is not measurable)."""
    if est.unrecorded:
        return (Finding(f"**Early members' churn is not measurable on this data**: {est.unrecorded}."),)
    p, contrast, model, cox = est.params, est.contrast, est.window_model, est.cox
    verdict, claim_range = verdicts(est)[0], CLAIMS["recruitment"].allowed
    rr, rr_never = contrast.risk_ratio, est.contrast_never.risk_ratio
    windows = est.windows
    filled = windows["filled"]
    never = int((~filled).sum())
    median_window = windows.loc[filled, "window_days"].median()
    slow_share = (windows["window_days"] > CLAIM_DAYS).sum() / max(filled.sum(), 1)
    return (
        Finding(
            f"**Slow filling and early churn.** Of early members ({early_members_words(est)}), "
            f"**{fmt.pct(contrast.slow_share)}** left within {p.horizon_days} days in groups that took more than "
            f"{CLAIM_DAYS:g} days to fill, against **{fmt.pct(contrast.fast_share)}** in groups that filled faster: "
            f"a risk ratio of **{fmt.num(rr.value)}** ({fmt.ci(rr)}; {contrast.slow_groups} slow and "
            f"{contrast.fast_groups} fast groups). Adjusted for homogeneity, target size, channel, segment and the "
            f"headcount the early members lived through (slow groups stay small longer), the odds ratio is "
            f"{fmt.num(model.odds_ratio.value)} ({fmt.ci(model.odds_ratio)}); the Cox hazard ratio over the first "
            f"180 days is {fmt.num(cox.hazard_ratio.value)} ({fmt.ci(cox.hazard_ratio)}). "
            f"{rmst_sentence(est.rmst_gap)}",
            (
                "risk_ratio_slow_vs_fast",
                "odds_ratio_slow_vs_fast_adjusted",
                "hazard_ratio_slow_vs_fast",
                "rmst_difference_slow_vs_fast",
            ),
        ),
        Finding(
            f'**Threshold.** {threshold_line(est)} Verdict on "more than 4 weeks" (taken as a threshold of '
            f"{claim_range[0]:g}–{claim_range[1]:g} days): **{verdict.verdict}** ({verdict.reason}).",
            ("threshold",),
        ),
        Finding(
            f"**Groups that never filled** ({never} of {len(windows)}) are the slowest of all: counting them as "
            f"slow, the risk ratio is {fmt.num(rr_never.value)} ({fmt.ci(rr_never)}). The models leave them out (they "
            "have no window), so there the slow side is the groups that filled in the end; counting them in makes "
            "the contrast stronger, not weaker.",
            ("risk_ratio_slow_or_never_vs_fast",),
        ),
        Finding(
            f"Median window: {fmt.num(median_window, '.0f')} days; {fmt.pct(slow_share)} of filled groups took "
            f"more than {CLAIM_DAYS:g} days.{unseen_sentence(est.unseen_start)}"
        ),
    )


def methods(est: RecruitmentEstimates) -> tuple[str, ...]:
    """The study's methods and caveats, with the verdict rule (only the rule where churn is not measurable)."""
    if est.unrecorded:
        return (rule_line("recruitment"),)
    p, who = est.params, early_members_words(est)
    return (
        f"**Window**: days from creation to the {p.target_size}th distinct joiner of any role (or the group's own "
        "target, if smaller), by first joins. It measures recruitment alone: exits do not lengthen it.",
        f"**Early members**: {who}. **Outcome**: left (end of the first stay) within {p.horizon_days} days of "
        f"joining, measured from joining, not from filling; members who joined less than {p.horizon_days} days "
        "before the data's end are left out of shares and logistic models and censored in the survival curves "
        "and the threshold model.",
        "**Uncertainty**: the window belongs to the group, so members of one group share it. Shares have "
        "design-effect-adjusted Wilson intervals, the risk ratio a cluster-robust delta-method CI, the logistic "
        "models are fitted on group totals with robust errors, and the Cox and threshold models have errors "
        "clustered by group.",
        "**Threshold model**: a piecewise-exponential model of early members' exits on cells of group × day of the "
        "group's age × tenure band (exits against member-days at risk): log hazard = a term per group (everything "
        "constant within a group) + tenure band (new members leave faster) + a spline in the headcount that day "
        "(slow groups stay small longer, and size moves exits by itself, claim 1) + a spline in age (what changes "
        "with age in every group alike) + b × waiting, where waiting marks the days the group is older than a "
        "candidate threshold and has not filled. exp(b) is the hazard ratio of waiting. Candidates are whole days "
        f"from 7 to 84; the best-fitting one is the estimate. Whether there is a threshold at all is a one-sided "
        f"sup-score test over all candidates with group-clustered multiplier-bootstrap critical values "
        f"({p.bootstrap_reps} draws; Hansen 1996): a test at the best candidate alone would find a threshold in "
        "data without one, because the best of many candidates is chosen. A threshold is reported when that "
        "test gives p < 0.05 and exp(b)'s CI lies above 1. Its CI is the set of candidates the data do not "
        "reject: their deviance, scaled by the ratio of the clustered to the model variance of b, lies within "
        "7.35 of the best (Hansen 2000's 95% critical value); it reaches 0 or is open above where the data cannot "
        "bound it.",
        "**Calibration** (`make calibrate`): on 120 worlds with a strong threshold planted (hazard ratio 4–10, "
        "200 groups) the threshold was placed in all 120 and its CI covered the planted threshold in 109 (91%, "
        "mean bias −0.06 days); on 200 drawn worlds (80 groups) it covered it in 62 of the 66 where one was placed. "
        "Where no threshold was planted the test found one a little more often than 5% (5 of 76 drawn worlds; 3 "
        "of 37 null worlds of 300 groups), with hazard ratios whose CI reached below 1.25, so the verdict stayed "
        "inconclusive.",
        "**Proportional hazards**: a slow group's early members are at extra risk only while it is unfilled, so the "
        "hazard ratio changes over follow-up (the test above); read it as an average over 180 days.",
        "**Groups that never fill** have no window. The models leave them out; the risk ratio is shown with them "
        "counted as slow too.",
        "**Confounding**: groups that recruit slowly may differ (channel, audience, operator effort) in ways not in "
        "the data; the contrasts are associations, adjusted only for what is listed.",
        rule_line("recruitment"),
    )
