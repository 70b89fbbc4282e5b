"""Each study's shape: ``estimate`` returns numbers and tables only, the words come from them, Params by keyword."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers.data.atomic import strict_json
from helpers.data.engine import open_dataset
from helpers.stats.estimate import Estimate
from helpers.studies import experiment, operations, overview, recruitment, retention, size_activity
from helpers.synth import generate

from conftest import ROOT

STUDIES = {
    "overview": (overview, overview.OverviewParams()),
    "retention": (retention, retention.RetentionParams()),
    "size_activity": (size_activity, size_activity.SizeParams(bootstrap_reps=20)),
    "recruitment": (recruitment, recruitment.RecruitmentParams(bootstrap_reps=20)),
    "experiment": (experiment, experiment.ExperimentParams()),
    "operations": (operations, operations.OperationsParams()),
}

LABEL_CHARS = 60
"""Longest string an estimate may hold outside a reason: a label (a level, an arm, a column), never a sentence."""

WHY_FIELDS = {"reason", "unrecorded", "why_not", "stages_why", "method"}
"""Fields whose strings say why a number is missing or how it was computed (part of the Estimate currency)."""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A small drawn world: 60 groups over 6 months (seed 11)."""
    path = tmp_path_factory.mktemp("shape") / "data"
    generate(path, n_groups=60, seed=11, months=6, progress=False)
    return open_dataset(path)


@pytest.fixture(scope="module")
def estimates(dataset) -> dict:
    """Every study's estimate on the small world."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: study.estimate(dataset, params) for name, (study, params) in STUDIES.items()}


def _long_strings(value: object, path: str, seen: set[int]) -> list[str]:
    """Paths of strings longer than a label anywhere in a result (dataclasses, dicts, sequences), reasons aside."""
    if isinstance(value, str):
        return [f"{path}: {value[:50]!r}"] if len(value) > LABEL_CHARS else []
    if isinstance(value, Estimate | pd.DataFrame | pd.Series | np.ndarray) or id(value) in seen:
        return []  # Estimates carry their method and reason; tables are data
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in WHY_FIELDS]
    elif isinstance(value, dict):
        fields = [(str(k), v) for k, v in value.items() if k not in WHY_FIELDS]
    elif isinstance(value, list | tuple):
        fields = [(str(i), v) for i, v in enumerate(value)]
    else:
        return []
    return [hit for name, child in fields for hit in _long_strings(child, f"{path}.{name}", seen)]


@pytest.mark.parametrize("study", list(STUDIES))
def test_estimate_returns_numbers_and_tables_not_sentences(estimates, study):
    est = estimates[study]
    assert dataclasses.is_dataclass(est) and type(est).__dataclass_params__.frozen
    assert all(isinstance(e, Estimate) for e in est.headline.values())
    assert _long_strings(est, study, set()) == []
    assert json.dumps(est.as_dict(), default=str)  # the numbers as plain values


def test_the_long_string_check_catches_a_sentence():
    """The check above can fail: a sentence in a nested result is found, a reason is not."""

    @dataclasses.dataclass(frozen=True)
    class Inner:
        label: str
        reason: str

    sentence = "Half of all members have left after 40 days (median membership, 95% CI 38-42)."
    assert _long_strings(Inner("arm", sentence), "x", set()) == []
    assert _long_strings({"inner": [Inner(sentence, "")]}, "x", set()) == [f"x.inner.0.label: {sentence[:50]!r}"]


@pytest.mark.parametrize("study", list(STUDIES))
def test_summarise_is_estimate_then_words(dataset, estimates, study, monkeypatch):
    """summarise composes estimate, findings and verdicts: the same numbers, the same verdicts, words from them."""
    module, params = STUDIES[study]
    est = estimates[study]
    summary = importlib.import_module(f"helpers.studies.{study}.summary")
    monkeypatch.setattr(summary, "estimate", lambda ds, p=None: est)  # no refit: the same numbers, exactly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = module.summarise(dataset, params)
    assert result.headline == est.headline
    assert [v.as_dict() for v in result.verdicts] == [v.as_dict() for v in module.verdicts(est)]
    assert [f.text for f in result.findings] == [f.text for f in module.findings(est)]
    assert all(f.text for f in result.findings)


def _params_calls(source: str) -> list[ast.Call]:
    """Calls of a study's Params class in a notebook cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # cells with IPython magics are not study calls
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("Params")
    ]


def test_every_notebook_builds_its_params_by_keyword():
    """A reordered Params field must never swap values silently: every notebook names each argument."""
    calls = 0
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            for call in _params_calls("".join(cell["source"])):
                calls += 1
                assert not call.args, f"{path.name}: {call.func.id} takes positional arguments"
    assert calls >= len(STUDIES)  # every study notebook builds its Params
    assert _params_calls("p = SizeParams(8, tuple(bands))")[0].args  # the check sees positional arguments


@pytest.mark.parametrize("study", list(STUDIES))
def test_params_declare_ranges_their_defaults_meet(study):
    module, _ = STUDIES[study]
    params_class = next(getattr(module, name) for name in module.__all__ if name.endswith("Params"))
    defaults = params_class()
    assert defaults.problems() == []
    assert set(params_class.RANGES) <= {f.name for f in dataclasses.fields(params_class)}
    for name, rule in params_class.RANGES.items():
        value = getattr(defaults, name)
        assert rule.check(list(value) if isinstance(value, tuple) else value), name  # a notebook passes lists


def test_params_problems_name_the_field_the_value_and_the_rule():
    bad = size_activity.SizeParams(spline_df=1, activity_metric="likes")
    problems = bad.problems()
    assert len(problems) == 2
    assert any(p.startswith("spline_df is 1; it should be a whole number from 3 to 20") for p in problems)
    assert any(p.startswith("activity_metric is 'likes'") for p in problems)


def _functions(tree: ast.AST):
    """Every function definition in a module, nested ones too."""
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def test_no_function_is_longer_than_100_lines_and_each_summarise_is_short():
    """Small functions: none in the package over 100 lines, each study's summarise under 60."""
    long, summaries = [], 0
    for path in sorted((ROOT / "src" / "helpers").rglob("*.py")):
        for node in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            length = node.end_lineno - node.lineno + 1
            limit = 60 if node.name == "summarise" and path.parent.parent.name == "studies" else 100
            summaries += limit == 60
            if length > limit:
                long.append(f"{path.relative_to(ROOT)}:{node.name} ({length} lines)")
    assert long == []
    assert summaries == len(STUDIES)


def test_a_parameter_name_means_the_same_in_every_study():
    """The batch checks a run by parameter name across studies, so a name two studies declare has one rule."""
    words: dict[str, set[str]] = {}
    for module, _ in STUDIES.values():
        params_class = next(getattr(module, name) for name in module.__all__ if name.endswith("Params"))
        for name, rule in params_class.RANGES.items():
            words.setdefault(name, set()).add(rule.words)
    assert {name for name, said in words.items() if len(said) > 1} == set()
    assert {"alpha", "bootstrap_reps"} <= {name for name in words}  # declared by two studies each


def test_a_number_the_page_calls_not_estimable_is_not_in_results_json():
    """A retention measured in one group has a value but no CI: written as none with its reason, never as 0.877."""
    one_group = Estimate(
        "30-day membership retention",
        0.877,
        float("nan"),
        float("nan"),
        "ratio",
        n=57,
        reason="a CI clustered by group needs two groups or more",
    )
    written = json.loads(strict_json(one_group.as_dict()))
    assert written["value"] is None and written["ci_low"] is None
    assert written["reason"] == "a CI clustered by group needs two groups or more"
    assert Estimate("share", 0.5, 0.4, 0.6, "ratio").as_dict()["value"] == 0.5
