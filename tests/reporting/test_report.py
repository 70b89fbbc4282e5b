"""Batch reports: HTML without code that opens offline, provenance, and atomic replacement."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from helpers.reporting.proofread import problems
from helpers.reporting.runner import notebook_parameters, run_notebook

from conftest import GOOD, ROOT, TRUTH_KEYS

pytestmark = pytest.mark.slow  # notebooks run end to end

KERNEL = "community-workbench"


@pytest.fixture(scope="module")
def overview(tmp_path_factory) -> Path:
    """The overview report built from the good fixture."""
    out = tmp_path_factory.mktemp("reports")
    data = shutil.copytree(GOOD, out.parent / "data_for_report")
    result = run_notebook(ROOT / "notebooks" / "00_data_overview.ipynb", out, {"data_dir": str(data)}, KERNEL)
    assert result.ok, result.error
    return result.html


def test_html_has_findings_figures_and_no_code(overview: Path):
    html = overview.read_text()
    assert "Findings" in html and "6 groups" in html and "3,188 messages" in html
    assert html.count("data:image/png;base64") >= 3
    assert "open_dataset(" not in html and "import " not in html


def test_html_opens_offline(overview: Path):
    html = overview.read_text()
    fetched = re.findall(r"""(?:src|href)\s*=\s*["'](https?:)?//""", html)
    assert fetched == []
    assert "@import url(http" not in html


def test_html_carries_provenance_without_home_paths(overview: Path):
    html = overview.read_text()
    assert "Data fingerprint" in html and "Code version" in html
    assert "data for report" in html and str(overview.parents[2]) not in html  # the folder, named in words


def _notebook(path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("data_dir = ''")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def test_a_library_warning_never_reaches_the_published_page(tmp_path: Path):
    """A warning printed while a study runs (a path into the environment) stays out of the HTML; output stays in."""
    body = (
        "import warnings\n"
        "warnings.warn_explicit('The design matrix is rank-deficient', RuntimeWarning, "
        "'venv/lib/python3.11/site-packages/statsmodels/glm.py', 1486)\n"
        "print('the finding')"
    )
    notebook = _notebook(tmp_path / "study.ipynb", body)
    assert run_notebook(notebook, tmp_path / "reports", {"data_dir": "x"}, KERNEL).ok
    page = (tmp_path / "reports" / "study" / "study.html").read_text()
    assert "the finding" in page and "rank-deficient" not in page and "site-packages" not in page


def test_failed_run_keeps_previous_report(tmp_path: Path):
    out = tmp_path / "reports"
    notebook = _notebook(tmp_path / "study.ipynb", "print('first version')")
    assert run_notebook(notebook, out, {"data_dir": str(tmp_path / "data")}, KERNEL).ok
    before = (out / "study" / "study.html").read_text()
    kept = (out / "study" / "study.ipynb").read_text()
    assert str(tmp_path) not in kept and str(ROOT) not in kept  # papermill's paths are names only

    _notebook(notebook, "raise ValueError('broken on purpose')")
    result = run_notebook(notebook, out, {"data_dir": "x"}, KERNEL)

    assert not result.ok and "broken on purpose" in result.error
    assert (out / "study" / "study.html").read_text() == before
    assert sorted(p.name for p in out.iterdir()) == ["_failed", "study"]  # no half-written folders left
    failed = (out / "_failed" / "study" / "study.html").read_text()
    assert failed.index("This run failed") < failed.index("broken on purpose")  # the error comes first
    assert (out / "_failed" / "study" / "study.ipynb").exists()


def test_cohort_retention_report_on_planted_data(planted_world, tmp_path: Path):
    """Study 1 end to end: findings first, figures, no code, and results.json with the planted hazard ratio."""
    result = run_notebook(
        ROOT / "notebooks" / "01_cohort_retention.ipynb", tmp_path, {"data_dir": str(planted_world.path)}, KERNEL
    )
    assert result.ok, result.error
    html = result.html.read_text()
    assert html.index("Findings") < html.index("Cohort retention triangle") < html.index("Methods and caveats")
    assert html.count("<img") >= 5 and "results_dir" not in html and "def pct" not in html
    assert problems(html) == []
    results = json.loads((result.html.parent / "results.json").read_text())
    hazard = results["results"]["headline"]["homogeneity_hazard_ratio"]
    assert hazard["ci_low"] <= 1.5 <= hazard["ci_high"]
    assert len(results["results"]["details"]["retention_30d_by_segment"]) == 7
    assert [v["claim_id"] for v in results["results"]["verdicts"]] == ["homophily"]
    assert results["provenance"]["data_fingerprint"]


def _study_report(stem: str, world, out: Path, section: str, images: int = 6, **parameters) -> tuple[str, dict]:
    """Run a study notebook on a dataset; its HTML and results, checked for order of sections and figures."""
    result = run_notebook(
        ROOT / "notebooks" / f"{stem}.ipynb", out, {"data_dir": str(world.path), **parameters}, KERNEL
    )
    assert result.ok, result.error
    html = result.html.read_text()
    assert html.index("Findings") < html.index(section) < html.index("Methods and caveats")
    assert html.count("<img") >= images
    assert problems(html) == [], stem  # no parameter names, NaN, p = 0, raw tables or estimates outside their CI
    return html, json.loads((result.html.parent / "results.json").read_text())["results"]


def test_size_activity_report_on_planted_data(planted_world, tmp_path: Path):
    """Study 2 end to end: findings and verdicts, six figures, and results.json with the planted optima covered."""
    html, results = _study_report(
        "02_group_size_activity", planted_world, tmp_path, "Activity by group size", bootstrap_reps=60
    )
    assert "import" not in html.split("Findings", 1)[1].split("Provenance")[0]
    details = results["details"]
    assert details["size"]["peak"]["ci_low"] <= 229 <= details["size"]["peak"]["ci_high"]
    assert details["monitor_share"]["peak"]["ci_low"] <= 0.05 <= details["monitor_share"]["peak"]["ci_high"]
    assert results["headline"]["koc_above_150"]["value"] > results["headline"]["koc_below_150"]["value"]
    assert {v["verdict"] for v in results["verdicts"]} <= {"supported", "contradicted", "inconclusive"}
    assert [v["claim_id"] for v in results["verdicts"]] == ["size_band", "koc_above_150", "monitor_share", "peak_hours"]


def test_recruitment_report_on_planted_data(planted_world, tmp_path: Path):
    """Study 3 end to end: findings, six figures, and results.json with the planted threshold and risk ratio covered."""
    _, results = _study_report(
        "03_recruitment_window_churn", planted_world, tmp_path, "Early churn by window", bootstrap_reps=60
    )
    truth = planted_world.truth["planted_effects"]["recruitment_window"]
    threshold = results["headline"]["threshold"]
    assert threshold["ci_low"] <= truth["threshold_days"] <= threshold["ci_high"]
    ratio = results["headline"]["risk_ratio_slow_vs_fast"]
    assert ratio["ci_low"] <= truth["emergent"]["slow_vs_fast"]["60d"]["risk_ratio_slow_filled"] <= ratio["ci_high"]
    assert len(results["details"]["churn_by_bin"]) == 6
    assert results["verdicts"][0]["verdict"] in {"supported", "inconclusive"}


def test_experiment_report_on_planted_data(planted_world, tmp_path: Path):
    """Study 4 end to end: decisions first, figures, and results.json with every arm's planted effect covered."""
    html, results = _study_report("04_content_ratio_experiment", planted_world, tmp_path, "By lifecycle stage", 3)
    assert "raises 30-day exit rate" in html
    truth = planted_world.truth["planted_effects"]["content_ratio_experiment"]["true_values"]["effects"]
    effects = results["details"]["effects"]
    for row in effects:
        key = TRUTH_KEYS.get(row["outcome"])
        if key:
            assert row["ci_low"] <= truth[f"{row['arm']}_vs_control"][key] <= row["ci_high"]
    assert all(not (0 <= r["adjusted_p"] < r["p_value"]) for r in effects)
    assert [v["claim_id"] for v in results["verdicts"]] == ["content_exits", "content_stage"]


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_papermill_reads_every_parameter(notebook: Path):
    """Each name assigned in the parameters cell is one papermill can see (a '=' in a comment hides it)."""
    import papermill

    assigned = set(notebook_parameters(notebook))
    assert assigned and set(papermill.inspect_notebook(str(notebook))) == assigned


def test_operations_report_on_planted_data(planted_world, tmp_path: Path):
    """Study 5 end to end: the three operations claims judged, and a report a reader can read."""
    _, results = _study_report("05_operations", planted_world, tmp_path, "Service agents' load", 3)
    assert [v["claim_id"] for v in results["verdicts"]] == ["welcome_pacing", "staffing", "activity_cadence"]
