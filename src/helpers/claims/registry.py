"""The claims registry: every practitioners' rule of thumb a study tests, as one entry.

Each ``Claim`` has an id, its source article (the numbered files of the practitioners'
articles), its wording, the estimand that tests it, the direction and the region the
claim allows, and ``judge`` turns an ``Estimate`` into a ``Verdict`` by the one rule in
``claims.verdict``. Studies call ``judge``; the scorecard and the index read the verdicts
the studies wrote to ``results.json``. The numbers below are the claims' own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from helpers import fmt
from helpers.claims.verdict import Z95, Verdict, describe_smallest, effect_verdict, interval_verdict, region_text
from helpers.stats.estimate import Estimate

SIZE_BAND = (150.0, 350.0)
"""Claim 1: groups of 150-350 members are the most active per member."""

KOC_SIZE = 150.0
"""Claim 1: above 150 members almost every group has several KOCs."""

KOC_FACTOR = 10.0
"""Claim 1's KOCs made measurable: a member who writes at least this many times as much as her group's median
member (a share of the group's talk far above the typical member's; relative, so quiet and busy groups alike)."""

KOC_ALMOST_EVERY = 0.9
"""What "almost every group" is taken to mean: at least 90% of group-weeks."""

RECRUITMENT_WEEKS = 4.0
"""Claim 2: recruitment slower than 4 weeks makes early joiners leave."""

CRITICAL_SIZE = 150
"""Claim 2: the critical size a group must reach."""

MONITOR_SHARE = 0.05
"""Claim 5: activity is best when the monitor writes about 5% of a week's messages."""

MONITOR_SHARE_ABOUT = (0.025, 0.075)
"""What "about 5%" is taken to mean: within half of 5% either side."""

PEAK_HOURS = {"prenatal": ((11, 12), (16, 17), (20, 21)), "postnatal": ((11, 12), (13, 15), (16, 17), (21, 23))}
"""Claim 6: peak local hours as [start, end) ranges, by audience."""

DAYTIME_HOURS = range(8, 24)
"""Claim 6 is tested against these local hours (night hours would flatter any daytime hour)."""

JOIN_PEAK_JOINS = 6
"""Claim 7's "join peaks" made measurable: a clock hour in which at least this many members join a group."""

WELCOME_SPACING_MINUTES = (15, 30)
"""Claim 7: during join peaks, one welcome announcement every 15-30 minutes instead of one per join."""

WELCOME_WINDOW_DAYS = 14.0
"""Claim 7 is about members who joined in a peak: their exits in their first two weeks."""

AGENT_MEMBER_LIMIT = 10_000
"""Claim 8: one service agent per 10,000 members is the practical limit."""

AGENT_GROUP_LIMIT = 50
"""Claim 8: one service agent can handle about 50 groups (of about 200 members)."""

ACTIVITIES_MIN_PER_MONTH = 2
"""Claim 9: never fewer than 2 group activities a month (a month: the last 30 days)."""

ACTIVITIES_WEEKLY_PER_MONTH = 4
"""Claim 9: about weekly, i.e. 4 or more in the last 30 days."""

AUDIENCE_PREFIXES = {"pregnant": "prenatal", "baby": "postnatal"}
"""Segment names starting with these words belong to that audience (others to none)."""


def audience_of(segment: str) -> str | None:
    """'prenatal', 'postnatal' or None for a segment name, by its first word."""
    first = str(segment).split("_")[0].lower()
    return AUDIENCE_PREFIXES.get(first)


SOURCES = {
    "000": "快节奏环境下,如何做好精细化社群运营? (fine-grained community operations at a fast pace)",
    "001": "社群运营小白成长史,分享给大家的7点经验和2点误区 (a beginner operator's 7 lessons and 2 mistakes)",
    "002": "社群营销管理关键是什么? (what matters in managing community marketing)",
    "003": "社群运营每天都做什么 (what community operators do every day)",
}
"""The practitioners' articles the claims come from (originals, in Chinese, kept with the project brief)."""


@dataclass(frozen=True)
class Claim:
    """One rule of thumb as a testable statement: what is estimated, and which values the claim allows."""

    id: str
    number: int  # the claim's number in the project brief's list
    sources: tuple[str, ...]  # article ids, keys of SOURCES
    wording: str  # the claim as the practitioners put it
    label: str  # short form shown on the scorecard
    estimand: str  # what the judging estimate measures
    direction: Literal["inside", "above", "below", "either"]
    allowed: tuple[float, float]  # the region of the estimand the claim allows
    effect: str = ""  # the effect whose size decides whether the claim's effect is there at all
    smallest_effect: float = 0.0  # the smallest size of ``effect`` that matters (truth of drawn worlds)
    scale: Literal["region", "difference", "ratio"] = "region"  # region: judged by where the CI lies
    rule_text: str = ""  # the rule in words where a study applies its own (several estimates at once)
    unit: Literal["", "percent", "points"] = ""  # how reports write the estimand: a share, a difference of shares

    def judge(
        self, estimate: Estimate, detected: bool = True, significant: bool | None = None, z: float = Z95
    ) -> Verdict:
        """The verdict of this claim on an estimate of its estimand (see ``claims.verdict`` for the two rules).

        Region claims use the interval rule (``detected`` False: no effect to place, so
        inconclusive). Effect claims use the smallest effect that matters, in the claim's
        direction; ``significant`` is the study's own multiplicity-corrected decision and
        ``z`` the normal quantile of the estimate's (adjusted) interval.
        """
        if self.scale == "region":
            return interval_verdict(self.label, estimate, self.allowed, detected=detected, claim_id=self.id)
        return effect_verdict(
            self.label,
            estimate,
            self.smallest_effect,
            self.scale,
            self.direction,
            significant,
            self.id,
            z,
            points=self.unit == "points",
        )

    def show(self, estimate: Estimate) -> str:
        """The judging estimate with its CI in the claim's unit: '5.18% (95% CI 4.88%–5.48%)', '6.79 points (…)'."""
        if self.unit == "percent":
            return f"{fmt.pct(estimate.value, 2)} ({fmt.ci(estimate, '.2f', scale=100, unit='%').replace('–', '%–')})"
        if self.unit == "points":
            return (
                f"{fmt.num(100 * estimate.value, '.2f')} points ({fmt.ci(estimate, '.2f', scale=100, unit=' points')})"
            )
        return f"{fmt.num(estimate.value, '.3g')} ({fmt.ci(estimate, '.3g')})"

    @property
    def rule(self) -> str:
        """The decision rule in words, for the reports' methods."""
        if self.rule_text:
            return self.rule_text
        if self.scale == "region":
            low, high = self.allowed
            region = region_text(low, high, 0 <= low and high <= 1)
            return (
                f"supported if the 95% CI of the {self.estimand} lies inside {region}, contradicted if it lies "
                "entirely outside, otherwise inconclusive"
            )
        null = "1" if self.scale == "ratio" else "0"
        return (
            f"supported if the CI of the {self.estimand} (at the study's multiplicity-corrected level) lies "
            f"{describe_smallest(self.smallest_effect, self.scale, self.direction, self.unit == 'points')}, the "
            "smallest effect that matters; contradicted if it lies inside the region of smaller effects or on the "
            f"other side of {null}; otherwise inconclusive"
        )

    @property
    def citation(self) -> str:
        """Where the claim comes from, in words: its number and the titles of its source articles."""
        titles = "; ".join(f"“{SOURCES[s]}”" for s in self.sources)
        return f"claim {self.number}, from the practitioners' article{'s' if len(self.sources) > 1 else ''} {titles}"

    def as_dict(self) -> dict:
        """Plain values for results.json and the index."""
        return {
            "id": self.id,
            "number": self.number,
            "sources": list(self.sources),
            "wording": self.wording,
            "label": self.label,
            "estimand": self.estimand,
            "direction": self.direction,
            "allowed": list(self.allowed),
            "effect": self.effect,
            "smallest_effect": self.smallest_effect,
            "scale": self.scale,
            "rule": self.rule,
        }


CLAIMS: dict[str, Claim] = {
    c.id: c
    for c in (
        Claim(
            "size_band",
            1,
            ("001", "003"),
            "Groups of 150-350 members show the highest activity per member.",
            "most active at 150-350 members (claim 1)",
            "group size at which messages per member-week peak",
            "inside",
            SIZE_BAND,
            "share of peak activity lost at half or double the peak size",
            0.05,
        ),
        Claim(
            "koc_above_150",
            1,
            ("001",),
            "Above 150 members almost every group has several highly active members (KOCs).",
            "2+ KOCs in almost every group above 150 (claim 1)",
            "share of group-weeks of groups with 150+ members that have 2+ KOCs",
            "inside",
            (KOC_ALMOST_EVERY, 1.0),
            "the share itself (a region claim: no effect size)",
            0.0,
            unit="percent",
        ),
        Claim(
            "recruitment",
            2,
            ("001",),
            "If recruitment to the critical size lasts more than 4 weeks, early joiners leave in large numbers.",
            "early joiners leave when recruitment takes more than 4 weeks (claim 2)",
            "recruitment window (days) beyond which early members' exits rise",
            "inside",
            (7 * RECRUITMENT_WEEKS - 7, 7 * RECRUITMENT_WEEKS + 7),
            "early members' exit hazard ratio while recruitment is late",
            1.25,
            rule_text=(
                "supported if a threshold is found (sup-score test p < 0.05), the hazard ratio of waiting beyond it "
                "has its 95% CI above 1.25, the smallest effect that matters, and the threshold's 95% CI lies inside "
                "21 to 35 days; contradicted if a found threshold's CI lies outside 21 to 35 days, or if at every "
                "candidate threshold from 21 to 35 days the hazard ratio's CI lies below 1.25; otherwise inconclusive"
            ),
        ),
        Claim(
            "homophily",
            3,
            ("001", "003"),
            "Groups from one channel, one city and one age band keep members better than mixed groups.",
            "homogeneous groups keep members better than mixed ones (claim 3)",
            "hazard ratio of leaving, mixed vs homogeneous groups",
            "above",
            (1.0, math.inf),
            "hazard ratio, mixed vs homogeneous (either way: x or 1/x)",
            1.1,
            "ratio",
        ),
        Claim(
            "content_exits",
            4,
            ("001", "002", "003"),
            "Too much promotional content squeezes members and drives exits.",
            "too much promotional content drives exits (claim 4)",
            "difference in 30-day exit rate, most promotional arm minus control",
            "above",
            (0.0, math.inf),
            "30-day exit rate, most promotional arm minus control (either way)",
            0.01,
            "difference",
            unit="points",
        ),
        Claim(
            "content_stage",
            4,
            ("001", "002", "003"),
            "The right mix of useful and promotional content depends on the group's lifecycle stage.",
            "the right content mix depends on the group's stage (claim 4)",
            "largest gap between two stages in an arm's effect on 30-day exits",
            "either",
            (-math.inf, math.inf),
            "largest gap between two stages' effects of an arm on 30-day exits (either way)",
            0.01,
            "difference",
            unit="points",
        ),
        Claim(
            "monitor_share",
            5,
            ("001",),
            "Group activity is best when the monitor writes about 5% of a week's messages.",
            "activity best at a monitor share of about 5% (claim 5)",
            "monitor share of the week's messages at which activity peaks",
            "inside",
            MONITOR_SHARE_ABOUT,
            "share of peak activity lost at half or 1.5 times the optimal share",
            0.05,
            unit="percent",
        ),
        Claim(
            "peak_hours",
            6,
            ("001",),
            "Prenatal mothers peak at 11-12, 16-17 and 20-21 h; postnatal at 11-12, 13-15, 16-17 and 21-23 h.",
            "peak hours (claim 6)",
            "messages per claimed hour / per other daytime hour, least favourable audience",
            "above",
            (1.0, math.inf),
            "lift of the planted peak hours over other daytime hours",
            1.1,
            rule_text=(
                "supported if, for every audience, the claimed hours are the busiest daytime hours and the CI of their "
                "lift over other daytime hours lies above 1.1, the smallest lift that matters; contradicted if for some "
                "audience it lies below 1.1; otherwise inconclusive"
            ),
        ),
        Claim(
            "welcome_pacing",
            7,
            ("001",),
            "During join peaks, spacing the automatic welcome/rules announcements to one every 15-30 minutes cut exits.",
            "spaced welcomes in join peaks cut exits (claim 7)",
            "hazard ratio of leaving in the first 14 days for members who joined in a join peak (6+ joins in the "
            "hour), groups spacing welcomes vs groups welcoming each join, at the same peak size",
            "below",
            (0.0, 1.0),
            "hazard ratio, spaced vs one welcome per join (either way: x or 1/x)",
            1.1,
            "ratio",
        ),
        Claim(
            "staffing",
            8,
            ("001",),
            "One service agent can handle about 50 groups of about 200 members; 1 agent per 10,000 users is the "
            "practical limit.",
            "one agent per 10,000 members is the limit (claim 8)",
            "hazard ratio of leaving while the group's service agent serves more than 10,000 members vs fewer",
            "above",
            (1.0, math.inf),
            "hazard ratio, agent over vs under 10,000 members (either way: x or 1/x)",
            1.1,
            "ratio",
        ),
        Claim(
            "activity_cadence",
            9,
            ("000",),
            "Run a group activity about weekly, never fewer than 2 a month.",
            "never fewer than 2 activities a month (claim 9)",
            "hazard ratio of leaving while the group ran fewer than 2 activities in the last 30 days vs 2 or more",
            "above",
            (1.0, math.inf),
            "hazard ratio, fewer than 2 vs 2+ activities in 30 days (either way: x or 1/x)",
            1.1,
            "ratio",
        ),
    )
}
"""Every claim a study tests, in scorecard order."""


def judge(
    claim_id: str, estimate: Estimate, detected: bool = True, significant: bool | None = None, z: float = Z95
) -> Verdict:
    """The verdict of the registered claim ``claim_id`` on an estimate of its estimand."""
    return CLAIMS[claim_id].judge(estimate, detected, significant, z)


def not_testable(claim_id: str, reason: str) -> Verdict:
    """An inconclusive verdict for a claim the data cannot test, saying why."""
    return Verdict(CLAIMS[claim_id].label, "inconclusive", f"not estimable on this data: {reason}", None, claim_id)


def rule_line(claim_id: str) -> str:
    """The decision rule of a claim as a line for a report's methods."""
    claim = CLAIMS[claim_id]
    return f"**Verdict rule, {claim.label}**: {claim.rule}."
