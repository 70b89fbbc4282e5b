"""Study 5 (operations): Lexis cells, group-day states and welcome policy by hand; planted effects recovered.

References: the Lexis split against a brute-force integral on a fine time grid; the agent-clustered
covariance against statsmodels' cluster sandwich of the dummy-per-group Poisson GLM; the study's
estimates against the planted truth of the default world (and 1 in the null world).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from helpers import open_dataset
from helpers.calibrate.run import HEADLINE_TRUTH
from helpers.data.event_time import data_end
from helpers.stats import conditional_poisson
from helpers.studies.operations import summarise
from helpers.studies.operations.cells import lexis_cells, overloaded, present, sparse_activities
from helpers.studies.operations.effects import HEADLINE
from helpers.studies.operations.grid import collect
from helpers.studies.operations.welcome import welcome_policy
from helpers.synth import generate


def _brute_force(joined, left, end, edges, n_days, horizon=np.inf, step=1e-3):
    """Member-days per band and day by summing a fine grid of instants (the reference for the Lexis split)."""
    out = np.zeros((len(edges), n_days))
    upper = np.append(np.asarray(edges[1:], float), np.inf)
    for j, out_at in zip(joined, left, strict=True):
        stop = min(out_at, end, j + horizon)
        t = np.arange(j, stop, step) + step / 2
        t = t[t < stop]
        band = np.searchsorted(upper, t - j, side="right")
        np.add.at(out, (band, np.floor(t).astype(int)), step)
    return out


def test_lexis_cells_match_a_fine_grid_and_count_each_exit_once():
    rng = np.random.default_rng(5)
    joined = rng.uniform(0, 8, 12)
    left = np.where(rng.random(12) < 0.6, joined + rng.exponential(4, 12), np.inf)
    end, edges = 15.5, (0.0, 2.0, 4.0, 7.0)
    cells, daily = lexis_cells(np.zeros(12, int), joined, left, end, edges, 1)
    exposure = np.zeros((len(edges), 16))
    np.add.at(exposure, (cells.band, cells.day), cells.days)
    np.testing.assert_allclose(exposure, _brute_force(joined, left, end, edges, 16), atol=2e-3)
    np.testing.assert_allclose(daily[0], exposure.sum(axis=0))
    assert cells.exits.sum() == np.sum(left <= end)
    upper = np.array([2.0, 4.0, 7.0, np.inf])
    for j, out_at in zip(joined, left, strict=True):
        if out_at <= end:  # the exit sits in the band and on the day it happened
            band = int(np.searchsorted(upper, out_at - j, side="right"))
            hit = (cells.band == band) & (cells.day == int(np.floor(out_at)))
            assert cells.exits[hit].sum() >= 1
    horizon, _ = lexis_cells(np.zeros(12, int), joined, left, end, edges, 1, horizon=3.0)
    assert horizon.exits.sum() == np.sum((left <= end) & (left - joined <= 3.0))
    assert horizon.days.sum() == pytest.approx(np.minimum(np.minimum(left, end), joined + 3).sum() - joined.sum())


def test_present_sparse_and_overloaded_by_hand():
    # group 0: stays [0.5, 2.2) and [1.0, open); group 1: [0.1, 0.9)
    presence = present(np.array([0, 0, 1]), np.array([0.5, 1.0, 0.1]), np.array([2.2, np.inf, 0.9]), 2, 4)
    np.testing.assert_array_equal(presence, [[1, 2, 2, 1], [1, 0, 0, 0]])
    big = np.full((3, 2), 6000.0)
    over, load = overloaded(big, np.array([0, 0, -1]))  # two groups of agent 0, one group without an agent
    np.testing.assert_array_equal(load, [[12000, 12000]])
    np.testing.assert_array_equal(over, [[True, True], [True, True], [False, False]])
    starts = np.zeros((1, 70))
    starts[0, [0, 10, 45]] = 1  # activities on days 0, 10 and 45
    recent, sparse = sparse_activities(starts, np.array([0.0]))
    # the 30 days before day d are days d-30 .. d-1
    assert recent[0, 30] == 2 and recent[0, 31] == 1 and recent[0, 11] == 2 and recent[0, 46] == 1
    assert not sparse[0, :30].any()  # younger than 30 days: never sparse
    assert not sparse[0, 30] and sparse[0, 31] and sparse[0, 46]


def test_welcome_policy_tells_spaced_from_one_per_join():
    per_join = 1 + np.cumsum(np.full(8, 4.0)) / 1440  # every 4 minutes
    spaced = 1 + np.cumsum(np.full(8, 20.0)) / 1440  # every 20 minutes
    welcomes = pd.DataFrame({"group_id": ["a"] * 8 + ["b"] * 8 + ["c"], "at": np.r_[per_join, spaced, 1.0]})
    policy = welcome_policy(welcomes).set_index("group_id")
    assert not policy.loc["a", "spaced"] and policy.loc["b", "spaced"]
    assert policy.loc["b", "median_gap_minutes"] == pytest.approx(20.0)
    assert "c" not in policy.index  # one welcome: no gap to judge


def test_agent_clusters_are_statsmodels_cluster_sandwich_of_the_dummy_glm():
    rng = np.random.default_rng(9)
    strata = np.repeat(np.arange(30), 20)
    agent_of = rng.integers(0, 8, 30)
    X = rng.normal(size=(len(strata), 2))
    exposure = rng.uniform(0.5, 2, len(strata))
    exits = rng.poisson(exposure * np.exp(rng.normal(size=30)[strata] + X @ [0.2, -0.3])).astype(float)
    fit = conditional_poisson.fit(exits, exposure, X, strata)
    own, _ = conditional_poisson.clustered_covariance(fit, np.full(30, -1))
    np.testing.assert_allclose(own, fit.robust_covariance(), rtol=1e-10)
    pooled, used = conditional_poisson.clustered_covariance(fit, agent_of)
    design = np.column_stack([X, np.eye(30)[strata]])
    reference = sm.GLM(exits, design, family=sm.families.Poisson(), offset=np.log(exposure)).fit(
        tol=1e-12, cov_type="cluster", cov_kwds={"groups": agent_of[strata], "use_correction": False}
    )
    assert used == len(np.unique(agent_of))
    np.testing.assert_allclose(pooled * (used - 1) / used, reference.cov_params()[:2, :2], rtol=1e-6)


@pytest.fixture(scope="module")
def planted(planted_world):
    return summarise(open_dataset(planted_world.path)), planted_world.truth


def test_the_overload_the_study_sees_is_the_overload_the_generator_planted(planted_world):
    """Each arm is simulated on its own; agents dealt within an arm make their planted load observable."""
    ds = open_dataset(planted_world.path)
    data = collect(ds, data_end(ds.tables))
    planted_days = planted_world.truth["planted_effects"]["operations"]["member_days_overloaded_agent"]
    assert planted_days > 0
    assert float((data.member_days * data.over).sum()) == pytest.approx(planted_days, rel=1e-9)
    arms = ds.tables.assignments.to_pandas().set_index("group_id")["arm"].reindex(data.groups["group_id"]).to_numpy()
    for agent in np.unique(data.agent[data.agent >= 0]):
        assert len(set(arms[data.agent == agent])) == 1


def test_planted_operations_effects_are_recovered_on_the_default_world(planted):
    result, truth = planted
    expected = {key: HEADLINE_TRUTH[("operations", key)](truth) for key in HEADLINE}
    for key in HEADLINE:
        e = result.headline[key]
        assert not e.not_estimable, (key, e.why_not)
        assert e.covers(expected[key]), (key, e, expected[key])
    verdicts = {v.claim_id: v.verdict for v in result.verdicts}
    assert (
        verdicts
        == {c: truth["claims"][c]["truth"] for c in verdicts}
        == {"welcome_pacing": "supported", "staffing": "supported", "activity_cadence": "supported"}
    )


def test_nothing_is_found_in_the_null_world(null_world):
    result = summarise(open_dataset(null_world.path))
    for key in HEADLINE:
        e = result.headline[key]
        assert e.not_estimable or e.covers(1.0), (key, e)
    assert all(v.verdict != "supported" for v in result.verdicts)


def test_data_without_activities_or_conversions_says_not_measurable(tmp_path):
    path = tmp_path / "data"
    generate(path, n_groups=60, seed=4, months=5, progress=False)
    for table in ("activities", "activity_participants", "conversions"):
        shutil.rmtree(path / table)
    result = summarise(open_dataset(path))
    for key in ("activity_sparse_hazard_ratio", "activity_day_message_ratio"):
        assert "no activities table" in result.headline[key].why_not
    assert "no conversions table" in result.headline["activity_sparse_conversion_ratio"].why_not
    cadence = {v.claim_id: v for v in result.verdicts}["activity_cadence"]
    assert cadence.verdict == "inconclusive" and "no activities table" in cadence.reason
    assert result.tables["cadence"].empty and "activities" in result.notes["cadence"]
