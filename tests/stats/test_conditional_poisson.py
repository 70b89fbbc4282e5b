"""Conditional Poisson (one intercept per stratum, profiled out) against statsmodels' Poisson GLM with dummies."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from helpers.stats import conditional_poisson


@pytest.fixture(scope="module")
def cells():
    rng = np.random.default_rng(3)
    strata = np.repeat(np.arange(40), 30)
    X = rng.normal(size=(len(strata), 3))
    exposure = rng.uniform(0.5, 3, len(strata))
    exits = rng.poisson(exposure * np.exp(rng.normal(size=40)[strata] + X @ [0.3, -0.2, 0.1])).astype(float)
    return exits, exposure, X, strata


def _glm(exits, exposure, X, strata, **fit):
    """Reference: a Poisson GLM with a dummy per stratum and log exposure as offset (statsmodels)."""
    design = np.column_stack([X, np.eye(strata.max() + 1)[strata]])
    return sm.GLM(exits, design, family=sm.families.Poisson(), offset=np.log(exposure)).fit(tol=1e-12, **fit)


def test_coefficients_errors_and_likelihood_ratio_equal_the_dummy_glm(cells):
    exits, exposure, X, strata = cells
    fit = conditional_poisson.fit(exits, exposure, X, strata)
    reference = _glm(*cells)
    assert fit.converged
    np.testing.assert_allclose(fit.beta, reference.params[:3], rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.model_covariance())), reference.bse[:3], rtol=1e-7)
    smaller = conditional_poisson.fit(exits, exposure, X[:, :2], strata)
    smaller_reference = _glm(exits, exposure, X[:, :2], strata)
    assert 2 * (fit.loglik - smaller.loglik) == pytest.approx(2 * (reference.llf - smaller_reference.llf), rel=1e-9)


def test_clustered_covariance_is_statsmodels_cluster_sandwich_without_its_residual_df_factor(cells):
    exits, exposure, X, strata = cells
    fit = conditional_poisson.fit(exits, exposure, X, strata)
    reference = _glm(*cells, cov_type="cluster", cov_kwds={"groups": strata})
    n, k = len(exits), X.shape[1] + 40
    np.testing.assert_allclose(fit.robust_covariance(), reference.cov_params()[:3, :3] * (n - k) / (n - 1), rtol=1e-6)


def test_efficient_score_is_the_slope_of_the_profile_likelihood(cells):
    """Closed form by numerical differentiation: the score of a new column at 0, nuisance refitted."""
    exits, exposure, X, strata = cells
    null = conditional_poisson.fit(exits, exposure, X[:, :2], strata)
    score = conditional_poisson.efficient_scores(null, exits, X[:, :2], X[:, 2:], strata).sum()
    h = 1e-5

    def profile(b: float) -> float:
        return conditional_poisson.fit(exits, exposure * np.exp(b * X[:, 2]), X[:, :2], strata).loglik

    assert score == pytest.approx((profile(h) - profile(-h)) / (2 * h), rel=1e-6)
