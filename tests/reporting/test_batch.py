"""The batch runner: parameters checked before anything runs, failure isolation, the index and its scorecard."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers.reporting import batch
from helpers.reporting.scorecard import scorecard


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
    assert "1 of 2 reports built" in index and "last good report" in index and "<strong>all</strong> fine" in index
    assert "<script" not in index and "http" not in index.split("</style>")[1]  # self-contained
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no half-written folders


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


def test_config_errors_are_clear(tmp_path: Path):
    broken = tmp_path / "reports.yml"
    broken.write_text("runs:\n  - name: x\n")
    with pytest.raises(batch.ConfigError, match="run 1 has no 'notebook'"):
        batch.load_config(broken)
