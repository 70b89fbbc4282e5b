"""The operations study's models: hazard and rate ratios of activities, agents' load and welcome pacing.

- **Activities and staffing** (claims 9 and 8): a piecewise-exponential model of every
  member's exits on cells of group x tenure band x day, with a term per group profiled
  out (``stats.conditional_poisson``), tenure bands, and natural splines in the group's
  headcount that day, its age and the calendar day; then two indicators of the day:
  fewer than 2 activities started in the 30 days before (a group at least 30 days old),
  and the group's service agent serving more than 10,000 members. The group terms take
  everything constant in a group (its audience, channel, operators' skill), so each
  effect is measured within groups as their activity and their agent's load change. The
  activities ratio has errors clustered by group; the staffing ratio by agent, whose
  groups share her load day by day (t quantiles on agents - 1 degrees of freedom).
- **Conversions and talk** by the same indicators: paid conversions and members'
  messages per member-day on group-day cells, the same group terms and splines.
- **Welcome pacing** (claim 7): members who joined in a join peak (6+ joins in that clock
  hour), their first 14 days; a Poisson model of exits on cells of group x peak size x
  tenure band x day, with the peak's size (ln joins that hour), the group's headcount
  (spline), homogeneity and the calendar day; errors clustered by group. Policy is a
  group's trait, so there are no group terms here: peak size is the confounder the model
  must take, because fast-filling groups have the bigger peaks and space their welcomes
  more often.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm
from scipy.stats import t as student_t

from helpers.stats import conditional_poisson
from helpers.stats.estimate import Estimate
from helpers.stats.failures import why_unfitted
from helpers.stats.glm import spline_columns

SPLINE_DF = 4
"""Columns of each natural spline (headcount, age, calendar day)."""

MIN_CLUSTERS = 5
"""A ratio is estimable only from at least this many clusters (groups or agents) on each side of the contrast."""

MIN_EXITS = 10
"""The welcome model needs at least this many exits of peak joiners under each policy."""

T_BELOW = 50
"""With fewer clusters than this on the smaller side, CIs use t quantiles on (that side's clusters - 1) df.

Cluster-robust errors are too small when few clusters carry the contrast, however many
there are in all (few treated clusters: MacKinnon and Webb 2017); the smaller side's count
is the conservative degrees of freedom."""


@dataclass(frozen=True)
class Contrast:
    """One indicator to estimate: its name, its cells column and how its errors are clustered."""

    key: str
    name: str
    values: np.ndarray  # per cell, 0/1
    clusters: np.ndarray  # per stratum: cluster code (-1: the stratum is its own cluster)
    side_clusters: tuple[int, int]  # clusters with exposure off and on the indicator

    def as_dict(self) -> dict:
        """Plain values: the indicator, its exposed cells and the clusters on each side."""
        return {
            "key": self.key,
            "name": self.name,
            "cells_on": int(self.values.sum()),
            "sides": list(self.side_clusters),
        }


def band_columns(band: np.ndarray) -> np.ndarray:
    """Indicators of every tenure band present but the first."""
    present = np.unique(band)
    return np.column_stack([(band == b).astype(float) for b in present[1:]]) if len(present) > 1 else None


def smooth_columns(*variables: np.ndarray) -> list[np.ndarray]:
    """Natural spline columns of each variable."""
    return [spline_columns(v, SPLINE_DF) for v in variables]


def design(*blocks: np.ndarray | None, n: int) -> np.ndarray:
    """Blocks of columns side by side (None and empty blocks skipped)."""
    parts = [b for b in blocks if b is not None and b.shape[1] > 0]
    return np.column_stack(parts) if parts else np.zeros((n, 0))


def _interval(b: float, se: float, level: float, df: int | None) -> tuple[float, float]:
    """exp(b -+ q se) with a normal quantile, or a t quantile on ``df`` degrees of freedom."""
    tail = 1 - (1 - level) / 2
    q = student_t.ppf(tail, df) if df is not None else norm.ppf(tail)
    return float(np.exp(b - q * se)), float(np.exp(b + q * se))


def conditional_ratios(
    counts: np.ndarray,
    exposure: np.ndarray,
    X: np.ndarray,
    strata: np.ndarray,
    contrasts: list[Contrast],
    level: float,
    what: str,
) -> dict[str, Estimate]:
    """Rate ratio of each contrast from one conditional Poisson fit (group terms profiled out), clustered CIs."""
    out: dict[str, Estimate] = {}
    usable = [c for c in contrasts if min(c.side_clusters) >= MIN_CLUSTERS]
    for c in contrasts:
        if c not in usable:
            off, on = c.side_clusters
            out[c.key] = Estimate.missing(
                c.name,
                f"{on} cluster(s) with exposure to it and {off} without (the model needs {MIN_CLUSTERS}+ on each side)",
            )
    if not usable:
        return out
    Z = np.column_stack([c.values for c in usable])
    fit = conditional_poisson.fit(counts, exposure, np.column_stack([X, Z]), strata)
    if not fit.converged:
        for c in usable:
            out[c.key] = Estimate.missing(c.name, f"the {what} model does not converge on this data")
        return out
    for j, c in enumerate(usable):
        column = X.shape[1] + j
        cov, n_clusters = conditional_poisson.clustered_covariance(fit, c.clusters)
        b, se = float(fit.beta[column]), float(np.sqrt(max(cov[column, column], 0.0)))
        df = min(c.side_clusters) - 1 if min(c.side_clusters) < T_BELOW else None
        low, high = _interval(b, se, level, df)
        quantile = "t" if df is not None else "normal"
        out[c.key] = Estimate(
            c.name,
            float(np.exp(b)),
            low,
            high,
            f"{what}: conditional Poisson (a term per group), {level:.1%} CI clustered over {n_clusters} clusters "
            f"({quantile} quantile; {min(c.side_clusters)} clusters on the smaller side)",
            n=n_clusters,
        )
    return out


def welcome_ratio(cells: pd.DataFrame, level: float, name: str) -> Estimate:
    """Hazard ratio of spaced welcomes vs one per join for peak joiners, at the same peak size; clustered by group."""
    by_group = cells.groupby("group_id")["spaced"].first()
    sides = (int((~by_group).sum()), int(by_group.sum()))
    if min(sides) < MIN_CLUSTERS:
        return Estimate.missing(
            name,
            f"{sides[1]} group(s) with spaced welcomes and {sides[0]} welcoming each join had members join in a "
            f"join peak (the model needs {MIN_CLUSTERS}+ of each)",
        )
    exits = cells.groupby("spaced")["exits"].sum().reindex([False, True], fill_value=0.0)
    if exits.min() < MIN_EXITS:
        return Estimate.missing(
            name,
            f"peak joiners left {int(exits[True])} times within the window in groups spacing their welcomes and "
            f"{int(exits[False])} times where each join was welcomed (the model needs {MIN_EXITS}+ of each)",
        )
    n = len(cells)
    X = design(
        np.ones((n, 1)),
        band_columns(cells["band"].to_numpy()),
        np.log(cells[["peak_joins"]].to_numpy(float)),
        *smooth_columns(np.log(cells["members"].to_numpy(float)), cells["day"].to_numpy(float)),
        cells[["homogeneous"]].to_numpy(float) if cells["homogeneous"].nunique() > 1 else None,
        cells[["spaced"]].to_numpy(float),
        n=n,
    )
    groups = pd.factorize(cells["group_id"])[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model = sm.GLM(cells["exits"].to_numpy(float), X, family=sm.families.Poisson(), exposure=cells["days"])
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    except (np.linalg.LinAlgError, ValueError) as err:
        return Estimate.missing(name, f"the welcome model cannot be fitted on this data: {why_unfitted(err)}")
    b, se = float(fit.params[-1]), float(fit.bse[-1])
    if not (np.isfinite(b) and np.isfinite(se)):
        return Estimate.missing(name, "the welcome model does not converge on this data")
    n_groups = int(groups.max()) + 1
    low, high = _interval(b, se, level, min(sides) - 1 if min(sides) < T_BELOW else None)
    return Estimate(
        name,
        float(np.exp(b)),
        low,
        high,
        f"Poisson model of exits (piecewise exponential) adjusted for peak size, headcount, homogeneity and "
        f"calendar day; {level:.1%} CI clustered over {n_groups} groups ({min(sides)} with the rarer policy)",
        n=int(cells["joiners"].sum()) if "joiners" in cells else n_groups,
    )
