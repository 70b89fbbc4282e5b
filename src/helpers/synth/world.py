"""The parameters of a synthetic world: every planted effect and every nuisance, in one place.

``planted()`` is the default world, with the practitioners' claims built in at known
sizes; ``null()`` is the same world with every effect switched off (sizes, windows,
homophily, monitor share and content mix then change nothing), so an analysis run on it
should find nothing. ``truth.json`` records these numbers verbatim.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from helpers.claims.registry import PEAK_HOURS  # the practitioners' peak hours are planted as stated

START = "2025-01-01T00:00:00Z"
"""First instant of every synthetic dataset (UTC)."""

LOCAL_UTC_OFFSET_HOURS = 8
"""Members live in UTC+8 (China): hour profiles below are local hours."""

CHANNELS = ("offline", "parcel_card", "kol", "ads", "shop")
CHANNEL_WEIGHTS = (0.25, 0.30, 0.15, 0.15, 0.15)
CITIES = ("Shanghai", "Hangzhou", "Chengdu", "Wuhan", "Shenzhen", "Nanjing")
CITY_WEIGHTS = (0.25, 0.20, 0.15, 0.15, 0.15, 0.10)
PRENATAL_SEGMENTS = ("pregnant_4_6m", "pregnant_7_9m")
POSTNATAL_SEGMENTS = ("baby_0_3m", "baby_3_6m", "baby_6_9m", "baby_9_12m")
SEGMENTS = PRENATAL_SEGMENTS + POSTNATAL_SEGMENTS
"""Audience segments: 3-month bands of pregnancy or baby age (domain brief, claim 3)."""

ARMS = ("control", "promo_low", "promo_high")
STAGES = ("launch", "growth", "mature")
"""Lifecycle stage of a group by its age: launch < 28 days <= growth < 84 days <= mature."""

STAGE_EDGES_DAYS = (28.0, 84.0)


def hour_profile(kind: str, peaks: dict | None = None, lift: float = 3.0) -> np.ndarray:
    """Probability of each local hour 0..23 for a member message in a segment of ``kind``.

    A low night floor, a day level, and peaks (``lift`` x the day level) in the planted
    hours ``peaks[kind]`` ([start, end) ranges; the practitioners' hours by default).
    """
    level = np.full(24, 1.0)
    level[[0, 1, 2, 3, 4, 5, 6]] = 0.08
    level[[7, 23]] = 0.5
    for start, end in (peaks or PEAK_HOURS)[kind]:
        level[start:end] = lift
    return level / level.sum()


OPERATOR_HOURS = np.array([0.0] * 9 + [1.0] * 12 + [0.0] * 3)
OPERATOR_HOURS = OPERATOR_HOURS / OPERATOR_HOURS.sum()
"""Operators post in office hours, 09:00-21:00 local."""


@dataclass(frozen=True)
class World:
    """Every parameter of the simulation. Rates are per day unless the name says otherwise."""

    name: str = "planted"
    switched_off: tuple[str, ...] = ()  # effects a random draw switched off (names in parameters.EFFECTS)
    groups: int = 800  # groups in the dataset
    months: int = 12  # calendar months of history

    # --- groups and recruitment -------------------------------------------------
    homogeneous_share: float = 0.5  # groups with one channel, one city and one segment
    target_size_min: int = 40  # target size is log-uniform on [min, max]
    target_size_max: int = 550
    window_median_days: float = 35.0  # days to recruit the target: lognormal
    window_sigma: float = 0.8
    window_min_days: float = 2.0  # windows are clipped to [min, max]
    window_max_days: float = 120.0
    recruiting_gives_up_days: float = 84.0  # operators stop recruiting after 12 weeks
    arrival_front_load: float = 1.2  # arrival time = window * u**front_load (front-loaded)

    # --- exits: hazard per member-day = base * tenure * size * homophily * early * content
    exit_base: float = 0.0035
    exit_tenure_boost: float = 3.0  # x (1 + boost * exp(-tenure / tau)) for new members
    exit_tenure_tau_days: float = 7.0
    removed_share: float = 0.12  # exits that are removals by an operator
    size_peak: float = 229.0  # members; geometric middle of 150 and 350
    exit_size_curvature: float = 0.15  # x exp(c * ln(n / peak)^2)
    size_floor: int = 40  # size factors treat smaller groups as this size
    mixed_exit_hr: float = 1.5  # hazard ratio, any mixed attribute vs homogeneous
    critical_size: int = 150  # joins (all roles; or its target if smaller) a group must reach ...
    window_threshold_days: float = 28.0  # ... by this age, or its early members doubt it
    early_days: float = 14.0  # early member: joined within this many days of creation
    early_exit_hr: float = 3.0  # their hazard ratio while the group is past the
    # threshold age and still below critical size
    promo_exit_beta: dict[str, float] = field(default_factory=lambda: {"launch": 2.0, "growth": 1.2, "mature": 0.5})
    # x exp(beta[stage] * (promo share - control share))

    # --- activity: member messages per day = propensity * size * monitor * content * tenure * weekday
    activity_median: float = 0.20  # lognormal member propensity (messages/day)
    activity_sigma: float = 1.2
    koc_share: float = 0.03  # members who are KOCs (key opinion consumers)
    koc_activity_median: float = 2.5  # KOC propensity, lognormal
    koc_activity_sigma: float = 0.4
    activity_size_curvature: float = 0.5866  # x exp(-k * ln(n / peak)^2): 90% of peak at 150 and 350
    monitor_optimum: float = 0.05  # monitor's weekly share of messages at which activity peaks
    monitor_curvature: float = 0.4  # x exp(-c * ((share - optimum) / optimum)^2)
    monitor_share_max: float = 0.12  # each group's planned monitor share ~ U(0, max)
    promo_activity_alpha: dict[str, float] = field(
        default_factory=lambda: {"launch": 1.5, "growth": 1.0, "mature": 0.5}
    )
    # x exp(-alpha[stage] * (promo share - control share))
    activity_tenure_decay_days: float = 150.0  # x (0.4 + 0.6 * exp(-tenure / d)): members quieten
    weekend_activity: dict[str, float] = field(
        default_factory=lambda: {"prenatal": 1.1, "postnatal": 1.35}
    )  # weekend lift by segment kind

    # --- operators and content ----------------------------------------------------
    posts_weekday: float = 2.5  # operator posts per group-day
    posts_weekend: float = 4.0
    arm_promo_share: dict[str, float] = field(
        default_factory=lambda: {"control": 0.15, "promo_low": 0.05, "promo_high": 0.35}
    )
    promo_week_sigma: float = 0.3  # weekly lognormal noise on a group's promo share
    wet_share_by_stage: dict[str, float] = field(
        default_factory=lambda: {"launch": 0.15, "growth": 0.25, "mature": 0.35}
    )  # of non-promo posts
    activity_share_weekday: float = 0.08
    activity_share_weekend: float = 0.25
    peak_hours: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=lambda: dict(PEAK_HOURS))
    # members' planted peak local hours by audience, [start, end) ranges
    peak_hour_lift: float = 3.0  # a peak hour's level over an ordinary daytime hour
    experiment_start_month: int = 3  # groups older than this are assigned then; later ones at creation

    # --- conversions: per member-day = base * content * homophily * KOC-rich group --------
    # drawn from their own random stream: they never change who stays or what is said
    conversion_base: float = 0.002  # conversions per member-day at the control mix
    promo_conversion_gamma: float = 3.0  # x exp(gamma * (promo share - control share)): promotion converts now
    homogeneous_conversion_rr: float = 1.3  # rate ratio in homogeneous vs mixed groups
    koc_conversion_rr: float = 1.25  # rate ratio while the group has 2+ KOC-type members present
    conversion_value_median: float = 99.0  # lognormal value of a paid conversion (currency units)
    conversion_value_sigma: float = 0.8
    conversion_kind_shares: dict[str, float] = field(
        default_factory=lambda: {"purchase": 0.7, "coupon_redeemed": 0.2, "course_signup": 0.1}
    )  # course sign-ups are free (value 0)

    # --- operations: activities, welcome pacing, service agents (claims 7-9) ---------
    # drawn from random streams of their own; each multiplies the exit hazard
    activity_cadence_min: float = 0.5  # a group's activities per 30 days: log-uniform on [min, max]
    activity_cadence_max: float = 8.0
    sparse_activity_exit_hr: float = 1.3  # hazard ratio while fewer than 2 activities ran in the last 30 days
    sparse_activity_conversion_rr: float = 0.75  # conversion rate ratio while activities are that sparse
    activity_day_message_lift: float = 1.5  # members' messages on a day an activity starts
    activity_participation: float = 0.15  # chance a present member takes part (x3 for KOC-type members)
    join_burst_share: float = 0.4  # joins of a group-day that come in one wave (a post, a QR code shared)
    join_burst_minutes: float = 20.0  # a wave's joins follow its start by Exp(this many minutes)
    welcome_spaced_share: float = 0.5  # groups that space welcomes 15-30 min apart (at average join speed)
    welcome_confounding: float = 0.7  # log-odds of spacing per SD of ln(target / window): fast fillers space
    welcome_flood_exit_hr: float = 1.5  # peak joiners' hazard ratio in their first 14 days, one welcome per join
    peak_crowding_exit: float = 0.3  # peak joiners' hazard x (joins that hour / 6)^k in their first 14 days
    agent_groups_median: float = 100.0  # groups per service agent's book: lognormal weights
    agent_groups_sigma: float = 0.4
    overload_exit_hr: float = 1.3  # hazard ratio while the group's agent serves more than 10,000 members

    def as_dict(self) -> dict:
        """The parameters as plain JSON-ready values."""
        return asdict(self)

    def hour_profile(self, kind: str) -> np.ndarray:
        """This world's local-hour profile of member messages in a ``kind`` (prenatal/postnatal) segment."""
        return hour_profile(kind, self.peak_hours, self.peak_hour_lift)

    def stage_of(self, age_days: np.ndarray) -> np.ndarray:
        """Lifecycle stage index (0 launch, 1 growth, 2 mature) of a group of age ``age_days``."""
        return np.searchsorted(np.asarray(STAGE_EDGES_DAYS), age_days, side="right")


def planted() -> World:
    """The default world: every practitioner claim planted at a known size."""
    return World()


def null() -> World:
    """The same world with no effects: nothing an analysis looks for is there."""
    return replace(
        World(),
        name="null",
        exit_size_curvature=0.0,
        mixed_exit_hr=1.0,
        early_exit_hr=1.0,
        promo_exit_beta={s: 0.0 for s in STAGES},
        koc_share=0.0,
        activity_size_curvature=0.0,
        monitor_curvature=0.0,
        promo_activity_alpha={s: 0.0 for s in STAGES},
        promo_conversion_gamma=0.0,
        homogeneous_conversion_rr=1.0,
        koc_conversion_rr=1.0,
        sparse_activity_exit_hr=1.0,
        sparse_activity_conversion_rr=1.0,
        activity_day_message_lift=1.0,
        welcome_flood_exit_hr=1.0,
        overload_exit_hr=1.0,
    )


WORLDS = {"planted": planted, "null": null}
