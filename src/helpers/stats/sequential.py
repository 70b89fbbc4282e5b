"""Always-valid confidence sequences for an experiment watched week by week (normal-mixture SPRT).

A 95% CI read every week and acted on the first time it excludes zero is wrong far more
than 5% of the time. The normal-mixture sequential probability ratio test (Robbins;
Johari et al.'s mSPRT, GrowthBook's and Optimizely's sequential mode) gives intervals
that hold at every look at once: for an estimate with variance V at a look and a mixing
variance tau^2, the half-width is

    sqrt( V (V + tau^2) / tau^2 * (log((V + tau^2) / V) - 2 log alpha) ),

which equals Waudby-Smith et al.'s asymptotic confidence sequence with n rho^2 = tau^2 / V.
tau^2 is tuned so the sequence is narrowest when the variance reaches a planned value
(``mixing_variance``), as GrowthBook tunes rho to the planned sample.
"""

from __future__ import annotations

import math

import numpy as np


def mixing_variance(planned_variance: float, alpha: float = 0.05) -> float:
    """tau^2 that makes the sequence narrowest at ``planned_variance`` (tau^2 / V = -2 log alpha + log(1 - 2 log alpha))."""
    c = -2 * math.log(alpha)
    return planned_variance * (c + math.log(c + 1))


def sequence_half_width(variance: np.ndarray | float, tau2: float, alpha: float = 0.05) -> np.ndarray:
    """Half-width of the normal-mixture confidence sequence at looks with estimate variance ``variance``."""
    v = np.asarray(variance, float)
    return np.sqrt(v * (v + tau2) / tau2 * (np.log((v + tau2) / v) - 2 * math.log(alpha)))
