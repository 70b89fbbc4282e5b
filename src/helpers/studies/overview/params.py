"""Study 0's settings and the values each may take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from helpers.studies.overview.measures import PERIODS
from helpers.studies.ranges import Rule, StudyParams, one_of


@dataclass(frozen=True)
class OverviewParams(StudyParams):
    """The overview's settings (the notebook's parameters, data location aside)."""

    RANGES: ClassVar[dict[str, Rule]] = {"period": one_of(PERIODS)}

    period: Literal["day", "week", "month"] = "week"
