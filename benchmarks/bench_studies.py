"""Scale check of the studies' computations on the 10,000-group dataset (``make bench``).

Times Study 1's cohort computations (member table, both retention triangles, lifecycle
layers), Study 2's tables (the group-week panel, also Study 4's, and the hour x
weekday counts), Study 3's (windows, early members, recruitment curves) and Study
4's per-group experiment outcomes, each against its limit of 30 s; Study 2's models (pandas/statsmodels on
the panel, 200 bootstrap resamples each) and opening and validating the dataset are
timed apart. A broken limit (or a peak memory past 4 GB) is named at the end; the run exits 0
so ``make bench`` goes on to record its other figures (a loaded machine breaks time limits
that an idle one keeps), and 1 only with ``--strict``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from helpers import open_dataset
from helpers.data import event_time
from helpers.measures import members as member_measures
from helpers.measures.group_week import group_week_panel
from helpers.studies.experiment import measures as experiment
from helpers.studies.recruitment import measures as recruitment
from helpers.studies.retention import measures as retention
from helpers.studies.size_activity import models as activity_models
from helpers.studies.size_activity import timing

LIMIT_SECONDS, LIMIT_GB = 30.0, 4.0


def main() -> int:
    """Open the dataset, time each cohort computation, print the figures, check the limits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a limit is broken")
    args = parser.parse_args()
    began = time.perf_counter()
    ds = open_dataset(args.data_dir)
    print(f"open + validate: {time.perf_counter() - began:.1f} s")
    made = {}
    cohorts = {  # the data's end is found once and passed on, as the notebooks do
        "data end": lambda: [made.setdefault("end", event_time.data_end(ds.tables))],
        "member table": lambda: member_measures.member_table(ds.tables, made["end"]),
        "membership triangle": lambda: retention.retention_triangle(ds.tables, "week", "membership", end=made["end"]),
        "activity triangle": lambda: retention.retention_triangle(ds.tables, "week", "activity", end=made["end"]),
        "lifecycle layers": lambda: retention.lifecycle_layers(ds.tables, made["end"]),
    }
    size_tables = {
        "group-week panel": lambda: made.setdefault("panel", group_week_panel(ds.tables, end=made["end"])),
        "hour x weekday": lambda: timing.hour_weekday_counts(ds.tables),
    }
    broken: list[str] = []
    recruitment_tables = {
        "windows": lambda: made.setdefault("windows", recruitment.recruitment_windows(ds.tables, end=made["end"])),
        "early members": lambda: recruitment.early_members(ds.tables, made["windows"], end=made["end"]),
        "recruitment curves": lambda: recruitment.recruitment_curves(ds.tables, days=74),
    }
    experiment_tables = {
        "experiment outcomes": lambda: experiment.group_outcomes(ds.tables, "content_ratio", end=made["end"])
    }
    for label, steps in (
        ("cohort computations", cohorts),
        ("size study tables", size_tables),
        ("recruitment tables", recruitment_tables),
        ("experiment tables", experiment_tables),
    ):
        total = sum(_timed(name, step) for name, step in steps.items())
        print(f"{label}: {total:.1f} s" + ("  LIMIT BROKEN" if total > LIMIT_SECONDS else ""))
        if total > LIMIT_SECONDS:
            broken.append(f"{label} {total:.1f} s > {LIMIT_SECONDS:g} s")
    rows = activity_models.model_rows(made["panel"], ds.tables.groups.to_pandas(), made["end"])
    models = {
        "size model": lambda: activity_models.activity_model(rows, "size").curve.curve,
        "monitor model": lambda: activity_models.activity_model(rows, "monitor_share").curve.curve,
        "within-group model": lambda: activity_models.within_group_size_curve(rows).curve,
    }
    print(
        f"size study models ({len(rows):,} group-weeks): "
        f"{sum(_timed(name, step) for name, step in models.items()):.1f} s"
    )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory {peak_gb:.2f} GB" + ("  LIMIT BROKEN" if peak_gb > LIMIT_GB else ""))
    if peak_gb > LIMIT_GB:
        broken.append(f"peak memory {peak_gb:.2f} GB > {LIMIT_GB:g} GB")
    if broken:
        print("limits broken: " + "; ".join(broken))
    return 1 if broken and args.strict else 0


def _timed(name: str, step) -> float:
    """Run one step, print its time and size, return the seconds."""
    start = time.perf_counter()
    out = step()
    seconds = time.perf_counter() - start
    print(f"  {name:<20} {seconds:6.1f} s  {f'{len(out):,} rows' if hasattr(out, '__len__') else ''}")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
