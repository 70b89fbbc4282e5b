"""How fast the Explore controls redraw: the dashboard's views and each study explorer, on the default dataset.

Run by ``make bench`` (timing belongs here, not in ``make test``). A redraw is a draw plus
the PNG render the notebook does. Writes ``benchmarks/redraw.json`` with the median and
maximum per explorer, and prints them; exits 1 when a median exceeds its target.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers import open_dataset  # noqa: E402
from helpers.data.event_time import data_end  # noqa: E402
from helpers.explore import dashboard as explore  # noqa: E402
from helpers.explore import studies as study_explore  # noqa: E402
from helpers.measures.group_week import group_week_panel  # noqa: E402
from helpers.studies.experiment import measures as experiment_measures  # noqa: E402
from helpers.studies.size_activity import models  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_MEDIAN_SECONDS = 0.3
"""A control change should redraw within this (median); the README quotes the measured figures."""


def timed_png(draw, *args, **kwargs) -> float:
    """Seconds to draw a figure and render it as the notebook would (PNG)."""
    began = time.perf_counter()
    fig = draw(*args, **kwargs)
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    return time.perf_counter() - began


def measure(data_dir: Path) -> dict[str, list[float]]:
    """Redraw times of the dashboard and the three study explorers over a few selections each."""
    data = explore.load(data_dir)
    choices = explore.options(data)
    selections = [{}, {"segment": choices["segment"][2]}, {"channel": choices["channel"][1], "size_band": "150-200"}]
    times = {"dashboard": [timed_png(explore.draw, data, v, **s) for v in explore.VIEWS for s in selections]}
    ds = open_dataset(data_dir)
    end = data_end(ds.tables)
    panel = group_week_panel(ds.tables, end=end)
    groups = ds.tables.groups.to_pandas()
    rows = models.model_rows(panel, groups, end)
    outcomes = experiment_measures.add_interaction(
        experiment_measures.group_outcomes(ds.tables, "content_ratio"), panel
    )
    outcomes = outcomes.merge(groups[["group_id", "segment", "channel"]], on="group_id")
    segment = sorted(rows["segment"].unique())[2]
    times["size_explorer"] = [
        timed_png(study_explore.draw_size, rows, view, metric, segment=s)
        for view in study_explore.SIZE_VIEWS
        for metric in models.METRIC_WORDS
        for s in ("all", segment)
    ]
    times["experiment_explorer"] = [
        timed_png(study_explore.draw_experiment, outcomes, "control", view, cuped, segment=s)
        for view in study_explore.EXPERIMENT_VIEWS
        for cuped in (True, False)
        for s in ("all", segment)
    ]
    explorer = study_explore.RecruitmentExplorer(ds.tables, end)
    times["recruitment_new_setting"] = [timed_png(explorer.draw, size, 14, 60) for size in (150, 200)]
    times["recruitment_explorer"] = [
        timed_png(explorer.draw, size, 14, 60, weeks, segment=s)
        for size in (150, 200)
        for weeks in (3, 4, 6)
        for s in ("all", segment)
    ]
    return times


def main() -> int:
    """Measure, print, write benchmarks/redraw.json, check the median targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "processed" / "default")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "redraw.json")
    args = parser.parse_args()
    times = measure(args.data)
    summary = {
        name: {"median_s": statistics.median(s), "max_s": max(s), "redraws": len(s)} for name, s in times.items()
    }
    for name, row in summary.items():
        print(f"{name:26s} median {1000 * row['median_s']:6.0f} ms  max {1000 * row['max_s']:6.0f} ms")
    missed = [n for n, r in summary.items() if n != "recruitment_new_setting" and r["median_s"] > TARGET_MEDIAN_SECONDS]
    document = {"target_median_s": TARGET_MEDIAN_SECONDS, "explorers": summary, "missed": missed}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(args.out)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
