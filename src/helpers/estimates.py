"""Estimates with uncertainty: a small result type and proportions with group-clustered intervals."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Estimate:
    """One estimated quantity with its 95% (or stated) confidence interval."""

    name: str
    value: float
    ci_low: float
    ci_high: float
    method: str
    n: int | None = None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return asdict(self)

    def covers(self, value: float) -> bool:
        """True if ``value`` lies inside the interval."""
        return self.ci_low <= value <= self.ci_high


def clustered_proportion(successes: pd.Series, trials: pd.Series, level: float = 0.95) -> tuple[float, float, float]:
    """Share of successes over clusters, with a CI that treats clusters (groups) as the independent units.

    ``successes`` and ``trials`` are per cluster. The share is sum(successes) / sum(trials)
    (every member weighs the same); its variance is the linearised ratio-estimator
    variance over clusters with the G / (G - 1) correction, so members of one group are
    not taken as independent draws.
    """
    y, n = np.asarray(successes, float), np.asarray(trials, float)
    keep = n > 0
    y, n = y[keep], n[keep]
    clusters = len(n)
    if clusters == 0:
        return float("nan"), float("nan"), float("nan")
    p = y.sum() / n.sum()
    if clusters < 2:
        return float(p), float("nan"), float("nan")
    var = clusters / (clusters - 1) * np.sum((y - p * n) ** 2) / n.sum() ** 2
    z = NormalDist().inv_cdf(0.5 + level / 2)
    half = z * np.sqrt(var)
    return float(p), float(max(0.0, p - half)), float(min(1.0, p + half))
