"""The notebooks' parameters: the range each may take, in one place, checked before papermill starts.

A notebook's parameters cell gives each parameter's default (and so its type); this table
gives what values make sense. The batch checks every run against both and names the run,
the parameter, the value and the rule, so a typo costs a second, not a failed report.
Values that depend on the data (an experiment's name, a column to segment by) are checked
against the dataset's own tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from helpers.data.schema import GROUPS
from helpers.data.sources import find_sources, raw_sql
from helpers.studies.experiment.models import OUTCOMES
from helpers.studies.overview.measures import PERIODS
from helpers.studies.size_activity.models import METRICS

SEGMENT_COLUMNS = [c.name for c in GROUPS.columns if c.dtype == "string" and c.name != "group_id"]
"""Group attributes a report can be segmented by."""


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _increasing(value: object) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(b > a for a, b in zip(value, value[1:]))


RULES: dict[str, tuple[Callable[[object], bool], str]] = {
    "alpha": (lambda v: isinstance(v, float | int) and 0 < v < 1, "a probability strictly between 0 and 1"),
    "bootstrap_reps": (lambda v: isinstance(v, int) and v >= 100, "a whole number of at least 100 resamples"),
    "spline_df": (lambda v: isinstance(v, int) and 3 <= v <= 20, "a whole number from 3 to 20"),
    "monitor_spline_df": (lambda v: isinstance(v, int) and 3 <= v <= 20, "a whole number from 3 to 20"),
    "koc_factor": (lambda v: _positive(v) and v > 1, "a number above 1 (times the group's median member)"),
    "min_members": (lambda v: isinstance(v, int) and v >= 1, "a whole number of at least 1"),
    "min_cohort_size": (lambda v: isinstance(v, int) and v >= 1, "a whole number of at least 1"),
    "max_periods": (lambda v: isinstance(v, int) and v >= 1, "a whole number of at least 1"),
    "target_size": (lambda v: isinstance(v, int) and v >= 2, "a whole number of at least 2 members"),
    "early_k": (lambda v: v is None or (isinstance(v, int) and v >= 1), "empty, or a whole number of at least 1"),
    "early_days": (_positive, "a number of days above 0"),
    "horizon_days": (_positive, "a number of days above 0"),
    "utc_offset_hours": (lambda v: isinstance(v, int | float) and -12 <= v <= 14, "an offset from -12 to +14 hours"),
    "size_bands": (_increasing, "an increasing list of sizes, e.g. [0, 50, 100]"),
    "window_bins": (_increasing, "an increasing list of days, e.g. [7, 14, 28]"),
    "cohort_period": (lambda v: v in ("week", "month"), "week or month"),
    "period": (lambda v: v in PERIODS, " or ".join(PERIODS)),
    "retention_kind": (lambda v: v in ("membership", "activity"), "membership or activity"),
    "activity_metric": (lambda v: v in METRICS, " or ".join(METRICS)),
    "correction": (lambda v: v in ("holm", "bh", "none"), "holm, bh or none"),
    "outcomes": (
        lambda v: isinstance(v, list) and len(v) >= 1 and set(v) <= set(OUTCOMES),
        f"a non-empty list from {', '.join(OUTCOMES)}",
    ),
    "segment_by": (lambda v: v in SEGMENT_COLUMNS, "a column of groups: " + ", ".join(SEGMENT_COLUMNS)),
    "bounded": (lambda v: isinstance(v, bool), "True (in period k) or False (in period k or later)"),
    "relative": (lambda v: isinstance(v, bool), "True (over the previous period) or False (over the cohort)"),
    "entry": (lambda v: v in ("first", "recurring"), "first or recurring"),
    "rmst_days": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a whole number of days, 1+"),
    "brackets": (
        lambda v: v is None or (_increasing(v) and v[0] == 0 and all(isinstance(x, int) for x in v)),
        "empty, or an increasing list of whole days from 0, e.g. [0, 1, 7, 30, 90]",
    ),
}
"""Parameter name -> (rule, the rule in words). Names mean the same in every notebook."""


def range_problems(run: str, parameters: dict) -> list[str]:
    """Every parameter of a run outside its range, each naming the run, the parameter, the value and the rule."""
    out = []
    for key, value in parameters.items():
        rule = RULES.get(key)
        if rule and not rule[0](value):
            out.append(f"run '{run}': parameter '{key}' is {value!r}; it should be {rule[1]}")
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
