"""The vectorised Cox model against R's survival::coxph (Efron ties, cluster-robust errors) and lifelines.

Reference: tests/fixtures/r/cox_clustered.json, written once by cox_clustered.R (R 4.2.2,
survival 3.5.3, Debian's r-base-core and r-cran-survival) on the synthetic cox_clustered.csv.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_lung

from helpers.stats.cox import CoxDidNotConverge, fit_cox
from helpers.stats.survival import COX_FIT_OPTIONS

from conftest import DATA

REFERENCE = json.loads((DATA / "r" / "cox_clustered.json").read_text())
FRAME = pd.read_csv(DATA / "r" / "cox_clustered.csv")


@pytest.mark.parametrize("times", ["continuous", "tied"])
def test_coefficients_and_robust_errors_equal_r_coxph(times: str):
    column = "t" if times == "continuous" else "tied"
    fit = fit_cox(FRAME[column], FRAME["e"], FRAME[["a", "b", "c"]].to_numpy(), ["a", "b", "c"], FRAME["g"].to_numpy())
    r = REFERENCE[times]
    np.testing.assert_allclose(fit.params.to_numpy(), r["coef"], rtol=1e-9)
    np.testing.assert_allclose(fit.standard_errors, r["robust_se"], rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.variance)), r["model_se"], rtol=1e-9)
    assert fit.log_likelihood == pytest.approx(r["loglik"], rel=1e-12)


def test_summary_has_lifelines_columns_and_values():
    frame = FRAME[["t", "e", "a", "b", "c", "g"]]
    theirs = CoxPHFitter().fit(frame, "t", "e", cluster_col="g", fit_options=COX_FIT_OPTIONS).summary
    ours = fit_cox(frame["t"], frame["e"], frame[["a", "b", "c"]].to_numpy(), ["a", "b", "c"], frame["g"]).summary
    assert list(ours.columns) == list(theirs.columns) and ours.index.name == theirs.index.name == "covariate"
    np.testing.assert_allclose(ours["coef"], theirs["coef"], rtol=1e-7)  # lifelines stops ~1e-8 short of R
    # lifelines' robust errors take tied times in row order (its own TODO); the csv's 6-decimal times tie a little
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-6)


def test_a_perfectly_separating_covariate_is_reported_not_returned():
    durations = np.arange(1.0, 21.0)
    events = np.ones(20)
    separating = (durations < 10).astype(float)[:, None]  # everyone with it dies first
    with pytest.raises(CoxDidNotConverge):
        fit_cox(durations, events, separating * 50, ["x"])


def test_integer_times_with_many_ties_equal_r_on_the_lung_data():
    """R: coxph(Surv(time, status) ~ age + sex + wt.loss, lung): coef 0.0200882, -0.5210319, 0.0007596."""
    lung = load_lung()[["time", "status", "age", "sex", "wt.loss"]].dropna()
    fit = fit_cox(lung["time"], lung["status"], lung[["age", "sex", "wt.loss"]].to_numpy(), ["age", "sex", "wt.loss"])
    assert fit.params.to_numpy() == pytest.approx([0.0200882, -0.5210319, 0.0007596], abs=2e-7)
