"""The proportional-hazards test of Grambsch and Therneau as R's ``survival::cox.zph`` computes it (survival >= 3).

For each covariate x_j the Cox model is extended by x_j * g(t), with g the transformed
event time (default: 1 - Kaplan-Meier, left-continuous, as R's ``transform = "km"``);
the test is the score test of that term's coefficient being 0, at the fitted
coefficients, with the full information matrix of the extended model (the model's own
information, not a robust variance). The global test adds all the terms at once. Ties are
handled as Efron's approximation handles them, as in ``coxph``'s default.

lifelines' ``proportional_hazard_test`` instead uses the older approximation (scaled
Schoenfeld residuals with the model's variance held fixed), which can differ a lot:
p 0.16 against R's 0.0006 on one homogeneity model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

from helpers.stats.cox import CoxFit, RiskSets, efron_moments


def km_transform(durations: np.ndarray, events: np.ndarray, at: np.ndarray) -> np.ndarray:
    """1 - S(t-) at each time in ``at``: the Kaplan-Meier estimate just before it (R's 'km' transform)."""
    times = np.unique(durations[events])
    at_risk = len(durations) - np.searchsorted(np.sort(durations), times, side="left")
    deaths = np.bincount(np.searchsorted(times, durations[events]), minlength=len(times))
    surv = np.cumprod(1 - deaths / at_risk)
    index = np.searchsorted(times, at, side="left")  # events strictly before t
    return 1 - np.concatenate([[1.0], surv])[index]


def zph_test(
    durations: np.ndarray, events: np.ndarray, X: np.ndarray, beta: np.ndarray, names: list[str], transform: str = "km"
) -> pd.DataFrame:
    """Per covariate and globally: chi-square, df and p of the score test for x * g(t) (R's ``cox.zph``).

    ``X`` is the model's design (rows x covariates) and ``beta`` its fitted coefficients.
    ``transform``: 'km' (default, as R), 'rank', 'identity' or 'log'.
    """
    t = np.asarray(durations, float)
    d = np.asarray(events, bool)
    X = np.asarray(X, float) - np.asarray(X, float).mean(axis=0)
    p = X.shape[1]
    order = np.argsort(-t, kind="stable")  # descending time: cumulative sums give risk sets
    t, d, X = t[order], d[order], X[order]
    risk = RiskSets(t, d)
    deaths = risk.deaths
    _, mean, V = efron_moments(risk, X, np.exp(X @ beta))  # Efron's ties, as coxph's default
    if transform == "km":
        g = km_transform(durations, np.asarray(events, bool), t[deaths])
    elif transform == "rank":
        g = pd.Series(t[deaths]).rank(method="average").to_numpy()
    elif transform == "identity":
        g = t[deaths]
    elif transform == "log":
        g = np.log(t[deaths])
    else:
        raise ValueError(f"transform must be km, rank, identity or log, not {transform!r}")
    g = g - g.mean()
    resid = X[deaths] - mean
    u = (g[:, None] * resid).sum(axis=0)
    info = np.zeros((2 * p, 2 * p))
    info[:p, :p] = V.sum(axis=0)
    info[:p, p:] = info[p:, :p] = (g[:, None, None] * V).sum(axis=0)
    info[p:, p:] = (g[:, None, None] ** 2 * V).sum(axis=0)
    rows = []
    for j in range(p):
        keep = [*range(p), p + j]
        inverse = np.linalg.pinv(info[np.ix_(keep, keep)])
        stat = float(u[j] ** 2 * inverse[-1, -1])
        rows.append({"covariate": names[j], "chi2": stat, "df": 1, "p": float(chi2.sf(stat, 1))})
    stat = float(u @ np.linalg.pinv(info)[p:, p:] @ u)
    rows.append({"covariate": "GLOBAL", "chi2": stat, "df": p, "p": float(chi2.sf(stat, p))})
    return pd.DataFrame(rows).set_index("covariate")


def zph_for_fit(
    fit: CoxFit, frame: pd.DataFrame, duration_col: str, event_col: str, transform: str = "km"
) -> pd.DataFrame:
    """``zph_test`` of a fitted Cox model (``stats.cox.fit_cox``) on the frame it was fitted to."""
    covariates = list(fit.params.index)
    return zph_test(
        frame[duration_col].to_numpy(),
        frame[event_col].to_numpy().astype(bool),
        frame[covariates].to_numpy(float),
        fit.params.to_numpy(),
        covariates,
        transform,
    )
