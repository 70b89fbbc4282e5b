"""The batch runner: parameters checked before anything runs, failure isolation, the index and its scorecard."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import nbformat
import pytest

from helpers.calibrate.score import summarise_records
from helpers.claims.registry import CLAIMS
from helpers.claims.verdict import Verdict, verdict_from_dict
from helpers.data.atomic import usual_mode, write_json
from helpers.reporting import batch, runner
from helpers.reporting.parameters import range_problems
from helpers.reporting.runner import notebook_parameters
from helpers.reporting.scorecard import scorecard
from helpers.stats.estimate import Estimate

from conftest import ROOT


def _notebook(path: Path, body: str, parameters: str = "data_dir = ''\nreps = 10\nalpha = 0.05") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    findings = (  # the index reads findings from results.json, never from the page
        "from helpers.reporting.runner import write_results\n"
        "write_results({'findings': [{'text': '**all** fine', 'cites': []}]}, results_dir, {'parameters': {}})"
    )
    nb.cells = [cell, nbformat.v4.new_code_cell(findings), nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def _config(tmp_path: Path, runs: str) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    path = tmp_path / "reports.yml"
    path.write_text(f"workers: 2\nout: out\nparameters:\n  data_dir: data\nruns:\n{runs}")
    return path


def test_bad_parameters_are_named_before_anything_runs(tmp_path: Path, capsys):
    _notebook(tmp_path / "study.ipynb", "print('ran')")
    config = _config(
        tmp_path,
        "  - notebook: study.ipynb\n    parameters: {rep: 3, alpha: high}\n"
        "  - name: other\n    notebook: study.ipynb\n    parameters: {data_dir: nowhere}\n",
    )
    assert batch.main(["--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "run 'study': unknown parameter 'rep'" in err and "takes: alpha, data_dir, reps" in err
    assert "run 'study': parameter 'alpha' is str 'high', expected float" in err
    assert "run 'other': parameter 'data_dir': directory nowhere does not exist" in err
    assert not (tmp_path / "out").exists()  # nothing ran


def test_sweep_makes_one_run_per_value(tmp_path: Path):
    _notebook(tmp_path / "study.ipynb", "print('ran')")
    runs, settings = batch.load_config(
        _config(tmp_path, "  - name: by\n    notebook: study.ipynb\n    sweep: {reps: [1, 2, 3]}\n")
    )
    assert [r.name for r in runs] == ["by-1", "by-2", "by-3"] and runs[2].parameters["reps"] == 3
    assert settings["workers"] == 2 and batch.check_runs(runs, settings["base"]) == []


def test_a_failing_run_is_isolated_and_the_last_good_report_kept(tmp_path: Path):
    _notebook(tmp_path / "good.ipynb", "print('fine')")
    flaky = _notebook(tmp_path / "flaky.ipynb", "print('first version')")
    config = _config(tmp_path, "  - notebook: good.ipynb\n  - notebook: flaky.ipynb\n")
    assert batch.main(["--config", str(config)]) == 0
    before = (tmp_path / "out" / "flaky" / "flaky.html").read_text()

    _notebook(flaky, "raise RuntimeError('broken on purpose')")
    assert batch.main(["--config", str(config)]) == 1
    out = tmp_path / "out"
    assert (out / "flaky" / "flaky.html").read_text() == before  # the last good report is intact
    failed = (out / "_failed" / "flaky" / "flaky.html").read_text()
    assert failed.index("This run failed") < failed.index("broken on purpose")
    assert (out / "good" / "good.html").exists()
    index = (out / "index.html").read_text()
    assert (
        "0 of 1 reports built in this run, 1 reused unchanged" in index
        and "last good report" in index
        and "<strong>all</strong> fine" in index
    )
    assert "<script" not in index and "http" not in index.split("</style>")[1]  # self-contained
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no half-written folders


def test_a_subset_run_keeps_every_report_on_the_index_and_clears_interrupted_work(tmp_path: Path, capfd):
    _notebook(tmp_path / "first.ipynb", "print('fine')")
    _notebook(tmp_path / "second.ipynb", "print('fine')")
    config = _config(tmp_path, "  - notebook: first.ipynb\n  - notebook: second.ipynb\n")
    assert batch.main(["--config", str(config)]) == 0
    out = tmp_path / "out"
    (out / ".second-abc123" / "second").mkdir(parents=True)  # what a killed run leaves behind
    assert batch.main(["--config", str(config), "--only", "second", "--force"]) == 0
    index = (out / "index.html").read_text()
    assert '<a href="first/first.html">first</a>' in index and '<a href="second/second.html">second</a>' in index
    assert "1 of 1 reports built in this run; 1 report from earlier runs listed as well" in index
    assert index.count("<strong>all</strong> fine") == 2  # the earlier report's findings stay on the index
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    printed = capfd.readouterr()
    assert "removed 1 work folder(s) left by an interrupted run" in printed.out
    for noise in (
        "eavesdropping",
        "without encryption",
        "unknown parameter",
        "WARNING",
        "KeyboardInterrupt",
        "ERROR",
    ):  # the kernel's and papermill's
        assert noise not in printed.out + printed.err


def test_a_kernel_being_shut_down_is_not_interrupted():
    manager = runner.LocalKernelManager()
    with pytest.raises(RuntimeError, match="No kernel is running"):  # interrupts still reach a running cell
        asyncio.run(manager.interrupt_kernel())
    manager.shutting_down = True  # after a finished run: a shutdown request, no SIGINT ('KeyboardInterrupt caught')
    asyncio.run(manager.interrupt_kernel())


def test_an_unchanged_run_reuses_its_report_and_any_change_or_force_reruns_it(tmp_path: Path, capsys):
    study = _notebook(tmp_path / "study.ipynb", "print('fine')")
    config = _config(tmp_path, "  - notebook: study.ipynb\n")
    (tmp_path / "data" / "groups.csv").write_text("group_id\ng1\n")
    assert batch.main(["--config", str(config)]) == 0
    page = tmp_path / "out" / "study" / "study.html"
    built = page.stat().st_mtime_ns
    capsys.readouterr()
    assert batch.main(["--config", str(config)]) == 0
    assert "reused (notebook, parameters, data and code unchanged" in capsys.readouterr().out
    assert page.stat().st_mtime_ns == built
    assert "reused unchanged" in (tmp_path / "out" / "index.html").read_text()
    for change in ("data", "notebook", "force"):
        if change == "data":
            (tmp_path / "data" / "groups.csv").write_text("group_id\ng2\n")
        if change == "notebook":
            _notebook(study, "print('changed')")
        before = page.stat().st_mtime_ns
        assert batch.main(["--config", str(config), *(["--force"] if change == "force" else [])]) == 0
        assert "reused" not in capsys.readouterr().out, change
        assert page.stat().st_mtime_ns > before, change


def test_results_json_is_strict_json_and_reads_back(tmp_path: Path):
    open_above = Estimate("share", 0.4, 0.3, float("inf"), "m")
    verdict = Verdict("c", "inconclusive", "r", open_above, "c")
    path = write_json(tmp_path / "results.json", {"verdicts": [verdict], "x": float("nan"), "y": [float("-inf")]})
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    document = json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in results.json"))
    assert document["x"] is None and document["y"] == [None]
    back = verdict_from_dict(document["verdicts"][0]).estimate
    assert back.ci_high == float("inf") and back.ci_low == 0.3
    assert (path.stat().st_mode & 0o777) == usual_mode()  # not the temporary file's 0600


def _estimate(value, low, high):
    return {"name": "x", "value": value, "ci_low": low, "ci_high": high, "method": "m", "n": 1}


def _verdict(claim_id: str, verdict: str, value: float = 225.0) -> dict:
    return {
        "claim": claim_id,
        "claim_id": claim_id,
        "verdict": verdict,
        "reason": "r",
        "estimate": _estimate(value, value - 1, value + 1),
    }


def test_scorecard_reads_the_verdicts_field_in_registry_order():
    documents = {
        "size": {"results": {"verdicts": [_verdict("peak_hours", "supported"), _verdict("size_band", "supported")]}},
        "size-again": {"results": {"verdicts": [_verdict("size_band", "contradicted")]}},  # the first run wins
        "cohorts": {"results": {"verdicts": [_verdict("homophily", "contradicted", 0.8)]}},
        "other": {
            "results": {
                "verdicts": [_verdict("not_a_registered_claim", "supported")],
                "homogeneity_hazard_ratio": _estimate(2.0, 1.5, 2.5),
            }
        },  # no key-guessing
        "overview": {"results": {}},
    }
    card = scorecard(documents)
    assert [v.claim_id for _, v in card] == ["size_band", "homophily", "peak_hours"]
    assert [(run, v.verdict) for run, v in card] == [
        ("size", "supported"),
        ("cohorts", "contradicted"),
        ("size", "supported"),
    ]
    assert card[1][1].estimate.value == 0.8


@pytest.mark.parametrize(
    "text, message",
    [
        ("runs:\n  - name: x\n", "reports.yml: runs[1].notebook: is missing"),
        ("- notebook: a.ipynb\n", "the config should be a mapping of settings (workers, out, runs, ...), not a list"),
        ("runs:\n  - notebooks/a.ipynb\n", "runs[1]: should be a mapping (key: value lines), got 'notebooks/a.ipynb'"),
        ("workers: two\nruns:\n  - notebook: a.ipynb\n", "workers: should be a whole number, got 'two'"),
        ("workers: 0\nruns:\n  - notebook: a.ipynb\n", "workers: should be a whole number of at least 1, got 0"),
        (
            "runs:\n  - notebook: a.ipynb\n    sweep: {segment_by: channel}\n",
            "runs[1].sweep.segment_by: should be a list (lines starting with '- '), got 'channel'",
        ),
        ("runs:\n  - notebook: a.ipynb\n    sweep: {a: [1], b: [2]}\n", "runs[1].sweep: should be at most 1 entry"),
        ("runs: []\n", "runs: should be at least 1 entry"),
        ("wrokers: 2\nruns:\n  - notebook: a.ipynb\n", "wrokers: is not a setting here (a typo?)"),
        ("runs:\n  - notebook: a.ipynb\n  parameters: [1]\n", "reports.yml: cannot read the config"),
        (
            "calibrate_like: {worlds: 0}\nruns:\n  - notebook: a.ipynb\n",
            "calibrate_like.worlds: should be a whole number of at least 1",
        ),
        ("calibrate_like: {wrolds: 3}\nruns:\n  - notebook: a.ipynb\n", "calibrate_like.wrolds: is not a setting here"),
    ],
)
def test_config_errors_name_the_key_path_and_the_shape(tmp_path: Path, text, message):
    broken = tmp_path / "reports.yml"
    broken.write_text(text)
    with pytest.raises(batch.ConfigError, match=re.escape(message)):
        batch.load_config(broken)


def test_an_output_path_that_is_a_file_is_named(tmp_path: Path):
    (tmp_path / "reports").write_text("not a folder")
    config = tmp_path / "reports.yml"
    config.write_text("out: reports\nruns:\n  - notebook: a.ipynb\n")
    with pytest.raises(batch.ConfigError, match="out: reports is a file, not a folder"):
        batch.load_config(config)


def _calibration(worlds: int, verdicts: list[tuple[str, str]]) -> dict:
    """A calibration document over hand-made worlds: content_exits' truth and verdict per world."""
    records = []
    for i, (truth, verdict) in enumerate(verdicts):
        claims = {cid: {"truth": "no effect", "verdict": "inconclusive", "effect": None} for cid in CLAIMS}
        claims["content_exits"] = {"truth": truth, "verdict": verdict, "effect": 0.02}
        records.append({"index": i, "seed": i, "error": None, "claims": claims, "estimates": {}})
    settings = {"worlds": worlds, "groups": 10, "months": 3, "seed": 1, "jobs": 1}
    return {"settings": settings, "seconds": 1.0, "effects_switched_off": {}, **summarise_records(records)}


def test_the_index_links_the_calibration_and_says_how_each_test_fares_on_data_like_this(tmp_path: Path):
    body = (
        "from helpers.reporting.runner import write_results\n"
        "v = {'claim': 'too much promo', 'claim_id': 'content_exits', 'verdict': 'supported', 'reason': 'r',\n"
        "     'estimate': {'name': 'x', 'value': 0.02, 'ci_low': 0.01, 'ci_high': 0.03, 'method': 'm', 'n': 1}}\n"
        "write_results({'findings': [], 'verdicts': [v]}, results_dir, {'parameters': {}})"
    )
    _notebook(tmp_path / "study.ipynb", body)
    config = _config(tmp_path, "  - notebook: study.ipynb\n")
    config.write_text(config.read_text() + "calibration: cal.json\n")
    (tmp_path / "cal.json").write_text(json.dumps(_calibration(3, [("supported", "supported")] * 3)))
    out = tmp_path / "out"
    out.mkdir()
    like = _calibration(4, [("supported", "supported"), ("supported", "inconclusive"), ("no effect", "supported")])
    (out / "calibration_like.json").write_text(json.dumps(like))
    assert batch.main(["--config", str(config)]) == 0
    index = (out / "index.html").read_text()
    assert '<a href="calibration.html">on 3 worlds drawn at random</a>' in index
    assert (out / "calibration.html").exists()
    assert (
        "On data like this (3 worlds): where the claim holds, this test says supported in 50% (1/2); "
        "where it does not, in 100% (1/1) (false alarms)."
    ) in index


def test_every_notebook_default_lies_in_its_declared_range():
    for notebook in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        assert range_problems(notebook.stem, notebook_parameters(notebook)) == []


@pytest.mark.parametrize(
    "notebook, key, value, rule",
    [
        ("04_content_ratio_experiment", "alpha", 1.5, "a probability strictly between 0 and 1"),
        ("02_group_size_activity", "bootstrap_reps", 20, "at least 100 resamples"),
        ("02_group_size_activity", "size_bands", [0, 100, 50], "an increasing list"),
        ("03_recruitment_window_churn", "horizon_days", 0, "a number of days above 0"),
        ("01_cohort_retention", "cohort_period", "fortnight", "week or month"),
        ("01_cohort_retention", "segment_by", "colour", "a column of groups"),
        ("04_content_ratio_experiment", "outcomes", ["sales"], "a non-empty list from exit_30d"),
    ],
)
def test_a_parameter_out_of_range_is_named_before_anything_runs(tmp_path, notebook, key, value, rule):
    run = batch.Run("r", ROOT / "notebooks" / f"{notebook}.ipynb", {key: value})
    problems = batch.check_runs([run], tmp_path)
    assert any(p.startswith(f"run 'r': parameter '{key}' is {value!r}; it should be") and rule in p for p in problems)


def test_an_experiment_not_in_the_data_is_named(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "assignments.csv").write_text(
        "experiment,group_id,arm,assigned_at,stratum\nspring,g1,a,2025-01-01T00:00:00Z,\n"
    )
    run = batch.Run("r", ROOT / "notebooks" / "04_content_ratio_experiment.ipynb", {"data_dir": "data"})
    problems = batch.check_runs([run], tmp_path)
    assert problems == [
        "run 'r': parameter 'experiment' is 'content_ratio', not in the data (experiments found: spring)"
    ]


def test_the_longest_report_of_the_last_batch_starts_first_and_its_time_is_recorded(tmp_path: Path, capsys):
    _notebook(tmp_path / "quick.ipynb", "print('fine')")
    _notebook(tmp_path / "slow.ipynb", "print('fine')")
    config = _config(tmp_path, "  - notebook: quick.ipynb\n  - notebook: slow.ipynb\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / batch.TIMINGS).write_text(
        json.dumps({"reports": {"quick": {"seconds": 1}, "slow": {"seconds": 90}}})
    )
    assert batch.main(["--config", str(config), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.index("] slow") < printed.index("] quick")  # one worker: the slow report ran first
    timings = json.loads((tmp_path / "out" / batch.TIMINGS).read_text())
    assert set(timings["reports"]) == {"quick", "slow"} and timings["workers"] == 1
    assert all(r["seconds"] > 0 and not r["reused"] for r in timings["reports"].values())


def test_each_kernel_starts_in_its_notebooks_folder_and_the_batch_never_changes_directory(tmp_path: Path):
    for folder in ("one", "two", "three"):
        (tmp_path / folder).mkdir()
        _notebook(
            tmp_path / folder / f"{folder}.ipynb", f"import os\nassert os.path.basename(os.getcwd()) == {folder!r}"
        )
    runs = "".join(f"  - notebook: {f}/{f}.ipynb\n" for f in ("one", "two", "three"))
    before = Path.cwd()
    assert batch.main(["--config", str(_config(tmp_path, runs))]) == 0  # two workers at once
    assert Path.cwd() == before
