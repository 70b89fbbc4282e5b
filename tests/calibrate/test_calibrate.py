"""The calibration harness: its bookkeeping (a wrong verdict is counted wrong), failures recorded, a quick run."""

from __future__ import annotations

import json
import subprocess
import sys
from html import escape
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.calibrate import run as calibrate_run
from helpers.calibrate.harness import run_tasks
from helpers.calibrate.rerandomise import null_outcomes, pooled_rate, rerandomised_tests
from helpers.calibrate.run import Task, run_world
from helpers.calibrate.score import (
    claim_summary,
    correct,
    document_text,
    estimate_summary,
    null_rejections,
    rate,
    summarise_records,
    threshold_summary,
)
from helpers.calibrate.worlds import THRESHOLD_HR, drawn, like, shape_of, threshold_worlds
from helpers.claims.registry import CLAIMS
from helpers.synth.parameters import random_world

from conftest import GOOD, ROOT


def _record(truth: str, verdict: str, effect: float = 0.03, error: str | None = None) -> dict:
    claims = {cid: {"truth": "no effect", "verdict": "inconclusive", "effect": None} for cid in CLAIMS}
    claims["content_exits"] = {"truth": truth, "verdict": verdict, "effect": effect}
    return {"index": 0, "seed": 0, "error": error, "claims": claims, "estimates": {}}


def test_a_verdict_forced_wrong_is_counted_wrong():
    records = [
        _record("supported", "supported"),
        _record("supported", "contradicted"),  # false contradicted, and a miss
        _record("supported", "inconclusive"),  # a miss, not an error of sign
        _record("no effect", "supported"),  # false supported
        _record("no effect", "inconclusive"),  # correct
        _record("contradicted", "contradicted"),
        _record("untestable", "contradicted"),  # wrong (untestable), but not a claim that holds called false
        _record("no effect", "contradicted"),  # correct: a claim that an effect exists is false without one
        _record("no effect", "supported", error="world failed"),  # a failed world is not counted
    ]
    s = claim_summary(records, "content_exits")
    assert s["worlds"] == 8
    assert s["matrix"]["supported"] == {"supported": 1, "contradicted": 1, "inconclusive": 1, "error": 0}
    assert (s["false_supported"]["k"], s["false_supported"]["n"]) == (1, 5)  # of the 5 worlds where it is not true
    assert (s["false_contradicted"]["k"], s["false_contradicted"]["n"]) == (1, 3)  # of the 3 where it holds
    assert (s["power"]["k"], s["power"]["n"]) == (2, 4)  # right on 2 of the 4 worlds with a real effect
    assert (s["power_supported"]["k"], s["power_supported"]["n"]) == (1, 3)
    assert (s["correct"]["k"], s["correct"]["n"]) == (4, 8)
    assert (s["inconclusive_when_real"]["k"], s["inconclusive_when_real"]["n"]) == (1, 4)
    assert correct("untestable", "inconclusive") and not correct("supported", "inconclusive")


def test_rates_carry_a_wilson_interval():
    """Reference: closed form of the Wilson score interval, 3 of 10 at 95%."""
    r = rate(3, 10)
    z = 1.959963984540054
    centre = (0.3 + z**2 / 20) / (1 + z**2 / 10)
    half = z / (1 + z**2 / 10) * (0.3 * 0.7 / 10 + z**2 / 400) ** 0.5
    assert r["ci"] == pytest.approx([centre - half, centre + half])
    assert rate(0, 0)["share"] is None


def test_coverage_and_bias_bookkeeping():
    rows = [
        {"value": 1.2, "ci": [1.0, 1.4], "truth": 1.1, "covered": True, "reason": None},
        {"value": 1.5, "ci": [1.3, 1.7], "truth": 1.1, "covered": False, "reason": None},
        {"value": None, "ci": [None, None], "truth": 1.1, "covered": None, "reason": "one group"},
        {"value": 0.9, "ci": [0.8, 1.0], "truth": None, "covered": None, "reason": None},  # truth unknown
    ]
    records = [{"index": i, "seed": i, "error": None, "estimates": {"x": e}} for i, e in enumerate(rows)]
    s = estimate_summary(records, "x")
    assert (s["worlds"], s["truth_known"], s["not_estimable"]) == (4, 3, 1)
    assert (s["coverage"]["k"], s["coverage"]["n"]) == (1, 2)
    assert s["mean_bias"] == pytest.approx((0.1 + 0.4) / 2)


def test_aa_rate_counts_only_arms_whose_true_effect_is_exactly_zero():
    def record(exit_truth: float, messages_truth: float, exits: list, messages: list, error: str | None = None) -> dict:
        return {
            "error": error,
            "estimates": {
                "experiment.exit_30d: promo_high": {"ci": exits, "truth": exit_truth},
                "experiment.messages_per_member_week: promo_high": {"ci": messages, "truth": messages_truth},
                "experiment.exit_30d: promo_low": {"ci": [None, None], "truth": 0.0},  # not estimable: not counted
            },
        }

    records = [
        record(0.0, 0.2, [0.01, 0.03], [-1, 1]),  # exits: a false positive; messages have a true effect
        record(0.0, 0.0, [-0.01, 0.02], [0.1, 0.2]),  # messages: a false positive
        record(0.02, 0.1, [0.01, 0.03], [0.1, 0.2]),  # effects planted: not an A/A world
        record(0.0, 0.0, [0.01, 0.03], [0.1, 0.2], error="world failed"),
    ]
    null = null_rejections(records)
    assert (null["exit_30d"]["k"], null["exit_30d"]["n"]) == (1, 2)
    assert (null["messages_per_member_week"]["k"], null["messages_per_member_week"]["n"]) == (1, 1)


def test_a_failing_study_and_a_failing_world_are_recorded_and_the_rest_goes_on(monkeypatch, tmp_path):
    def broken(ds):
        raise RuntimeError("boom in the model")

    study = SimpleNamespace(estimate=broken, verdicts=lambda est: ())  # a study whose estimate raises
    monkeypatch.setitem(calibrate_run.STUDIES, "retention", study)
    task = Task(0, random_world(3, groups=12, months=3), 3)
    record = run_world(task, workdir=str(tmp_path))
    assert record["error"] is None
    assert record["claims"]["homophily"]["verdict"] == "error"
    assert "retention failed: RuntimeError: boom in the model" in record["claims"]["homophily"]["reason"]
    assert record["claims"]["content_exits"]["verdict"] in ("supported", "contradicted", "inconclusive")
    assert list(tmp_path.iterdir()) == []  # the world's scratch data is removed
    assert "boom in the model" in record["study_tracebacks"]["retention"]
    assert str(ROOT) not in json.dumps(record)  # no absolute paths in what may be committed

    def no_disk(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(calibrate_run, "generate", no_disk)
    failed = run_world(Task(1, random_world(4, groups=12, months=3), 4))
    assert "OSError: disk full" in failed["error"]
    summary = summarise_records([record, failed])
    assert summary["worlds_failed"] == [{"index": 1, "seed": 4, "error": "OSError: disk full"}]
    assert summary["claims"]["homophily"]["errors"]["k"] == 1
    assert summary["study_errors"][0]["study"] == "retention"


def test_a_quick_calibration_sets_each_verdict_beside_its_truth():
    tasks = drawn(2, groups=30, months=4, seed=40)
    records = run_tasks(tasks, jobs=1, progress=False)
    for task, record in zip(tasks, records):
        assert record["error"] is None, record["error"]
        assert record["study_errors"] == {}
        assert set(record["claims"]) == set(CLAIMS)
        for claim in record["claims"].values():
            assert claim["verdict"] in ("supported", "contradicted", "inconclusive")
        truth = record["estimates"]["retention.homogeneity_hazard_ratio"]["truth"]
        assert truth == task.world.mixed_exit_hr
        effect = record["estimates"]["experiment.exit_30d: promo_high"]
        assert effect["value"] is not None and effect["truth"] is not None
    summary = summarise_records(records)
    assert all(c["worlds"] == 2 for c in summary["claims"].values())


@pytest.mark.slow
def test_the_command_runs_worlds_in_parallel_and_writes_json_and_page(tmp_path):
    out, page = tmp_path / "calibration.json", tmp_path / "calibration.html"
    done = subprocess.run(
        [sys.executable, "-m", "helpers.calibrate", "--worlds", "2", "--groups", "20", "--months", "3", "--jobs", "2"]
        + ["--seed", "7", "--out", str(out), "--page", str(page), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["settings"] == {"worlds": 2, "groups": 20, "months": 3, "seed": 7, "jobs": 2}
    assert [r["seed"] for r in document["records"]] == [7, 8]
    assert set(document["claims"]) == set(CLAIMS)
    html = page.read_text()
    assert "data:image/png;base64," in html
    for claim in CLAIMS.values():
        assert escape(claim.label) in html
    assert "false supported" in done.stderr  # the per-claim table


def test_threshold_worlds_plant_a_strong_threshold_where_groups_are_still_filling():
    tasks = threshold_worlds(30, groups=40, months=4, seed=500)
    assert [t.seed for t in tasks] == list(range(500, 530)) and {t.studies for t in tasks} == {("recruitment",)}
    low, high = THRESHOLD_HR
    for task in tasks:
        w = task.world
        assert "recruitment" not in w.switched_off and low <= w.early_exit_hr <= high
        assert 0.7 * w.window_threshold_days <= w.window_median_days <= 1.4 * w.window_threshold_days
    # everything else is drawn as in random worlds: the same seed gives the same size peak
    assert [t.world.size_peak for t in tasks[:3]] == [random_world(s, 40, 4).size_peak for s in (500, 501, 502)]


def test_a_focused_world_runs_only_its_studies_and_scores_only_their_claims(monkeypatch, tmp_path):
    ran = []

    def spy(name):
        real = calibrate_run.STUDIES[name]
        return SimpleNamespace(estimate=lambda ds: ran.append(name) or real.estimate(ds), verdicts=real.verdicts)

    for name in list(calibrate_run.STUDIES):
        monkeypatch.setitem(calibrate_run.STUDIES, name, spy(name))
    task = threshold_worlds(1, groups=30, months=4, seed=41)[0]
    record = run_world(task, workdir=str(tmp_path))
    assert record["error"] is None and ran == ["recruitment"]
    assert set(record["claims"]) == {"recruitment"} and set(record["estimates"]) == {"recruitment.threshold"}
    assert record["estimates"]["recruitment.threshold"]["truth"] == task.world.window_threshold_days
    check = threshold_summary([record], {"worlds": 1})
    assert check["estimate"]["truth_known"] == 1 and check["claim"]["worlds"] == 1
    document = {"settings": {}, "threshold_check": check, "records": [], "threshold_records": [record]}
    assert json.loads(document_text(document))["threshold_records"][0]["seed"] == 41


def test_worlds_like_a_dataset_take_its_shape():
    shape = shape_of(GOOD)
    groups = shape.measured["groups"]
    assert shape.parameters["groups"] == groups
    assert shape.parameters["target_size_min"] <= shape.parameters["target_size_max"]
    _, tasks = like(GOOD, 3, seed=5)
    assert [t.world.groups for t in tasks] == [groups] * 3
    assert tasks[0].world.months == shape.parameters["months"]
    assert tasks[0].world.name == "like-5" and tasks[0].world != tasks[1].world


@pytest.mark.slow
def test_like_a_dataset_from_the_command_line(tmp_path):
    out = tmp_path / "like.json"
    done = subprocess.run(
        [sys.executable, "-m", "helpers.calibrate", "--like", str(GOOD), "--worlds", "1", "--jobs", "1"]
        + ["--out", str(out), "--page", str(tmp_path / "like.html"), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["kind"] == "like" and document["like"]["data"] == GOOD.name
    assert document["settings"]["groups"] == shape_of(GOOD).parameters["groups"]
    assert document["records"][0]["world"] == "like-1"
    assert "shaped like the dataset" in (tmp_path / "like.html").read_text()


def test_like_names_a_dataset_that_breaks_the_contract(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helpers.calibrate", "--like", str(tmp_path / "nowhere"), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "nowhere" in done.stderr and "Traceback" not in done.stderr


def test_pooled_aa_rate_is_never_narrower_than_binomial_and_widens_when_worlds_disagree():
    alike = pooled_rate([{"k": 5, "n": 100}, {"k": 5, "n": 100}])
    assert alike["share"] == 0.05 and alike["design_effect"] == 1.0
    assert alike["ci"][0] < 0.04 and alike["ci"][1] > 0.07  # two identical worlds: binomial width, not zero
    apart = pooled_rate([{"k": 0, "n": 100}, {"k": 10, "n": 100}, {"k": 5, "n": 100}])
    assert apart["design_effect"] > 1 and apart["ci"][1] - apart["ci"][0] > alike["ci"][1] - alike["ci"][0]
    assert pooled_rate([])["share"] is None


def test_null_worlds_are_rerandomised_within_strata_and_every_test_counted():
    rng = np.random.default_rng(2)
    n = 36
    members = rng.integers(20, 80, n)
    groups = pd.DataFrame(
        {
            "group_id": [f"g{i}" for i in range(n)],
            "arm": ["control", "promo_low", "promo_high"] * (n // 3),
            "stratum": [f"s{i % 4}" for i in range(n)],
            "members": members,
            "exits": rng.binomial(members, 0.2),
            "pre_members": members,
            "pre_exits": rng.binomial(members, 0.2),
        }
    )
    counts = rerandomised_tests(groups, ["exit_30d"], "control", draws=20)
    assert counts["exit_30d"]["n"] == 20 * 2 and 0 <= counts["exit_30d"]["k"] <= 40
    assert rerandomised_tests(groups, ["exit_30d"], "control", draws=20) == counts  # seeded draws
    effects = {"promo_low_vs_control": {"exit_30d_members": 0.0, "messages_per_member_week": 0.1}}
    truth = {"planted_effects": {"content_ratio_experiment": {"true_values": {"effects": effects}}}}
    assert null_outcomes(truth) == ["exit_30d"]


def test_worlds_for_some_studies_score_only_their_claims():
    tasks = drawn(3, groups=20, months=3, seed=9, studies=("experiment",))
    assert {t.studies for t in tasks} == {("experiment",)}
    focused = {
        "index": 0,
        "seed": 9,
        "error": None,
        "claims": {"content_exits": _record("no effect", "inconclusive")["claims"]["content_exits"]},
        "estimates": {},
    }
    summary = summarise_records([focused])
    assert summary["claims"]["content_exits"]["worlds"] == 1 and summary["claims"]["homophily"]["worlds"] == 0
    assert summary["claims"]["homophily"]["false_supported"]["share"] is None
