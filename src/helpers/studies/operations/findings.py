"""Study 5's words and verdicts, written from its numbers alone (``OperationsEstimates``)."""

from __future__ import annotations

from scipy.stats import norm

from helpers import fmt
from helpers.claims.registry import (
    ACTIVITIES_MIN_PER_MONTH,
    AGENT_GROUP_LIMIT,
    AGENT_MEMBER_LIMIT,
    JOIN_PEAK_JOINS,
    WELCOME_WINDOW_DAYS,
    judge,
    not_testable,
    rule_line,
)
from helpers.claims.verdict import Verdict
from helpers.stats.estimate import Estimate
from helpers.studies.operations.estimate import CLAIM_IDS, OperationsEstimates
from helpers.studies.operations.welcome import SHORT_GAP_MINUTES, SHORT_GAP_SHARE
from helpers.studies.result import Finding


def verdicts(est: OperationsEstimates) -> tuple[Verdict, ...]:
    """The three claims' verdicts, at the study's Bonferroni level (untestable, saying why, without exits)."""
    if est.unrecorded:
        return tuple(not_testable(c, est.unrecorded) for c in CLAIM_IDS)
    headline, level = est.headline, est.level
    z = float(norm.ppf(1 - (1 - level) / 2))
    pairs = (
        ("welcome_pacing", "welcome_spaced_hazard_ratio"),
        ("staffing", "staffing_overload_hazard_ratio"),
        ("activity_cadence", "activity_sparse_hazard_ratio"),
    )
    out = []
    for claim_id, key in pairs:
        e = headline[key]
        significant = None if e.not_estimable else bool(e.ci_low > 1 or e.ci_high < 1)
        out.append(judge(claim_id, e, significant=significant, z=z))
    return tuple(out)


def ratio_line(e: Estimate, level: float) -> str:
    """'**1.24×** (98.3% CI 1.16–1.32)', or why there is no estimate."""
    if e.not_estimable:
        return f"not estimable ({e.why_not})"
    return f"**{fmt.num(e.value)}×** ({fmt.ci(e, level=level)})"


def welcome_line(est: OperationsEstimates, verdict: Verdict) -> str:
    """Claim 7 in words: peak joiners' exits under spaced welcomes, the verdict, and the peaks by policy."""
    line = (
        f"**Welcome pacing (claim 7).** Members who joined in a join peak ({JOIN_PEAK_JOINS}+ joins in an hour) "
        f"left in their first {WELCOME_WINDOW_DAYS:g} days at "
        f"{ratio_line(est.headline['welcome_spaced_hazard_ratio'], est.level)} "
        "the rate in groups that spaced their welcome announcements as in groups that welcomed each join, at the "
        f"same peak size, headcount and homogeneity. Verdict: **{verdict.verdict}** ({verdict.reason})."
    )
    if est.welcome.empty:
        return line
    peaks = "; ".join(
        f"{row['welcome policy']}: {int(row['groups'])} groups, mean peak {row['mean joins in the peak hour']:.1f} "
        "joins an hour"
        for _, row in est.welcome.iterrows()
    )
    return line + f" Peak size confounds the raw comparison: {peaks}."


def staffing_line(est: OperationsEstimates, verdict: Verdict) -> str:
    """Claim 8 in words: exits and talk while the agent is over the limit, the verdict, and the agents' loads."""
    headline, level, agents = est.headline, est.level, est.agents
    line = (
        f"**Service agents (claim 8).** While a group's agent served more than {AGENT_MEMBER_LIMIT:,} members, its "
        f"members left at {ratio_line(headline['staffing_overload_hazard_ratio'], level)} the rate of the same groups' "
        "members at lighter loads, at the same tenure, headcount, age and date; members' talk changed by "
        f"{ratio_line(headline['staffing_overload_message_ratio'], level)}. Verdict: **{verdict.verdict}** "
        f"({verdict.reason})."
    )
    if agents.empty:
        return line
    return line + (
        f" {len(agents)} agents served up to {int(agents['most groups at once'].max())} groups and "
        f"{int(agents['most members at once'].max()):,} members at once (the claim: about {AGENT_GROUP_LIMIT} "
        "groups of about 200)."
    )


def cadence_line(est: OperationsEstimates, verdict: Verdict) -> str:
    """Claim 9 in words: exits and conversions after a sparse month, talk on activity days, exits by cadence."""
    headline, level, cadence = est.headline, est.level, est.cadence
    line = (
        f"**Activity cadence (claim 9).** In the days after a month with fewer than {ACTIVITIES_MIN_PER_MONTH} "
        f"activities, members left at {ratio_line(headline['activity_sparse_hazard_ratio'], level)} the rate of the "
        f"same groups' members after busier months, and paid conversions ran at "
        f"{ratio_line(headline['activity_sparse_conversion_ratio'], level)} the rate; on the day an activity starts "
        f"members write {ratio_line(headline['activity_day_message_ratio'], level)} as much. Verdict: "
        f"**{verdict.verdict}** ({verdict.reason})."
    )
    if cadence.empty:
        return line
    rates = ", ".join(f"{row.iloc[0]}: {row['exits per 1,000 member-days']:.2f}" for _, row in cadence.iterrows())
    return line + f" Exits per 1,000 member-days by activities in the last 30 days: {rates}."


def findings(est: OperationsEstimates) -> tuple[Finding, ...]:
    """The study's findings in reading order (one, saying why, where exits are not recorded)."""
    if est.unrecorded:
        return (Finding(f"**Operations' effects on exits are not measurable on this data**: {est.unrecorded}."),)
    v = {x.claim_id: x for x in verdicts(est)}
    return (
        Finding(welcome_line(est, v["welcome_pacing"]), ("welcome_spaced_hazard_ratio",)),
        Finding(
            staffing_line(est, v["staffing"]), ("staffing_overload_hazard_ratio", "staffing_overload_message_ratio")
        ),
        Finding(
            cadence_line(est, v["activity_cadence"]),
            ("activity_sparse_hazard_ratio", "activity_sparse_conversion_ratio", "activity_day_message_ratio"),
        ),
        Finding(
            f"Intervals are at the {est.level:.1%} level: the study tests three claims and holds the chance of any "
            "false finding among them to 5% (Bonferroni)."
        ),
    )


def methods(est: OperationsEstimates) -> tuple[str, ...]:
    """The study's methods, with the verdict rules (only the rules where exits are not recorded)."""
    rules = tuple(rule_line(c) for c in CLAIM_IDS)
    if est.unrecorded:
        return rules
    return (
        "**Exit model** (claims 8 and 9): every member's stays, cut into cells of group × tenure band × calendar "
        "day exactly at band edges and midnights (a Lexis split); exits against member-days at risk in a Poisson "
        "model with a term per group (profiled out), tenure bands, and natural splines in the day's headcount, the "
        "group's age and the calendar day. The effects are measured within groups, as their activity and their "
        "agent's load change, so what is constant in a group (audience, channel, operators) cannot confound them.",
        f"**Activities**: a group at least 30 days old is *sparse* on a day when it started fewer than "
        f"{ACTIVITIES_MIN_PER_MONTH} activities in the 30 days before; errors clustered by group.",
        "**Agents**: a group's service agent is its assistant (the same person across groups: the longest-serving "
        "assistant if it had several); her load on a day is the members present in all her groups; errors "
        "clustered by agent, with t quantiles on agents − 1 degrees of freedom, as her groups share her load.",
        f"**Welcome pacing** (claim 7): members who joined in a clock hour with {JOIN_PEAK_JOINS}+ joins, followed "
        f"for {WELCOME_WINDOW_DAYS:g} days. A group *spaces* its welcomes if fewer than {SHORT_GAP_SHARE:.0%} of "
        f"the gaps between welcome announcements in and just after its join peaks are under {SHORT_GAP_MINUTES} "
        "minutes. Poisson model of exits with the peak's size (ln joins that hour), ln headcount (spline), "
        "homogeneity and calendar day; errors clustered by group. Fast-filling groups have bigger peaks and, in "
        "the synthetic worlds and plausibly in practice, space their welcomes more: the peak-size term takes that.",
        "**Conversions and talk**: paid conversions and members' messages per member-day on group-day cells, same "
        "group terms and splines (and a weekend term).",
        *rules,
    )
