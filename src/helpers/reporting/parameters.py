"""The notebooks' parameters checked before papermill starts, against the ranges each study declares.

A notebook's parameters cell gives each parameter's default (and so its type); each
study's ``Params`` declares what values make sense (``RANGES``, beside the fields they
check). The batch checks every run against both and names the run,
the parameter, the value and the rule, so a typo costs a second, not a failed report.
Values that depend on the data (an experiment's name, a column to segment by) are checked
against the dataset's own tables.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from helpers.data.sources import find_sources, raw_sql
from helpers.studies.experiment import ExperimentParams
from helpers.studies.operations import OperationsParams
from helpers.studies.overview import OverviewParams
from helpers.studies.ranges import Rule
from helpers.studies.recruitment import RecruitmentParams
from helpers.studies.retention import RetentionParams
from helpers.studies.size_activity import SizeParams

PARAMS = (OverviewParams, RetentionParams, SizeParams, RecruitmentParams, ExperimentParams, OperationsParams)
"""Every study's Params class: each declares the ranges of its own parameters (``RANGES``)."""

RULES: dict[str, Rule] = {name: rule for params in PARAMS for name, rule in params.RANGES.items()}
"""Parameter name -> its rule, read from the studies' declarations. Names mean the same in every notebook."""


def range_problems(run: str, parameters: dict) -> list[str]:
    """Every parameter of a run outside its range, each naming the run, the parameter, the value and the rule."""
    out = []
    for key, value in parameters.items():
        rule = RULES.get(key)
        if rule and not rule.check(value):
            out.append(f"run '{run}': parameter '{key}' is {value!r}; it should be {rule.words}")
    return out


def data_problems(run: str, parameters: dict, data_dir: Path) -> list[str]:
    """Parameters that must name something in the data (the experiment): checked against its assignments table."""
    experiment = parameters.get("experiment")
    if experiment is None:
        return []
    source = find_sources(data_dir)[0].get("assignments")
    if source is None:
        return []  # no experiment in the data: the report says so
    try:
        names = [r[0] for r in duckdb.sql(f"SELECT DISTINCT experiment FROM ({raw_sql(source)})").fetchall()]
    except duckdb.Error:
        return []  # an unreadable table is validation's to report, with its line
    if experiment not in names:
        found = ", ".join(sorted(map(str, names))) or "none"
        return [f"run '{run}': parameter 'experiment' is {experiment!r}, not in the data (experiments found: {found})"]
    return []
