"""Study 4: randomisation, SRM and balance, arm effects that cover the planted truth, A/A calibration, power."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from helpers import open_dataset
from helpers.measures.group_week import group_week_panel
from helpers.studies.experiment import measures as experiment
from helpers.studies.experiment import models, net_value

from conftest import TRUTH_KEYS

ARMS = ("promo_low", "promo_high")
"""Our outcomes and their names in truth.json (the interaction rate has no planted value)."""


def _outcomes(world) -> pd.DataFrame:
    tables = open_dataset(world.path).tables
    return experiment.add_interaction(experiment.group_outcomes(tables, "content_ratio"), group_week_panel(tables))


@pytest.fixture(scope="module")
def planted(planted_world) -> pd.DataFrame:
    return _outcomes(planted_world)


@pytest.fixture(scope="module")
def null(null_world) -> pd.DataFrame:
    return _outcomes(null_world)


def test_randomise_is_stratified_balanced_and_reproducible():
    units = pd.DataFrame(
        {
            "group_id": [f"g{i}" for i in range(120)],
            "channel": ["a", "b", "c"] * 40,
            "band": ["small"] * 60 + ["big"] * 60,
        }
    )
    first = experiment.randomise(units, ["control", "x", "y"], ["channel", "band"], 7, "e", pd.Timestamp("2025-01-01"))
    again = experiment.randomise(units, ["control", "x", "y"], ["channel", "band"], 7, "e", pd.Timestamp("2025-01-01"))
    assert first.equals(again)
    counts = first.groupby(["stratum", "arm"]).size().unstack()
    assert (counts.max(axis=1) - counts.min(axis=1)).max() <= 1  # every stratum balanced up to one block
    other = experiment.randomise(units, ["control", "x", "y"], ["channel", "band"], 8, "e", pd.Timestamp("2025-01-01"))
    assert not first["arm"].equals(other["arm"])
    assert list(first.columns) == ["experiment", "group_id", "arm", "assigned_at", "stratum"]


def test_each_arm_effect_covers_its_true_value(planted_world, planted):
    truth = planted_world.truth["planted_effects"]["content_ratio_experiment"]["true_values"]["effects"]
    for arm in ARMS:
        for outcome, key in TRUTH_KEYS.items():
            for cuped in (False, True):
                effect = models.arm_effect(planted, outcome, arm, "control", cuped=cuped).effect
                assert effect.covers(truth[f"{arm}_vs_control"][key]), (arm, outcome, cuped, effect)
    high = models.arm_effect(planted, "exit_30d", "promo_high", "control", stage="launch").effect
    assert high.covers(truth["promo_high_vs_control"]["exit_30d_members_launch"]) and high.ci_low > 0


def test_cuped_narrows_the_interval(planted):
    plain = models.arm_effect(planted, "messages_per_member_week", "promo_high", "control", cuped=False)
    adjusted = models.arm_effect(planted, "messages_per_member_week", "promo_high", "control", cuped=True)
    width = lambda e: e.effect.ci_high - e.effect.ci_low  # noqa: E731
    assert width(adjusted) < width(plain) and adjusted.variance_reduction > 0


def test_cuped_variance_reduction_matches_the_squared_correlation():
    """Simulation with known truth: group rates whose pre-period predicts the post-period with correlation rho.

    CUPED's (jackknife) variance reduction should be about rho^2; the point estimate stays
    unbiased; with a useless pre-period it must not claim a reduction (theta is refitted
    in every jackknife replicate, so its own noise counts).
    """
    rng = np.random.default_rng(5)
    rho, groups, members = 0.8, 400, 200
    base = rng.normal(0.3, 0.05, groups)
    pre_rate = np.clip(base + rng.normal(0, 0.05 * np.sqrt(1 / rho**2 - 1), groups), 0.01, 0.99)
    frame = pd.DataFrame(
        {
            "arm": np.where(np.arange(groups) % 2 == 0, "control", "treated"),
            "members": members,
            "exits": np.round(np.clip(base, 0, 1) * members),
            "pre_members": members,
            "pre_exits": np.round(pre_rate * members),
        }
    )
    plain = models.arm_effect(frame, "exit_30d", "treated", "control", cuped=False)
    adjusted = models.arm_effect(frame, "exit_30d", "treated", "control", cuped=True)
    observed_rho = np.corrcoef(frame["exits"], frame["pre_exits"])[0, 1]
    assert adjusted.variance_reduction == pytest.approx(observed_rho**2, abs=0.05)
    assert adjusted.effect.covers(0.0) and plain.effect.covers(0.0)  # no treatment effect planted
    useless = frame.assign(pre_exits=rng.permutation(frame["pre_exits"].to_numpy()))
    assert models.arm_effect(useless, "exit_30d", "treated", "control", cuped=True).variance_reduction < 0.02


def _aa_rejections(frame: pd.DataFrame, runs: int, option: str) -> dict[bool, int]:
    """Stratified two-arm re-randomisations of ``frame``: how many exit effects are significant at 5%, per ``option``."""
    hits = {False: 0, True: 0}
    for seed in range(runs):
        arms = experiment.randomise(frame, ["control", "treated"], ["stratum"], seed, "aa", pd.Timestamp(0))
        shuffled = frame.assign(arm=arms["arm"].to_numpy())
        for value in hits:
            hits[value] += (
                models.arm_effect(shuffled, "exit_30d", "treated", "control", **{option: value}).p_value < 0.05
            )
    return hits


def test_aa_experiments_reject_at_about_alpha(null):
    """1,000 stratified re-randomisations of the null world's groups: about 5% significant at alpha 5%."""
    runs = 1000
    for cuped, count in _aa_rejections(null.reset_index(drop=True), runs, "cuped").items():
        assert abs(count / runs - 0.05) <= 0.02, (cuped, count / runs)


def test_null_world_experiment_finds_no_effects(null):
    effects = [models.arm_effect(null, outcome, arm, "control") for outcome in models.OUTCOMES for arm in ARMS]
    corrected = models.correct(effects, "holm")
    assert all(e.adjusted_p >= e.p_value for e in corrected)
    assert sum(e.adjusted_p < 0.05 for e in corrected) == 0


def test_srm_flags_a_broken_split(planted):
    assert models.srm_test(planted).p_value > 0.01
    broken = planted[~((planted["arm"] == "control") & (planted.index % 3 == 0))]  # a third of control lost
    assert models.srm_test(broken).p_value < 0.001


def test_balance_of_pre_period_covariates(planted):
    table = models.balance_table(planted, ["age_at_assignment_days", "pre_members"], "control")
    assert (table[[c for c in table.columns if c.startswith("std diff")]].abs() < 0.2).all().all()


def test_mde_gives_the_planned_power_in_simulation():
    """Clustered binary data with a known ICC: at the computed MDE, about 80% of simulated trials are significant."""
    rng = np.random.default_rng(11)
    k, icc, p0, cv = 60, 0.03, 0.25, 0.6
    sizes_for = lambda: np.maximum(5, rng.gamma(1 / cv**2, 80 * cv**2, 2 * k)).round()  # noqa: E731
    mde = models.minimum_detectable_effect(k, 80, cv, icc, np.sqrt(p0 * (1 - p0)))
    concentration = 1 / icc - 1  # beta-binomial: ICC = 1 / (a + b + 1)
    significant, runs = 0, 400
    for _ in range(runs):
        sizes = sizes_for()
        means = np.r_[np.full(k, p0), np.full(k, p0 + mde)]
        rates = rng.beta(means * concentration, (1 - means) * concentration)
        frame = pd.DataFrame(
            {
                "arm": ["control"] * k + ["treated"] * k,
                "members": sizes,
                "exits": rng.binomial(sizes.astype(int), rates),
                "pre_exits": 0,
                "pre_members": 0,
            }
        )
        significant += models.arm_effect(frame, "exit_30d", "treated", "control", cuped=False).p_value < 0.05
    assert abs(significant / runs - 0.8) <= 0.07
    sizes = sizes_for()
    totals = rng.binomial(sizes.astype(int), rng.beta(p0 * concentration, (1 - p0) * concentration, len(sizes)))
    assert models.icc_anova(pd.Series(totals), pd.Series(sizes)) == pytest.approx(icc, abs=0.02)


def test_corrections_differ_as_they_should():
    effects = [models.ArmEffect("o", f"a{i}", 0, 0, None, p, False, 0.0) for i, p in enumerate([0.01, 0.02, 0.03, 0.5])]
    holm = [e.adjusted_p for e in models.correct(effects, "holm")]
    bh = [e.adjusted_p for e in models.correct(effects, "bh")]
    assert holm == pytest.approx([0.04, 0.06, 0.06, 0.5]) and bh == pytest.approx([0.04, 0.04, 0.04, 0.5])
    with pytest.raises(ValueError, match="correction"):
        models.correct(effects, "bonferonni")


def test_jackknife_variance_equals_refitting_without_each_group():
    """Reference: the jackknife by brute force. Drop each group, rerun the whole CUPED estimator (theta and the
    pooled pre-period refitted), and combine the replicates per arm; the O(groups) sums must give the same SE."""
    rng = np.random.default_rng(3)
    n = 23
    members = rng.integers(5, 60, n)
    pre_members = np.where(rng.random(n) < 0.3, 0, rng.integers(5, 60, n))  # some groups have no pre-period
    frame = pd.DataFrame(
        {
            "arm": np.where(np.arange(n) < 11, "control", "treated"),
            "members": members,
            "exits": rng.binomial(members, 0.2),
            "pre_members": pre_members,
            "pre_exits": rng.binomial(pre_members, 0.2),
        }
    )
    for cuped in (False, True):
        full = models.arm_effect(frame, "exit_30d", "treated", "control", cuped=cuped)
        parts, counts = [], []
        for arm in ("treated", "control"):
            rows = frame.index[frame["arm"] == arm]
            values = np.array(
                [
                    models.arm_effect(frame.drop(index=i), "exit_30d", "treated", "control", cuped=cuped).effect.value
                    for i in rows
                ]
            )
            parts.append((len(rows) - 1) / len(rows) * ((values - values.mean()) ** 2).sum())
            counts.append(len(rows))
        dof = sum(parts) ** 2 / sum(v**2 / (n - 1) for v, n in zip(parts, counts))  # Welch-Satterthwaite
        assert 10 <= full.dof <= 21 and full.dof == pytest.approx(dof, rel=1e-9)
        q = student_t.ppf(0.975, dof)
        assert full.effect.ci_high - full.effect.value == pytest.approx(q * np.sqrt(sum(parts)), rel=1e-9)


def _stratified_groups(rng: np.random.Generator, strata: int = 12, per_stratum: int = 6) -> pd.DataFrame:
    """Groups whose exit rates differ strongly between strata and little within them, no treatment effect."""
    stratum = np.repeat(np.arange(strata), per_stratum)
    members = rng.integers(30, 120, len(stratum))
    rate = np.clip(np.linspace(0.05, 0.45, strata)[stratum] + rng.normal(0, 0.02, len(stratum)), 0.01, 0.99)
    return pd.DataFrame(
        {
            "group_id": [f"g{i}" for i in range(len(stratum))],
            "stratum": [f"s{s}" for s in stratum],
            "members": members,
            "exits": rng.binomial(members, rate),
            "pre_members": 0,
            "pre_exits": 0,
        }
    )


def test_stratified_jackknife_rejects_a_stratified_aa_at_alpha():
    """Simulation with known truth: strata that explain most of the outcome, randomised within strata (A/A).

    The design removes the between-strata variance from the difference, so the plain
    jackknife (which counts it) is far too wide; the stratified one rejects about 5%.
    """
    frame = _stratified_groups(np.random.default_rng(11))
    runs = 400
    rejected = _aa_rejections(frame, runs, "stratified")
    assert abs(rejected[True] / runs - 0.05) <= 0.025, rejected
    assert rejected[False] / runs < 0.01, rejected
    labelled = models.arm_effect(
        frame.assign(arm=["control", "treated"] * (len(frame) // 2)), "exit_30d", "treated", "control"
    )
    assert "stratified jackknife" in labelled.effect.method


def test_one_stratum_or_lone_groups_give_the_plain_jackknife():
    """A single stratum label, or strata of one group each (collapsed into one cell), is the unstratified jackknife."""
    rng = np.random.default_rng(4)
    frame = _stratified_groups(rng, strata=20, per_stratum=1).assign(arm=["control", "treated"] * 10)
    plain = models.arm_effect(frame, "exit_30d", "treated", "control", stratified=False)
    for strata in (frame["stratum"], "all"):
        same = models.arm_effect(frame.assign(stratum=strata), "exit_30d", "treated", "control")
        assert same.effect.ci_low == pytest.approx(plain.effect.ci_low, rel=1e-12)
        assert same.dof == pytest.approx(plain.dof, rel=1e-12)


def test_jackknife_cells_collapse_lone_groups():
    cells = models._cells(np.array(["a", "a", "b", "c", "d", "d", "d"]))
    assert cells[0] == cells[1] and cells[4] == cells[5] == cells[6]
    assert cells[2] == cells[3] and cells[2] not in (cells[0], cells[4])  # lone groups pooled
    one_lone = models._cells(np.array(["a", "a", "b", "b", "b", "c"]))
    assert one_lone[5] == one_lone[2]  # a single lone group joins the largest stratum


def test_an_arm_with_one_group_is_not_estimable_and_says_why():
    frame = pd.DataFrame({"arm": ["control", "treated", "treated"], "members": [10, 12, 9], "exits": [2, 3, 1]}).assign(
        pre_members=0, pre_exits=0
    )
    effect = models.arm_effect(frame, "exit_30d", "treated", "control")
    assert (
        effect.effect.not_estimable
        and "fewer than two groups" in effect.effect.why_not
        and "control" in effect.effect.why_not
    )


def test_net_value_by_hand():
    """Closed form: control 1 a member-week and 10% 30-day exits is worth 1 / h; promo 2 a week and 30% exits."""
    groups = pd.DataFrame(
        {
            "arm": ["control"] * 20 + ["promo_high"] * 20,
            "post_value": [10.0] * 20 + [20.0] * 20,
            "post_member_days": [70.0] * 40,
            "exits": [10] * 20 + [30] * 20,
            "members": [100] * 40,
        }
    )
    worth = net_value.net_value(groups, "control", horizon_weeks=26, reps=50)
    h_control, h_promo = -math.log(0.9) * 7 / 30, -math.log(0.7) * 7 / 30
    promo = 2 * (1 - math.exp(-26 * h_promo)) / h_promo + math.exp(-26 * h_promo) / h_control
    assert worth.differences["promo_high"].value == pytest.approx(promo - 1 / h_control, rel=1e-9)
    assert worth.best_arm == "control" and worth.best_share == 1.0  # identical groups: every resample agrees
    assert "50 of 50 resamples" in worth.differences["promo_high"].method


def _arm_groups(rng: np.random.Generator, arm: str, value: float, exit_share: float) -> pd.DataFrame:
    """260 groups of an arm: binomial 30-day exits, Poisson purchases of lognormal value, group frailty of mean 1."""
    members = rng.integers(20, 200, 260)
    frailty = rng.lognormal(0, 0.3, 260)
    frailty /= np.average(frailty, weights=members)  # the pooled rates stay the planted ones
    exits = rng.binomial(members, np.clip(exit_share * frailty, 0, 1))
    days = members * 30.0
    purchases = rng.poisson(value / (99 * math.exp(0.32)) * days / 7 * frailty)  # lognormal(ln 99, 0.8) mean
    spent = np.array([rng.lognormal(math.log(99), 0.8, k).sum() for k in purchases])
    return pd.DataFrame({"arm": arm, "post_value": spent, "post_member_days": days, "exits": exits, "members": members})


def test_net_value_difference_covers_a_known_truth_at_about_95_percent():
    """Simulation with known truth: 30 experiments whose arms have planted value and exit rates (not the generator)."""
    rates = pd.DataFrame(
        {"value_per_member_week": {"control": 2.4, "promo": 4.6}, "exit_30d": {"control": 0.21, "promo": 0.28}}
    )
    truth = net_value.net_values(rates, "control")
    covered = 0
    for i in range(30):
        rng = np.random.default_rng(100 + i)
        groups = pd.concat([_arm_groups(rng, arm, *rates.loc[arm]) for arm in rates.index])
        covered += (
            net_value.net_value(groups, "control", reps=200, seed=i)
            .differences["promo"]
            .covers(truth["promo"] - truth["control"])
        )
    assert covered >= 26  # 95% coverage gives 26+ of 30 with probability 0.98


def test_best_share_is_the_vertex_of_the_quadratic_through_the_arms_or_an_edge():
    """Closed form: values -(s - 0.2)^2 at shares 0.05, 0.15, 0.35 peak at 0.2; a rising line peaks at the top."""
    shares = pd.Series({"promo_low": 0.05, "control": 0.15, "promo_high": 0.35})
    assert net_value.best_share(shares, -((shares - 0.2) ** 2)) == pytest.approx(0.2)
    assert net_value.best_share(shares, shares * 10) == pytest.approx(0.35)
    assert (
        net_value.best_share(shares[["control", "promo_high"]], pd.Series({"control": 2.0, "promo_high": 1.0})) == 0.15
    )


def test_net_value_without_a_measurable_control_says_why():
    groups = pd.DataFrame(
        {
            "arm": ["control", "promo"],
            "post_value": [1.0, 2.0],
            "post_member_days": [0.0, 7.0],
            "exits": [0, 1],
            "members": [0, 5],
        }
    )
    worth = net_value.net_value(groups, "control", reps=10)
    assert worth.best_arm is None and worth.differences["promo"].not_estimable
    assert "control" in worth.promo_share.why_not
