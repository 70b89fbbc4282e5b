"""Study 3's settings and the values each may take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from helpers.studies.ranges import Rule, StudyParams, increasing, positive, whole_at_least


@dataclass(frozen=True)
class RecruitmentParams(StudyParams):
    """The study's settings (the notebook's parameters, data location aside)."""

    RANGES: ClassVar[dict[str, Rule]] = {
        "target_size": whole_at_least(2, "members"),
        "early_k": Rule(
            lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1),
            "empty, or a whole number of at least 1",
        ),
        "early_days": positive("a number of days above 0"),
        "horizon_days": positive("a number of days above 0"),
        "window_bins": increasing("an increasing list of days, e.g. [7, 14, 28]"),
        "bootstrap_reps": whole_at_least(100, "resamples"),
    }

    target_size: int = 150
    early_k: int | None = None
    early_days: float = 14
    horizon_days: int = 60
    window_bins: tuple[int, ...] = (7, 14, 28, 42)
    bootstrap_reps: int = 2000  # multiplier-bootstrap draws of the threshold test
