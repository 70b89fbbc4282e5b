"""Study 5's settings and the values each may take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from helpers.studies.ranges import Rule, StudyParams, probability


@dataclass(frozen=True)
class OperationsParams(StudyParams):
    """The study's settings (the notebook's parameters, data location aside)."""

    RANGES: ClassVar[dict[str, Rule]] = {"alpha": probability()}

    alpha: float = 0.05  # family-wise error over the study's three claims (Bonferroni)
