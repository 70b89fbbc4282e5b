"""The risk table behind Kaplan-Meier, RMST and cumulative incidence, with delayed entry and influence functions.

Rows are stays: ``time`` (exit or censoring), ``cause`` (0 censored, 1, 2, ... the way out)
and ``entry`` (delayed entry: at risk only after it; 0 for stays seen from their start).
At each distinct exit time t_j: n_j at risk (entry < t_j <= time), d_kj exits by cause k.

Variances are infinitesimal-jackknife (IJ): each row's influence on the estimate, squared
and summed, or summed within a cluster first (chat groups) and then squared: R's
``resid(survfit(...), type=...)`` collapsed by cluster. The product-limit derivatives are
exact (no exp(-cumulative hazard) approximation), so they agree with R to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RiskTable:
    """Distinct exit times with numbers at risk and exits by cause, and the rows they came from."""

    times: np.ndarray  # distinct exit times, ascending
    at_risk: np.ndarray  # n_j
    exits: np.ndarray  # d_kj: one column per cause
    causes: tuple[int, ...]
    row_time: np.ndarray
    row_cause: np.ndarray
    row_entry: np.ndarray

    def as_dict(self) -> dict:
        """The table itself (times, at risk, exits by cause) as plain values; the rows are left out."""
        return {
            "times": self.times.tolist(),
            "at_risk": self.at_risk.tolist(),
            "exits": {str(c): self.exits[:, k].tolist() for k, c in enumerate(self.causes)},
        }

    @property
    def hazard(self) -> np.ndarray:
        """All-cause hazard d_j / n_j at each exit time."""
        return self.exits.sum(axis=1) / self.at_risk

    @property
    def survival(self) -> np.ndarray:
        """Kaplan-Meier S(t_j) at each exit time (just after it)."""
        return np.cumprod(1 - self.hazard)

    def survival_before(self) -> np.ndarray:
        """S(t_j-) at each exit time (just before it)."""
        return np.concatenate([[1.0], self.survival[:-1]])

    def influence(self, on_exit: np.ndarray, on_risk: np.ndarray, upto: float) -> np.ndarray:
        """Per row: sum over exit times t_j <= ``upto`` of on_exit[j, cause] if it exits then, less on_risk[j] if at risk.

        ``on_exit`` has a column per cause (its rows are exit times); every IJ influence
        here is of this form, so one pass of cumulative sums gives all rows at once.
        """
        cut = int(np.searchsorted(self.times, upto, side="right"))
        out = np.zeros(len(self.row_time))
        own = np.searchsorted(self.times, self.row_time)
        exited = (self.row_cause > 0) & (own < cut)
        cause_col = np.searchsorted(self.causes, self.row_cause[exited])
        out[exited] = on_exit[own[exited], cause_col]
        cumulative = np.concatenate([[0.0], np.cumsum(on_risk[:cut])])
        last = np.searchsorted(self.times[:cut], self.row_time, side="right")  # exit times <= own time
        before = np.searchsorted(self.times[:cut], self.row_entry, side="right")  # exit times <= entry: not at risk
        return out - (cumulative[last] - cumulative[np.minimum(before, last)])


def risk_table(time: np.ndarray, cause: np.ndarray, entry: np.ndarray | None = None) -> RiskTable:
    """The risk table of stays; ``cause`` 0 is censored, any other integer a way out."""
    time = np.asarray(time, float)
    cause = np.asarray(cause, int)
    entry = np.zeros(len(time)) if entry is None else np.asarray(entry, float)
    entry = np.where(entry > 0, entry, -np.inf)  # seen from the start: at risk even for exits at time 0
    if np.any(entry >= time):
        raise ValueError("every entry must be below its time (a stay needs time at risk)")
    causes = tuple(int(c) for c in np.unique(cause[cause > 0]))
    times = np.unique(time[cause > 0])
    ends = np.sort(time)
    starts = np.sort(entry)
    # at risk at t: entry < t <= time
    at_risk = (len(time) - np.searchsorted(ends, times, side="left")) - (
        len(entry) - np.searchsorted(starts, times, side="left")
    )
    exits = np.zeros((len(times), len(causes)))
    for k, c in enumerate(causes):
        mask = cause == c
        exits[:, k] = np.bincount(np.searchsorted(times, time[mask]), minlength=len(times))
    return RiskTable(times, at_risk.astype(float), exits, causes, time, cause, entry)


def clustered_variance(influence: np.ndarray, clusters: np.ndarray | None) -> float:
    """IJ variance: influences summed within clusters (or taken one by one), squared and added."""
    if clusters is None:
        return float(np.sum(influence**2))
    return float(np.sum(pd.Series(influence).groupby(np.asarray(clusters)).sum().to_numpy() ** 2))
