"""Study 1's settings and the values each may take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from helpers.data.schema import GROUPS
from helpers.studies.ranges import Rule, StudyParams, brackets_rule, flag, one_of, whole_at_least

SEGMENT_COLUMNS = tuple(c.name for c in GROUPS.columns if c.dtype == "string" and c.name != "group_id")
"""Group attributes a report can be segmented by."""


@dataclass(frozen=True)
class RetentionParams(StudyParams):
    """The study's settings (the notebook's parameters, data location aside)."""

    RANGES: ClassVar[dict[str, Rule]] = {
        "cohort_period": one_of(("week", "month")),
        "retention_kind": one_of(("membership", "activity")),
        "segment_by": one_of(SEGMENT_COLUMNS, "a column of groups: " + ", ".join(SEGMENT_COLUMNS)),
        "max_periods": whole_at_least(1),
        "min_cohort_size": whole_at_least(1),
        "bounded": flag("True (in period k) or False (in period k or later)"),
        "rmst_days": whole_at_least(1, "day"),
        "entry": one_of(("first", "recurring")),
        "brackets": brackets_rule(),
        "relative": flag("True (over the previous period) or False (over the cohort)"),
    }

    cohort_period: Literal["week", "month"] = "week"
    retention_kind: Literal["membership", "activity"] = "membership"
    segment_by: str = "segment"
    max_periods: int = 12
    start: str | None = None
    end: str | None = None
    min_cohort_size: int = 50
    bounded: bool = True
    rmst_days: int = 90
    entry: Literal["first", "recurring"] = "first"
    brackets: tuple[int, ...] | None = None
    relative: bool = False
