"""Study 4's settings and the values each may take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from helpers.studies.experiment.models import OUTCOMES
from helpers.studies.ranges import Rule, StudyParams, one_of, probability, subset_of


@dataclass(frozen=True)
class ExperimentParams(StudyParams):
    """The study's settings (the notebook's parameters, data location aside)."""

    RANGES: ClassVar[dict[str, Rule]] = {
        "outcomes": subset_of(OUTCOMES),
        "alpha": probability(),
        "correction": one_of(("holm", "bh", "none")),
    }

    experiment: str = "content_ratio"
    control_arm: str = "control"
    outcomes: tuple[str, ...] = field(default=("exit_30d", "messages_per_member_week", "interaction_rate"))
    alpha: float = 0.05
    correction: Literal["holm", "bh", "none"] = "holm"
    cuped: bool = True
    conversion_outcomes: tuple[str, ...] = field(default=("conversions_per_member_week", "value_per_member_week"))
