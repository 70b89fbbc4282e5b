"""Study 2's settings and the values each may take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from helpers.claims.registry import KOC_FACTOR
from helpers.measures.size_bands import SIZE_BANDS
from helpers.studies.ranges import Rule, StudyParams, increasing, one_of, whole_at_least, whole_between
from helpers.studies.size_activity.models import METRICS


@dataclass(frozen=True)
class SizeParams(StudyParams):
    """The study's settings (the notebook's parameters, data location aside)."""

    RANGES: ClassVar[dict[str, Rule]] = {
        "activity_metric": one_of(METRICS),
        "size_bands": increasing("an increasing list of sizes, e.g. [0, 50, 100]"),
        "spline_df": whole_between(3, 20),
        "koc_factor": Rule(
            lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v > 1,
            "a number above 1 (times the group's median member)",
        ),
        "bootstrap_reps": whole_at_least(100, "resamples"),
        "min_members": whole_at_least(1),
        "utc_offset_hours": Rule(
            lambda v: isinstance(v, int | float) and not isinstance(v, bool) and -12 <= v <= 14,
            "an offset from -12 to +14 hours",
        ),
        "monitor_spline_df": whole_between(3, 20),
    }

    activity_metric: Literal["messages_per_member", "interaction_rate"] = "messages_per_member"
    size_bands: tuple[int, ...] = field(default=SIZE_BANDS)
    spline_df: int = 8
    koc_factor: float = KOC_FACTOR
    bootstrap_reps: int = 200
    min_members: int = 10
    utc_offset_hours: float = 8
    monitor_spline_df: int = 4
