"""Shares and ratios over clustered data: linearised ratio CIs and design-effect Wilson intervals."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd


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


def wilson_clustered(successes: pd.Series, trials: pd.Series, level: float = 0.95) -> tuple[float, float, float, float]:
    """Share with a Wilson interval on the effective sample size n / design effect; returns (p, low, high, deff).

    ``successes`` and ``trials`` are per cluster (group). The design effect is the
    cluster-robust variance of the share over the binomial one (at least 1).
    """
    y, n = np.asarray(successes, float), np.asarray(trials, float)
    total = n.sum()
    if total == 0:
        return float("nan"), float("nan"), float("nan"), float("nan")
    p = y.sum() / total
    clusters = (n > 0).sum()
    binomial = p * (1 - p) / total
    robust = clusters / max(clusters - 1, 1) * np.sum((y - p * n) ** 2) / total**2
    deff = max(1.0, robust / binomial) if binomial > 0 else 1.0
    n_eff = total / deff
    z = NormalDist().inv_cdf(0.5 + level / 2)
    centre = (p + z**2 / (2 * n_eff)) / (1 + z**2 / n_eff)
    half = z / (1 + z**2 / n_eff) * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
    return float(p), float(centre - half), float(centre + half), float(deff)
