"""GLM toolkit: natural spline terms, design rows along one variable, cluster resamples, Poisson fixed effects."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import patsy
from scipy.linalg import blas


def spline_term(rows: pd.DataFrame, variable: str, df: int) -> str:
    """A natural cubic spline term with ``df`` columns and knots evenly spaced over the variable's range.

    Even spacing (not quantiles) keeps knots where groups are few, e.g. among large
    groups, which is where the size optimum is sought. ``rows`` are already clipped to
    the central 98% (see ``_clip``), so outliers do not stretch the knots.
    """
    low, high = float(rows[variable].min()), float(rows[variable].max())
    inner = np.linspace(low, high, df + 1)[1:-1]  # df - 1 inner knots: df columns once centred
    knots = ", ".join(f"{k:.10g}" for k in inner)
    return f"cr({variable}, knots=({knots},), lower_bound={low:.10g}, upper_bound={high:.10g}, constraints='center')"


def spline_columns(values: np.ndarray, df: int) -> np.ndarray:
    """Columns of a centred natural spline in ``values`` (``spline_term``), the values themselves if too few distinct.

    Rows x df; a single column when ``values`` has ``df`` or fewer distinct values, none when it is constant.
    """
    values = np.asarray(values, float)
    distinct = len(np.unique(values))
    if distinct > df:
        frame = pd.DataFrame({"x": values})
        return np.asarray(patsy.dmatrix(f"{spline_term(frame, 'x', df)} - 1", frame))
    return values[:, None] if distinct > 1 else np.zeros((len(values), 0))


def term_columns(design: patsy.DesignInfo, variable: str) -> list[int]:
    """Indexes of the design columns of the spline in ``variable``."""
    return [i for i, name in enumerate(design.column_names) if name.startswith(f"cr({variable},")]


def grid_design(design: patsy.DesignInfo, reference: pd.DataFrame, variable: str, values: np.ndarray) -> np.ndarray:
    """Design rows for ``values`` of one variable; other columns at their mean over the fitted rows."""
    frame = pd.concat([reference.iloc[[0]]] * len(values), ignore_index=True)
    frame[variable] = values
    (matrix,) = patsy.build_design_matrices([design], frame, return_type="matrix")
    return np.asarray(matrix)


def profile_grid(
    design: patsy.DesignInfo, X: np.ndarray, reference: pd.DataFrame, variable: str, values: np.ndarray
) -> np.ndarray:
    """Design rows along ``values`` of one spline variable, every other column at its mean over ``X``.

    ``reference`` is any one fitted row (patsy needs every variable to build the rows).
    """
    cols = term_columns(design, variable)
    grid = np.tile(X.mean(axis=0), (len(values), 1))
    grid[:, cols] = grid_design(design, reference, variable, values)[:, cols]
    return grid


def group_resamples(group_codes: np.ndarray, reps: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Cluster bootstrap: ``reps`` times, the row indexes of groups drawn with replacement, and new group codes.

    A group drawn twice appears as two groups (its rows get two codes).
    """
    rng = np.random.default_rng(seed)
    n_groups = group_codes.max() + 1
    order = np.argsort(group_codes, kind="stable")
    bounds = np.searchsorted(group_codes[order], np.arange(n_groups + 1))
    for _ in range(reps):
        drawn = rng.integers(0, n_groups, n_groups)
        index = np.concatenate([order[bounds[g] : bounds[g + 1]] for g in drawn])
        yield index, np.repeat(np.arange(n_groups), bounds[drawn + 1] - bounds[drawn])


def weighted_gram(X: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """X' diag(weights) X for weights >= 0, by BLAS's symmetric rank-k update (about 9x numpy's (X*w).T @ X)."""
    A = np.asfortranarray(X * np.sqrt(np.maximum(weights, 0.0))[:, None])
    upper = blas.dsyrk(1.0, A, trans=1)
    return np.triu(upper) + np.triu(upper, 1).T


def solve_or_drop(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b``; if ``a`` is singular (aliased columns), the least-squares minimum-norm solution.

    In a Newton step the minimum-norm solution leaves the coefficients of aliased
    columns (a category absent from a bootstrap resample) where they were: the same as
    dropping those columns, as R's ``glm`` does.
    """
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def poisson_fixed_effects(
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray,
    groups: np.ndarray,
    max_iter: int = 100,
    tol: float = 1e-9,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
    covariance: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Poisson regression with one fixed effect per group; coefficients and cluster-robust covariance.

    Newton's method on the likelihood with the group effects profiled out (each group's
    expected total equals its observed total), so no dummy columns are built. Groups
    without any event carry no information and must be dropped by the caller. A column
    aliased with the group effects (e.g. an indicator no resampled group varies in) keeps
    its starting value, as R's ``glm`` drops it. ``weights`` are frequency weights (a row
    counted twice is a row drawn twice: the bootstrap's resamples without copying rows);
    ``start`` a starting point; ``covariance=False`` skips the covariance (returns None).
    """
    n_groups, k = groups.max() + 1, X.shape[1]
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    totals = np.bincount(groups, weights=w * y, minlength=n_groups)
    beta = np.zeros(k) if start is None else np.array(start, float)
    for _ in range(max_iter):
        eta = X @ beta + offset
        e = np.exp(eta - eta.max())
        mu = e * (totals / np.maximum(np.bincount(groups, weights=w * e, minlength=n_groups), 1e-300))[groups]
        centred = X - group_means(X, w * mu, groups, n_groups)[groups]
        score = centred.T @ (w * (y - mu))
        hessian = weighted_gram(centred, w * mu)
        step = solve_or_drop(hessian, score)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    if not covariance:
        return beta, None
    per_group = np.stack(
        [np.bincount(groups, weights=w * centred[:, j] * (y - mu), minlength=n_groups) for j in range(k)], axis=1
    )
    try:
        bread = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:  # an aliased column (absent from a resample): its variance is left at zero
        bread = np.linalg.pinv(hessian)
    cov = bread @ (per_group.T @ per_group) @ bread * n_groups / (n_groups - 1)
    return beta, cov


def resample_weights(index: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A resample's rows as (rows drawn at least once, how often each was drawn): frequency weights, no copies."""
    counts = np.bincount(index, minlength=n)
    rows = np.flatnonzero(counts)
    return rows, counts[rows].astype(float)


def group_means(X: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Weighted mean of each column of ``X`` within each group."""
    total = np.bincount(groups, weights=weights, minlength=n_groups)
    sums = np.stack(
        [np.bincount(groups, weights=weights * X[:, j], minlength=n_groups) for j in range(X.shape[1])], axis=1
    )
    return sums / np.where(total > 0, total, 1.0)[:, None]
