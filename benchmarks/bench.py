"""The scale benchmark (``make bench``): the metric suite on DuckDB at 10,000 groups, and pandas beside it.

1. Engine suite on the 10,000-group dataset (about 63M messages, 1.9M stays): opening
   (validation, then fingerprint only), member table, both weekly retention triangles,
   lifecycle layers, group-week panel, recruitment windows and early members, experiment
   outcomes; wall time and peak memory (RSS, sampled every 20 ms) per step. Targets: the
   suite within 60 s and 4 GB on 2 cores.
2. Side by side at several scales, each in its own process: the engine's and the pandas
   reference's (``pandas_reference.py``) time for the same metrics, from the files to the
   finished frames; the reference runs under a memory cap and a time limit, and where it
   runs out of either that is recorded.

Writes ``benchmarks/results.json``; exits 1 if a target is missed.
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


def reference_run(data_dir: str) -> dict:
    """The pandas reference's whole suite (reading included), in this process."""
    sys.path.insert(0, str(Path(__file__).parent))
    import pandas_reference

    with PeakMemory() as memory:
        began = time.perf_counter()
        pandas_reference.suite(data_dir)
        seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 1), "peak_gb": round(memory.gb, 2)}


def _child(kind: str, data_dir: str, memory_gb: float, timeout: float) -> dict:
    """Run one side (engine or pandas) in a fresh process under a memory cap and a time limit."""
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
            preexec_fn=cap if kind == "pandas" else None,
            env={**os.environ, "WORKBENCH_REVALIDATE": ""},
        )  # engine_steps sets it per step
    except subprocess.TimeoutExpired:
        return {"status": f"did not finish within {timeout / 60:.0f} min"}
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        memory = "MemoryError" in done.stderr or "Cannot allocate" in done.stderr or done.returncode in (-9, 137)
        return {"status": f"out of memory (cap {memory_gb:g} GB)" if memory else f"failed: {tail[:200]}"}
    return {"status": "ok", **json.loads(line[len("RESULT ") :])}


def _side(kind: str, data_dir: str) -> dict:
    """One side's figures for the comparison (called in the child process)."""
    if kind == "pandas":
        return reference_run(data_dir)
    steps = engine_steps(data_dir, reference_only=True)
    work = [s for s in steps if s["step"] != "open (validate)"]  # opening counted as for a dataset seen before
    return {
        "seconds": round(sum(s["seconds"] for s in work), 1),
        "validation_seconds": next(s["seconds"] for s in steps if s["step"] == "open (validate)"),
        "peak_gb": max(s["peak_gb"] for s in steps),
    }


def dataset(groups: int) -> Path:
    """The synthetic dataset with ``groups`` groups (seed 1, 12 months), generated once."""
    path = ROOT / "data" / "processed" / f"bench_{groups}"
    if not (path / ".complete").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "helpers.synth",
                "--out",
                str(path),
                "--groups",
                str(groups),
                "--seed",
                "1",
                "--months",
                "12",
            ],
            check=True,
            cwd=ROOT,
        )
        (path / ".complete").touch()
    return path


def main() -> int:
    """Run both parts, print the figures, write results.json, check the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--scales", type=int, nargs="*", default=[500, 1000, 2500, 5000, 10_000])
    parser.add_argument(
        "--pandas-memory-gb",
        type=float,  # address-space cap: 90% of this machine's memory
        default=round(0.9 * psutil.virtual_memory().total / 1024**3, 1),
    )
    parser.add_argument("--pandas-timeout-min", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = parser.parse_args()

    print(f"engine suite on {args.groups:,} groups:", flush=True)
    big = dataset(args.groups)
    with PeakMemory() as whole:
        steps = engine_steps(str(big))
    suite = [s for s in steps if not s["step"].startswith("open")]
    total = sum(s["seconds"] for s in suite)
    peak = max(whole.gb, max(s["peak_gb"] for s in steps))
    print(f"suite (without opening): {total:.1f} s, peak memory {peak:.2f} GB", flush=True)

    comparison, pandas_failed = [], False
    for groups in args.scales:
        path = dataset(groups)
        row = {
            "groups": groups,
            "messages_parquet_mb": round(sum(p.stat().st_size for p in (path / "messages").rglob("*.parquet")) / 2**20),
        }
        row["engine"] = _child("engine", str(path), 64, 3600)
        row["pandas"] = (
            _child("pandas", str(path), args.pandas_memory_gb, 60 * args.pandas_timeout_min)
            if not pandas_failed
            else {"status": "not run (failed at a smaller scale)"}
        )
        pandas_failed = row["pandas"]["status"] != "ok"
        if row["engine"]["status"] == "ok" and row["pandas"]["status"] == "ok":
            row["speedup"] = round(row["pandas"]["seconds"] / row["engine"]["seconds"], 1)
        comparison.append(row)
        print(
            f"  {groups:>6,} groups: engine {row['engine'].get('seconds', '-')} s, pandas "
            f"{row['pandas'].get('seconds', row['pandas']['status'])}"
            + (f" s, {row['speedup']}x" if "speedup" in row else ""),
            flush=True,
        )

    speedups = [r["speedup"] for r in comparison if "speedup" in r]
    checks = {
        "suite_within_60s": total <= SUITE_SECONDS,
        "peak_within_4gb": peak <= SUITE_GB,
        "at_least_5x_faster_than_pandas": bool(speedups) and min(speedups) >= SPEEDUP,
    }
    document = {
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "dataset": {"groups": args.groups, "path": str(big.relative_to(ROOT))},
        "engine_suite": {"steps": steps, "seconds_without_opening": round(total, 1), "peak_gb": round(peak, 2)},
        "engine_vs_pandas": comparison,
        "pandas_memory_cap_gb": args.pandas_memory_gb,
        "targets": {"suite_seconds": SUITE_SECONDS, "peak_gb": SUITE_GB, "speedup": SPEEDUP},
        "checks": checks,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(args.out)
    print(
        f"wrote {args.out.relative_to(ROOT)}; " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items())
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
