"""Restricted mean membership time (RMST): the area under Kaplan-Meier up to a horizon, with clustered CIs.

RMST(tau) is the mean number of days of the first ``tau`` a member stays; the difference
between two segments or arms is in days, and needs no proportional hazards. Variances are
infinitesimal-jackknife, summed by chat group (``risk_table``); with rows as their own
clusters they equal R's ``summary(survfit(...), rmean=tau)`` standard error (lifelines'
RMST variance is known to be wrong: its issues 821 and 1682). Delayed entry is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from helpers.stats.estimate import Estimate, plain_fields
from helpers.stats.risk_table import clustered_variance, risk_table
from helpers.stats.survival import at_risk_from_entry, entry_days

Z95 = float(norm.ppf(0.975))


def rmst_with_influence(
    time: np.ndarray, left: np.ndarray, tau: float, entry: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """RMST up to ``tau`` from Kaplan-Meier, and each row's influence on it (IJ, product-limit exact)."""
    table = risk_table(time, np.asarray(left, bool).astype(int), entry)
    keep = table.times <= tau
    times, n, h = table.times[keep], table.at_risk[keep], table.hazard[keep]
    survival = np.cumprod(1 - h)
    widths = np.diff(np.append(times, tau))
    value = float((times[0] if len(times) else tau) + np.sum(survival * widths))
    # B_l = sum_{j >= l} width_j prod_{l < m <= j} (1 - h_m), backwards
    tail = np.zeros(len(times))
    running = 0.0
    for j in range(len(times) - 1, -1, -1):
        running = widths[j] + (1 - h[j + 1]) * running if j + 1 < len(times) else widths[j]
        tail[j] = running
    before = np.concatenate([[1.0], survival[:-1]])
    coefficient = -before * tail / n
    influence = table.influence(coefficient[:, None], coefficient * h, tau) if len(times) else np.zeros(len(time))
    return value, influence


@dataclass(frozen=True)
class RestrictedMean:
    """RMST to ``tau`` days per level of ``by`` and each level's difference from the reference, CIs by group."""

    tau: float
    by: str | None
    levels: pd.DataFrame  # level, rmst, se, ci_low, ci_high, members, groups, reason
    differences: pd.DataFrame  # level, reference, difference, se, ci_low, ci_high, reason
    clustered: bool

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)

    def estimate(self, level: str = "all") -> Estimate:
        """One level's RMST as an Estimate (or why there is none)."""
        name = f"restricted mean membership, first {self.tau:g} days ({level})"
        levels = self.levels.set_index("level")
        if level not in levels.index:
            return Estimate.missing(name, "no member stay whose join the data saw", n=0)
        row = levels.loc[level]
        method = "area under Kaplan-Meier to the horizon; IJ variance" + (
            ", clustered by group" if self.clustered else ""
        )
        if isinstance(row["reason"], str):
            if math.isfinite(row["rmst"]):  # a value without an interval
                nan = math.nan
                return Estimate(name, row["rmst"], nan, nan, method, n=int(row["members"]), reason=row["reason"])
            return Estimate.missing(name, row["reason"], n=int(row["members"]))
        return Estimate(name, row["rmst"], row["ci_low"], row["ci_high"], method, n=int(row["members"]))

    def difference(self, level: str, name: str | None = None) -> Estimate:
        """One level's RMST minus the reference's, in days, as an Estimate (or why there is none)."""
        name = name or f"restricted mean membership over {self.tau:g} days, {level} minus reference (days)"
        rows = self.differences.set_index("level")
        if level not in rows.index:
            return Estimate.missing(name, f"no member stays in {level!r} (or it is the reference)")
        row = rows.loc[level]
        if not math.isfinite(row["difference"]):
            return Estimate.missing(name, str(row["reason"] or "not estimable"), n=int(self.levels["members"].sum()))
        method = (
            "difference of areas under Kaplan-Meier to the horizon (needs no proportional hazards); IJ variance"
            + (", clustered by group" if self.clustered else "")
        )
        n = int(self.levels.set_index("level").loc[[level, row["reference"]], "members"].sum())
        return Estimate(name, float(row["difference"]), float(row["ci_low"]), float(row["ci_high"]), method, n=n)


def _why_not(time: np.ndarray, left: np.ndarray, tau: float) -> str | None:
    """Why RMST to ``tau`` cannot be read from these stays (None when it can)."""
    if len(time) == 0:
        return "no member stays"
    if not (left & (time <= tau)).any():
        return f"no member left within {tau:g} days, so the curve is flat at 100% by assumption, not by measurement"
    if time.max() < tau:
        return f"follow-up ends at day {time.max():.0f}, before the horizon of {tau:g} days"
    return None


def restricted_mean(
    members: pd.DataFrame,
    tau: float,
    by: str | None = None,
    reference: str | None = None,
    cluster: str | None = "group_id",
) -> RestrictedMean:
    """RMST to ``tau`` days per level of ``by`` (``duration_days``, ``left``, optional ``entry_days``), and differences.

    Differences are against ``reference`` (default: the first level); their variance sums
    both levels' influences within each group, so groups holding members of both count once.
    """
    usable = at_risk_from_entry(members)
    entry = entry_days(usable)
    levels = usable[by].astype(str) if by else pd.Series("all", index=usable.index)
    clusters = usable[cluster].to_numpy() if cluster else None
    rows, influences = [], {}
    for level in sorted(levels.unique()):
        mask = (levels == level).to_numpy()
        time = usable["duration_days"].to_numpy(float)[mask]
        left = usable["left"].to_numpy(bool)[mask]
        groups = int(pd.Series(clusters[mask]).nunique()) if clusters is not None else int(mask.sum())
        reason = _why_not(time, left, tau)
        value = se = math.nan
        if reason is None:
            value, influence = rmst_with_influence(time, left, tau, entry.to_numpy(float)[mask])
            if clusters is not None and groups < 2:
                reason = "a CI clustered by group needs two groups or more"
            else:
                full = np.zeros(len(usable))
                full[mask] = influence
                influences[level] = full
                se = math.sqrt(clustered_variance(influence, None if clusters is None else clusters[mask]))
        rows.append(
            {
                "level": level,
                "rmst": value,
                "se": se,
                "ci_low": value - Z95 * se,
                "ci_high": value + Z95 * se,
                "members": int(mask.sum()),
                "groups": groups,
                "reason": reason,
            }
        )
    table = pd.DataFrame(rows, columns=["level", "rmst", "se", "ci_low", "ci_high", "members", "groups", "reason"])
    differences = _differences(table, influences, clusters, reference)
    return RestrictedMean(float(tau), by, table, differences, clusters is not None)


def _differences(
    table: pd.DataFrame, influences: dict[str, np.ndarray], clusters: np.ndarray | None, reference: str | None
) -> pd.DataFrame:
    """Each level's RMST minus the reference level's, with the IJ variance of the difference."""
    columns = ["level", "reference", "difference", "se", "ci_low", "ci_high", "reason"]
    if len(table) < 2:
        return pd.DataFrame(columns=columns)
    reference = reference if reference is not None else str(table["level"].iloc[0])
    if reference not in set(table["level"]):
        why = f"the reference level {reference!r} has no member stays"
        nan = math.nan
        return pd.DataFrame([[lv, reference, nan, nan, nan, nan, why] for lv in table["level"]], columns=columns)
    base = table.set_index("level").loc[reference]
    rows = []
    for row in table[table["level"] != reference].itertuples():
        reason = base["reason"] if isinstance(base["reason"], str) else row.reason
        value = se = math.nan
        if not isinstance(reason, str) and row.level in influences and reference in influences:
            value = row.rmst - base["rmst"]
            se = math.sqrt(clustered_variance(influences[row.level] - influences[reference], clusters))
        rows.append([row.level, reference, value, se, value - Z95 * se, value + Z95 * se, reason])
    return pd.DataFrame(rows, columns=columns)
