"""Cumulative incidence of competing ways out (Aalen-Johansen), with delayed entry and CIs clustered by group.

A member leaves by quitting or by being removed (or, for activity, goes silent or leaves):
one minus Kaplan-Meier for 'quit' alone would count the removed as if they could still
quit, and overstate it. The cumulative incidence F_k(t) is the share who left by way k
by day t; the ways add up to one minus all-cause survival. Variances are
infinitesimal-jackknife, summed by chat group (``risk_table``); they agree with R's
multi-state ``survfit(Surv(entry, time, state) ~ 1, id = id, cluster = group)``, and the
estimates with ``cmprsk::cuminc`` where entry is not delayed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from helpers.stats.estimate import plain_fields
from helpers.stats.risk_table import RiskTable, clustered_variance, risk_table
from helpers.stats.survival import at_risk_from_entry, entry_days

Z95 = float(norm.ppf(0.975))


def incidence_with_influence(table: RiskTable, cause: int, at: float) -> tuple[float, np.ndarray]:
    """F_cause(at) and each row's influence on it (IJ of the Aalen-Johansen product, exact)."""
    keep = table.times <= at
    if not keep.any():  # no exit by then: nothing has happened, and no row moves it
        return 0.0, np.zeros(len(table.row_time))
    n, h = table.at_risk[keep], table.hazard[keep]
    hk = table.exits[keep, table.causes.index(cause)] / n
    before = table.survival_before()[keep]
    value = float(np.sum(before * hk))
    # C_l = sum_{l < j <= J} h_kj prod_{l < m < j} (1 - h_m), backwards: C_J = 0, C_l = h_k,l+1 + (1 - h_l+1) C_l+1
    later = np.zeros(len(n))
    for j in range(len(n) - 2, -1, -1):
        later[j] = hk[j + 1] + (1 - h[j + 1]) * later[j + 1]
    # the all-cause part (leaving the event-free state moves every later increment) and the cause's own part
    all_cause = -before * later / n
    on_exit = np.repeat(all_cause[:, None], len(table.causes), axis=1)
    on_exit[:, table.causes.index(cause)] += before / n
    on_risk = all_cause * h + before * hk / n
    return value, table.influence(on_exit, on_risk, at)


@dataclass(frozen=True)
class CumulativeIncidence:
    """Cumulative incidence of each way out at chosen days, per level of ``by``, with 95% CIs clustered by group."""

    by: str | None
    causes: dict[int, str]
    table: pd.DataFrame  # level, cause, days, incidence, se, ci_low, ci_high, members, groups
    reason: str | None = None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


def cumulative_incidence(
    stays: pd.DataFrame,
    causes: dict[int, str],
    days: tuple[float, ...] = (30, 90, 180),
    by: str | None = None,
    cluster: str | None = "group_id",
) -> CumulativeIncidence:
    """Aalen-Johansen cumulative incidence per way out (``cause``: 0 censored) at ``days``, per level of ``by``.

    ``stays`` has ``duration_days``, ``cause`` and optionally ``entry_days`` (NaN: join
    unknown, left out). A day beyond a level's follow-up has no estimate (NaN, and why in
    the ``reason`` column), nor has a way no member of the level took (0, without an
    interval). CIs are Wald intervals clipped to [0, 1] (R's ``conf.type = "plain"``).
    """
    usable = at_risk_from_entry(stays)
    entry = entry_days(usable)
    if usable.empty:
        return CumulativeIncidence(by, causes, pd.DataFrame(), "no stays whose start is known")
    if not (usable["cause"] > 0).any():
        return CumulativeIncidence(by, causes, pd.DataFrame(), "no member left, so there is no way out to weigh")
    levels = usable[by].astype(str) if by else pd.Series("all", index=usable.index)
    rows = []
    for level in sorted(levels.unique()):
        mask = (levels == level).to_numpy()
        part = usable[mask]
        clusters = part[cluster].to_numpy() if cluster else None
        groups = int(pd.Series(clusters).nunique()) if clusters is not None else len(part)
        table = risk_table(part["duration_days"].to_numpy(float), part["cause"].to_numpy(int), entry[mask])
        for code, label in causes.items():
            for day in days:
                reason = f"follow-up ends before day {day:g}" if part["duration_days"].max() < day else None
                value = se = math.nan
                if reason is None:
                    if code in table.causes:
                        value, influence = incidence_with_influence(table, code, day)
                        if clusters is not None and groups < 2:
                            reason = "a CI clustered by group needs two groups or more"
                        else:
                            se = math.sqrt(clustered_variance(influence, clusters))
                    else:
                        value, reason = 0.0, f"no member here left by '{label}': none observed, no interval"
                rows.append(
                    {
                        "level": level,
                        "cause": label,
                        "days": day,
                        "incidence": value,
                        "se": se,
                        "ci_low": max(0.0, value - Z95 * se) if math.isfinite(se) else math.nan,
                        "ci_high": min(1.0, value + Z95 * se) if math.isfinite(se) else math.nan,
                        "members": len(part),
                        "groups": groups,
                        "reason": reason,
                    }
                )
    return CumulativeIncidence(by, causes, pd.DataFrame(rows))


def incidence_curves(stays: pd.DataFrame, causes: dict[int, str], by: str | None = None) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence at every exit time, per level and way out (points only, for figures)."""
    usable = at_risk_from_entry(stays)
    entry = entry_days(usable)
    levels = usable[by].astype(str) if by else pd.Series("all", index=usable.index)
    parts = []
    for level in sorted(levels.unique()):
        mask = (levels == level).to_numpy()
        part = usable[mask]
        if not (part["cause"] > 0).any():
            continue
        table = risk_table(part["duration_days"].to_numpy(float), part["cause"].to_numpy(int), entry[mask])
        before = table.survival_before()
        for code, label in causes.items():
            if code not in table.causes:
                continue
            steps = before * table.exits[:, table.causes.index(code)] / table.at_risk
            parts.append(
                pd.DataFrame(
                    {
                        "level": level,
                        "cause": label,
                        "days": np.concatenate([[0.0], table.times]),
                        "incidence": np.concatenate([[0.0], np.cumsum(steps)]),
                    }
                )
            )
    columns = ["level", "cause", "days", "incidence"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
