"""What each study should recover: planted parameters and emergent true values, for ``truth.json``.

Parameters are copied from the world. Emergent estimands (an arm's effect on 30-day
exits, early members' churn in slow- vs fast-filling groups) are computed inside the
generator from runs of the very same groups with common random numbers, so they are
the true effects on this dataset's groups, not on a hypothetical population.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.claims.registry import (
    ACTIVITIES_MIN_PER_MONTH,
    AGENT_MEMBER_LIMIT,
    CLAIMS,
    DAYTIME_HOURS,
    JOIN_PEAK_JOINS,
    KOC_FACTOR,
    KOC_SIZE,
    PEAK_HOURS,
    WELCOME_WINDOW_DAYS,
)
from helpers.measures.kocs import MIN_DAYS, MIN_MESSAGES
from helpers.synth.operations import MONTH_DAYS
from helpers.synth.simulate import MEMBER, WEEK_OFFSET_DAYS, Cohort, Run
from helpers.synth.world import ARMS, STAGES, World

EXIT_HORIZON_DAYS = 30
EARLY_HORIZONS_DAYS = (30, 60, 90)
WINDOW_BINS_DAYS = (0, 7, 14, 28, 42, np.inf)
WINDOW_BIN_LABELS = ("<=1w", "1-2w", "2-4w", "4-6w", ">6w", "never")

DEFINITIONS = {
    "member_activity": "chat messages a non-operator member sends per day",
    "size": "members of the group (all roles) at that moment",
    "experiment.exit_30d": (
        "non-operator members present at or joining after the group's assigned_at; exposure starts at "
        "max(joined_at, assigned_at); counted if exposure starts >= 30 days before the data's end; "
        "outcome 1 if left_at < exposure start + 30 days. 'members' pools members; 'groups' averages "
        "the group means (equal weight per group). Stage = group's lifecycle stage at exposure start."
    ),
    "experiment.messages_per_member_week": (
        "expected chat messages of non-operator members per member-week, over all member-days at or "
        "after assigned_at (till leaving or the data's end); stage = group's stage on that day."
    ),
    "experiment.conversions_per_member_week": (
        "expected conversions of non-operator members per member-week, over all member-days at or after "
        "assigned_at (till leaving or the data's end); stage = group's stage on that day"
    ),
    "experiment.effect": "arm minus control, on these groups, every group simulated under every arm (CRN)",
    "recruitment.window_days": (
        "days from created_at to the group's n-th join, n = min(target_size, critical_size), all roles "
        "counted (joins, not headcount net of exits); 'never' if it has fewer joins. For groups with "
        "target_size >= critical_size this is the time to reach critical_size joins"
    ),
    "recruitment.early_member": "a non-operator member who joined within early_days of created_at",
    "recruitment.exit_within_h": (
        "early member left within h days of joining; counted if joined_at + h <= the data's end"
    ),
    "recruitment.without_mechanism": "the same members' outcome with the early-member effect switched off (CRN)",
    "homophily.exit_30d": "non-operator member left within 30 days of joining (joined >= 30 days before the end)",
    "koc": (
        "a member whose propensity to talk is at least KOC_FACTOR (10) times the median member's (activity_median), "
        "who stays at least MIN_DAYS (7) days up to the data's end and is expected to write at least "
        "MIN_MESSAGES (5) messages: the KOC type (propensity ~ lognormal(koc_activity_median, "
        "koc_activity_sigma) per day) when it talks that much, and the most talkative ordinary members"
    ),
}


def _band_around(peak: float, curvature: float, share: float = 0.9) -> list[float] | None:
    """Sizes at which exp(-curvature * ln(n / peak)^2) = share."""
    if curvature <= 0:
        return None
    half = math.sqrt(math.log(1 / share) / curvature)
    return [peak * math.exp(-half), peak * math.exp(half)]


def koc_certain_size(share: float, probability: float = 0.95, kocs: int = 2) -> int | None:
    """Smallest group size at which P(at least ``kocs`` KOC-type members) reaches ``probability``."""
    if share <= 0:
        return None
    for n in range(kocs, 5000):
        below = sum(math.comb(n, k) * share**k * (1 - share) ** (n - k) for k in range(kocs))
        if 1 - below >= probability:
            return n
    return None


@dataclass
class Accumulator:
    """Sums over batches from which the emergent truths are computed at the end."""

    n_groups: int
    exit_eligible: dict[str, np.ndarray] = field(default_factory=dict)  # arm -> (groups, stages)
    exit_events: dict[str, np.ndarray] = field(default_factory=dict)
    member_days: dict[str, np.ndarray] = field(default_factory=dict)
    messages: dict[str, np.ndarray] = field(default_factory=dict)
    conversions: dict[str, np.ndarray] = field(default_factory=dict)
    early: list[pd.DataFrame] = field(default_factory=list)
    joins: list[pd.DataFrame] = field(default_factory=list)
    koc_weeks: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))  # weeks at 150+, with 2+ KOCs

    def __post_init__(self) -> None:
        for store in (self.exit_eligible, self.exit_events, self.member_days, self.messages, self.conversions):
            for arm in ARMS:
                store[arm] = np.zeros((self.n_groups, len(STAGES)))

    def add_arm_run(
        self, arm: str, first_group: int, plan: pd.DataFrame, cohort: Cohort, run: Run, world: World, total_days: float
    ) -> None:
        """Add one batch simulated entirely under ``arm``."""
        rows = slice(first_group, first_group + len(plan))
        assigned = plan["assigned_day"].to_numpy()[cohort.group]
        start = np.maximum(cohort.joined, assigned)
        eligible = (cohort.role == MEMBER) & (run.exit_day > start) & (start <= total_days - EXIT_HORIZON_DAYS)
        event = eligible & (run.exit_day < start + EXIT_HORIZON_DAYS)
        stage = world.stage_of(start - plan["created_day"].to_numpy()[cohort.group])
        cell = cohort.group * len(STAGES) + stage
        size = len(plan) * len(STAGES)
        self.exit_eligible[arm][rows] += np.bincount(cell[eligible], minlength=size).reshape(-1, len(STAGES))
        self.exit_events[arm][rows] += np.bincount(cell[event], minlength=size).reshape(-1, len(STAGES))
        self.member_days[arm][rows] += run.post_member_days
        self.messages[arm][rows] += run.post_messages
        self.conversions[arm][rows] += run.post_conversions

    def add_actual(
        self, plan: pd.DataFrame, cohort: Cohort, run: Run, without_early: Run, koc: np.ndarray, total_days: float
    ) -> None:
        """Add one batch as written (each group under its own arm), its run without the early effect, its KOCs."""
        created = plan["created_day"].to_numpy()
        window = run.reached_day - created
        member = cohort.role == MEMBER
        early = member & cohort.early
        self.early.append(
            pd.DataFrame(
                {
                    "window_days": window[cohort.group[early]],
                    "tenure_left": run.exit_day[early] - cohort.joined[early],
                    "tenure_left_without": without_early.exit_day[early] - cohort.joined[early],
                    "room": total_days - cohort.joined[early],
                }
            )
        )
        size, kocs = monday_counts(cohort, run, len(plan), total_days, koc)
        large = size >= KOC_SIZE
        self.koc_weeks += [int(large.sum()), int((large & (kocs >= 2)).sum())]
        self.joins.append(
            pd.DataFrame(
                {
                    "mixed": plan["mixed"].to_numpy()[cohort.group[member]],
                    "tenure_left": run.exit_day[member] - cohort.joined[member],
                    "room": total_days - cohort.joined[member],
                }
            )
        )

    def experiment(self) -> dict:
        """True arm outcomes and effects vs control, overall and by stage at exposure."""
        out: dict = {"arms": {}, "effects": {}}
        for arm in ARMS:
            out["arms"][arm] = self._outcomes(arm)
        for arm in ARMS[1:]:
            effect = {}
            for key, value in out["arms"][arm].items():
                control = out["arms"]["control"][key]
                effect[key] = _minus(value, control)
            out["effects"][f"{arm}_vs_control"] = effect
        return out

    def _outcomes(self, arm: str) -> dict:
        eligible, events = self.exit_eligible[arm], self.exit_events[arm]
        days, msgs, sales = self.member_days[arm], self.messages[arm], self.conversions[arm]
        by_group = events.sum(1) / np.where(eligible.sum(1) > 0, eligible.sum(1), np.nan)
        out = {
            "exit_30d_members": _ratio(events.sum(), eligible.sum()),
            "exit_30d_groups": float(np.nanmean(by_group)),
            "messages_per_member_week": _ratio(7 * msgs.sum(), days.sum()),
            "conversions_per_member_week": _ratio(7 * sales.sum(), days.sum()),
        }
        for s, stage in enumerate(STAGES):
            out[f"exit_30d_members_{stage}"] = _ratio(events[:, s].sum(), eligible[:, s].sum())
            out[f"messages_per_member_week_{stage}"] = _ratio(7 * msgs[:, s].sum(), days[:, s].sum())
            out[f"conversions_per_member_week_{stage}"] = _ratio(7 * sales[:, s].sum(), days[:, s].sum())
        return out

    def recruitment(self, world: World) -> dict:
        """Early members' churn by recruitment window, with and without the planted mechanism."""
        early = pd.concat(self.early, ignore_index=True)
        filled_window = early["window_days"].where(np.isfinite(early["window_days"]))  # inf: never filled
        bins = pd.cut(filled_window, WINDOW_BINS_DAYS, labels=WINDOW_BIN_LABELS[:-1], right=True)
        early["bin"] = bins.cat.add_categories("never").fillna("never")
        slow = early["window_days"] > world.window_threshold_days
        filled = np.isfinite(early["window_days"])
        out: dict = {"by_window_bin": {}, "slow_vs_fast": {}}
        for h in EARLY_HORIZONS_DAYS:
            counted = early["room"] >= h
            left = early["tenure_left"] < h
            left_without = early["tenure_left_without"] < h
            rows = {}
            for label in WINDOW_BIN_LABELS:
                sel = counted & (early["bin"] == label)
                rows[label] = {
                    "early_members": int(sel.sum()),
                    "exit_share": _ratio(left[sel].sum(), sel.sum()),
                    "exit_share_without_mechanism": _ratio(left_without[sel].sum(), sel.sum()),
                }
            out["by_window_bin"][f"{h}d"] = rows
            fast, slow_filled = counted & ~slow, counted & slow & filled
            slow_any = counted & slow
            out["slow_vs_fast"][f"{h}d"] = {
                "fast_exit_share": _ratio(left[fast].sum(), fast.sum()),
                "slow_filled_exit_share": _ratio(left[slow_filled].sum(), slow_filled.sum()),
                "slow_or_never_exit_share": _ratio(left[slow_any].sum(), slow_any.sum()),
                "risk_ratio_slow_filled": _ratio(
                    _ratio(left[slow_filled].sum(), slow_filled.sum()), _ratio(left[fast].sum(), fast.sum())
                ),
                "risk_ratio_slow_or_never": _ratio(
                    _ratio(left[slow_any].sum(), slow_any.sum()), _ratio(left[fast].sum(), fast.sum())
                ),
                "slow_or_never_exit_share_without_mechanism": _ratio(left_without[slow_any].sum(), slow_any.sum()),
                "slow_filled_exit_share_without_mechanism": _ratio(left_without[slow_filled].sum(), slow_filled.sum()),
            }
        return out

    def homophily(self) -> dict:
        """30-day exit share of members of homogeneous and mixed groups, as written."""
        joins = pd.concat(self.joins, ignore_index=True)
        counted = joins["room"] >= EXIT_HORIZON_DAYS
        left = joins["tenure_left"] < EXIT_HORIZON_DAYS
        out = {}
        for name, sel in (("homogeneous", counted & ~joins["mixed"]), ("mixed", counted & joins["mixed"])):
            out[f"exit_30d_{name}"] = _ratio(left[sel].sum(), sel.sum())
        return out


def is_koc(cohort: Cohort, world: World, run: Run, total_days: float) -> np.ndarray:
    """Planted KOCs: members talking at least ``KOC_FACTOR`` times the median member's propensity, and heard.

    The propensity rule alone counts members of groups that the world silences (a monitor
    share far from its optimum can take every member's rate to almost nothing): such a
    member never writes, so no one, analyst or practitioner, could call her a KOC. She
    must also stay the days and be expected to write the messages that a member needs to
    be classified at all (``measures.kocs.MIN_DAYS``, ``MIN_MESSAGES``).
    """
    stay = np.minimum(run.exit_day, total_days) - cohort.joined
    return (
        (cohort.role == MEMBER)
        & (cohort.propensity >= KOC_FACTOR * world.activity_median)
        & (stay >= MIN_DAYS)
        & (run.member_messages >= MIN_MESSAGES)
    )


def monday_counts(
    cohort: Cohort, run: Run, n_groups: int, total_days: float, koc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Non-operator members and KOCs (``koc``: per cohort row) present on each Monday of the data, per group.

    Monday ``k`` is day ``7k - 2``; a member is present if she joined at or before it and
    had not left. Only Mondays inside the data (day 0 to its end) are kept.
    """
    member = cohort.role == MEMBER
    mondays = np.arange(1, int((total_days + WEEK_OFFSET_DAYS) // 7) + 1)
    n_weeks = len(mondays) + 2
    first = np.ceil((cohort.joined[member] + WEEK_OFFSET_DAYS) / 7).astype(np.int64)
    last = np.ceil((np.minimum(run.exit_day[member], total_days) + WEEK_OFFSET_DAYS) / 7).astype(np.int64)
    group = cohort.group[member].astype(np.int64)
    out = []
    for weight in (np.ones(member.sum()), koc[member].astype(float)):
        diff = np.zeros((n_groups, n_weeks + 1))
        np.add.at(diff, (group, np.minimum(first, n_weeks)), weight)
        np.add.at(diff, (group, np.minimum(last, n_weeks)), -weight)
        out.append(np.cumsum(diff, axis=1)[:, mondays])
    return out[0], out[1]


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den and num is not None and not np.isnan(den) else None


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def mean_conversion_value(world: World) -> float:
    """Expected value of one conversion: lognormal mean of the paid kinds, 0 for course sign-ups."""
    shares = world.conversion_kind_shares
    paid = sum(v for k, v in shares.items() if k != "course_signup") / sum(shares.values())
    return paid * world.conversion_value_median * math.exp(world.conversion_value_sigma**2 / 2)


def with_value(true_values: dict, world: World) -> dict:
    """The experiment's true values with conversion value per member-week beside conversions (x the mean value)."""
    mean = mean_conversion_value(world)
    for part in ("arms", "effects"):
        for outcomes in true_values[part].values():
            for key in [k for k in outcomes if k.startswith("conversions_per_member_week")]:
                outcomes[key.replace("conversions_", "value_", 1)] = (
                    None if outcomes[key] is None else outcomes[key] * mean
                )
    return true_values


def _size_and_window_effects(world: World, acc: Accumulator) -> dict:
    """Planted effects of size on activity and exits, of the recruitment window, and of homophily."""
    activity_band = _band_around(world.size_peak, world.activity_size_curvature)
    return {
        "size_activity": {
            "peak_size": world.size_peak if world.activity_size_curvature > 0 else None,
            "band_90pct_of_peak": activity_band,
            "curvature": world.activity_size_curvature,
            "form": "member activity x exp(-curvature * ln(max(size, size_floor) / peak_size)^2)",
            "size_floor": world.size_floor,
        },
        "size_exit": {
            "lowest_hazard_size": world.size_peak if world.exit_size_curvature > 0 else None,
            "curvature": world.exit_size_curvature,
            "form": "exit hazard x exp(curvature * ln(max(size, size_floor) / peak_size)^2)",
        },
        "recruitment_window": {
            "threshold_days": world.window_threshold_days if world.early_exit_hr != 1 else None,
            "critical_size": world.critical_size,
            "early_days": world.early_days,
            "early_exit_hazard_ratio": world.early_exit_hr,
            "form": (
                "early members' exit hazard x early_exit_hazard_ratio while the group is older "
                "than threshold_days and has had fewer than min(target_size, critical_size) joins"
            ),
            "emergent": acc.recruitment(world),
        },
        "homophily": {
            "mixed_exit_hazard_ratio": world.mixed_exit_hr,
            "form": "exit hazard x ratio when channel, city or segment is 'mixed'",
            "emergent": acc.homophily(),
        },
    }


def _content_effects(world: World, acc: Accumulator, monitor_half: float | None) -> dict:
    """Planted effects of the monitor's share, of the content-ratio experiment and on conversions."""
    return {
        "monitor_share": {
            "optimum": world.monitor_optimum if world.monitor_curvature > 0 else None,
            "band_90pct_of_peak": (
                [world.monitor_optimum - monitor_half, world.monitor_optimum + monitor_half] if monitor_half else None
            ),
            "curvature": world.monitor_curvature,
            "form": "member activity x exp(-curvature * ((share - optimum) / optimum)^2), share = monitor's weekly share",
        },
        "content_ratio_experiment": {
            "experiment": "content_ratio",
            "arm_promo_share": world.arm_promo_share,
            "exit_beta_by_stage": world.promo_exit_beta,
            "activity_alpha_by_stage": world.promo_activity_alpha,
            "form": (
                "exit hazard x exp(beta[stage] * (promo share - control share)); member activity x "
                "exp(-alpha[stage] * (promo share - control share))"
            ),
            "true_values": with_value(acc.experiment(), world),
        },
        "conversion": {
            "base_per_member_day": world.conversion_base,
            "promo_gamma": world.promo_conversion_gamma,
            "homogeneous_rate_ratio": world.homogeneous_conversion_rr,
            "koc_rich_rate_ratio": world.koc_conversion_rr,
            "value_median": world.conversion_value_median,
            "value_sigma": world.conversion_value_sigma,
            "kind_shares": world.conversion_kind_shares,
            "form": (
                "conversions per member-day = base x exp(promo_gamma * (promo share - control share)) x "
                "homogeneous_rate_ratio (homogeneous groups) x koc_rich_rate_ratio (while 2+ KOC-type members are "
                "present); a Poisson process on a stream of its own (it changes no exit and no message); values "
                "lognormal(value_median, value_sigma), 0 for course sign-ups"
            ),
            "definition": DEFINITIONS["experiment.conversions_per_member_week"],
        },
    }


def build_truth(
    world: World,
    seed: int,
    n_groups: int,
    months: int,
    acc: Accumulator,
    realised: dict,
    koc_members: list[str] | None = None,
) -> dict:
    """The whole ``truth.json`` document."""
    monitor_half = (
        math.sqrt(math.log(1 / 0.9) / world.monitor_curvature) * world.monitor_optimum
        if world.monitor_curvature > 0
        else None
    )
    planted_effects = {
        **_size_and_window_effects(world, acc),
        **_content_effects(world, acc, monitor_half),
        "operations": operations_effects(world, realised),
        "koc": {
            "definition": DEFINITIONS["koc"],
            "factor": KOC_FACTOR,
            "koc_type_share": world.koc_share,
            "koc_members": sorted(koc_members or []),
            "size_two_or_more_kocs_95pct": koc_certain_size(world.koc_share),
            "group_weeks_150_plus": int(acc.koc_weeks[0]),
            "share_with_two_or_more_kocs_150_plus": _ratio(acc.koc_weeks[1], acc.koc_weeks[0]),
        },
    }
    return {
        "generator": "helpers.synth",
        "world": world.name,
        "seed": seed,
        "groups": n_groups,
        "months": months,
        "parameters": world.as_dict(),
        "planted_effects": planted_effects,
        "switched_off": list(world.switched_off),
        "claims": claim_truths(world, planted_effects),
        "marginals": {
            "mean_target_size": (world.target_size_max - world.target_size_min)
            / math.log(world.target_size_max / world.target_size_min),
            "hour_profile_local": {k: world.hour_profile(k).round(6).tolist() for k in PEAK_HOURS},
            "peak_hours_local": world.peak_hours,
            "realised": realised,
        },
        "definitions": DEFINITIONS,
    }


def _label(value: float | None, matters: float, allowed: tuple[float, float]) -> str:
    """'supported' if the effect matters and its value lies in ``allowed``, 'contradicted' if it matters and does not."""
    if value is None or not matters:
        return "no effect"
    return "supported" if allowed[0] <= value <= allowed[1] else "contradicted"


def _truth(claim_id: str, label: str, value: float | None, effect: float | None, why: str) -> dict:
    return {
        "truth": label,
        "value": value,
        "effect": effect,
        "smallest_effect": CLAIMS[claim_id].smallest_effect,
        "why": why,
    }


def koc_claim_truth(share: float | None, where: str = "") -> dict:
    """Truth of "almost every group above 150 has several KOCs" from the share of 150+ group-weeks with 2+ KOCs."""
    allowed = CLAIMS["koc_above_150"].allowed[0]
    return _truth(
        "koc_above_150",
        "untestable" if share is None else ("supported" if share >= allowed else "contradicted"),
        share,
        share,
        "no group reached 150 members"
        if share is None
        else f"{share:.0%} of group-weeks at 150+ members{where} have 2+ KOC-type members present",
    )


def peak_hour_lifts(world: World) -> dict[str, dict]:
    """Per audience: the planted lift of the claimed hours over other daytime hours, and whether they are the peaks."""
    out = {}
    for audience, ranges in PEAK_HOURS.items():
        profile = world.hour_profile(audience)
        claimed = sorted({h for a, b in ranges for h in range(a, b)})
        planted = sorted({h for a, b in world.peak_hours[audience] for h in range(a, b)})
        others = [h for h in DAYTIME_HOURS if h not in claimed]
        out[audience] = {
            "lift": float(profile[claimed].mean() / profile[others].mean()),
            "claimed_are_the_peaks": planted == claimed,
        }
    return out


def _largest_stage_gap(effects: dict) -> tuple[float | None, str]:
    """The largest gap, over arms and pairs of stages with exposed members, between an arm's effects on 30-day exits."""
    best: tuple[float | None, str] = (None, "")
    for name, arm in effects.items():
        by_stage = {s: arm.get(f"exit_30d_members_{s}") for s in STAGES}
        present = [s for s in STAGES if by_stage[s] is not None]
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                gap = by_stage[a] - by_stage[b]
                if best[0] is None or abs(gap) > abs(best[0]):
                    best = (gap, f"{name.removesuffix('_vs_control')} at {a} minus at {b}")
    return best


def operations_effects(world: World, realised: dict) -> dict:
    """Planted effects of activities, welcome pacing and agents' load (claims 7-9), with the exposure realised."""
    return {
        "sparse_activity_exit_hazard_ratio": world.sparse_activity_exit_hr,
        "sparse_activity_conversion_rate_ratio": world.sparse_activity_conversion_rr,
        "activity_day_message_lift": world.activity_day_message_lift,
        "welcome_flood_exit_hazard_ratio": world.welcome_flood_exit_hr,
        "spaced_welcome_exit_hazard_ratio": 1 / world.welcome_flood_exit_hr,
        "peak_crowding_exponent": world.peak_crowding_exit,
        "overload_exit_hazard_ratio": world.overload_exit_hr,
        "member_days_sparse_activities": realised.get("member_days_sparse_activities"),
        "member_days_overloaded_agent": realised.get("member_days_overloaded_agent"),
        "peak_joiners_spaced_welcomes": realised.get("peak_joiners_spaced_welcomes"),
        "peak_joiners_one_welcome_per_join": realised.get("peak_joiners_one_welcome_per_join"),
        "agents": realised.get("agents"),
        "form": (
            f"exit hazard x sparse_activity_exit_hazard_ratio while a group at least {MONTH_DAYS} days old started "
            f"fewer than {ACTIVITIES_MIN_PER_MONTH} activities in the {MONTH_DAYS} days before the day (conversions x "
            "sparse_activity_conversion_rate_ratio then; members' messages x activity_day_message_lift on a day an "
            f"activity starts); a member who joined in a clock hour with {JOIN_PEAK_JOINS}+ joins, in her first "
            f"{WELCOME_WINDOW_DAYS:g} days: x (joins that hour / {JOIN_PEAK_JOINS})^peak_crowding_exponent, and x "
            "welcome_flood_exit_hazard_ratio if her group welcomes each join separately (else one announcement "
            f"every 15-30 minutes); x overload_exit_hazard_ratio while the group's agent serves more than "
            f"{AGENT_MEMBER_LIMIT:,} members"
        ),
    }


def _ratio_truth(claim_id: str, value: float, exposed: bool, why: str) -> dict:
    """Truth of a hazard-ratio claim from its planted value: untestable where nobody was exposed."""
    claim = CLAIMS[claim_id]
    smallest = claim.smallest_effect  # a ratio above 1; a claim of a fall needs the ratio below 1 / smallest
    big = abs(math.log(value)) >= math.log(smallest)
    allowed = (0.0, 1 / smallest) if claim.direction == "below" else (smallest, math.inf)
    label = _label(value, big, allowed) if exposed else "untestable"
    return _truth(claim_id, label, value, value, why)


def _content_truths(world: World, effects: dict) -> dict[str, dict]:
    """Claim 4's truths: the most promotional arm's exits, and the largest stage gap, on these groups."""
    c = CLAIMS
    out: dict[str, dict] = {}
    shares = world.arm_promo_share
    arm = max((a for a in ARMS if a != "control"), key=lambda a: shares[a])
    crn = effects["content_ratio_experiment"]["true_values"]["effects"][f"{arm}_vs_control"]
    more = shares[arm] > shares["control"]
    diff = crn["exit_30d_members"] if more else None
    out["content_exits"] = _truth(
        "content_exits",
        _label(diff, diff is not None and abs(diff) >= c["content_exits"].smallest_effect, (0.0, math.inf)),
        diff,
        diff,
        f"{arm} ({shares[arm]:.0%} promo vs {shares['control']:.0%}) changes 30-day exits by "
        + (f"{100 * diff:+.1f} points" if diff is not None else "nothing: it is not more promotional"),
    )
    gap, where = _largest_stage_gap(effects["content_ratio_experiment"]["true_values"]["effects"])
    out["content_stage"] = _truth(
        "content_stage",
        "untestable"
        if gap is None
        else _label(gap, abs(gap) >= c["content_stage"].smallest_effect, (-math.inf, math.inf)),
        gap,
        gap,
        "fewer than two lifecycle stages have members exposed in every arm"
        if gap is None
        else f"the largest stage gap, {where}, is {100 * gap:+.1f} points of 30-day exits",
    )
    return out


def _peak_hours_truth(world: World) -> dict:
    """The peak-hours claim's truth: whether the claimed hours are the planted peaks, and the least lift."""
    c = CLAIMS
    lifts = peak_hour_lifts(world)
    lift = min(v["lift"] for v in lifts.values())
    if world.peak_hour_lift < c["peak_hours"].smallest_effect:
        label = "no effect"
    elif all(v["claimed_are_the_peaks"] for v in lifts.values()) and lift >= c["peak_hours"].smallest_effect:
        label = "supported"
    else:
        label = "contradicted"
    return _truth(
        "peak_hours",
        label,
        lift,
        world.peak_hour_lift,
        f"planted peaks {world.peak_hour_lift:.1f}x ordinary hours; claimed hours "
        + ("are" if all(v["claimed_are_the_peaks"] for v in lifts.values()) else "are not")
        + f" the planted peaks (least lift {lift:.2f})",
    )


def _operations_truths(world: World, effects: dict) -> dict[str, dict]:
    """Claims 7-9's truths: the planted ratios, untestable where no member was ever exposed."""
    out: dict[str, dict] = {}
    ops = effects["operations"]
    both = bool(ops["peak_joiners_spaced_welcomes"]) and bool(ops["peak_joiners_one_welcome_per_join"])
    out["welcome_pacing"] = _ratio_truth(
        "welcome_pacing",
        1 / world.welcome_flood_exit_hr,
        both,
        f"peak joiners' first-{WELCOME_WINDOW_DAYS:g}-day exit hazard is x {1 / world.welcome_flood_exit_hr:.2f} with "
        "spaced welcomes" + ("" if both else "; but no peak joiner under one of the two policies"),
    )
    over = ops["member_days_overloaded_agent"] or 0.0
    out["staffing"] = _ratio_truth(
        "staffing",
        world.overload_exit_hr,
        over > 0,
        f"exit hazard x {world.overload_exit_hr:.2f} while an agent serves more than {AGENT_MEMBER_LIMIT:,} members"
        + ("" if over > 0 else "; but no agent ever did"),
    )
    sparse = ops["member_days_sparse_activities"] or 0.0
    out["activity_cadence"] = _ratio_truth(
        "activity_cadence",
        world.sparse_activity_exit_hr,
        sparse > 0,
        f"exit hazard x {world.sparse_activity_exit_hr:.2f} while fewer than {ACTIVITIES_MIN_PER_MONTH} activities "
        f"ran in the last {MONTH_DAYS} days" + ("" if sparse > 0 else "; but no group ever ran that few"),
    )
    return out


def claim_truths(world: World, effects: dict) -> dict[str, dict]:
    """For every claim in the registry: 'supported', 'contradicted', 'no effect' or 'untestable' here, and why.

    An effect smaller than the claim's ``smallest_effect`` counts as no effect; untestable
    means the estimand does not exist in this world (no group of 150+ members, no member
    exposed at the mature stage). Values are on the scale of the claim's estimand (the
    planted parameter where the estimand is one, the common-random-numbers effect on these
    groups where it emerges).
    """
    c = CLAIMS
    out: dict[str, dict] = {}
    drop = 1 - math.exp(-world.activity_size_curvature * math.log(2) ** 2)
    out["size_band"] = _truth(
        "size_band",
        _label(world.size_peak, drop >= c["size_band"].smallest_effect, c["size_band"].allowed),
        world.size_peak,
        drop,
        f"activity peaks at {world.size_peak:.0f} members and is {drop:.0%} lower at half or double that size",
    )
    out["koc_above_150"] = koc_claim_truth(effects["koc"]["share_with_two_or_more_kocs_150_plus"])
    hr = world.early_exit_hr
    out["recruitment"] = _truth(
        "recruitment",
        _label(world.window_threshold_days, hr >= c["recruitment"].smallest_effect, c["recruitment"].allowed),
        world.window_threshold_days,
        hr,
        f"early members' hazard x {hr:.2f} once a group is {world.window_threshold_days:.0f} days old and short",
    )
    hr = world.mixed_exit_hr
    big = max(hr, 1 / hr) >= c["homophily"].smallest_effect
    out["homophily"] = _truth(
        "homophily", _label(hr, big, c["homophily"].allowed), hr, hr, f"mixed groups' exit hazard ratio is {hr:.2f}"
    )
    out.update(_content_truths(world, effects))
    matters = 1 - math.exp(-world.monitor_curvature / 4)
    out["monitor_share"] = _truth(
        "monitor_share",
        _label(world.monitor_optimum, matters >= c["monitor_share"].smallest_effect, c["monitor_share"].allowed),
        world.monitor_optimum,
        matters,
        f"activity peaks at a monitor share of {world.monitor_optimum:.1%} and is {matters:.0%} lower at half of it",
    )
    out["peak_hours"] = _peak_hours_truth(world)
    out.update(_operations_truths(world, effects))
    return out
