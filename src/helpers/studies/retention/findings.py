"""Study 1's words and verdict, written from its numbers alone (``RetentionEstimates``)."""

from __future__ import annotations

import math

import pandas as pd

from helpers import fmt
from helpers.claims.registry import judge, rule_line
from helpers.claims.verdict import Verdict
from helpers.measures.members import NO_EXITS as NO_EXITS_RECORDED
from helpers.stats.estimate import Estimate
from helpers.studies.result import Finding
from helpers.studies.retention.activity_exits import SILENCE_DAYS
from helpers.studies.retention.estimate import DAYS, RetentionEstimates
from helpers.studies.retention.models import retention_estimate


def verdicts(est: RetentionEstimates) -> tuple[Verdict, ...]:
    """Claim 3 (homogeneous groups keep members better), judged on the homogeneity hazard ratio."""
    return (judge("homophily", est.hazard_ratio),)


METHODS = (
    "**Unit**: a member in a group (a person in two groups counts twice). Operators (owner, monitor, assistant) are left out.",
    "**Periods** are counted from each member's first join (7 or 30 days); cohorts are the calendar week (Monday, UTC) or month of that join. A cohort's cell is shown only when the period has ended for all its members.",
    "**Retention variants** (the notebook's settings): entries may be first joins only (each member once) or recurring (every rejoin starts a new entry in its own cohort, periods counted from it); custom brackets replace fixed periods by ranges of days since the entry; unbounded retention counts period k or later; relative retention shows each period over the one before (a ratio of counts, which can pass 100% for bounded retention).",
    "**N-day retention** counts only members who joined at least N days before the data's end; survival is time to the first exit, members still present are censored at the data's end. A member who leaves and rejoins counts as present in between in the lifecycle layers.",
    "**Uncertainty**: members of one group share its fate, so retention CIs are clustered by group (ratio estimator), the Cox model uses cluster-robust errors, the restricted mean and the ways out have infinitesimal-jackknife variances summed by group, and the log-rank test is given both naive and robust to groups (the Cox score test with its variance summed by group); read the robust one. The Kaplan–Meier bands assume independent members and are too narrow when groups differ.",
    "**Left truncation**: a stay that began before the data did (an export that starts mid-life) is in the data only because it lasted until then. Where the join is known but the stay is seen only later, Kaplan–Meier, the Cox model and the log-rank test enter it on the day it is first seen (delayed entry); where the join itself is unknown (as chat exports mark members present at their start), survival, medians, the restricted mean and N-day retention leave it out, and say how many.",
    "**Restricted mean membership** is the area under the Kaplan–Meier curve up to the horizon: the mean number of the first N days (the horizon, 90 by default) a member stays. Differences between levels are in days and need no proportional hazards (the Cox model's test of them is in the JSON). It is not estimable when no member left within the horizon or follow-up ends before it.",
    "**Ways out** use the first stay's leave reason; a member who left without a recorded reason is counted as 'reason not recorded', never guessed.",
    "**Homogeneity** is read from the group's channel, city and segment ('mixed' in any means mixed). Group size is the group's peak member count, which is partly an outcome of retention; the hazard ratio is adjusted for it (ln size and its square).",
    "The last week is partial, so its layers run low; the first cohorts include members present when the data begins.",
)
"""How retention is computed, and what to keep in mind reading it."""


def methods(est: RetentionEstimates) -> tuple[str, ...]:
    """The study's methods and caveats, with the verdict rule."""
    return (*METHODS, rule_line("homophily"))


def _ci(row: pd.Series) -> str:
    """A retention row's CI in words."""
    return fmt.ci(retention_estimate(row), ".1%")


def retention_line(est: RetentionEstimates) -> str:
    """7/30/90-day retention in words, each with its CI and the members it counts."""
    if est.unrecorded:
        return f"**Retention is not measurable on this data**: {est.unrecorded}."
    headline, retained = est.headline, est.retained
    if headline["retention_7d"].not_estimable:
        return f"N-day retention is not estimable on this data: {headline['retention_7d'].why_not}."
    r7, r30, r90 = (retained[d] for d in DAYS)
    line = f"**{fmt.pct(r7['retention'])}** of members are still in their group 7 days after joining ({_ci(r7)})"
    for row, key in ((r30, "retention_30d"), (r90, "retention_90d")):
        e = headline[key]
        line += (
            f", **{fmt.pct(row['retention'])}** after {int(row['days'])} days ({_ci(row)})"
            if not e.not_estimable
            else f"; {int(row['days'])}-day retention is not estimable ({e.why_not})"
        )
    counted = ", ".join(f"{int(retained[d]['members']):,} for {d} days" for d in DAYS)
    return line + (
        f". Each figure counts the members who joined at least that many days before the data's end ({counted}), "
        "so the three cover different members: later joiners are in the 7-day figure only."
    )


def truncation_line(entry: pd.Series, members: int) -> str:
    """A sentence on stays the data saw only after they began ('' when it saw every join)."""
    unknown, late = int(entry.isna().sum()), int((entry > 0).sum())
    if not unknown and not late:
        return ""
    line = ""
    if unknown:
        line = (
            f"**{unknown:,} of {members:,} members** were already in their group when the data begins, their "
            "join not in it: survival, medians, the Cox model and N-day retention leave them out, since their time "
            "in the group before the data is unknown (counting them from the data's start would overstate retention)"
        )
    if late:
        line += ("; " if line else "") + (
            f"{late:,} members whose join is known but whose stay the data sees only later enter the survival "
            "estimates on the day they are first seen (delayed entry), not on their join day"
        )
    return line[0].upper() + line[1:] + "."


def median_line(est: RetentionEstimates) -> str:
    """Median membership in words, or why it is not estimable."""
    median = est.headline["median_membership_days"]
    if not median.not_estimable:
        return (
            f"Half of all members have left after **{median.value:.0f} days** (median membership, 95% CI "
            f"{median.ci_low:.0f}–{median.ci_high:.0f})."
        )
    if est.unrecorded:
        return "The median membership is not measurable either."
    return f"The median membership is not estimable: {median.why_not}."


def incidence_words(cause: str, row: pd.Series, level: str = "95% CI ") -> str:
    """One cumulative incidence in words: 'x% cause (95% CI a–b)', 'none cause', or the share and why no interval."""
    if row["incidence"] == 0 and pd.isna(row["ci_low"]):
        return f"none {cause}".strip()
    words = f"{fmt.pct(row['incidence'])} {cause}".strip()
    if pd.isna(row["ci_low"]):
        return f"{words} ({row['reason']})"
    return f"{words} ({level}{fmt.pct(row['ci_low'])}–{fmt.pct(row['ci_high'])})"


def activity_ways_line(est: RetentionEstimates) -> str:
    """Falling silent vs leaving while active, by day 90, among members who spoke."""
    ways = est.activity_ways
    if ways.reason:
        return f"Falling silent vs leaving while active: not estimable ({ways.reason})."
    at = ways.table[ways.table["days"] == 90].set_index("cause")
    if at.empty or at["incidence"].isna().all():
        return "Falling silent vs leaving while active: follow-up is too short for day 90."
    parts = [incidence_words(cause, row) for cause, row in at.iterrows() if pd.notna(row.incidence)]
    return (
        f"Of the {len(est.talkers):,} members who spoke (of {len(est.members):,}; one stay, join seen), by day 90 "
        "after joining "
        + " and ".join(parts)
        + f" ({SILENCE_DAYS} days in the group without a message counts as silent, from the last message; "
        "cumulative incidence with the other way competing, CIs clustered by group)."
    )


def rmst_line(est: RetentionEstimates) -> str:
    """The restricted mean membership in words, and its range and largest gap across the chosen attribute."""
    by, days = est.params.segment_by, est.params.rmst_days
    rmst = est.headline[f"rmst_{days}d"]
    if rmst.not_estimable:
        return f"The restricted mean membership over the first {days} days is not estimable: {rmst.why_not}."
    line = (
        f"Of their first {days} days, members stayed **{rmst.value:.1f} days** on average (restricted mean "
        f"membership, {fmt.ci(rmst, '.1f')}; the area under Kaplan–Meier, CI clustered by group): a difference in "
        "it is in days, and needs no proportional hazards"
    )
    ok = est.rmst_by.levels.dropna(subset=["rmst"]).sort_values("rmst")
    gaps = est.rmst_by.differences.dropna(subset=["difference"])
    if len(ok) >= 2 and not gaps.empty:
        low, high = ok.iloc[0], ok.iloc[-1]
        widest = gaps.loc[gaps["difference"].abs().idxmax()]
        line += (
            f". By {by} it runs from {low['rmst']:.1f} ({low['level']}) to {high['rmst']:.1f} days "
            f"({high['level']}); the widest gap from {widest['reference']}, the largest {by}, is "
            f"{widest['difference']:+.1f} days for {widest['level']} (95% CI {widest['ci_low']:+.1f} to "
            f"{widest['ci_high']:+.1f})"
        )
    return line + "."


def ways_out_line(est: RetentionEstimates) -> str:
    """How members left by day 90: quit vs removed (vs not recorded), with CIs."""
    table, reason = est.ways_out.table, est.ways_out.reason
    if reason:
        return f"Ways out (quit vs removed): {reason}."
    at = table[(table["level"] == "all") & (table["days"] == 90)].set_index("cause")
    if at.empty or at["incidence"].isna().all():
        why = at["reason"].dropna().iloc[0] if not at.empty and at["reason"].notna().any() else "no estimate"
        return f"Ways out (quit vs removed) by day 90 are not estimable: {why}."
    parts = [incidence_words(cause, row) for cause, row in at.iterrows() if row.incidence > 0]
    if not parts:
        return "No member whose join the data saw left within 90 days of joining, so there are no ways out to weigh."
    return (
        "By day 90 after joining, "
        + ", ".join(parts)
        + " (cumulative incidence, Aalen–Johansen: each way out counted with the others as competing, "
        "CIs clustered by group)."
    )


def conversion_line(est: RetentionEstimates) -> str:
    """The paid conversion rate in words: overall, its value per member, and the range across the attribute."""
    rate, by = est.headline["paid_conversion_30d"], est.params.segment_by
    if rate.not_estimable:
        return f"**Paid conversion is not measurable on this data**: {rate.why_not}."
    overall = est.conversion_overall
    line = (
        f"**{fmt.pct(rate.value)}** of members made a paid conversion within 30 days of joining "
        f"({fmt.ci(rate, '.1%')}; {int(overall['members']):,} members who joined 30+ days before the data's end), "
        f"worth {overall['value_per_member']:.2f} per member (95% CI {overall['value_ci_low']:.2f}–"
        f"{overall['value_ci_high']:.2f}, in the data's currency units)"
    )
    rates = est.conversion_by_level.dropna(subset=["rate"])
    if len(rates) >= 2:
        low, high = rates.sort_values("rate").iloc[[0, -1]].itertuples()
        line += (
            f"; by {by} from {fmt.pct(low.rate)} ({getattr(low, by)}, {fmt.pct_ci(low.rate_ci_low, low.rate_ci_high)})"
            f" to {fmt.pct(high.rate)} ({getattr(high, by)}, {fmt.pct_ci(high.rate_ci_low, high.rate_ci_high)})"
        )
    return line + ". CIs are clustered by group."


def by_segment_line(est: RetentionEstimates) -> str:
    """30-day retention across the chosen attribute, with the log-rank test naive and robust to groups."""
    by, test = est.params.segment_by, est.logrank
    ordered = est.by_segment.dropna(subset=["retention"]).sort_values("retention")
    if est.unrecorded:
        return f"Retention by {by} is not measurable either."
    if ordered.empty:
        return f"No member joined 30+ days before the data's end, so there is no 30-day retention by {by}."
    if test.levels < 2:
        return f"All members' groups have the same {by} ({ordered.iloc[-1][by]}), so there is no comparison by {by}."
    if len(ordered) < 2:
        return f"Only members of one {by} ({ordered.iloc[-1][by]}) joined 30+ days before the data's end."
    best, worst = ordered.iloc[-1], ordered.iloc[0]
    return (
        f"By {by}, 30-day retention ranges from {fmt.pct(worst['retention'])} ({worst[by]}, {_ci(worst)}) to "
        f"{fmt.pct(best['retention'])} ({best[by]}, {_ci(best)}). The log-rank test of equal survival across "
        f"{test.levels} levels gives χ² = {test.statistic:.1f} on {test.df} df if members were independent "
        f"(p {fmt.p_value(test.p_value)})"
        + (
            f", and χ² = {test.robust_statistic:.1f} (p {fmt.p_value(test.robust_p_value)}) with its "
            f"variance taken across the {test.groups:,} groups, which members of one group share: read that."
            if math.isfinite(test.robust_statistic)
            else f"; no test robust to groups ({test.reason})."
        )
    )


def _ph_note(test: pd.DataFrame) -> str:
    """A sentence on the proportional-hazards test of the mixed-group term, when it rejects."""
    if test.empty or "mixed" not in test.index or test.loc["mixed", "p"] >= 0.05:
        return ""
    return (
        f" The ratio is not constant over membership time (Grambsch-Therneau test p {fmt.p_value(test.loc['mixed', 'p'])}"
        "): read it as an average over follow-up."
    )


def homogeneity_line(est: RetentionEstimates, verdict: Verdict) -> str:
    """The homogeneity hazard ratio in words, with the verdict on claim 3."""
    hazard_ratio: Estimate = est.hazard_ratio
    if est.unrecorded:
        return "Homogeneous vs mixed groups: not measurable either."
    if hazard_ratio.not_estimable:
        return f"Homogeneous vs mixed groups: {hazard_ratio.method}."
    how = (
        "keep members better than"
        if hazard_ratio.ci_low > 1
        else "lose members faster"
        if hazard_ratio.ci_high < 1
        else "show no clear difference from"
    )
    return (
        f"Homogeneous groups {how} mixed ones: a member of a mixed group leaves at **{hazard_ratio.value:.2f} "
        f"times** the rate (hazard ratio, {fmt.ci(hazard_ratio)}; Cox model with errors clustered by group, "
        f"adjusted for group size). Verdict: **{verdict.verdict}** ({verdict.reason}).{_ph_note(est.cox.ph_test)}"
    )


def layers_line(est: RetentionEstimates) -> str:
    """The last whole week's members by lifecycle layer ('' with fewer than two weeks)."""
    if len(est.layers) < 2:
        return ""
    week = est.layers.iloc[-2]  # the last whole week
    share = (lambda x: fmt.pct(x / week["members"])) if week["members"] else (lambda x: "n/a")
    return (
        f"In the week of {week['week']:%d %b %Y}: {int(week['members']):,} members, of whom "
        f"{share(week['active'])} spoke, {share(week['silent'])} stayed silent, {int(week['new']):,} were new "
        + (
            f"and {int(week['churned']):,} left."
            if est.unrecorded != NO_EXITS_RECORDED
            else "and leaving is not recorded."
        )
    )


def findings(est: RetentionEstimates) -> tuple[Finding, ...]:
    """The study's findings in reading order."""
    rmst_key = f"rmst_{est.params.rmst_days}d"
    out = [Finding(retention_line(est), ("retention_7d", "retention_30d", "retention_90d"))]
    if truncated := truncation_line(est.entry, len(est.members)):
        out.append(Finding(truncated))
    out.append(Finding(median_line(est), ("median_membership_days",)))
    if not est.unrecorded:
        out += [Finding(rmst_line(est), (rmst_key,)), Finding(ways_out_line(est)), Finding(activity_ways_line(est))]
    out.append(Finding(conversion_line(est), ("paid_conversion_30d",)))
    out.append(Finding(by_segment_line(est)))
    out.append(Finding(homogeneity_line(est, verdicts(est)[0]), ("homogeneity_hazard_ratio",)))
    if layers := layers_line(est):
        out.append(Finding(layers))
    return tuple(out)
