"""The scale benchmark (``make bench``): the metric suite at 100 million messages, raced against its rivals.

1. The yardstick: one DuckDB scan of the whole messages table (row count and a column's
   sum), the closest thing to the physical limit; every figure is also given in scans,
   since absolute seconds swing twofold between machines of the same size.
2. Engine suite on the 17,000-group dataset (101M messages, 3.3M stays): opening (full
   validation as for a dataset never seen, then fingerprint only), member table, both
   weekly retention triangles, lifecycle layers, group-week panel, recruitment windows and
   early members, experiment outcomes; wall time, scans and peak memory (RSS, sampled every
   20 ms) per step.
3. The race at several scales, each side in its own process under the same memory cap and
   time limit: the engine, pandas (``pandas_reference.py``), Polars lazy on the streaming
   engine (``polars_reference.py``) and hand-written DuckDB SQL (``sql_reference.py``), the
   same metrics from the files to the finished frames (tests/measures/test_reference.py holds
   them equal); where a side runs out of memory or time that is recorded.

Writes ``benchmarks/results.json`` and ``benchmarks/scale.png``; names the targets missed (exits 1 on them with ``--strict``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SUITE_SECONDS, SUITE_GB, SPEEDUP = 60.0, 4.0, 5.0


class PeakMemory:
    """The process's largest resident set while a block runs (sampled), in GB."""

    def __enter__(self) -> PeakMemory:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            self._stop.wait(0.02)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, psutil.Process().memory_info().rss)

    @property
    def gb(self) -> float:
        return self.peak / 1024**3


def engine_steps(data_dir: str, reference_only: bool = False) -> list[dict]:
    """Run the engine's metric suite, timing each step; the steps the reference also has if ``reference_only``."""
    from helpers import open_dataset
    from helpers.data import event_time
    from helpers.measures import members as member_measures
    from helpers.measures.group_week import group_week_panel
    from helpers.studies.experiment import measures as experiment
    from helpers.studies.recruitment import measures as recruitment
    from helpers.studies.retention import measures as retention

    results, made = [], {}

    def step(name: str, work) -> None:
        with PeakMemory() as memory:
            began = time.perf_counter()
            out = work()
            seconds = time.perf_counter() - began
        rows = len(out) if hasattr(out, "__len__") else None
        results.append({"step": name, "seconds": round(seconds, 2), "peak_gb": round(memory.gb, 2), "rows": rows})
        print(f"  {name:<22} {seconds:7.1f} s  {memory.gb:5.2f} GB" + (f"  {rows:,} rows" if rows else ""), flush=True)

    os.environ["WORKBENCH_REVALIDATE"] = "1"  # the first open checks every row, as for a dataset never seen
    step("open (validate)", lambda: made.setdefault("ds", open_dataset(data_dir)))
    os.environ["WORKBENCH_REVALIDATE"] = ""
    step("open (validated before)", lambda: made.__setitem__("ds", open_dataset(data_dir)))
    tables = made["ds"].tables
    end = event_time.data_end(tables)
    step("member table", lambda: member_measures.member_table(tables, end))
    step("membership triangle", lambda: retention.retention_triangle(tables, "week", "membership", end=end).counts)
    step("activity triangle", lambda: retention.retention_triangle(tables, "week", "activity", end=end).counts)
    if not reference_only:
        step("lifecycle layers", lambda: retention.lifecycle_layers(tables, end))
    step("group-week panel", lambda: group_week_panel(tables, end=end))
    step("recruitment windows", lambda: made.setdefault("windows", recruitment.recruitment_windows(tables, end=end)))
    if not reference_only:
        step("early members", lambda: recruitment.early_members(tables, made["windows"], end=end))
    step("experiment outcomes", lambda: experiment.group_outcomes(tables, "content_ratio", end=end))
    return results


RIVALS = {"pandas": "pandas_reference", "polars": "polars_reference", "duckdb_sql": "sql_reference"}
"""The rivals raced against the engine, each a module in benchmarks/ computing the same frames."""


def rival_run(kind: str, data_dir: str) -> dict:
    """One rival's whole suite (reading the files included), in this process."""
    sys.path.insert(0, str(Path(__file__).parent))
    module = __import__(RIVALS[kind])
    with PeakMemory() as memory:
        began = time.perf_counter()
        module.suite(data_dir)
        seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 2), "peak_gb": round(memory.gb, 2)}


def yardstick(data_dir: str | Path, repeats: int = 3) -> float:
    """Seconds of one DuckDB scan of the whole messages table (row count and a column's sum), best of ``repeats``."""
    import duckdb

    con = duckdb.connect()
    source = Path(data_dir) / "messages" / "*.parquet"
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        con.execute(f"SELECT count(*), sum(text_length) FROM read_parquet('{source}')").fetchall()
        best = min(best, time.perf_counter() - began)
    return best


def _child(kind: str, data_dir: str, memory_gb: float, timeout: float) -> dict:
    """Run one side (the engine or a rival) in a fresh process under a memory cap and a time limit."""
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import bench; "
        f"print('RESULT', json.dumps(bench._side({kind!r}, {data_dir!r})))"
    )

    def cap() -> None:
        limit = int(memory_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            preexec_fn=cap,
            env={**os.environ, "WORKBENCH_REVALIDATE": ""},
        )  # engine_steps sets it per step
    except subprocess.TimeoutExpired:
        return {"status": f"did not finish within {timeout / 60:.0f} min"}
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        memory = any(w in done.stderr for w in ("MemoryError", "Cannot allocate", "Out of Memory", "memory allocation"))
        memory |= done.returncode in (-9, 137)
        return {"status": f"out of memory (cap {memory_gb:g} GB)" if memory else f"failed: {tail[:200]}"}
    return {"status": "ok", **json.loads(line[len("RESULT ") :])}


def _side(kind: str, data_dir: str) -> dict:
    """One side's figures for the comparison (called in the child process)."""
    if kind != "engine":
        return rival_run(kind, data_dir)
    steps = engine_steps(data_dir, reference_only=True)
    work = [s for s in steps if s["step"] != "open (validate)"]  # opening counted as for a dataset seen before
    return {
        "seconds": round(sum(s["seconds"] for s in work), 2),
        "validation_seconds": next(s["seconds"] for s in steps if s["step"] == "open (validate)"),
        "peak_gb": max(s["peak_gb"] for s in steps),
    }


def dataset(groups: int) -> Path:
    """The synthetic dataset with ``groups`` groups (seed 1, 12 months), generated once (time and peak recorded)."""
    path = ROOT / "data" / "processed" / f"bench_{groups}"
    if not (path / ".complete").exists():
        cmd = [sys.executable, "-m", "helpers.synth", "--replace", "--out", str(path), "--groups", str(groups)]
        cmd += ["--seed", "1"]
        script = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        script += "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"  # the generator's own peak
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", script, *cmd, "--months", "12", "--quiet"],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        generation = {
            "seconds": round(time.perf_counter() - began, 1),
            "peak_gb": round(int(done.stdout.split()[-1]) / 1024**2, 2),
        }
        (path / ".generation.json").write_text(json.dumps(generation))
        (path / ".complete").touch()
    return path


def messages_in(path: Path) -> int:
    """The number of messages the generator wrote (truth.json)."""
    return json.loads((path / "truth.json").read_text())["marginals"]["realised"]["messages"]


def plot(comparison: list[dict], out: Path) -> None:
    """Time and peak memory against messages, every implementation, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for kind in ("engine", *RIVALS):
        rows = [r for r in comparison if r[kind]["status"] == "ok"]
        x = [r["messages"] for r in rows]
        for ax, field in zip(axes, ("seconds", "peak_gb")):
            ax.plot(x, [r[kind][field] for r in rows], marker="o", label=kind.replace("_", " "))
    for ax, label in zip(axes, ("seconds for the suite", "peak memory (GB)")):
        ax.set(xscale="log", yscale="log", xlabel="messages", ylabel=label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle("Metric suite on 2 cores: the engine and its rivals (missing points: out of memory or time)")
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main() -> int:
    """Run the suite at 100M messages and the race at every scale; write results.json and the plot; check targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=17_000, help="the big dataset (17,000 groups: 101M messages)")
    parser.add_argument("--scales", type=int, nargs="*", default=[1000, 2500, 5000, 17_000])
    parser.add_argument(
        "--memory-gb",
        type=float,  # address-space cap of every side of the race: 90% of this machine's memory
        default=round(0.9 * psutil.virtual_memory().total / 1024**3, 1),
    )
    parser.add_argument("--timeout-min", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    big = dataset(args.groups)
    scan = yardstick(big)
    n_messages = messages_in(big)
    print(f"engine suite on {args.groups:,} groups ({n_messages:,} messages); one scan {scan:.2f} s", flush=True)
    with PeakMemory() as whole:
        steps = engine_steps(str(big))
    for step in steps:
        step["scans"] = round(step["seconds"] / scan, 1)
    suite = [s for s in steps if not s["step"].startswith("open")]
    total = sum(s["seconds"] for s in suite)
    first_open = next(s["seconds"] for s in steps if s["step"] == "open (validate)")
    peak = max(whole.gb, max(s["peak_gb"] for s in steps))
    print(
        f"suite (without opening): {total:.1f} s = {total / scan:.1f} scans, peak memory {peak:.2f} GB; "
        f"first open {first_open:.1f} s = {first_open / scan:.1f} scans",
        flush=True,
    )

    comparison = []
    failed: set[str] = set()
    for groups in args.scales:
        path = dataset(groups)
        row = {"groups": groups, "messages": messages_in(path), "scan_seconds": round(yardstick(path), 3)}
        for kind in ("engine", *RIVALS):
            row[kind] = (
                _child(kind, str(path), args.memory_gb, 60 * args.timeout_min)
                if kind not in failed
                else {"status": "not run (failed at a smaller scale)"}
            )
            if row[kind]["status"] != "ok":
                failed.add(kind)
        if row["engine"]["status"] == "ok":
            row["rival_over_engine"] = {
                kind: round(row[kind]["seconds"] / row["engine"]["seconds"], 2)
                for kind in RIVALS
                if row[kind]["status"] == "ok"
            }
        comparison.append(row)
        print(
            f"  {groups:>6,} groups ({row['messages']:,} messages): "
            + ", ".join(f"{k} {row[k].get('seconds', row[k]['status'])}" for k in ("engine", *RIVALS)),
            flush=True,
        )

    ratios = [r.get("rival_over_engine", {}) for r in comparison]
    at_scale = [r for r in comparison if r["messages"] >= 100_000_000]
    checks = {
        "suite_within_30s": total <= 30,
        "suite_within_10_scans": total / scan <= 10,
        "peak_within_4gb": peak <= 4,
        "first_open_within_60s": first_open <= 60,
        "first_open_within_15_scans": first_open / scan <= 15,
        "at_least_5x_faster_than_pandas": all(r.get("pandas", 5) >= 5 for r in ratios),
        "no_slower_than_polars": all(r.get("polars", 1) >= 1 for r in ratios),
        "within_1.5x_of_duckdb_sql": all(r.get("duckdb_sql", 1) >= 1 / 1.5 for r in ratios),
        "race_ran_at_100m": bool(at_scale) and at_scale[0]["engine"]["status"] == "ok",
    }
    generation = big / ".generation.json"
    document = {
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "dataset": {
            "groups": args.groups,
            "messages": n_messages,
            "path": str(big.relative_to(ROOT)),
            "generation": json.loads(generation.read_text()) if generation.exists() else None,
        },
        "yardstick": {"what": "one DuckDB scan of messages: count(*) and sum(text_length)", "seconds": round(scan, 3)},
        "engine_suite": {
            "steps": steps,
            "seconds_without_opening": round(total, 1),
            "scans_without_opening": round(total / scan, 1),
            "first_open_seconds": first_open,
            "first_open_scans": round(first_open / scan, 1),
            "peak_gb": round(peak, 2),
        },
        "race": comparison,
        "memory_cap_gb": args.memory_gb,
        "targets": {
            "suite_seconds": 30,
            "suite_scans": 10,
            "peak_gb": 4,
            "first_open_seconds": 60,
            "first_open_scans": 15,
            "speedup_over_pandas": 5,
            "polars_over_engine": 1,
            "engine_over_duckdb_sql": 1.5,
        },
        "checks": checks,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(args.out)
    plot(comparison, args.out.with_name("scale.png"))
    print(
        f"wrote {args.out.name} and scale.png beside it; "
        + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items())
    )
    missed = [name for name, ok in checks.items() if not ok]
    if missed:
        print(f"targets missed: {', '.join(missed)} (the figures are recorded; --strict makes this an error)")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
