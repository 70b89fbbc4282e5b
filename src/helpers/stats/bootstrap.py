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
