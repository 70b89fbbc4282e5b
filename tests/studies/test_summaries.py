"""Each study's summarise(): one result object with headline estimates, findings, verdicts and figures.

Checked on a small drawn world (not the default one): the result's shape and its results.json
schema, that findings cite only headline estimates, that verdicts name registered claims, and
that the claim logic moved out of the scorecard (claim 4) still judges as before.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from helpers import open_dataset
from helpers.claims.registry import CLAIMS, judge, not_testable
from helpers.data.atomic import json_default
from helpers.stats.clustered import clustered_proportion, clustered_ratio, wilson_clustered
from helpers.stats.estimate import Estimate
from helpers.stats.survival import logrank
from helpers.studies.experiment import ExperimentParams
from helpers.studies.experiment.summary import summarise as experiment_summary
from helpers.studies.experiment.verdicts import content_verdicts
from helpers.studies.operations.summary import summarise as operations_summary
from helpers.studies.overview.summary import summarise as overview_summary
from helpers.studies.recruitment import RecruitmentParams
from helpers.studies.recruitment.summary import summarise as recruitment_summary
from helpers.studies.result import RESULTS_SCHEMA_VERSION, StudyResult
from helpers.studies.retention.models import homogeneity_hazard_ratio
from helpers.studies.retention.summary import summarise as retention_summary
from helpers.studies.size_activity import SizeParams
from helpers.studies.size_activity.findings import size_verdict
from helpers.studies.size_activity.summary import summarise as size_summary
from helpers.synth import generate
from helpers.synth.world import planted

from conftest import ROOT

matplotlib.use("Agg")

STUDIES = {
    "overview": (lambda ds: overview_summary(ds), ()),
    "retention": (lambda ds: retention_summary(ds), ("homophily",)),
    "size_activity": (
        lambda ds: size_summary(ds, SizeParams(bootstrap_reps=20)),
        ("size_band", "koc_above_150", "monitor_share", "peak_hours"),
    ),
    "recruitment": (lambda ds: recruitment_summary(ds, RecruitmentParams(bootstrap_reps=20)), ("recruitment",)),
    "experiment": (lambda ds: experiment_summary(ds, ExperimentParams()), ("content_exits", "content_stage")),
    "operations": (lambda ds: operations_summary(ds), ("welcome_pacing", "staffing", "activity_cadence")),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, StudyResult]:
    """Every study summarised on a small world of 60 groups over 6 months (seed 11)."""
    path = tmp_path_factory.mktemp("small") / "data"
    generate(path, n_groups=60, seed=11, months=6, progress=False)
    ds = open_dataset(path)
    return {name: run(ds) for name, (run, _) in STUDIES.items()}


@pytest.mark.parametrize("study", list(STUDIES))
def test_summarise_returns_a_complete_result(results, study):
    result = results[study]
    assert isinstance(result, StudyResult) and result.study == study and result.title
    assert result.findings and all(f.text for f in result.findings)
    assert all(isinstance(e, Estimate) for e in result.headline.values())
    for finding in result.findings:
        assert set(finding.cites) <= set(result.headline), finding.cites  # a finding cites only headline numbers
    assert tuple(v.claim_id for v in result.verdicts) == STUDIES[study][1]
    assert {v.verdict for v in result.verdicts} <= {"supported", "contradicted", "inconclusive"}
    for name in result.figures:
        figure = result.figure(name)
        assert isinstance(figure, matplotlib.figure.Figure), name
        matplotlib.pyplot.close(figure)


@pytest.mark.parametrize("study", list(STUDIES))
def test_results_json_has_the_documented_schema(results, study):
    document = json.loads(json.dumps(results[study].as_dict(), default=json_default))
    assert document["schema_version"] == RESULTS_SCHEMA_VERSION and document["study"] == study
    assert set(document) == {"schema_version", "study", "title", "headline", "findings", "verdicts", "details"}
    for estimate in document["headline"].values():
        assert {"name", "value", "ci_low", "ci_high", "method", "n", "reason"} <= set(estimate)
    for verdict in document["verdicts"]:
        assert verdict["claim_id"] in CLAIMS and verdict["claim"] == CLAIMS[verdict["claim_id"]].label


def _arms_frame(exit_p: dict[str, dict[str, float]], promo: dict[str, float], groups: int = 60, seed: int = 0):
    """Group outcomes (members and exits per stage) and a panel of promo posts, for arms with known exit rates."""
    rng = np.random.default_rng(seed)
    rows, weeks = [], []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    for arm, by_stage in exit_p.items():
        for g in range(groups):
            row = {"group_id": f"{arm}{g}", "arm": arm, "assigned_at": start}
            for stage in ("launch", "growth", "mature"):
                n = int(rng.integers(20, 60)) if stage in by_stage else 0
                row[f"members_{stage}"] = n
                row[f"exits_{stage}"] = int(rng.binomial(n, by_stage.get(stage, 0.0)))
            row["members"] = sum(row[f"members_{s}"] for s in ("launch", "growth", "mature"))
            row["exits"] = sum(row[f"exits_{s}"] for s in ("launch", "growth", "mature"))
            rows.append(row)
            weeks.append(
                {
                    "group_id": row["group_id"],
                    "week": start,
                    "operator_posts": 100,
                    "promo_posts": int(100 * promo.get(arm, 0.1)),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(weeks)


def _effects_table(groups: pd.DataFrame, control: str = "control") -> pd.DataFrame:
    """Per arm: the exit-rate difference vs control with a normal CI (groups as units), Holm-free p = 0."""
    rate = groups.groupby("arm")[["exits", "members"]].sum()
    rows = []
    for arm in rate.index.drop(control):
        d = (
            rate.loc[arm, "exits"] / rate.loc[arm, "members"]
            - rate.loc[control, "exits"] / rate.loc[control, "members"]
        )
        rows.append(
            {
                "outcome": "exit_30d",
                "arm": arm,
                "effect": d,
                "ci_low": d - 0.01,
                "ci_high": d + 0.01,
                "adjusted_p": 0.0,
                "dof": np.inf,
            }
        )
    return pd.DataFrame(rows)


def test_content_claims_judge_the_most_promotional_arm_by_measured_share():
    """The arm judged is the one that received most promotion, whatever it is called, at the corrected level."""
    groups, panel = _arms_frame(
        {
            "control": {"launch": 0.1, "growth": 0.1},
            "promo_low": {"launch": 0.2, "growth": 0.2},
            "promo_high": {"launch": 0.1, "growth": 0.1},
        },
        {"control": 0.15, "promo_low": 0.40, "promo_high": 0.05},  # 'promo_low' is in fact the most promotional
    )
    table = _effects_table(groups)
    content = content_verdicts(table, groups, panel, "control", "holm", 0.05)
    assert list(content.promo_shares.index) == ["promo_high", "control", "promo_low"]
    assert content.exits.verdict == "supported" and "promo_low" in content.exits.estimate.name
    assert "multiplicity" in content.exits.estimate.method  # widened to the Bonferroni level of 2 tests
    assert content.dose.value > 0
    vetoed = content_verdicts(table.assign(adjusted_p=0.2), groups, panel, "control", "holm", 0.05)
    assert vetoed.exits.verdict == "inconclusive"
    flat_panel = panel.assign(promo_posts=10)
    none = content_verdicts(table, groups, flat_panel, "control", "holm", 0.05)
    assert none.exits.verdict == "inconclusive" and "more promotional" in none.exits.reason


def test_stage_dependence_is_any_pattern_and_equal_stages_are_contradicted():
    reversed_ = {
        "control": {"launch": 0.1, "growth": 0.1},
        "promo_low": {"launch": 0.1, "growth": 0.1},
        "promo_high": {"launch": 0.1, "growth": 0.3},
    }  # the effect grows with the stage: still stage-dependent
    groups, panel = _arms_frame(reversed_, {"control": 0.15, "promo_low": 0.05, "promo_high": 0.4}, groups=80)
    content = content_verdicts(_effects_table(groups), groups, panel, "control", "holm", 0.05)
    assert content.stage.verdict == "supported" and content.stage_gaps.p_value < 0.001
    assert content.stage.estimate.value < 0  # launch minus growth: the reversed pattern, still the claim
    equal = {a: {"launch": 0.1, "growth": 0.1} for a in ("control", "promo_low", "promo_high")}
    groups, panel = _arms_frame(equal, {"control": 0.15, "promo_low": 0.05, "promo_high": 0.4}, groups=1500, seed=1)
    content = content_verdicts(_effects_table(groups), groups, panel, "control", "holm", 0.05)
    assert content.stage.verdict == "contradicted"
    one_stage = {a: {"launch": 0.1} for a in ("control", "promo_high")}
    groups, panel = _arms_frame(one_stage, {"control": 0.15, "promo_high": 0.4})
    content = content_verdicts(_effects_table(groups), groups, panel, "control", "holm", 0.05)
    assert content.stage.verdict == "inconclusive" and "fewer than two stages" in content.stage.reason


def test_stage_interaction_test_holds_its_level_by_simulation():
    """Known truth (no interaction), a dozen groups per cell: over 300 drawn experiments the F test rejects in about
    5% (2-8% allowed), and the gaps' corrected CIs all cover 0 in at least 94% (family-wise 95%)."""
    from helpers.studies.experiment.models import stage_gaps

    equal = {a: {"launch": 0.15, "growth": 0.1, "mature": 0.08} for a in ("control", "promo_high")}
    fits = [
        stage_gaps(
            _arms_frame(equal, {"control": 0.1, "promo_high": 0.3}, groups=12, seed=s)[0],
            ["promo_high"],
            "control",
            ("launch", "growth", "mature"),
        )
        for s in range(300)
    ]
    assert 0.02 <= np.mean([f.p_value < 0.05 for f in fits]) <= 0.08
    covered = [all(f.gap(i).covers(0.0) for i in range(len(f.gaps))) for f in fits]
    assert np.mean(covered) >= 0.94


def test_registry_judges_by_the_claims_region():
    inside = judge("size_band", Estimate("peak", 200, 160, 300, "m"))
    outside = judge("size_band", Estimate("peak", 450, 400, 500, "m"))
    straddling = judge("size_band", Estimate("peak", 340, 300, 400, "m"))
    assert (inside.verdict, outside.verdict, straddling.verdict) == ("supported", "contradicted", "inconclusive")
    flat = judge("size_band", Estimate("peak", 200, 160, 300, "m"), detected=False)
    assert flat.verdict == "inconclusive"
    assert {c.number for c in CLAIMS.values()} == set(range(1, 10))  # all nine of the practitioners' claims
    assert all(c.sources and c.wording and c.estimand for c in CLAIMS.values())


def test_size_band_is_judged_on_the_within_group_peak_and_names_a_pooled_disagreement():
    within = Estimate("within-group peak", 240, 180, 300, "m")
    pooled = Estimate("pooled peak", 450, 400, 500, "m")
    both = size_verdict(within, True, within, True)
    split = size_verdict(within, True, pooled, True)
    flat_within = size_verdict(within, False, within, True)
    assert both.verdict == split.verdict == "supported" and both.estimate is within
    assert "pooled" not in both.reason and "pooled curve, shown for comparison, reads contradicted" in split.reason
    assert flat_within.verdict == "inconclusive"  # a pooled peak alone never decides


def test_an_estimate_the_data_cannot_support_says_why_and_is_never_a_verdict():
    missing = Estimate.missing("hazard ratio", "every group is homogeneous")
    assert missing.not_estimable and missing.why_not == "every group is homogeneous" and math.isnan(missing.value)
    verdict = judge("homophily", missing)
    assert verdict.verdict == "inconclusive" and "every group is homogeneous" in verdict.reason
    assert not_testable("peak_hours", "no audience").verdict == "inconclusive"


def test_estimators_say_why_when_the_data_cannot_support_them():
    """The one result convention on degenerate inputs: a result with a reason, never an exception or a bare NaN."""
    none = clustered_ratio(pd.Series([1.0]), pd.Series([0.0]))
    one = clustered_proportion(pd.Series([3.0]), pd.Series([10.0]))
    assert none.not_estimable and "no cluster" in none.why_not
    assert one.value == pytest.approx(0.3) and math.isnan(one.ci_low) and "two groups" in one.reason
    members = pd.DataFrame(
        {
            "group_id": ["a", "a", "b"],
            "duration_days": [3.0, 9.0, 4.0],
            "left": [True, False, True],
            "homogeneous": [True, True, True],
            "segment": ["s", "s", "s"],
            "peak_members": [2, 2, 1],
        }
    )
    test = logrank(members, "segment")
    assert test.levels == 1 and math.isnan(test.p_value) and "same segment" in test.reason
    cox = homogeneity_hazard_ratio(members)
    assert cox.hazard_ratio.not_estimable and "every group is homogeneous" in cox.hazard_ratio.why_not
    assert cox.coefficients.empty and json.dumps(cox.as_dict(), default=json_default)
    assert wilson_clustered(pd.Series([0.0]), pd.Series([0.0])).share.not_estimable


def test_every_estimator_result_is_a_frozen_dataclass_with_as_dict():
    """The one result convention, checked over the source of stats/ and studies/ (and claims/)."""
    import ast

    package = ROOT / "src" / "helpers"
    offenders = []
    for folder in ("stats", "studies", "claims"):
        for path in (package / folder).rglob("*.py"):
            for node in ast.parse(path.read_text()).body:
                decorators = [ast.unparse(d) for d in getattr(node, "decorator_list", [])]
                if isinstance(node, ast.ClassDef) and any("dataclass" in d for d in decorators):
                    methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
                    if any(ast.unparse(b) == "StudyParams" for b in node.bases):
                        methods.add("as_dict")  # a study's Params inherits it (ranges.StudyParams)
                    if "as_dict" not in methods or not any("frozen=True" in d for d in decorators):
                        offenders.append(f"{path.name}:{node.name}")
    assert offenders == []


def test_single_panel_figures_draw_into_the_callers_axes(results):
    """Views compose: a single-panel figure function takes ax= and returns it, without re-laying the figure."""
    fig, axes = matplotlib.pyplot.subplots(1, 3, figsize=(12, 3))
    drawn = [
        results["recruitment"].figures["churn_by_bin"](ax=axes[0]),
        results["size_activity"].figures["koc_emergence"](ax=axes[1]),
        results["retention"].figures["layers"](ax=axes[2]),
    ]
    assert drawn == list(axes) and len(fig.axes) == 3 and all(ax.has_data() for ax in axes)
    matplotlib.pyplot.close(fig)


def test_dose_response_with_two_arms_is_the_difference_of_weighted_rates():
    """Closed form: WLS on an arm's share with member weights, two arms, is the difference of pooled exit rates
    divided by the difference of shares (per 10 points)."""
    from helpers.studies.experiment.models import dose_response

    groups, _ = _arms_frame({"control": {"launch": 0.1}, "promo_high": {"launch": 0.2}}, {}, groups=40, seed=3)
    shares = pd.Series({"control": 0.1, "promo_high": 0.3})
    rates = groups.groupby("arm")[["exits", "members"]].sum()
    rates = rates["exits"] / rates["members"]
    dose = dose_response(groups, shares)
    assert dose.value == pytest.approx((rates["promo_high"] - rates["control"]) / 2)
    assert dose.ci_low < dose.value < dose.ci_high
    assert dose_response(groups, pd.Series({"control": 0.1})).not_estimable


def test_experiment_reads_conversions_where_the_data_has_them_and_says_so_where_not(tmp_path):
    """Reference: the generator's true conversion effects (every group under every arm, common random numbers)."""
    world = replace(planted(), conversion_base=0.004, promo_conversion_gamma=4.0)
    truth = generate(tmp_path / "w", n_groups=90, seed=13, months=6, progress=False, world=world)
    true = truth["planted_effects"]["content_ratio_experiment"]["true_values"]["effects"]["promo_high_vs_control"]
    result = experiment_summary(open_dataset(tmp_path / "w"))
    effect = result.headline["conversions_per_member_week: promo_high"]
    assert effect.ci_low > 0 and effect.covers(true["conversions_per_member_week"])
    assert result.headline["value_per_member_week: promo_high"].covers(true["value_per_member_week"])
    text = " ".join(f.text for f in result.findings)
    assert "**Trade-off** (promo_high" in text and "(conversion family)" in text
    assert "across 6 arm × outcome comparisons" in text  # the exit family's correction is not diluted

    shutil.rmtree(tmp_path / "w" / "conversions")
    bare = experiment_summary(open_dataset(tmp_path / "w"))
    assert not [k for k in bare.headline if "conversion" in k or "value_per" in k]
    assert "Conversion** is not measurable on this data" in " ".join(f.text for f in bare.findings)
    assert any("not measurable on this data (the dataset has no conversions table" in m for m in bare.methods)
    assert [v.as_dict() for v in bare.verdicts] == [v.as_dict() for v in result.verdicts]  # claim 4 unchanged
