"""Delayed entry, cluster-robust log-rank, RMST and cumulative incidence against R, closed forms and simulation.

Reference: tests/fixtures/r/survival_methods.json, written once by survival_methods.R (R 4.2.2,
survival 3.5.3, cmprsk 2.2.11; Debian's r-base-core, r-cran-survival, r-cran-cmprsk) on the
synthetic survival_methods.csv (make_survival_methods.py): 1,200 stays in 60 clusters, a third
entering late, half-day ties, two competing causes.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.stats.competing_risks import cumulative_incidence
from helpers.stats.cox import fit_cox, score_test
from helpers.stats.restricted_mean import restricted_mean
from helpers.stats.survival import kaplan_meier, logrank, n_day_retention

from conftest import DATA

R = json.loads((DATA / "r" / "survival_methods.json").read_text())
FRAME = pd.read_csv(DATA / "r" / "survival_methods.csv")
ARMS = ["control", "promo_low", "promo_high"]
CAUSES = {1: "quit", 2: "removed"}


def _members(entry: bool) -> pd.DataFrame:
    """The fixture as a member table: duration, left, group, arm, cause and (optionally) delayed entry."""
    return pd.DataFrame(
        {
            "duration_days": FRAME["t"],
            "left": FRAME["status"] > 0,
            "cause": FRAME["status"],
            "group_id": FRAME["g"],
            "arm": FRAME["arm"],
            "entry_days": FRAME["entry"] if entry else 0.0,
        }
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_with_delayed_entry_equals_r_coxph_counting_process(ties: str):
    fit = fit_cox(
        FRAME["t"],
        FRAME["status"] > 0,
        FRAME[["a", "b"]].to_numpy(float),
        ["a", "b"],
        FRAME["g"].to_numpy(),
        entry=FRAME["entry"].to_numpy(),
        ties=ties,
    )
    r = R[f"cox_entry_{ties}"]
    np.testing.assert_allclose(fit.params.to_numpy(), r["coef"], rtol=1e-9)
    np.testing.assert_allclose(fit.standard_errors, r["robust_se"], rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.variance)), r["model_se"], rtol=1e-9)
    assert fit.log_likelihood == pytest.approx(r["loglik"], rel=1e-12)


def test_entry_at_or_after_the_exit_is_refused():
    with pytest.raises(ValueError, match="entry"):
        fit_cox([1.0, 2.0], [1, 1], np.array([[0.0], [1.0]]), ["x"], entry=np.array([1.0, 0.0]))


@pytest.mark.parametrize("entry", [False, True])
def test_score_tests_equal_r_naive_and_cluster_robust(entry: bool):
    codes = pd.get_dummies(FRAME["arm"])[["promo_low", "promo_high"]].to_numpy(float)
    test = score_test(
        FRAME["t"], FRAME["status"] > 0, codes, FRAME["g"].to_numpy(), FRAME["entry"].to_numpy() if entry else None
    )
    key = "entry_" if entry else ""
    assert test.statistic == pytest.approx(R["logrank"][f"{key}score"], rel=1e-9)
    assert test.robust_statistic == pytest.approx(R["logrank"][f"{key}robust_score"], rel=1e-9)


def test_logrank_is_survdiff_naive_and_coxph_robust_by_group():
    test = logrank(_members(entry=False), "arm")
    assert test.statistic == pytest.approx(R["logrank"]["survdiff"], rel=1e-9)
    assert test.robust_statistic == pytest.approx(R["logrank"]["robust_score"], rel=1e-9)
    assert test.df == 2 and test.groups == 60
    assert test.robust_p_value > test.p_value  # groups share a frailty here: the naive test is overconfident
    late = logrank(_members(entry=True), "arm")
    assert late.statistic == pytest.approx(R["logrank"]["entry_score"], rel=1e-9)
    assert late.robust_statistic == pytest.approx(R["logrank"]["entry_robust_score"], rel=1e-9)


def test_kaplan_meier_with_delayed_entry_equals_r_survfit():
    km = kaplan_meier(_members(entry=True), at_risk_days=(0,))
    r = R["km_entry"]
    curve = km.curves.set_index("days")
    rows = [curve.index[curve.index <= t].max() for t in r["times"]]
    np.testing.assert_allclose(curve.loc[rows, "survival"], r["surv"], rtol=1e-9)
    np.testing.assert_allclose(curve.loc[rows, "ci_low"], r["lower"], rtol=1e-9)
    np.testing.assert_allclose(curve.loc[rows, "ci_high"], r["upper"], rtol=1e-9)
    median = km.medians.iloc[0]
    assert [median["median_days"], median["ci_low"], median["ci_high"]] == [r["median"], *r["median_ci"]]


@pytest.mark.parametrize("kind", ["plain", "entry"])
def test_rmst_and_its_clustered_errors_equal_r_influence_collapsed_by_group(kind: str):
    result = restricted_mean(_members(entry=kind == "entry"), 90, by="arm", reference="control")
    r = R[f"rmst_clustered_{kind}"]
    levels = result.levels.set_index("level").loc[ARMS]
    np.testing.assert_allclose(levels["rmst"], r["rmean"], rtol=1e-9)
    np.testing.assert_allclose(levels["se"], r["se"], rtol=1e-9)
    differences = result.differences.set_index("level").loc[ARMS[1:]]
    np.testing.assert_allclose(differences["difference"], np.array(r["rmean"][1:]) - r["rmean"][0], rtol=1e-9)
    np.testing.assert_allclose(differences["se"], r["diff_se"], rtol=1e-9)


def test_rmst_unclustered_error_equals_r_summary_rmean():
    result = restricted_mean(_members(entry=False), 90, by="arm", cluster=None)
    np.testing.assert_allclose(result.levels.set_index("level").loc[ARMS, "se"], R["rmst_plain"]["se"], rtol=1e-9)


def test_rmst_is_not_estimable_without_exits_or_follow_up():
    members = _members(entry=False)
    flat = restricted_mean(members.assign(left=False), 90)
    assert flat.estimate().not_estimable and "no member left" in flat.estimate().why_not
    short = restricted_mean(members, 500)
    assert short.estimate().not_estimable and "follow-up ends" in short.estimate().why_not
    one_group = restricted_mean(members.assign(group_id=1), 90)
    assert "two groups" in one_group.estimate().why_not
    ok = restricted_mean(members, 90).estimate()
    assert ok.ci_low < ok.value < ok.ci_high and ok.n == len(members)


def test_cumulative_incidence_equals_cmprsk_cuminc_per_arm():
    result = cumulative_incidence(_members(entry=False), CAUSES, tuple(R["cuminc"]["times"]), by="arm").table
    ours = result.set_index(["level", "cause"])
    for key, estimate in zip(R["cuminc"]["keys"], R["cuminc"]["est"], strict=True):
        arm, cause = key.split(" ")
        np.testing.assert_allclose(ours.loc[(arm, CAUSES[int(cause)]), "incidence"], estimate, rtol=1e-9)


@pytest.mark.parametrize(("kind", "cluster"), [("entry", None), ("cluster", "group_id")])
def test_cumulative_incidence_and_ij_errors_equal_r_multistate_survfit(kind: str, cluster: str | None):
    r = R[f"aalen_johansen_{kind}"]
    members = _members(entry=kind == "entry")
    table = cumulative_incidence(members, CAUSES, tuple(r["times"]), cluster=cluster).table
    incidence = table["incidence"].to_numpy().reshape(2, -1)  # quit, removed (R's states 2 and 3)
    np.testing.assert_allclose(incidence, np.array(r["pstate"][1:]), rtol=1e-9)
    np.testing.assert_allclose(table["se"].to_numpy().reshape(2, -1), np.array(r["std"][1:]), rtol=1e-9)


def test_incidences_add_up_to_one_minus_kaplan_meier():
    members = _members(entry=True)
    table = cumulative_incidence(members, CAUSES, (30,), cluster=None).table
    km = kaplan_meier(members).curves.set_index("days")["survival"]
    assert table["incidence"].sum() == pytest.approx(1 - km.loc[km.index <= 30].iloc[-1], rel=1e-12)


def test_a_way_nobody_took_has_no_interval():
    members = _members(entry=False)
    members["cause"] = members["cause"].where(members["cause"] != 2, 1)
    table = cumulative_incidence(members, CAUSES, (30,)).table.set_index("cause")
    assert table.loc["removed", "incidence"] == 0 and np.isnan(table.loc["removed", "ci_high"])
    assert "none observed" in table.loc["removed", "reason"]
    none_left = cumulative_incidence(members.assign(cause=0), CAUSES)
    assert none_left.table.empty and "no member left" in none_left.reason


def _truncated_world(seed: int, members: int = 6000) -> tuple[pd.DataFrame, float]:
    """Exponential stays (rate 1/60 per day) joined over two years, seen only from day 365 on; true S(t) known."""
    rng = np.random.default_rng(seed)
    rate = 1 / 60
    joined = rng.uniform(0, 730, members)
    ends = joined + rng.exponential(1 / rate, members)
    window_start, window_end = 365.0, 730.0
    seen = ends > window_start  # stays over before the window are not in the data at all
    joined, ends = joined[seen], ends[seen]
    stop = np.minimum(ends, window_end)
    frame = pd.DataFrame(
        {
            "duration_days": stop - joined,
            "left": ends <= window_end,
            "entry_days": np.maximum(window_start - joined, 0.0),
            "group_id": rng.integers(0, 100, len(joined)),
            "joined_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(joined, unit="D"),
        }
    )
    return frame, rate


def test_delayed_entry_removes_the_survivor_bias_of_a_truncated_export():
    """Simulation with known truth: S(60) = exp(-1); ignoring truncation inflates it, delayed entry recovers it."""
    truth = np.exp(-1.0)
    covered, naive_high = 0, 0
    for seed in range(20):
        frame, _ = _truncated_world(seed)
        km = kaplan_meier(frame).curves.set_index("days")
        at = km.loc[km.index <= 60].iloc[-1]
        covered += at["ci_low"] <= truth <= at["ci_high"]
        naive = kaplan_meier(frame.assign(entry_days=0.0)).curves.set_index("days")
        naive_high += naive.loc[naive.index <= 60, "survival"].iloc[-1] > truth + 0.03
    assert covered >= 17  # 95% intervals: 19 of 20 expected
    assert naive_high == 20


def test_rmst_with_delayed_entry_recovers_the_closed_form():
    """RMST of an exponential to tau is (1 - exp(-rate tau)) / rate; the clustered CI covers it."""
    covered = 0
    for seed in range(20):
        frame, rate = _truncated_world(100 + seed)
        estimate = restricted_mean(frame, 90).estimate()
        covered += estimate.covers((1 - np.exp(-rate * 90)) / rate)
    assert covered >= 17


def test_n_day_retention_counts_only_stays_seen_from_their_join():
    frame, _ = _truncated_world(7)
    end = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=730)
    everyone = n_day_retention(frame.assign(entry_days=0.0), 30, end).iloc[0]
    seen = n_day_retention(frame, 30, end).iloc[0]
    old_enough = frame["joined_at"] <= end - pd.Timedelta(days=30)
    assert seen["members"] == int(((frame["entry_days"] == 0) & old_enough).sum()) < everyone["members"]
    assert seen["retention"] == pytest.approx(np.exp(-30 / 60), abs=0.03)
    assert everyone["retention"] > seen["retention"] + 0.03  # the truncated stays had all survived to be seen


def test_rmst_differences_from_a_missing_reference_say_why():
    result = restricted_mean(_members(entry=False), 90, by="arm", reference="nobody")
    assert result.differences["difference"].isna().all()
    assert result.differences["reason"].str.contains("no member stays").all()


def test_a_level_difference_as_an_estimate_carries_the_r_checked_interval():
    result = restricted_mean(_members(entry=False), 90, by="arm", reference="control")
    gap = result.difference("promo_high")
    row = result.differences.set_index("level").loc["promo_high"]
    assert (gap.value, gap.ci_low, gap.ci_high) == (row["difference"], row["ci_low"], row["ci_high"])
    assert gap.n == int((FRAME["arm"].isin(["promo_high", "control"])).sum())
    assert result.difference("control").not_estimable  # the reference has no difference from itself
