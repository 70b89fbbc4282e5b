"""Poisson regression with one intercept per stratum, the intercepts profiled out (conditional Poisson).

A piecewise-exponential survival model (exits and person-time in cells, hazard constant
within a cell) is a Poisson regression with log person-time as offset. Giving every group
its own intercept absorbs everything constant within a group (its audience, channel,
operator); profiling the intercepts out leaves the likelihood of the exits' spread over a
group's cells, a multinomial, with only the few shared coefficients to fit. The estimates
equal a Poisson GLM with a dummy per stratum (checked against statsmodels in the tests);
the fit here costs the same whatever the number of strata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.stats.glm import weighted_gram


@dataclass(frozen=True)
class PoissonFit:
    """Coefficients, profile log-likelihood, information matrix and per-stratum scores of one fit."""

    beta: np.ndarray
    loglik: float  # profile log-likelihood (up to a constant shared by fits of the same cells)
    information: np.ndarray  # minus the Hessian of the profile log-likelihood
    scores: np.ndarray  # strata x coefficients: each stratum's score at beta (they sum to ~0)
    expected: np.ndarray  # fitted exits per cell
    converged: bool

    def as_dict(self) -> dict:
        """Plain values: coefficients, log-likelihood, convergence."""
        return {"beta": self.beta.tolist(), "loglik": self.loglik, "converged": self.converged}

    def model_covariance(self) -> np.ndarray:
        """Inverse information: the covariance if cells were independent Poisson counts (pseudo-inverse if singular)."""
        return np.linalg.pinv(self.information)

    def robust_covariance(self) -> np.ndarray:
        """Sandwich covariance clustered by stratum, with the small-sample factor G / (G - 1)."""
        bread = self.model_covariance()
        groups = int(np.sum(np.any(self.scores != 0, axis=1)))
        factor = groups / (groups - 1) if groups > 1 else 1.0
        return factor * bread @ (self.scores.T @ self.scores) @ bread


def _terms(
    exits: np.ndarray, exposure: np.ndarray, X: np.ndarray, strata: np.ndarray, beta: np.ndarray, n_strata: int
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Profile log-likelihood, expected exits per cell, per-stratum totals of exits and of expected x X."""
    eta = X @ beta
    eta = eta - np.max(eta) if len(eta) else eta
    rate = exposure * np.exp(eta)
    total = np.bincount(strata, rate, n_strata)
    stratum_exits = np.bincount(strata, exits, n_strata)
    share = np.divide(rate, total[strata], out=np.zeros_like(rate), where=total[strata] > 0)
    expected = stratum_exits[strata] * share
    with np.errstate(divide="ignore"):
        log_share = np.where(exits > 0, np.log(np.where(share > 0, share, 1.0)), 0.0)
    loglik = float(np.sum(exits * log_share))
    return loglik, expected, stratum_exits, stratum_sums(expected[:, None] * X, strata, n_strata)


def fit(
    exits: np.ndarray,
    exposure: np.ndarray,
    X: np.ndarray,
    strata: np.ndarray,
    start: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> PoissonFit:
    """Newton-Raphson on the profile log-likelihood; ``strata`` are codes 0..G-1, ``exposure`` person-time."""
    n_strata = int(strata.max()) + 1 if len(strata) else 0
    beta = np.zeros(X.shape[1]) if start is None else np.array(start, float)
    converged = False
    loglik, expected, stratum_exits, weighted = _terms(exits, exposure, X, strata, beta, n_strata)
    for _ in range(max_iter):
        info = _information(X, expected, stratum_exits, weighted)
        gradient = X.T @ (exits - expected)
        step = np.linalg.lstsq(info, gradient, rcond=None)[0]
        new = beta + step
        new_loglik, new_expected, _, new_weighted = _terms(exits, exposure, X, strata, new, n_strata)
        halvings = 0
        while new_loglik < loglik - 1e-9 * max(1.0, abs(loglik)) and halvings < 30:
            step = step / 2
            new = beta + step
            new_loglik, new_expected, _, new_weighted = _terms(exits, exposure, X, strata, new, n_strata)
            halvings += 1
        beta, loglik, expected, weighted = new, new_loglik, new_expected, new_weighted
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    info = _information(X, expected, stratum_exits, weighted)
    scores = stratum_sums((exits - expected)[:, None] * X, strata, n_strata)
    return PoissonFit(beta, loglik, info, scores, expected, converged)


def _information(X: np.ndarray, expected: np.ndarray, stratum_exits: np.ndarray, weighted: np.ndarray) -> np.ndarray:
    """Minus the Hessian of the profile log-likelihood: X'WX less each stratum's weighted mean outer product."""
    return weighted_gram(X, expected) - weighted_gram(weighted, _inverse(stratum_exits))


def stratum_sums(values: np.ndarray, strata: np.ndarray, n_strata: int) -> np.ndarray:
    """Rows of ``values`` (cells x columns) summed per stratum."""
    out = np.zeros((n_strata, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(strata, values[:, j], n_strata)
    return out


def efficient_scores(
    null: PoissonFit, exits: np.ndarray, X: np.ndarray, Z: np.ndarray, strata: np.ndarray
) -> np.ndarray:
    """Per stratum, the score of each column of ``Z`` added alone to the null fit, net of the fitted X (strata x Z).

    The score for a candidate column at the null model, with the part the nuisance
    coefficients would absorb projected out (the efficient score); summed over strata it
    is the score test's numerator and its per-stratum spread the clustered variance.
    """
    n_strata = null.scores.shape[0]
    stratum_exits = np.bincount(strata, exits, n_strata)
    weighted_x = stratum_sums(null.expected[:, None] * X, strata, n_strata)
    weighted_z = stratum_sums(null.expected[:, None] * Z, strata, n_strata)
    cross = (Z * null.expected[:, None]).T @ X - (weighted_z * _inverse(stratum_exits)[:, None]).T @ weighted_x
    raw = stratum_sums((exits - null.expected)[:, None] * Z, strata, n_strata)
    return raw - null.scores @ (null.model_covariance() @ cross.T)


def _inverse(values: np.ndarray) -> np.ndarray:
    """1 / values where positive, 0 elsewhere (strata without exits carry no information)."""
    return np.divide(1.0, values, out=np.zeros_like(values, dtype=float), where=values > 0)


def clustered_covariance(fit: PoissonFit, cluster_of_stratum: np.ndarray) -> tuple[np.ndarray, int]:
    """Sandwich covariance with strata pooled into clusters (codes per stratum, -1: own cluster), and the clusters.

    Clusters that nest several strata (e.g. a service agent's groups) sum their strata's
    scores; the small-sample factor is C / (C - 1) over the C clusters with any score.
    """
    codes = np.asarray(cluster_of_stratum, dtype=np.int64).copy()
    alone = codes < 0
    codes[alone] = codes.max(initial=-1) + 1 + np.arange(alone.sum())
    n_clusters = int(codes.max()) + 1 if len(codes) else 0
    scores = stratum_sums(fit.scores, codes, n_clusters)
    used = int(np.sum(np.any(scores != 0, axis=1)))
    bread = fit.model_covariance()
    factor = used / (used - 1) if used > 1 else 1.0
    return factor * bread @ (scores.T @ scores) @ bread, used
