"""Lifecycle stages of a group by its age, shared by every study that reads them."""

from __future__ import annotations

import numpy as np

STAGES = ("launch", "growth", "mature")


STAGE_EDGES_DAYS = (28.0, 84.0)
"""Lifecycle stage by group age: launch < 28 days <= growth < 84 days <= mature."""


def stage_names(age_days: np.ndarray) -> np.ndarray:
    """The stage name of each age in days (launch, growth or mature)."""
    return np.asarray(STAGES)[np.searchsorted(np.asarray(STAGE_EDGES_DAYS), np.asarray(age_days, float), side="right")]
