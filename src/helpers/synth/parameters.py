"""World parameters as data: the documented range of every parameter, files of overrides, and random worlds.

``PARAMETERS`` names every number a world plants (dict-valued ones by ``name.key``), the
values it may take, and the range a random world draws it from. ``from_file`` reads a
YAML file of overrides onto a base world, ``random_world`` draws a whole world from the
ranges and switches each planted effect off independently with probability
``OFF_PROBABILITY``, so that nulls and effects of every size occur. A name that is not a
parameter, or a value outside its range, is a ``ParameterError`` naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import yaml

from helpers.claims.registry import PEAK_HOURS
from helpers.data import yaml_text
from helpers.synth.world import ARMS, STAGES, World

OFF_PROBABILITY = 1 / 3
"""Chance that a random world switches a planted effect off (each effect independently)."""

MOVED_PEAKS_PROBABILITY = 0.5
"""Chance that a random world with peak hours plants them elsewhere than the practitioners say."""


class ParameterError(ValueError):
    """A world parameter that does not exist or a value it cannot take."""


@dataclass(frozen=True)
class Param:
    """What one world parameter means, the values it may take, and how a random world draws it."""

    doc: str
    low: float  # smallest allowed value
    high: float  # largest allowed value
    draw: tuple[float, float] | None = None  # random worlds draw from this range (None: keep the default)
    log: bool = False  # draw log-uniformly
    integer: bool = False


def _stages(doc: str, low: float, high: float, draw: tuple[float, float] | None) -> dict[str, Param]:
    return {f"{stage}": Param(f"{doc} ({stage} stage)", low, high, draw) for stage in STAGES}


PARAMETERS: dict[str, Param] = {
    "groups": Param("groups in the dataset (set by the caller, not drawn)", 1, 1_000_000, integer=True),
    "months": Param("calendar months of history (set by the caller, not drawn)", 2, 120, integer=True),
    "homogeneous_share": Param("share of groups with one channel, one city and one segment", 0, 1, (0.2, 0.8)),
    "target_size_min": Param("smallest target size (target is log-uniform)", 5, 1000, (20, 80), integer=True),
    "target_size_max": Param("largest target size", 10, 5000, (250, 800), integer=True),
    "window_median_days": Param("median days to recruit the target (lognormal)", 0.5, 365, (10, 60), log=True),
    "window_sigma": Param("lognormal sigma of recruitment windows", 0, 3, (0.4, 1.0)),
    "window_min_days": Param("shortest recruitment window", 0.1, 60),
    "window_max_days": Param("longest recruitment window", 1, 720),
    "recruiting_gives_up_days": Param("operators stop recruiting after this many days", 1, 720),
    "arrival_front_load": Param("arrival time = window x u^front_load (1: uniform)", 0.2, 5, (0.8, 2.0)),
    "exit_base": Param("base exit hazard per member-day", 0, 0.1, (0.0015, 0.006), log=True),
    "exit_tenure_boost": Param("extra exit hazard of new members (x 1 + boost e^-tenure/tau)", 0, 20, (1, 5)),
    "exit_tenure_tau_days": Param("decay of the new-member boost, days", 0.1, 365),
    "removed_share": Param("share of exits that are removals", 0, 1, (0.05, 0.25)),
    "size_peak": Param("size (members) at which activity peaks and exits are lowest", 5, 5000, (80, 600), log=True),
    "exit_size_curvature": Param("exit hazard x exp(c ln(size/peak)^2)", 0, 5, (0.05, 0.3)),
    "size_floor": Param("size factors treat smaller groups as this size", 1, 1000, integer=True),
    "mixed_exit_hr": Param("exit hazard ratio of mixed vs homogeneous groups", 0.1, 10, (0.6, 2.2), log=True),
    "critical_size": Param("joins a group must reach before the threshold age", 2, 5000, (100, 200), integer=True),
    "window_threshold_days": Param(
        "age after which a group short of critical size worries early members", 1, 365, (10, 60)
    ),
    "early_days": Param("early member: joined within this many days of creation (the studies' definition)", 1, 120),
    "early_exit_hr": Param(
        "early members' exit hazard ratio while the group is late and short", 0.1, 20, (1.1, 4), log=True
    ),
    **{
        f"promo_exit_beta.{k}": v
        for k, v in _stages("exit hazard x exp(beta (promo share - control))", -20, 20, (-1, 3)).items()
    },
    "activity_median": Param("median member propensity, messages/day (lognormal)", 0.001, 20, (0.05, 0.5), log=True),
    "activity_sigma": Param("lognormal sigma of member propensity", 0, 4, (0.8, 1.5)),
    "koc_share": Param("share of members who are KOCs", 0, 1, (0.005, 0.06)),
    "koc_activity_median": Param("median KOC propensity, messages/day", 0.01, 100, (1, 5), log=True),
    "koc_activity_sigma": Param("lognormal sigma of KOC propensity", 0, 4),
    "activity_size_curvature": Param("activity x exp(-k ln(size/peak)^2)", 0, 10, (0.1, 1.0)),
    "monitor_optimum": Param("monitor's weekly share of messages at which activity peaks", 0.001, 0.5, (0.02, 0.12)),
    "monitor_curvature": Param("activity x exp(-c ((share - optimum)/optimum)^2)", 0, 10, (0.1, 0.8)),
    "monitor_share_max": Param("each group's planned monitor share ~ U(0, max)", 0.001, 0.3, (0.08, 0.3)),
    **{
        f"promo_activity_alpha.{k}": v
        for k, v in _stages("activity x exp(-alpha (promo share - control))", -20, 20, (-0.5, 2)).items()
    },
    "activity_tenure_decay_days": Param("members quieten: x (0.4 + 0.6 e^-tenure/d)", 1, 3650),
    "weekend_activity.prenatal": Param("weekend lift of prenatal segments' activity", 0.1, 5, (0.9, 1.5)),
    "weekend_activity.postnatal": Param("weekend lift of postnatal segments' activity", 0.1, 5, (0.9, 1.5)),
    "posts_weekday": Param("operator posts per group and weekday", 0, 50, (1, 4)),
    "posts_weekend": Param("operator posts per group and weekend day", 0, 50, (1, 6)),
    "arm_promo_share.control": Param("promo share of operator posts in the control arm", 0, 0.8, (0.08, 0.25)),
    "arm_promo_share.promo_low": Param("promo share in the promo_low arm (drawn below control)", 0, 0.8),
    "arm_promo_share.promo_high": Param("promo share in the promo_high arm (drawn above control)", 0, 0.8),
    "promo_week_sigma": Param("weekly lognormal noise of a group's promo share", 0, 2),
    **{f"wet_share_by_stage.{k}": v for k, v in _stages("wet share of non-promo posts", 0, 1, None).items()},
    "activity_share_weekday": Param("activity posts among weekday non-promo posts", 0, 1),
    "activity_share_weekend": Param("activity posts among weekend non-promo posts", 0, 1),
    "experiment_start_month": Param("month at which older groups are randomised", 0, 120, integer=True),
    "peak_hour_lift": Param("a peak hour's level over an ordinary daytime hour (1: no peaks)", 0.1, 20, (1.5, 4)),
    "conversion_base": Param("conversions per member-day at the control mix", 0, 0.5, (0.0005, 0.005), log=True),
    "promo_conversion_gamma": Param("conversions x exp(gamma (promo share - control))", -20, 20, (0, 5)),
    "homogeneous_conversion_rr": Param("conversion rate ratio, homogeneous vs mixed groups", 0.1, 10, (0.8, 1.6)),
    "koc_conversion_rr": Param("conversion rate ratio while 2+ KOC-type members are present", 0.1, 10, (0.9, 1.6)),
    "conversion_value_median": Param("median value of a paid conversion (lognormal)", 0.01, 1e6, (20, 300), log=True),
    "conversion_value_sigma": Param("lognormal sigma of a conversion's value", 0, 4),
    **{
        f"conversion_kind_shares.{k}": Param(f"share of conversions that are {k}", 0, 1)
        for k in ("purchase", "coupon_redeemed", "course_signup")
    },
    "activity_cadence_min": Param("fewest activities per 30 days a group plans (log-uniform)", 0.01, 30, (0.3, 1.5)),
    "activity_cadence_max": Param("most activities per 30 days a group plans", 0.1, 60, (3, 10)),
    "sparse_activity_exit_hr": Param("exit hazard ratio while < 2 activities ran in 30 days", 0.1, 10, (0.8, 1.8)),
    "sparse_activity_conversion_rr": Param(
        "conversion rate ratio while < 2 activities in 30 days", 0.1, 10, (0.5, 1.2)
    ),
    "activity_day_message_lift": Param("members' messages on a day an activity starts", 0.1, 10, (1, 2.5)),
    "activity_participation": Param("chance a present member takes part in an activity", 0, 1, (0.05, 0.4)),
    "join_burst_share": Param("joins of a group-day arriving in one wave", 0, 1, (0, 0.7)),
    "join_burst_minutes": Param("a wave's joins follow its start by Exp(minutes)", 1, 600),
    "welcome_spaced_share": Param("groups spacing welcomes 15-30 min apart in join peaks", 0, 1, (0.2, 0.8)),
    "welcome_confounding": Param("log-odds of spacing per SD of ln(target/window)", -5, 5, (0, 2)),
    "welcome_flood_exit_hr": Param("peak joiners' 14-day hazard ratio, a welcome per join", 0.1, 10, (0.8, 2)),
    "peak_crowding_exit": Param("peak joiners' hazard x (joins that hour / 6)^k", -3, 3, (0, 0.6)),
    "agent_groups_median": Param("median groups per service agent (lognormal)", 1, 10_000, (20, 120), log=True),
    "agent_groups_sigma": Param("lognormal sigma of agents' books", 0, 3),
    "overload_exit_hr": Param("exit hazard ratio while the agent serves > 10,000 members", 0.1, 10, (0.8, 1.8)),
}
"""Every scalar world parameter, by name (``field.key`` for dict-valued fields); ``peak_hours`` is structured."""

EFFECTS: dict[str, dict[str, float]] = {
    "size_activity": {"activity_size_curvature": 0.0},
    "size_exit": {"exit_size_curvature": 0.0},
    "homophily": {"mixed_exit_hr": 1.0},
    "recruitment": {"early_exit_hr": 1.0},
    "content_exits": {f"promo_exit_beta.{s}": 0.0 for s in STAGES},
    "content_activity": {f"promo_activity_alpha.{s}": 0.0 for s in STAGES},
    "content_stage": {},  # off: every stage gets the launch stage's beta and alpha
    "monitor_share": {"monitor_curvature": 0.0},
    "koc": {"koc_share": 0.0},
    "peak_hours": {"peak_hour_lift": 1.0},
    "conversion": {"promo_conversion_gamma": 0.0, "homogeneous_conversion_rr": 1.0, "koc_conversion_rr": 1.0},
    "activities": {
        "sparse_activity_exit_hr": 1.0,
        "sparse_activity_conversion_rr": 1.0,
        "activity_day_message_lift": 1.0,
    },
    "welcome": {"welcome_flood_exit_hr": 1.0},
    "staffing": {"overload_exit_hr": 1.0},
}
"""The planted effects a random world switches on or off, and the parameter values that switch each off."""

SECOND_STREAM = (
    "conversion_base",
    "promo_conversion_gamma",
    "homogeneous_conversion_rr",
    "koc_conversion_rr",
    "conversion_value_median",
)
"""Parameters (and the 'conversion' effect) a random world draws from a stream of their own, after the rest, so
that adding them left every earlier random world exactly as it was."""

THIRD_STREAM = (
    "activity_cadence_min",
    "activity_cadence_max",
    "sparse_activity_exit_hr",
    "sparse_activity_conversion_rr",
    "activity_day_message_lift",
    "activity_participation",
    "join_burst_share",
    "welcome_spaced_share",
    "welcome_confounding",
    "welcome_flood_exit_hr",
    "peak_crowding_exit",
    "agent_groups_median",
    "overload_exit_hr",
)
"""The operations parameters (and the 'activities', 'welcome' and 'staffing' effects), drawn from a third stream
for the same reason."""

OPERATIONS_EFFECTS = ("activities", "welcome", "staffing")

STRUCTURED = {"peak_hours", "name", "switched_off"}
"""Fields that are not numbers: peak hours (audience -> [start, end) ranges), the world's name, its switches."""


def flat(world: World) -> dict[str, float]:
    """The world's scalar parameters by ``PARAMETERS`` name."""
    out: dict[str, float] = {}
    for f in fields(world):
        value = getattr(world, f.name)
        if f.name in STRUCTURED:
            continue
        if isinstance(value, dict):
            out.update({f"{f.name}.{k}": v for k, v in value.items()})
        else:
            out[f.name] = value
    return out


def _check(name: str, value: object) -> float:
    """The value of parameter ``name`` as a number, or a ParameterError saying what is wrong."""
    if name not in PARAMETERS:
        close = [p for p in PARAMETERS if p.split(".")[0] == name.split(".")[0]]
        hint = f"; did you mean one of {', '.join(close)}?" if close else ""
        raise ParameterError(f"unknown world parameter {name!r}{hint}")
    spec = PARAMETERS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"world parameter {name!r}: {value!r} is not a number")
    if spec.integer and value != int(value):
        raise ParameterError(f"world parameter {name!r}: {value!r} is not a whole number")
    if not spec.low <= value <= spec.high:
        raise ParameterError(f"world parameter {name!r}: {value!r} is outside its range {spec.low:g}-{spec.high:g}")
    return int(value) if spec.integer else float(value)


def _check_peak_hours(value: object) -> dict[str, tuple[tuple[int, int], ...]]:
    """Peak hours as audience -> [start, end) local-hour ranges, or a ParameterError."""
    if not isinstance(value, dict) or set(value) - set(PEAK_HOURS):
        raise ParameterError(f"world parameter 'peak_hours': give a mapping with keys among {sorted(PEAK_HOURS)}")
    out = dict(PEAK_HOURS)
    for audience, ranges in value.items():
        try:
            pairs = tuple((int(a), int(b)) for a, b in ranges)
        except (TypeError, ValueError):
            raise ParameterError(
                f"world parameter 'peak_hours.{audience}': give a list of [start, end] hours"
            ) from None
        if not pairs or any(not 0 <= a < b <= 24 for a, b in pairs):
            raise ParameterError(f"world parameter 'peak_hours.{audience}': each range needs 0 <= start < end <= 24")
        out[audience] = pairs
    return out


def with_values(world: World, values: dict[str, object]) -> World:
    """``world`` with the given parameters (flat ``name.key`` or nested dicts) replaced, checked."""
    flat_values: dict[str, object] = {}
    for name, value in values.items():
        if name == "peak_hours":
            flat_values[name] = value
        elif isinstance(value, dict):
            flat_values.update({f"{name}.{k}": v for k, v in value.items()})
        else:
            flat_values[name] = value
    changes: dict[str, object] = {}
    for name, value in flat_values.items():
        if name == "peak_hours":
            changes["peak_hours"] = _check_peak_hours(value)
            continue
        number = _check(name, value)
        field_name, _, key = name.partition(".")
        if key:
            changes.setdefault(field_name, dict(getattr(world, field_name)))[key] = number
        else:
            changes[field_name] = number
    out = replace(world, **changes)
    _check_consistent(out)
    return out


def _check_consistent(world: World) -> None:
    """Relations between parameters that single ranges cannot express."""
    pairs = (
        ("target_size_min", "target_size_max"),
        ("window_min_days", "window_max_days"),
        ("activity_cadence_min", "activity_cadence_max"),
    )
    for low, high in pairs:
        if getattr(world, low) > getattr(world, high):
            raise ParameterError(
                f"world parameters: {low} ({getattr(world, low)}) exceeds {high} ({getattr(world, high)})"
            )
    if set(world.arm_promo_share) != set(ARMS):
        raise ParameterError(f"world parameter 'arm_promo_share': needs exactly the arms {', '.join(ARMS)}")


def from_file(path: str | Path, base: World | None = None) -> World:
    """``base`` (the planted world by default) with the overrides in a YAML file of parameters."""
    path = Path(path)
    try:
        values = yaml_text.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ParameterError(f"{path.name}: cannot read world parameters ({err})") from None
    if not isinstance(values, dict):
        raise ParameterError(f"{path.name}: give world parameters as 'name: value' lines")
    try:
        return with_values(base or World(), values)
    except ParameterError as err:
        raise ParameterError(f"{path.name}: {err}") from None


def _moved_peaks(rng: np.random.Generator) -> dict[str, tuple[tuple[int, int], ...]]:
    """Two to four peak ranges of one or two hours per audience, anywhere in 09-23 local."""
    out = {}
    for audience in PEAK_HOURS:
        starts = np.sort(rng.choice(np.arange(9, 22, 2), size=int(rng.integers(2, 5)), replace=False))
        out[audience] = tuple((int(s), int(s) + int(rng.integers(1, 3))) for s in starts)
    return out


def _draw(spec: Param, rng: np.random.Generator) -> float:
    """One value from a parameter's draw range (log-uniform where it says so)."""
    low, high = spec.draw
    value = math.exp(rng.uniform(math.log(low), math.log(high))) if spec.log else rng.uniform(low, high)
    return round(value) if spec.integer else float(value)


def random_world(seed: int, groups: int = 800, months: int = 12) -> World:
    """A world with every drawn parameter from its range and each effect off with probability 1/3."""
    rng = np.random.default_rng([seed, 19])
    values: dict[str, float] = {}
    for name, spec in PARAMETERS.items():
        if spec.draw is None or name in SECOND_STREAM or name in THIRD_STREAM:
            continue
        values[name] = _draw(spec, rng)
    control = values["arm_promo_share.control"]
    values["arm_promo_share.promo_low"] = control * rng.uniform(0.2, 0.7)
    values["arm_promo_share.promo_high"] = min(control + rng.uniform(0.1, 0.3), 0.8)
    values["monitor_share_max"] = min(max(values["monitor_share_max"], 1.5 * values["monitor_optimum"]), 0.3)
    off = tuple(
        name
        for name in EFFECTS
        if name != "conversion" and name not in OPERATIONS_EFFECTS and rng.random() < OFF_PROBABILITY
    )
    if "content_stage" in off:
        for prefix in ("promo_exit_beta", "promo_activity_alpha"):
            for stage in STAGES:
                values[f"{prefix}.{stage}"] = values[f"{prefix}.launch"]
    for effect in off:
        values.update(EFFECTS[effect])
    peaks = _moved_peaks(rng) if rng.random() < MOVED_PEAKS_PROBABILITY else dict(PEAK_HOURS)
    later = np.random.default_rng([seed, 23])
    values.update({name: _draw(PARAMETERS[name], later) for name in SECOND_STREAM})
    if later.random() < OFF_PROBABILITY:
        off += ("conversion",)
        values.update(EFFECTS["conversion"])
    third = np.random.default_rng([seed, 29])
    values.update({name: _draw(PARAMETERS[name], third) for name in THIRD_STREAM})
    values["activity_cadence_max"] = max(values["activity_cadence_max"], values["activity_cadence_min"])
    for effect in OPERATIONS_EFFECTS:
        if third.random() < OFF_PROBABILITY:
            off += (effect,)
            values.update(EFFECTS[effect])
    world = with_values(World(), {**values, "groups": groups, "months": months, "peak_hours": peaks})
    return replace(world, name=f"random-{seed}", switched_off=off)
