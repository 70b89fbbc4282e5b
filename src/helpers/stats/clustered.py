"""Shares and ratios over clustered data: linearised ratio CIs and design-effect Wilson intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import stats

from helpers.stats.estimate import Estimate

METHOD = "ratio of sums over groups, linearised CI clustered by group"
WILSON = "Wilson interval on the effective sample size (members / design effect of clustering in groups)"


SMALL_SAMPLE = "Student t on Satterthwaite's effective degrees of freedom of the clustered variance"


def satterthwaite_df(residuals: np.ndarray) -> float:
    """Effective degrees of freedom of a clustered variance sum(e_g^2): (sum e_g^2)^2 / sum e_g^4, within [1, G - 1].

    Satterthwaite's approximation for a sum of independent squared terms: residuals of
    one size give G (capped at G - 1), a variance carried by a few groups gives about that
    few, so the interval widens where the linearised variance rests on a handful of groups.
    """
    e2 = np.asarray(residuals, float) ** 2
    cap = max(len(e2) - 1, 1)
    if e2.sum() == 0:
        return float(cap)
    return float(min(max(e2.sum() ** 2 / np.sum(e2**2), 1.0), cap))


def clustered_ratio(
    numerators: pd.Series,
    denominators: pd.Series,
    level: float = 0.95,
    name: str = "ratio of sums",
    small_sample: bool = False,
) -> Estimate:
    """Ratio sum(numerators) / sum(denominators) over clusters, with a CI that treats clusters as independent.

    ``numerators`` and ``denominators`` are per cluster (e.g. a group's messages and
    member-weeks). The variance is the linearised ratio-estimator variance over clusters
    with the G / (G - 1) correction, so rows of one group are not taken as independent draws.
    The interval is normal, or with ``small_sample`` Student t on Satterthwaite's effective
    degrees of freedom (for shares near 0 or 1, whose misses sit in a few groups).
    With no cluster there is no estimate; with one, a value without an interval; each says why.
    """
    y, n = np.asarray(numerators, float), np.asarray(denominators, float)
    keep = n > 0
    y, n = y[keep], n[keep]
    clusters = len(n)
    if clusters == 0:
        return Estimate.missing(name, "no cluster with a non-zero denominator", METHOD, n=0)
    ratio = y.sum() / n.sum()
    if clusters < 2:
        return Estimate(
            name,
            float(ratio),
            math.nan,
            math.nan,
            METHOD,
            n=1,
            reason="a CI clustered by group needs two groups or more",
        )
    residuals = y - ratio * n
    var = clusters / (clusters - 1) * np.sum(residuals**2) / n.sum() ** 2
    method = METHOD
    if small_sample:
        df = satterthwaite_df(residuals)
        quantile = float(stats.t.ppf(0.5 + level / 2, df))
        method = f"{METHOD}; {SMALL_SAMPLE} ({df:.1f})"
    else:
        quantile = NormalDist().inv_cdf(0.5 + level / 2)
    half = quantile * np.sqrt(var)
    return Estimate(name, float(ratio), float(ratio - half), float(ratio + half), method, n=clusters)


BOUNDARY = (
    "every member counted had the outcome, or none had: the clustered CI would have zero width, so the "
    "interval is a Wilson interval on the number of groups (the most cautious effective sample size)"
)


def clustered_proportion(
    successes: pd.Series, trials: pd.Series, level: float = 0.95, name: str = "share", small_sample: bool = False
) -> Estimate:
    """Share of successes over clusters (every trial weighs the same), with a cluster-robust CI clipped to [0, 1].

    At a share of exactly 0 or 1 the linearised variance is zero, and a CI of "100%-100%"
    would claim certainty no sample gives; there the interval is Wilson's on the number of
    groups (as if members of a group were one observation: the widest design effect).
    """
    share = clustered_ratio(successes, trials, level, name, small_sample)
    if math.isnan(share.ci_low):
        return share
    if share.value in (0.0, 1.0):
        groups = share.n
        z = NormalDist().inv_cdf(0.5 + level / 2)
        bound = groups / (groups + z**2)  # Wilson's interval at p = 1 (mirrored at p = 0)
        low, high = (bound, 1.0) if share.value == 1.0 else (0.0, 1 - bound)
        return replace(share, ci_low=float(low), ci_high=float(high), method=f"{share.method}; {BOUNDARY}")
    return replace(share, ci_low=max(0.0, share.ci_low), ci_high=min(1.0, share.ci_high))


@dataclass(frozen=True)
class WilsonShare:
    """A share with its design-effect-adjusted Wilson interval, and the design effect used."""

    share: Estimate
    design_effect: float

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {"share": self.share.as_dict(), "design_effect": self.design_effect}


def wilson_clustered(successes: pd.Series, trials: pd.Series, level: float = 0.95) -> WilsonShare:
    """Share with a Wilson interval on the effective sample size n / design effect.

    ``successes`` and ``trials`` are per cluster (group). The design effect is the
    cluster-robust variance of the share over the binomial one (at least 1).
    """
    y, n = np.asarray(successes, float), np.asarray(trials, float)
    total = n.sum()
    if total == 0:
        return WilsonShare(Estimate.missing("share", "no trials", WILSON, n=0), math.nan)
    p = y.sum() / total
    clusters = (n > 0).sum()
    binomial = p * (1 - p) / total
    robust = clusters / max(clusters - 1, 1) * np.sum((y - p * n) ** 2) / total**2
    deff = max(1.0, robust / binomial) if binomial > 0 else 1.0
    n_eff = total / deff
    z = NormalDist().inv_cdf(0.5 + level / 2)
    centre = (p + z**2 / (2 * n_eff)) / (1 + z**2 / n_eff)
    half = z / (1 + z**2 / n_eff) * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
    low, high = min(centre - half, p), max(centre + half, p)  # at p = 0 or 1 rounding can leave p just outside
    share = Estimate("share", float(p), float(max(low, 0.0)), float(min(high, 1.0)), WILSON, n=int(clusters))
    return WilsonShare(share, float(deff))
