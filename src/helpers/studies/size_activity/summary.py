"""Study 2 as one call: size vs activity, KOCs, the monitor's share and peak hours, with a verdict per claim."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers import fmt
from helpers.claims.registry import (
    KOC_ALMOST_EVERY,
    KOC_FACTOR,
    KOC_SIZE,
    MONITOR_SHARE_ABOUT,
    audience_of,
    judge,
    not_testable,
    rule_line,
)
from helpers.claims.verdict import Verdict
from helpers.data.engine import Dataset
from helpers.data.event_time import data_end
from helpers.measures import kocs as kocs_m
from helpers.measures.conversions import NO_CONVERSIONS, weekly_conversions
from helpers.measures.group_week import group_week_panel
from helpers.measures.kocs import classify_kocs, kocs_at_week_start, member_activity
from helpers.measures.members import group_profile
from helpers.measures.size_bands import SIZE_BANDS
from helpers.measures.stickiness import active_days_by_month
from helpers.stats.estimate import Estimate
from helpers.studies.result import Finding, StudyResult, records
from helpers.studies.size_activity import figures, timing
from helpers.studies.size_activity import models as am
from helpers.studies.size_activity.stickiness import STICKY_DAYS, Stickiness, stickiness

TITLE = "Group size, KOCs, the monitor's share of talk, and when members talk"
NO_MONITOR = (
    "no message in the data is by a monitor (no sender has the monitor role; name the operators in the ingest "
    "settings, operators: monitor: [...])"
)


@dataclass(frozen=True)
class SizeParams:
    """The study's settings (the notebook's parameters, data location aside)."""

    activity_metric: Literal["messages_per_member", "interaction_rate"] = "messages_per_member"
    size_bands: tuple[int, ...] = field(default=SIZE_BANDS)
    spline_df: int = 8
    koc_factor: float = KOC_FACTOR
    bootstrap_reps: int = 200
    min_members: int = 10
    utc_offset_hours: float = 8
    monitor_spline_df: int = 4

    def as_dict(self) -> dict:
        """Plain values for provenance (size bands as a list, as the notebook gives them)."""
        return {**asdict(self), "size_bands": list(self.size_bands)}


def _scatter_figure(rows: pd.DataFrame, size: am.Curve, metric: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Group-weeks against size with the raw smoother and the model curve; the sample is drawn only when shown."""
    sample, smooth = am.scatter_sample(rows, metric)
    return figures.size_activity(sample, smooth, size, metric, ax=ax)


def _hours_figure(counts: pd.DataFrame, peaks: pd.DataFrame) -> plt.Figure:
    """Messages by local hour and weekday per audience, with the claimed hours marked."""
    by_audience = counts.assign(segment=counts["segment"].map(audience_of))
    audiences = {a: timing.heatmap_table(by_audience, a) for a in sorted(peaks["audience"])} if len(peaks) else {}
    return figures.hour_weekday(audiences, {a: timing.claimed_hours(a) for a in audiences})


def peak_or_why(peak: Estimate, curve: am.Curve | am.WithinFit, what: str) -> Estimate:
    """An optimum of ``curve`` (its peak or a band edge) only where the curve peaks inside the data; else why not."""
    if curve.detected or peak.not_estimable:
        return peak
    if curve.flat_p >= 0.05:
        return Estimate.missing(peak.name, f"no peak: a flat {what} curve lies inside its confidence region")
    return Estimate.missing(
        peak.name,
        f"the {what} curve is highest at the edge of the observed range ({peak.value:.3g}): the peak, if "
        "any, lies beyond the data",
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


def _stickiness_line(sticky: Stickiness) -> str:
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
            f"; by size band (the group's peak members) from {fmt.pct(low['sticky_share'])} ({low['level']} members, 95% CI "
            f"{fmt.pct(low['sticky_ci_low'])}–{fmt.pct(low['sticky_ci_high'])}) to {fmt.pct(high['sticky_share'])} "
            f"({high['level']}, 95% CI {fmt.pct(high['sticky_ci_low'])}–{fmt.pct(high['sticky_ci_high'])})"
        )
    return line + ". Whole calendar months (UTC), member-months with at least one message; CIs clustered by group."


def summarise(ds: Dataset, params: SizeParams | None = None) -> StudyResult:
    """Peak size and band (between and within groups), KOC emergence, monitor-share optimum, peak hours; claims 1, 5, 6."""
    p = params or SizeParams()
    end = data_end(ds.tables)
    panel = group_week_panel(ds.tables, end=end)
    assignments = None if ds.tables.assignments is None else ds.tables.assignments.to_pandas()
    rows = am.model_rows(
        panel,
        ds.tables.groups.to_pandas(),
        end,
        min_members=p.min_members,
        size_bands=tuple(p.size_bands),
        assignments=assignments,
    )
    members = classify_kocs(member_activity(ds.tables, end), p.koc_factor)
    rows = am.with_koc_counts(rows, kocs_at_week_start(ds.tables, members, end))
    size_fit = am.activity_model(
        rows, "size", p.activity_metric, spline_df=p.spline_df, bootstrap_reps=p.bootstrap_reps
    )
    monitor_fit = am.activity_model(
        rows, "monitor_share_loo", p.activity_metric, spline_df=p.monitor_spline_df, bootstrap_reps=p.bootstrap_reps
    )
    same_week_fit = am.activity_model(
        rows, "monitor_share", p.activity_metric, spline_df=p.spline_df, bootstrap_reps=p.bootstrap_reps
    )
    within = am.within_group_size_curve(rows, spline_df=p.spline_df, bootstrap_reps=p.bootstrap_reps)
    binned = am.binned_activity(rows)
    weekly = weekly_conversions(ds.tables)
    conversion = None if weekly is None or rows.empty else am.conversion_by_band(rows, weekly)
    kocs = am.koc_emergence(rows, split=KOC_SIZE)
    koc_bands, koc_below, koc_above = kocs.by_band, kocs.below, kocs.above
    active_days, profile = active_days_by_month(ds.tables, end), group_profile(ds.tables)
    sticky = stickiness(active_days, profile, "size_band")
    sticky_segments = stickiness(active_days, profile, "segment")
    counts = timing.hour_weekday_counts(ds.tables, p.utc_offset_hours)
    peaks = timing.peak_hours(counts)

    size, monitor, same_week = size_fit.curve, monitor_fit.curve, same_week_fit.curve
    no_monitor = bool(len(rows)) and float(rows["monitor_messages"].sum()) == 0
    verdicts = {
        "size_band": size_verdict(within.peak, within.detected, size.peak, size.detected),
        "koc_above_150": judge("koc_above_150", koc_above),
        "monitor_share": not_testable("monitor_share", NO_MONITOR)
        if no_monitor
        else judge("monitor_share", monitor.peak, detected=monitor.detected),
        "peak_hours": timing.peak_hours_verdict(peaks),
    }
    what = am.METRIC_WORDS[p.activity_metric]

    def ci(e, spec=".0f"):
        return fmt.ci(e, spec)

    if size.curve.empty:
        size_line = f"**The size curve is not estimable** on this data: {size.peak.why_not}."
    elif size.detected:
        size_line = (
            f"Per-member activity ({what}) peaks at **{size.peak.value:.0f} members** ({ci(size.peak)}); it "
            f"stays within {size.margin:.0%} of the peak from **{size.band_low.value:.0f}** "
            f"({ci(size.band_low)}) to **{size.band_high.value:.0f}** members ({ci(size.band_high)})."
        )
    elif size.flat_p >= 0.05:
        size_line = (
            "**No peak in per-member activity by size**: a flat curve lies inside the confidence region "
            f"(cluster-robust Wald test of the size terms: χ² = {size.flat_chi2:.1f} on {size.flat_df} df, "
            f"p {fmt.p_value(size.flat_p)})."
        )
    else:
        size_line = (
            "**No peak in per-member activity by size**: activity changes with size "
            f"(p {fmt.p_value(size.flat_p)}) but is highest at the edge of the observed sizes "
            f"({size.peak.value:.0f} members)."
        )
    within_line = (
        f"Within groups, as a group's own size changes, per-member activity ({what}) peaks at "
        f"**{within.peak.value:.0f} members** "
        f"({ci(within.peak)})"
        if within.detected
        else f"The within-group curve is not estimable: {within.peak.why_not}"
        if within.curve.empty
        else f"Within groups (fixed effects) no peak is found (p {fmt.p_value(within.flat_p)} for a flat curve)"
        if math.isfinite(within.flat_p)
        else "Within groups (fixed effects) no peak is found ("
        + (within.peak.why_not or "the test of a flat curve could not be computed on this data")
        + ")"
    )
    if no_monitor:
        monitor_line = f"The monitor-share curve is **not measurable on this data**: {NO_MONITOR}"
    elif monitor.curve.empty:
        monitor_line = f"The monitor-share curve is not estimable: {monitor.peak.why_not}"
    elif monitor.detected:
        monitor_line = (
            f"Activity peaks where the monitor writes **{fmt.pct(monitor.peak.value)}** of the group's messages "
            f"(her share in the group's other weeks; {ci(monitor.peak, '.1%')}), and stays within "
            f"{monitor.margin:.0%} of the peak from {fmt.pct(monitor.band_low.value)} to "
            f"{fmt.pct(monitor.band_high.value)}"
        )
    else:
        monitor_line = (
            "No optimum in the monitor's share is found (a flat curve, or a peak at the edge of the "
            f"observed shares, p {fmt.p_value(monitor.flat_p)})"
        )
    monitor_line += (
        f"; by the week's own share, {fmt.pct(same_week.peak.value)} ({ci(same_week.peak, '.1%')}, biased low)"
        if same_week.detected
        else ""
        if same_week.curve.empty
        else "; the week's own share shows no optimum inside the data"
    )
    hours = (
        "; ".join(
            f"{r.audience}: busiest hours {', '.join(f'{h}h' for h in r.busiest_hours)}, claimed "
            f"{', '.join(f'{h}h' for h in r.claimed_hours)}, claimed hours "
            f"{r.lift:.{(d := fmt.decimals(r.lift, r.ci_low, r.ci_high))}f}× as busy as other "
            f"daytime hours (95% CI {r.ci_low:.{d}f}–{r.ci_high:.{d}f})"
            for r in peaks.itertuples()
        )
        or "no prenatal or postnatal segments in the data"
    )
    v = verdicts
    findings = (
        Finding(
            f'**Size.** {within_line}. Verdict on "150–350 is best", judged on the within-group peak: '
            f"**{v['size_band'].verdict}** ({v['size_band'].reason}). Pooled over all groups, for comparison: "
            f"{size_line}",
            ("size_peak", "size_peak_within_groups"),
        ),
        Finding(
            f"**KOCs.** No group-week had {KOC_SIZE:g}+ members, so whether groups that large have several KOCs is "
            f"**not measurable on this data**; below {KOC_SIZE:g} members, {fmt.pct(koc_below.value)} of weeks "
            f"({ci(koc_below, '.1%')}) had two or more KOCs (members writing {p.koc_factor:g}× as much as the "
            f"group's median member).",
            ("koc_above_150", "koc_below_150"),
        )
        if not koc_above.n
        else Finding(
            f"**KOCs.** In **{fmt.pct(koc_above.value)}** of weeks ({ci(koc_above, '.1%')}) groups of "
            f"{KOC_SIZE:g}+ members have two or more KOCs (members writing {p.koc_factor:g}× as much as the group's "
            f"median member) present; below "
            f'{KOC_SIZE:g} members, {fmt.pct(koc_below.value)} ({ci(koc_below, ".1%")}). Verdict on "almost every '
            f'group above 150" (taken as ≥ {KOC_ALMOST_EVERY:.0%}): **{v["koc_above_150"].verdict}**.',
            ("koc_above_150", "koc_below_150"),
        ),
        Finding(
            f'**Monitor share.** {monitor_line}. Verdict on "about 5%" (taken as '
            f"{100 * MONITOR_SHARE_ABOUT[0]:.1f}–{100 * MONITOR_SHARE_ABOUT[1]:.1f}%): "
            f"**{v['monitor_share'].verdict}**.",
            ("monitor_share_peak", "monitor_share_peak_same_week"),
        ),
        Finding(f"**Timing.** {hours}. Verdict: **{v['peak_hours'].verdict}**."),
        Finding(_stickiness_line(sticky), ("active_days_per_month", "sticky_share")),
        Finding(conversion_line(conversion)),
        Finding(
            f"Data: {size_fit.rows_used:,} whole group-weeks of {size_fit.groups} groups with {p.min_members}+ "
            f"members; the monitor curve uses the {monitor_fit.rows_used:,} group-weeks with at least "
            f"{am.MIN_TALK} messages."
        ),
    )
    methods = (
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
        f"member's (median over members present {kocs_m.MEDIAN_DAYS}+ days; members present fewer than "
        f"{kocs_m.MIN_DAYS} days or with fewer than {kocs_m.MIN_MESSAGES} messages are not classified): relative to "
        "the group, so a busy week does not turn ordinary members into KOCs. A group-week counts the KOCs present at "
        f"its start; shares are over group-weeks, with CIs clustered by group. {int(members['koc'].sum()):,} of "
        f"{len(members):,} members are KOCs. Part of the rise with size is arithmetic: more members give more chances "
        "that two are KOCs, so the share says nothing on whether large groups *make* members more active (the size "
        "curve above does).",
        "**Monitor share** = the monitor's messages / (member + monitor messages). The week's own share has the "
        "week's member messages in its denominator, so a busy week lowers it by itself: the noise of the outcome sits "
        "in the regressor too and pulls the optimum down (by 5-15% on drawn worlds with a known optimum). The verdict "
        "therefore uses the group's share in its *other* weeks (leave-one-week-out, groups with at least "
        f"{am.MIN_TALK} messages in them), which is free of that week's noise; the same-week optimum (weeks with "
        f"{am.MIN_TALK}+ messages) is shown beside it. Both are associations: operators may write more where groups "
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
    )
    return StudyResult(
        study="size_activity",
        title=TITLE,
        headline={
            "size_peak": peak_or_why(size.peak, size, "size"),
            "size_band_low": peak_or_why(size.band_low, size, "size"),
            "size_band_high": peak_or_why(size.band_high, size, "size"),
            "size_peak_within_groups": peak_or_why(within.peak, within, "within-group size"),
            "koc_above_150": koc_above,
            "koc_below_150": koc_below,
            "monitor_share_peak": peak_or_why(monitor.peak, monitor, "monitor-share"),
            "monitor_share_peak_same_week": peak_or_why(same_week.peak, same_week, "same-week monitor-share"),
            "active_days_per_month": sticky.mean_days,
            "sticky_share": sticky.sticky_share,
        },
        findings=findings,
        verdicts=tuple(verdicts.values()),
        methods=(*methods, *(rule_line(c) for c in ("size_band", "koc_above_150", "monitor_share", "peak_hours"))),
        figures={
            "size_activity": partial(_scatter_figure, rows, size, p.activity_metric),
            "size_bands": partial(figures.size_bands, binned, p.activity_metric),
            "size_curves": partial(figures.size_curves, size, within),
            "koc_emergence": partial(figures.koc_emergence, koc_bands),
            "monitor_share": partial(figures.monitor_share, monitor, p.activity_metric),
            "hour_weekday": partial(_hours_figure, counts, peaks),
            "stickiness": partial(figures.stickiness, sticky.distribution, "size_band"),
        },
        tables={
            "stickiness": pd.concat(
                [sticky.summary.assign(by="size band"), sticky_segments.summary.assign(by="segment")], ignore_index=True
            )
            .pipe(lambda t: t[["by", *[c for c in t.columns if c != "by"]]])
            .round(4)
        },
        details={
            "activity_metric": p.activity_metric,
            "size": size.as_dict(),
            "size_within_groups": {"peak": within.peak.as_dict(), "detected": within.detected, "flat_p": within.flat_p},
            "koc": {
                "factor": p.koc_factor,
                "kocs": int(members["koc"].sum()),
                "members_classified": int((members["days"] >= kocs_m.MIN_DAYS).sum()),
                "below_150": koc_below.as_dict(),
                "above_150": koc_above.as_dict(),
                "by_band": records(koc_bands),
            },
            "monitor_share": monitor.as_dict(),
            "monitor_share_same_week": same_week.as_dict(),
            "binned": records(binned),
            "conversion_by_size_band": None if conversion is None else records(conversion),
            "peak_hours": records(peaks),
            "stickiness": sticky.as_dict(),
            "stickiness_by_segment": sticky_segments.as_dict(),
        },
        frames={"model_rows": rows, "koc_members": members},
    )
