"""Frequency weights in the bootstrap fits: a row counted twice fits exactly as the row copied twice."""

from __future__ import annotations

import numpy as np

from helpers.stats.glm import group_resamples, poisson_fixed_effects, resample_weights, weighted_gram


def test_fixed_effects_poisson_with_counts_equals_the_copied_resample():
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 30, 900)
    X = np.c_[rng.normal(size=900), rng.normal(size=900) ** 2]
    offset = np.log(rng.integers(20, 300, 900).astype(float))
    y = rng.poisson(np.exp(X @ [0.2, -0.1] + offset - 4 + rng.normal(size=30)[groups]))
    keep = np.bincount(groups, weights=y, minlength=30)[groups] > 0
    y, X, offset, groups = y[keep], X[keep], offset[keep], np.unique(groups[keep], return_inverse=True)[1]
    full, _ = poisson_fixed_effects(y, X, offset, groups)
    for index, relabel in group_resamples(groups, 5, seed=2):
        copied, _ = poisson_fixed_effects(y[index], X[index], offset[index], relabel)  # each copy its own effect
        rows, count = resample_weights(index, len(y))
        counted, cov = poisson_fixed_effects(
            y[rows], X[rows], offset[rows], groups[rows], weights=count, start=full, covariance=False
        )
        np.testing.assert_allclose(counted, copied, rtol=1e-8, atol=1e-10)
        assert cov is None


def test_the_weighted_gram_matrix_equals_its_definition():
    rng = np.random.default_rng(1)
    X, w = rng.normal(size=(500, 7)), rng.exponential(size=500)
    w[:20] = 0.0  # rows a resample did not draw
    np.testing.assert_allclose(weighted_gram(X, w), X.T @ np.diag(w) @ X, rtol=1e-12, atol=1e-10)
