"""The suite on a real Spark standalone cluster (``make bench``): the scale-out path as a company cluster runs it.

Starts a master and two workers on loopback (``helpers.data.cluster``: each its own JVM,
one core and 1 GB each, stopped by process id afterwards), opens a middle-sized dataset
with ``pyspark://spark://...`` and times each step of the metric suite there, with the
same steps on the embedded DuckDB in the same run for the ratio. Writes
``benchmarks/cluster.json``. On one 2-core machine the cluster is slower than DuckDB by
design (JVMs, shuffles, Python round trips): the figure says what the path costs, not
that it is the fast one here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

import bench  # noqa: E402


def steps(url: str | None, data_dir: Path) -> dict[str, float]:
    """Seconds per step of the suite (opening included) on the engine at ``url`` (None: DuckDB)."""
    from helpers import open_dataset
    from helpers.data import event_time
    from helpers.data.cluster import wait_for_executors
    from helpers.measures import members as member_measures
    from helpers.measures.group_week import group_week_panel
    from helpers.studies.experiment import measures as experiment
    from helpers.studies.recruitment import measures as recruitment
    from helpers.studies.retention import measures as retention

    times, made = {}, {}

    def step(name: str, work) -> None:
        began = time.perf_counter()
        work()
        times[name] = round(time.perf_counter() - began, 2)
        print(f"  {'spark' if url else 'duckdb'} {name:<22} {times[name]:7.1f} s", flush=True)

    step("open", lambda: made.setdefault("ds", open_dataset(data_dir, url)))
    ds = made["ds"]
    if url:
        made["executors"] = wait_for_executors(ds.con._session, 2)
    tables = ds.tables
    end = event_time.data_end(tables)
    step("member table", lambda: member_measures.member_table(tables, end))
    step("membership triangle", lambda: retention.retention_triangle(tables, "week", "membership", end=end))
    step("activity triangle", lambda: retention.retention_triangle(tables, "week", "activity", end=end))
    step("lifecycle layers", lambda: retention.lifecycle_layers(tables, end))
    step("group-week panel", lambda: group_week_panel(tables, end=end))
    step("recruitment windows", lambda: recruitment.recruitment_windows(tables, end=end))
    step("experiment outcomes", lambda: experiment.group_outcomes(tables, "content_ratio", end=end))
    if url:
        times["executors"] = made["executors"]
        ds.con._session.stop()
    return times


def main() -> int:
    """Time the suite on DuckDB and on a two-worker standalone cluster; write cluster.json."""
    from helpers.data.cluster import standalone_cluster

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "cluster.json")
    args = parser.parse_args()
    data_dir = bench.dataset(args.groups)
    duck = steps(None, data_dir)
    with tempfile.TemporaryDirectory() as tmp, standalone_cluster(Path(tmp), workers=2) as url:
        spark = steps(url, data_dir)
    total = {
        k: round(sum(v for s, v in side.items() if s != "executors"), 1)
        for k, side in (("duckdb", duck), ("spark", spark))
    }
    document = {
        "dataset": {"groups": args.groups, "messages": bench.messages_in(data_dir)},
        "cluster": {
            "master": 1,
            "workers": 2,
            "cores_per_worker": 1,
            "memory_per_worker": "1g",
            "executors_registered": spark.get("executors"),
        },
        "seconds": {"duckdb": duck, "spark_standalone": {k: v for k, v in spark.items() if k != "executors"}},
        "total_seconds": total,
        "spark_over_duckdb": round(total["spark"] / total["duckdb"], 1),
    }
    tmp_out = args.out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps(document, indent=2) + "\n")
    tmp_out.replace(args.out)
    print(f"suite: duckdb {total['duckdb']} s, spark cluster {total['spark']} s; wrote {args.out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
