"""Methods added for trustworthy verdicts, each against a reference.

- The proportional-hazards test against R's ``survival::cox.zph`` (survival 3.x) on R's
  ``lung`` data (shipped with lifelines), as printed by R: age 0.5077, sex 2.5489,
  wt.loss 0.0144, GLOBAL 3.0051 (model ``Surv(time, status) ~ age + sex + wt.loss``).
- HC1 on a GLM against its definition (R's ``sandwich::vcovHC(type = "HC1")``: HC0 x n / (n - k)).
- Bootstrap intervals: the count of refitted resamples and the 90% rule, by construction.
- A singular Newton step: the minimum-norm solution equals dropping the aliased column.
- The small-sample clustered share against R's ``confint(svymean(...), df = d)`` (survey 4.1.1),
  Satterthwaite's degrees of freedom d against their closed form, its coverage by simulation.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter
from lifelines.datasets import load_lung

from helpers import fmt
from helpers.stats.bootstrap import argmax_estimate, percentile_estimate
from helpers.stats.clustered import clustered_proportion, satterthwaite_df
from helpers.stats.glm import solve_or_drop
from helpers.stats.proportional_hazards import zph_test
from helpers.stats.survival import COX_FIT_OPTIONS
from helpers.studies.recruitment.models import _fit_hc1


def test_ph_test_matches_r_cox_zph_on_lung():
    lung = load_lung()[["time", "status", "age", "sex", "wt.loss"]].dropna()
    covariates = ["age", "sex", "wt.loss"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CoxPHFitter().fit(lung, "time", "status", fit_options=COX_FIT_OPTIONS)
    # R: coef age 0.02009, sex -0.52103, wt.loss 0.00076
    assert fit.params_.to_numpy() == pytest.approx([0.0200882, -0.5210319, 0.0007596], abs=2e-7)
    test = zph_test(lung["time"], lung["status"].astype(bool), lung[covariates], fit.params_.to_numpy(), covariates)
    assert test["chi2"].to_numpy() == pytest.approx([0.5077, 2.5489, 0.0144, 3.0051], abs=6e-5)
    assert list(test["df"]) == [1, 1, 1, 3]
    assert test.loc["GLOBAL", "p"] == pytest.approx(0.39, abs=0.005)


def test_ph_test_holds_its_level_and_finds_a_time_varying_effect():
    """Simulation with known truth: proportional hazards reject about 5%; an effect that stops early is found."""
    rng = np.random.default_rng(3)

    def draw(n: int, proportional: bool) -> pd.DataFrame:
        x = rng.integers(0, 2, n).astype(float)
        t = rng.exponential(1 / np.exp(0.5 * x))
        if not proportional:  # x doubles the hazard only before t = 0.5
            early = rng.exponential(0.5, n)
            t = np.where((x == 1) & (early < 0.5), early, rng.exponential(1.0, n))
        c = rng.exponential(2.0, n)
        return pd.DataFrame({"t": np.minimum(t, c), "e": t <= c, "x": x})

    def p_value(frame: pd.DataFrame) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            beta = CoxPHFitter().fit(frame, "t", "e").params_.to_numpy()
        return zph_test(frame["t"], frame["e"], frame[["x"]], beta, ["x"]).loc["x", "p"]

    rejections = np.mean([p_value(draw(300, True)) < 0.05 for _ in range(150)])
    assert 0.01 <= rejections <= 0.10
    assert p_value(draw(2000, False)) < 1e-4


def test_hc1_is_hc0_times_n_over_n_minus_k():
    rng = np.random.default_rng(0)
    X = sm.add_constant(rng.normal(size=(40, 2)))
    y = np.column_stack([rng.integers(0, 5, 40), np.full(40, 5)])
    y[:, 1] -= y[:, 0]
    model = sm.GLM(y, X, family=sm.families.Binomial())
    _, cov = _fit_hc1(model)
    hc0 = model.fit(cov_type="HC0").cov_params()
    assert np.asarray(cov) == pytest.approx(np.asarray(hc0) * 40 / 37)


def test_bootstrap_interval_counts_its_resamples_and_needs_ninety_percent():
    draws = np.arange(95.0)
    ok = percentile_estimate("x", 47.0, draws, 100, "cluster bootstrap")
    assert "95 of 100 resamples" in ok.method and ok.ci_low == pytest.approx(np.quantile(draws, 0.025))
    few = percentile_estimate("x", 47.0, np.arange(89.0), 100, "cluster bootstrap")
    assert few.not_estimable and "89 of 100" in few.why_not
    nan = percentile_estimate("x", 1.0, [1.0, np.nan, 2.0], 3, "b")
    assert nan.not_estimable  # a non-finite draw is a failed resample
    assert percentile_estimate("x", 1.0, [], 0, "b").not_estimable


def test_argmax_interval_is_open_where_resampled_peaks_sit_on_the_edge():
    # reference: percentiles by hand over the draws, edge draws read as beyond the range
    inner = np.linspace(120.0, 380.0, 190)
    open_above = argmax_estimate("peak", 250.0, np.r_[inner, np.full(10, 400.0)], 200, "b", (20.0, 400.0))
    assert open_above.ci_high == np.inf and open_above.ci_low == pytest.approx(
        np.quantile(np.r_[inner, [999] * 10], 0.025)
    )
    assert fmt.ci(open_above, ".0f") == f"95% CI {open_above.ci_low:.0f} or more"
    open_below = argmax_estimate("peak", 50.0, np.r_[np.full(10, 20.0), inner], 200, "b", (20.0, 400.0))
    assert open_below.ci_low == 0.0 and open_below.ci_high == pytest.approx(np.quantile(inner, 0.975), rel=0.01)
    # a few edge draws (under 2.5%) leave a closed interval, equal to the plain percentile one
    few = np.r_[inner, [400.0] * 3]
    closed = argmax_estimate("peak", 250.0, few, 193, "b", (20.0, 400.0))
    assert (closed.ci_low, closed.ci_high) == pytest.approx(np.quantile(few, [0.025, 0.975]))
    # nearly every draw on one edge: the interval starts (or ends) there and holds the estimate
    above = argmax_estimate("peak", 400.0, np.r_[[380.0] * 2, [400.0] * 198], 200, "b", (20.0, 400.0))
    assert (above.ci_low, above.ci_high) == (400.0, np.inf) and above.covers(400.0)
    below = argmax_estimate("peak", 20.0, np.r_[[20.0] * 198, [30.0] * 2], 200, "b", (20.0, 400.0))
    assert (below.ci_low, below.ci_high) == (0.0, 20.0) and below.covers(20.0)
    assert (
        closed.covers(370.0) and not closed.covers(390.0) and not open_above.covers(100.0) and open_above.covers(5000.0)
    )
    assert argmax_estimate("peak", 1.0, [1.0, 2.0], 10, "b", (0.0, 3.0)).not_estimable  # too few refitted


def test_singular_step_drops_the_aliased_column():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(30), rng.normal(size=30), np.zeros(30)])  # last column: a category absent here
    y = 2 + 3 * X[:, 1]
    step = solve_or_drop(X.T @ X, X.T @ y)
    assert step[:2] == pytest.approx([2, 3]) and step[2] == 0


def test_a_share_of_exactly_one_or_zero_gets_a_wilson_interval_on_the_groups_not_zero_width():
    """Closed form: Wilson at p = 1 with n = groups has lower end n / (n + z^2); no '100% (CI 100-100%)'."""
    trials = pd.Series([20, 35, 12, 50])
    all_kept = clustered_proportion(trials, trials)
    none_kept = clustered_proportion(trials * 0, trials)
    z2 = 1.959963984540054**2
    assert all_kept.value == 1.0 and all_kept.ci_high == 1.0
    assert all_kept.ci_low == pytest.approx(4 / (4 + z2))
    assert none_kept.value == 0.0 and none_kept.ci_low == 0.0
    assert none_kept.ci_high == pytest.approx(1 - 4 / (4 + z2))
    assert "Wilson" in all_kept.method


def test_small_sample_share_matches_r_survey_confint_on_satterthwaite_df():
    """R (survey 4.1.1): confint(svymean(~y, svydesign(id = ~g, data = rows)), df = d), d from the closed form."""
    s, n = pd.Series([18, 30, 12, 44, 25, 9, 40]), pd.Series([20, 35, 12, 50, 25, 15, 41])
    p = s.sum() / n.sum()
    assert satterthwaite_df((s - p * n).to_numpy()) == pytest.approx(3.036784670093, abs=1e-9)
    share = clustered_proportion(s, n, small_sample=True)
    assert (share.value, share.ci_low) == pytest.approx((0.898989898990, 0.788752128397), abs=1e-9)
    assert share.ci_high == 1.0  # R's 1.009227669583, clipped to a share
    s, n = pd.Series([30, 28, 3, 40, 22, 31, 35, 19]), pd.Series([30, 28, 12, 40, 22, 31, 36, 19])
    p = s.sum() / n.sum()
    assert satterthwaite_df((s - p * n).to_numpy()) == pytest.approx(1.330102668982, abs=1e-9)
    assert clustered_proportion(s, n, small_sample=True).ci_low == pytest.approx(0.632471544921, abs=1e-9)
    assert clustered_proportion(s, n).ci_low > 0.86  # the normal interval: 0.954 - 1.96 x 0.0445
    assert "Satterthwaite" in clustered_proportion(s, n, small_sample=True).method


def test_satterthwaite_df_is_the_groups_when_they_share_the_variance_and_few_when_one_carries_it():
    """Closed form: (sum e^2)^2 / sum e^4 is G for equal residuals (capped at G - 1), 1 for a single one."""
    assert satterthwaite_df(np.array([1.0, -1.0] * 10)) == 19
    assert satterthwaite_df(np.array([5.0, 0, 0, 0, 0, 0])) == 1
    assert satterthwaite_df(np.array([2.0, -2.0, 0, 0, 0, 0, 0, 0])) == pytest.approx(2)
    assert satterthwaite_df(np.zeros(5)) == 4
    n = pd.Series([20, 35, 12, 50])
    assert clustered_proportion(n, n, small_sample=True).ci_low == clustered_proportion(n, n).ci_low  # exactly 1


def test_small_sample_share_covers_near_one_where_misses_sit_in_a_few_groups_and_stays_near_95_inside():
    """Simulation with known truth: 80 groups, 1 in 10 a group where 30% of weeks miss (truth 0.97).

    The normal interval on the clustered variance under-covers there (about 90%); Student t on
    Satterthwaite's degrees of freedom restores about 95%, and where groups share the variance
    (a share of a half, every group alike) it is the normal interval within a hair.
    """
    rng = np.random.default_rng(7)

    def coverage(failing: float, low_share: float, reps: int = 800) -> tuple[float, float]:
        hits = np.zeros(2)
        kept = 0
        truth = failing * low_share + (1 - failing)
        for _ in range(reps):
            n = pd.Series(rng.integers(5, 40, 80))
            s = pd.Series(rng.binomial(n, np.where(rng.random(80) < failing, low_share, 1.0)))
            if s.sum() == n.sum():
                continue
            kept += 1
            for k, small in enumerate((False, True)):
                share = clustered_proportion(s, n, small_sample=small)
                hits[k] += share.ci_low <= truth <= share.ci_high
        return hits[0] / kept, hits[1] / kept

    normal, small = coverage(0.1, 0.7)
    assert normal < 0.92 and 0.93 <= small <= 0.98
    normal, small = coverage(1.0, 0.5)
    assert abs(small - normal) < 0.01 and 0.93 <= small <= 0.97
