"""Study 2's words and verdicts, written from its numbers alone (``SizeEstimates``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import fmt
from helpers.claims.registry import KOC_ALMOST_EVERY, KOC_SIZE, MONITOR_SHARE_ABOUT, judge, not_testable, rule_line
from helpers.claims.verdict import Verdict
from helpers.measures import kocs
from helpers.measures.conversions import NO_CONVERSIONS
from helpers.stats.estimate import Estimate
from helpers.studies.result import Finding
from helpers.studies.size_activity import models, timing
from helpers.studies.size_activity.estimate import SizeEstimates
from helpers.studies.size_activity.stickiness import STICKY_DAYS, Stickiness

NO_MONITOR = (
    "no message in the data is by a monitor (no sender has the monitor role; name the operators in the ingest "
    "settings, operators: monitor: [...])"
)


def size_verdict(within: Estimate, within_detected: bool, pooled: Estimate, pooled_detected: bool) -> Verdict:
    """Claim 1's band, judged on the within-group peak; the pooled peak is reported beside it, never decides.

    The pooled curve mixes groups that differ in many ways besides size (which groups grow
    large is itself an outcome), so its peak is shown for comparison only; on the 200
    calibration worlds the within-group peak's CI covered the planted peak in 95% of the
    worlds where it was estimable, and deciding on it alone gave no false verdict.
    """
    own = judge("size_band", within, detected=within_detected)
    pooled_verdict = judge("size_band", pooled, detected=pooled_detected)
    if pooled_verdict.verdict == own.verdict:
        return own
    return Verdict(
        own.claim,
        own.verdict,
        f"{own.reason}; the pooled curve, shown for comparison, reads {pooled_verdict.verdict} "
        f"({pooled_verdict.reason})",
        own.estimate,
        own.claim_id,
    )


def verdicts(est: SizeEstimates) -> tuple[Verdict, ...]:
    """Claims 1 (size band), 5 (KOCs above 150), 6 (monitor share) and the peak hours, judged."""
    size, within, monitor = est.size_fit.curve, est.within, est.monitor_fit.curve
    return (
        size_verdict(within.peak, within.detected, size.peak, size.detected),
        judge("koc_above_150", est.kocs.above),
        not_testable("monitor_share", NO_MONITOR)
        if est.no_monitor
        else judge("monitor_share", monitor.peak, detected=monitor.detected),
        timing.peak_hours_verdict(est.peaks),
    )


def _ci(e: Estimate, spec: str = ".0f") -> str:
    return fmt.ci(e, spec)


def pooled_size_line(est: SizeEstimates) -> str:
    """The pooled size curve in words: its peak and band, or why there is none."""
    size, what = est.size_fit.curve, models.METRIC_WORDS[est.params.activity_metric]
    if size.curve.empty:
        return f"**The size curve is not estimable** on this data: {size.peak.why_not}."
    if size.detected:
        return (
            f"Per-member activity ({what}) peaks at **{size.peak.value:.0f} members** ({_ci(size.peak)}); it "
            f"stays within {size.margin:.0%} of the peak from **{size.band_low.value:.0f}** "
            f"({_ci(size.band_low)}) to **{size.band_high.value:.0f}** members ({_ci(size.band_high)})."
        )
    if size.flat_p >= 0.05:
        return (
            "**No peak in per-member activity by size**: a flat curve lies inside the confidence region "
            f"(cluster-robust Wald test of the size terms: χ² = {size.flat_chi2:.1f} on {size.flat_df} df, "
            f"p {fmt.p_value(size.flat_p)})."
        )
    return (
        "**No peak in per-member activity by size**: activity changes with size "
        f"(p {fmt.p_value(size.flat_p)}) but is highest at the edge of the observed sizes "
        f"({size.peak.value:.0f} members)."
    )


def within_line(est: SizeEstimates) -> str:
    """The within-group size curve in words."""
    within, what = est.within, models.METRIC_WORDS[est.params.activity_metric]
    if within.detected:
        return (
            f"Within groups, as a group's own size changes, per-member activity ({what}) peaks at "
            f"**{within.peak.value:.0f} members** ({_ci(within.peak)})"
        )
    if within.curve.empty:
        return f"The within-group curve is not estimable: {within.peak.why_not}"
    if math.isfinite(within.flat_p):
        return f"Within groups (fixed effects) no peak is found (p {fmt.p_value(within.flat_p)} for a flat curve)"
    return (
        "Within groups (fixed effects) no peak is found ("
        + (within.peak.why_not or "the test of a flat curve could not be computed on this data")
        + ")"
    )


def monitor_line(est: SizeEstimates) -> str:
    """The monitor-share optimum in words, the same-week optimum beside it."""
    monitor, same_week = est.monitor_fit.curve, est.same_week_fit.curve
    if est.no_monitor:
        line = f"The monitor-share curve is **not measurable on this data**: {NO_MONITOR}"
    elif monitor.curve.empty:
        line = f"The monitor-share curve is not estimable: {monitor.peak.why_not}"
    elif monitor.detected:
        line = (
            f"Activity peaks where the monitor writes **{fmt.pct(monitor.peak.value)}** of the group's messages "
            f"(her share in the group's other weeks; {_ci(monitor.peak, '.1%')}), and stays within "
            f"{monitor.margin:.0%} of the peak from {fmt.pct(monitor.band_low.value)} to "
            f"{fmt.pct(monitor.band_high.value)}"
        )
    else:
        line = (
            "No optimum in the monitor's share is found (a flat curve, or a peak at the edge of the "
            f"observed shares, p {fmt.p_value(monitor.flat_p)})"
        )
    if same_week.detected:
        return (
            line
            + f"; by the week's own share, {fmt.pct(same_week.peak.value)} ({_ci(same_week.peak, '.1%')}, biased low)"
        )
    return line + ("" if same_week.curve.empty else "; the week's own share shows no optimum inside the data")


def hours_line(peaks: pd.DataFrame) -> str:
    """Each audience's busiest hours against the claimed ones, with the claimed hours' lift."""
    return (
        "; ".join(
            f"{r.audience}: busiest hours {', '.join(f'{h}h' for h in r.busiest_hours)}, claimed "
            f"{', '.join(f'{h}h' for h in r.claimed_hours)}, claimed hours "
            f"{r.lift:.{(d := fmt.decimals(r.lift, r.ci_low, r.ci_high))}f}× as busy as other "
            f"daytime hours (95% CI {r.ci_low:.{d}f}–{r.ci_high:.{d}f})"
            for r in peaks.itertuples()
        )
        or "no prenatal or postnatal segments in the data"
    )


def conversion_line(conversion: pd.DataFrame | None) -> str:
    """The finding on paid conversions per member-week by size band, or why it is not measurable."""
    if conversion is None:
        return f"**Conversion by size** is not measurable: {NO_CONVERSIONS}."
    parts = [
        f"{row.size_band}: {100 * row.conversions_per_member_week:.2f} "
        f"({100 * row.rate_ci_low:.2f}–{100 * row.rate_ci_high:.2f})"
        for row in conversion.itertuples()
        if np.isfinite(row.rate_ci_low)
    ]
    if not parts:
        return "**Conversion by size** is not estimable: no size band has groups enough for a CI."
    return (
        "**Conversion by size.** Paid conversions per 100 member-weeks by the group's size that week (95% CIs "
        f"clustered by group): {'; '.join(parts)}. An association: what converts may also be what keeps a group "
        "large."
    )


def stickiness_line(sticky: Stickiness) -> str:
    """How often members who speak in a month come back within it, overall and across size bands."""
    mean, share = sticky.mean_days, sticky.sticky_share
    if not math.isfinite(mean.value):
        return f"**Stickiness** cannot be shown: {mean.why_not}."
    if mean.not_estimable:  # a value without an interval (one group)
        return (
            f"**Stickiness.** A member who spoke in a month spoke on {mean.value:.1f} days of it on average, and "
            f"{fmt.pct(share.value)} on {STICKY_DAYS}+ days; no interval: {mean.why_not}."
        )
    line = (
        f"**Stickiness.** A member who spoke in a month spoke on **{mean.value:.1f} days** of it on average "
        f"({fmt.ci(mean, '.1f')}); **{fmt.pct(share.value)}** spoke on {STICKY_DAYS}+ days ({fmt.ci(share, '.1%')})"
    )
    ok = sticky.summary.dropna(subset=["sticky_share"])
    if len(ok) >= 2:
        low, high = ok.loc[ok["sticky_share"].idxmin()], ok.loc[ok["sticky_share"].idxmax()]
        line += (
            f"; by size band (the group's peak members) from {fmt.pct(low['sticky_share'])} ({low['level']} members, "
            f"{fmt.pct_ci(low['sticky_ci_low'], low['sticky_ci_high'])}) to {fmt.pct(high['sticky_share'])} "
            f"({high['level']}, {fmt.pct_ci(high['sticky_ci_low'], high['sticky_ci_high'])})"
        )
    return line + ". Whole calendar months (UTC), member-months with at least one message; CIs clustered by group."


def koc_finding(est: SizeEstimates, verdict: Verdict) -> Finding:
    """KOCs in groups above and below 150 members, with the verdict on claim 5."""
    below, above, factor = est.kocs.below, est.kocs.above, est.params.koc_factor
    if above.not_estimable and below.not_estimable:
        return Finding(
            f"**KOCs.** Whether groups of {KOC_SIZE:g}+ members have several KOCs is **not measurable on this "
            f"data**: {above.why_not}. Verdict: **{verdict.verdict}**.",
            ("koc_above_150", "koc_below_150"),
        )
    if not above.n:
        return Finding(
            f"**KOCs.** No group-week had {KOC_SIZE:g}+ members, so whether groups that large have several KOCs is "
            f"**not measurable on this data**; below {KOC_SIZE:g} members, {fmt.pct(below.value)} of weeks "
            f"({_ci(below, '.1%')}) had two or more KOCs (members writing {factor:g}× as much as the "
            f"group's median member).",
            ("koc_above_150", "koc_below_150"),
        )
    return Finding(
        f"**KOCs.** In **{fmt.pct(above.value)}** of weeks ({_ci(above, '.1%')}) groups of "
        f"{KOC_SIZE:g}+ members have two or more KOCs (members writing {factor:g}× as much as the group's "
        f"median member) present; below "
        f'{KOC_SIZE:g} members, {fmt.pct(below.value)} ({_ci(below, ".1%")}). Verdict on "almost every '
        f'group above 150" (taken as ≥ {KOC_ALMOST_EVERY:.0%}): **{verdict.verdict}**.',
        ("koc_above_150", "koc_below_150"),
    )


def findings(est: SizeEstimates) -> tuple[Finding, ...]:
    """The study's findings in reading order."""
    v = {x.claim_id: x for x in verdicts(est)}
    p = est.params
    return (
        Finding(
            f'**Size.** {within_line(est)}. Verdict on "150–350 is best", judged on the within-group peak: '
            f"**{v['size_band'].verdict}** ({v['size_band'].reason}). Pooled over all groups, for comparison: "
            f"{pooled_size_line(est)}",
            ("size_peak", "size_peak_within_groups"),
        ),
        koc_finding(est, v["koc_above_150"]),
        Finding(
            f'**Monitor share.** {monitor_line(est)}. Verdict on "about 5%" (taken as '
            f"{100 * MONITOR_SHARE_ABOUT[0]:.1f}–{100 * MONITOR_SHARE_ABOUT[1]:.1f}%): "
            f"**{v['monitor_share'].verdict}**.",
            ("monitor_share_peak", "monitor_share_peak_same_week"),
        ),
        Finding(f"**Timing.** {hours_line(est.peaks)}. Verdict: **{v['peak_hours'].verdict}**."),
        Finding(stickiness_line(est.stickiness_by_band), ("active_days_per_month", "sticky_share")),
        Finding(conversion_line(est.conversion)),
        Finding(
            f"Data: {len(est.rows):,} whole group-weeks of {est.rows['group_id'].nunique():,} groups with "
            f"{p.min_members}+ members; the monitor curve uses the {est.monitor_fit.rows_used:,} group-weeks of "
            f"groups with at least {models.MIN_TALK} member and monitor messages in their other weeks."
        ),
    )


def methods(est: SizeEstimates) -> tuple[str, ...]:
    """The study's methods and caveats, with the verdict rule of each claim."""
    p, size_fit, size, members = est.params, est.size_fit, est.size_fit.curve, est.members
    return (
        f"**Unit**: the group-week (Monday–Sunday, UTC). The creation week and the week the data ends in are partial "
        f"and left out, as are group-weeks with fewer than {p.min_members} members. Size = members at the week's "
        "start + half the week's net joins (operators not counted).",
        f"**Model**: {size_fit.method}. Controls: natural splines in ln group age and ln members' mean tenure (new "
        "members talk more, and fast-growing groups hold more of them), the week's join share, channel, segment, "
        "calendar month, and the content-experiment arm in force that week by lifecycle stage (an arm changes how "
        "much members talk, differently by stage, and stage moves with age and size; weeks before assignment and "
        "groups never assigned form the reference). The within-group fit keeps the arm indicators that vary within "
        f"groups. Splines have {p.spline_df} degrees of freedom ({p.monitor_spline_df} in the other-weeks "
        "monitor-share model: that share is one value per group, too few to carry a wigglier curve; on 200 drawn "
        "worlds 8 gave CIs covering every truth and twice as wide) with knots evenly spaced over the central 98% "
        "of values (values beyond are held at the 1st / 99th percentile).",
        f"**Peak and band**: the size (or share) at which the predicted curve is highest, and the contiguous range "
        f"within {size.margin:.0%} of it; their CIs are 2.5th and 97.5th percentiles over {size_fit.bootstrap_reps} "
        "cluster-bootstrap resamples (whole groups drawn with replacement, model refitted). A resample whose curve "
        "is highest at the edge of the observed range puts the peak at or beyond that edge, so when more than 2.5% "
        'of them do, the CI is open there ("240 or more": the data cannot rule out a peak beyond the largest '
        "size seen) instead of stopping at the edge of the data. A peak is reported only "
        "if the size terms are jointly significant (cluster-robust Wald test) and the peak lies inside the observed "
        "range.",
        f"**KOCs**: a member whose messages per day present are at least {p.koc_factor:g} times her group's median "
        f"member's (median over members present {kocs.MEDIAN_DAYS}+ days; members present fewer than "
        f"{kocs.MIN_DAYS} days or with fewer than {kocs.MIN_MESSAGES} messages are not classified): relative to "
        "the group, so a busy week does not turn ordinary members into KOCs. A group-week counts the KOCs present at "
        f"its start; shares are over group-weeks, with CIs clustered by group. {int(members['koc'].sum()):,} of "
        f"{len(members):,} members are KOCs. Part of the rise with size is arithmetic: more members give more chances "
        "that two are KOCs, so the share says nothing on whether large groups *make* members more active (the size "
        "curve above does).",
        "**Monitor share** = the monitor's messages / (member + monitor messages). The week's own share has the "
        "week's member messages in its denominator, so a busy week lowers it by itself: the noise of the outcome sits "
        "in the regressor too and pulls the optimum down (by 5-15% on drawn worlds with a known optimum). The verdict "
        "therefore uses the group's share in its *other* weeks (leave-one-week-out, groups with at least "
        f"{models.MIN_TALK} messages in them), which is free of that week's noise; the same-week optimum (weeks with "
        f"{models.MIN_TALK}+ messages) is shown beside it. Both are associations: operators may write more where groups "
        "are quiet.",
        "**Reverse causality**: active groups attract and keep members, so size is partly an outcome of activity; "
        "the pooled curve mixes this with any effect of size on activity. The within-group curve removes everything "
        "fixed about a group, but within a group size changes mostly while it fills and then shrinks as it ages, so "
        "it leans on the age and tenure adjustment. The size-band verdict is judged on the within-group peak, "
        "the one whose CI covered the planted peak at the nominal rate on the calibration worlds; the pooled "
        "peak is shown for comparison, and where it would read differently the verdict's reason says so.",
        "**Survivorship**: groups that die early contribute few weeks; large sizes come from groups that recruited "
        "and kept members.",
        f"**Timing**: local time is UTC{p.utc_offset_hours:+g} for every group; lift CIs are clustered by group.",
        *(rule_line(c) for c in ("size_band", "koc_above_150", "monitor_share", "peak_hours")),
    )
