"""Percentile intervals from bootstrap draws, with the count of resamples that could be refitted.

A resample can fail (a singular design: some category missing from it). Failures are not
dropped silently: the interval says how many resamples it rests on, and with fewer than
``MIN_SUCCESS`` of those asked for it is not an interval at all but "not estimable".
"""

from __future__ import annotations

import numpy as np

from helpers.stats.estimate import Estimate

MIN_SUCCESS = 0.9
"""Share of resamples that must refit for a bootstrap CI to be reported."""


def percentile_estimate(
    name: str, value: float, draws: np.ndarray | list[float], reps: int, method: str, n: int | None = None
) -> Estimate:
    """The point estimate with the 2.5th and 97.5th percentiles of the draws, or not estimable if too few refitted.

    ``reps`` is the number of resamples asked for; ``draws`` holds one value per
    successful resample (non-finite draws count as failures).
    """
    values = np.asarray(draws, dtype=float)
    ok = values[np.isfinite(values)]
    label = f"{method}, {len(ok)} of {reps} resamples refitted, percentile 95% CI"
    if reps <= 0 or len(ok) < MIN_SUCCESS * reps:
        reason = (
            "no bootstrap resamples were asked for"
            if reps <= 0
            else f"only {len(ok)} of {reps} bootstrap resamples could be refitted (fewer than {MIN_SUCCESS:.0%})"
        )
        return Estimate.missing(name, reason, method=f"not estimable: {reason}", n=n)
    low, high = np.quantile(ok, [0.025, 0.975])
    return Estimate(name, float(value), float(low), float(high), label, n=n)


def argmax_estimate(
    name: str,
    value: float,
    draws: np.ndarray | list[float],
    reps: int,
    method: str,
    edges: tuple[float, float],
    n: int | None = None,
) -> Estimate:
    """A percentile CI for where a curve peaks, open where resampled peaks fall on the edge of the observed range.

    A resample whose curve is highest at the edge of the range (``edges``: the lowest and
    highest x searched) says the peak is *at or beyond* that edge, not at it. So where
    the 97.5th percentile of the resampled peaks falls on the upper edge, the interval has
    no upper end (``ci_high`` is infinite: the data cannot rule out a peak beyond the
    largest x seen); where the 2.5th falls on the lower edge, it reaches down to 0 (sizes
    and shares are positive).
    Failed resamples count as in ``percentile_estimate``.
    """
    estimate = percentile_estimate(name, value, draws, reps, method, n=n)
    if estimate.not_estimable:
        return estimate
    low_edge, high_edge = edges
    tolerance = 1e-9 * max(abs(low_edge), abs(high_edge), 1.0)
    values = np.asarray(draws, dtype=float)
    values = values[np.isfinite(values)]
    at_low, at_high = values <= low_edge + tolerance, values >= high_edge - tolerance
    # edge draws moved just outside the range: a percentile between an inner and an edge draw then lands outside too
    span = max(high_edge - low_edge, tolerance)
    moved = np.where(at_low, low_edge - span, np.where(at_high, high_edge + span, values))
    low, high = np.quantile(moved, [0.025, 0.975])
    # nearly every resample at one edge: the interval starts (or ends) at that edge, never beyond the estimate
    low = 0.0 if low < low_edge - tolerance else min(float(low), high_edge)
    high = np.inf if high > high_edge + tolerance else max(float(high), low_edge)
    label = f"{estimate.method}; {int(at_low.sum() + at_high.sum())} resampled peaks at the edge of the range read as beyond it"
    return Estimate(name, float(value), low, high, label, n=n)
