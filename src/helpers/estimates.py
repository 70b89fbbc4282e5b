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


def clustered_ratio(numerators: pd.Series, denominators: pd.Series, level: float = 0.95) -> tuple[float, float, float]:
    """Ratio sum(numerators) / sum(denominators) over clusters, with a CI that treats clusters as independent.

    ``numerators`` and ``denominators`` are per cluster (e.g. a group's messages and
    member-weeks). The variance is the linearised ratio-estimator variance over clusters
    with the G / (G - 1) correction, so rows of one group are not taken as independent draws.
    """
    y, n = np.asarray(numerators, float), np.asarray(denominators, float)
    keep = n > 0
    y, n = y[keep], n[keep]
    clusters = len(n)
    if clusters == 0:
        return float("nan"), float("nan"), float("nan")
    ratio = y.sum() / n.sum()
    if clusters < 2:
        return float(ratio), float("nan"), float("nan")
    var = clusters / (clusters - 1) * np.sum((y - ratio * n) ** 2) / n.sum() ** 2
    half = NormalDist().inv_cdf(0.5 + level / 2) * np.sqrt(var)
    return float(ratio), float(ratio - half), float(ratio + half)


def clustered_proportion(successes: pd.Series, trials: pd.Series, level: float = 0.95) -> tuple[float, float, float]:
    """Share of successes over clusters (every trial weighs the same), with a cluster-robust CI clipped to [0, 1]."""
    share, low, high = clustered_ratio(successes, trials, level)
    if np.isnan(low):
        return share, low, high
    return share, max(0.0, low), min(1.0, high)
