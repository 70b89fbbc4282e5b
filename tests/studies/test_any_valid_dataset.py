"""Property: every contract-valid dataset, however small or lopsided, runs through every study.

Hypothesis draws small datasets (``small_datasets.shapes``: 1-30 groups, spans of a day to
ten months, one member, no messages, only system messages, every member gone, no
assignments, one arm). On each, every study's ``summarise`` must return, its figures
draw, its results serialise, and every headline number is either a number with its
interval or "not estimable" with a reason; a verdict on what could not be estimated is
"inconclusive" and says so. Failing examples Hypothesis found are kept below as
``@example`` regression cases.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from hypothesis import HealthCheck, example, given, settings
from studies.small_datasets import Shape, build, shapes

from helpers import open_dataset
from helpers.reporting import batch
from helpers.studies.experiment.summary import summarise as experiment
from helpers.studies.operations.summary import summarise as operations
from helpers.studies.overview.summary import summarise as overview
from helpers.studies.recruitment.summary import summarise as recruitment
from helpers.studies.retention.summary import summarise as retention
from helpers.studies.size_activity.summary import summarise as size_activity

from conftest import ROOT

STUDIES = {
    "overview": overview,
    "retention": retention,
    "size_activity": size_activity,
    "recruitment": recruitment,
    "experiment": experiment,
    "operations": operations,
}
EXAMPLES = 40
"""Drawn datasets per `make test` run (each runs all five studies and draws their figures, about 2 s)."""

FOUND = [
    # What the first runs found, each a crash before the fix named beside it:
    # only system messages over 10 days: retention by segment had no rows (KeyError 'level')
    Shape(10, 10, 120, 400, 5, 2, False, True, False, False, True, 0, 48119),
    # one member per group: the pooled size spline had no knots (patsy NameError 'nan')
    Shape(14, 300, 1, 3, 4, 2, False, False, False, False, False, 0, 54549),
    # several segments: retention curves concatenated with duplicate labels
    Shape(5, 120, 1, 40, 1, 2, False, False, False, True, True, 2, 56723),
    # everyone left within a day: the Cox fit did not converge
    Shape(27, 1, 2, 3, 5, 2, True, False, False, True, False, 2, 49581),
    # no messages at all: an empty table was an error, then the stacked plot had no colours
    Shape(20, 1, 30, 40, 2, 3, False, False, True, True, True, 2, 28390),
    # one group whose only stays are the operators': no member, no Kaplan-Meier, no layers
    Shape(1, 40, 2, 0, 2, 2, False, False, False, True, False, 3, 59093),
    Shape(1, 1, 5, 3, 3, 1, False, False, False, True, True, 0, 51106),
    # one target size for every group, no messages: the recruitment model's knots collapsed
    Shape(10, 120, 30, 0, 3, 3, False, False, True, True, True, 3, 17713),
    # a single arm: no comparison (the experiment study concatenated nothing)
    Shape(17, 120, 2, 400, 1, 2, False, False, True, False, True, 1, 54319),
    # one group per audience: the peak-hour lift had no interval yet was judged
    Shape(8, 120, 120, 3, 3, 3, False, False, False, False, True, 3, 30714),
    # an exit share of 0: Wilson's lower end rounded above the share (negative error bar)
    Shape(19, 120, 120, 3, 3, 3, False, False, False, True, True, 1, 21036),
]
"""Regression cases: the shapes that broke a study before (kept whatever Hypothesis draws next)."""


def _check_result(name: str, result) -> None:
    """The invariants of one study's result on any valid data."""
    for key, e in result.headline.items():
        if e.not_estimable:
            assert e.why_not, (name, key, "not estimable without a reason")
        else:
            assert math.isfinite(e.value), (name, key, e)
            assert not math.isnan(e.ci_low) and not math.isnan(e.ci_high), (name, key, e)
            assert e.ci_low <= e.value <= e.ci_high, (name, key, e)
    for verdict in result.verdicts:
        assert verdict.verdict in ("supported", "contradicted", "inconclusive"), (name, verdict)
        if verdict.estimate is None or verdict.estimate.not_estimable:
            assert verdict.verdict == "inconclusive" and "not estimable" in verdict.reason, (name, verdict)
    json.dumps(result.as_dict(), default=str)
    for figure in result.figures:
        plt.close(result.figure(figure))


def example_all(found: list[Shape]):
    """Hypothesis ``@example`` for every shape in ``found``."""

    def decorate(test):
        for shape in reversed(found):
            test = example(shape)(test)
        return test

    return decorate


def run_every_study(shape: Shape) -> None:
    """Build the dataset of ``shape`` and run every study on it, checking each result."""
    with tempfile.TemporaryDirectory() as tmp:
        ds = open_dataset(build(shape, Path(tmp) / "data"))
        for name, summarise in STUDIES.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _check_result(name, summarise(ds))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@example_all(FOUND)
@given(shapes)
def test_every_study_completes_on_any_small_valid_dataset(shape):
    run_every_study(shape)


@pytest.mark.slow
@pytest.mark.parametrize("shape", [FOUND[0], FOUND[5]], ids=["only-system-lines-no-experiment", "operators-only"])
def test_the_batch_builds_every_report_on_odd_data(shape, tmp_path):
    """The five notebooks, as `make reports` runs them, on two of the odd datasets: every report built, no 'nan'."""
    build(shape, tmp_path / "data")
    runs = "".join(f"  - notebook: {path}\n" for path in sorted((ROOT / "notebooks").glob("0*.ipynb")))
    config = tmp_path / "reports.yml"
    config.write_text(f"workers: 2\nout: out\nparameters:\n  data_dir: data\nruns:\n{runs}")
    assert batch.main(["--config", str(config)]) == 0
    pages = sorted((tmp_path / "out").glob("0*/*.html"))
    assert len(pages) == len(runs.splitlines())
    for page in pages:
        text = re.sub(r"<[^>]+>", " ", page.read_text())
        assert not re.search(r"\bnan\b", text, flags=re.IGNORECASE), page.name
