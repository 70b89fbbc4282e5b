"""Batch runs of the study notebooks from a YAML config: checked first, run in parallel, indexed.

``python -m helpers.reporting.batch [--config reports.yml] [--workers N] [--only NAME ...]`` (what
``make reports`` calls). The config lists runs, each a notebook with parameters; a
``sweep`` turns one entry into one run per value (e.g. a retention report per channel).
Every run's parameters are checked against its notebook's parameters cell before
anything runs: an unknown name, a value of the wrong type, or a data directory that does
not exist is an error naming the run and the parameter. Runs then go in parallel up to
``workers``; one failing run does not stop the others, the batch ends with a summary and
exits 1 if any failed. ``reports/index.html`` lists every run with its status, headline
findings and provenance, and the practitioners' rules-of-thumb scorecard.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers.data import yaml_text
from helpers.data.atomic import write_json
from helpers.data.crash import guarded
from helpers.data.engine import dataset_fingerprint
from helpers.reporting.calibration import calibrate_like, publish_baseline
from helpers.reporting.config import output_problem, parse
from helpers.reporting.index_page import write_index
from helpers.reporting.parameters import data_problems, range_problems
from helpers.reporting.runner import (
    ROOT,
    RunResult,
    notebook_parameters,
    remove_stale_work,
    reusable,
    run_key,
    run_notebook,
)

KERNEL = "community-workbench"


class ConfigError(Exception):
    """The batch config cannot be run as written; the message names the run and the parameter."""


@dataclass(frozen=True)
class Run:
    """One report to build: a name (its folder under reports/), a notebook and its parameters."""

    name: str
    notebook: Path
    parameters: dict = field(default_factory=dict)


def load_config(path: Path) -> tuple[list[Run], dict]:
    """Runs and settings (workers, out, kernel) from a YAML config; paths are relative to the config's folder.

    The config is checked against ``config.BatchConfig`` first: every problem is named with
    the file, the key path and the shape expected, before anything runs.
    """
    try:
        data = yaml_text.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path.name}: cannot read the config: {str(err).splitlines()[0]}") from None
    try:
        config = parse(data, path.name)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    base = path.resolve().parent
    if problem := output_problem(base, config.out, path.name):
        raise ConfigError(problem)
    runs = []
    for entry in config.runs:
        notebook = (base / entry.notebook).resolve()
        name = entry.name or notebook.stem
        parameters = {**config.parameters, **entry.parameters}
        if entry.sweep:
            ((key, values),) = entry.sweep.items()
            runs += [Run(f"{name}-{value}", notebook, {**parameters, key: value}) for value in values]
        else:
            runs.append(Run(name, notebook, parameters))
    like = config.calibrate_like
    settings = {
        "workers": config.workers,
        "out": (base / config.out).resolve(),
        "kernel": config.kernel,
        "base": base,
        "calibration": (base / config.calibration).resolve(),
        "calibrate_like": None if like is None else {"worlds": like.worlds, "seed": like.seed},
        "data_dir": config.parameters.get("data_dir"),
    }
    return runs, settings


def _type_ok(value: object, default: object) -> bool:
    """A value may replace a default of the same type (ints for floats too); a None default takes anything."""
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def check_runs(runs: list[Run], base: Path) -> list[str]:
    """Every problem with the runs, each naming the run and the parameter; empty when all can run."""
    problems, names = [], set()
    for run in runs:
        if run.name in names:
            problems.append(f"run '{run.name}': the name is used twice (reports would overwrite each other)")
        names.add(run.name)
        if not run.notebook.exists():
            problems.append(f"run '{run.name}': notebook {run.notebook} does not exist")
            continue
        defaults = notebook_parameters(run.notebook)
        if not defaults:
            problems.append(f"run '{run.name}': {run.notebook.name} has no cell tagged 'parameters'")
            continue
        for key, value in run.parameters.items():
            if key not in defaults:
                problems.append(
                    f"run '{run.name}': unknown parameter '{key}' "
                    f"({run.notebook.name} takes: {', '.join(sorted(defaults))})"
                )
            elif not _type_ok(value, defaults[key]):
                problems.append(
                    f"run '{run.name}': parameter '{key}' is {type(value).__name__} {value!r}, "
                    f"expected {type(defaults[key]).__name__} like the default {defaults[key]!r}"
                )
        problems += range_problems(run.name, {k: v for k, v in run.parameters.items() if k in defaults})
        data_dir = run.parameters.get("data_dir")
        if data_dir is not None and not (base / str(data_dir)).is_dir():
            problems.append(
                f"run '{run.name}': parameter 'data_dir': directory {data_dir} does not exist "
                "(run `make data`, or fix the path)"
            )
        elif data_dir is not None:
            problems += data_problems(run.name, {**defaults, **run.parameters}, base / str(data_dir))
    return problems


def execute(runs: list[Run], out: Path, workers: int, kernel: str, base: Path, force: bool = False) -> list[RunResult]:
    """Run the notebooks, ``workers`` at a time, printing each as it finishes; results in config order.

    A run whose notebook, parameters, data, code and packages are those of its report on
    disk reuses that report (and says so) unless ``force``.
    """
    results: dict[str, RunResult] = {}
    stale = [folder for run in runs for folder in remove_stale_work(out, run.name)]
    if stale:
        print(f"removed {len(stale)} work folder(s) left by an interrupted run", flush=True)
    fingerprints: dict[Path, str] = {}
    earlier = previous_seconds(out)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {}
        for run in sorted(runs, key=lambda r: -earlier.get(r.name, 0.0)):  # longest first: the workers finish together
            parameters = dict(run.parameters)
            data = (base / parameters["data_dir"]).resolve() if "data_dir" in parameters else None
            if data is not None:  # relative to the notebook, so no home paths reach the report
                parameters["data_dir"] = os.path.relpath(data, run.notebook.parent.resolve())
                fingerprints.setdefault(data, dataset_fingerprint(data))
            key = run_key(run.notebook, parameters, fingerprints.get(data, ""))
            if not force and reusable(out, run.name, key):
                results[run.name] = RunResult(run.name, True, 0.0, out / run.name / f"{run.name}.html", reused=True)
                continue
            futures[pool.submit(run_notebook, run.notebook, out, parameters, kernel, run.name, key)] = run
        reused = list(results.values())
        for done, result in enumerate(reused, start=1):
            print(
                f"[{done}/{len(runs)}] {result.notebook:<32} {'':>7}  reused "
                "(notebook, parameters, data and code unchanged; --force reruns)",
                flush=True,
            )
        for done, future in enumerate(as_completed(futures), start=len(reused) + 1):
            result = future.result()
            results[result.notebook] = result
            status = "ok" if result.ok else f"FAILED  {result.error}"
            print(f"[{done}/{len(runs)}] {result.notebook:<32} {result.seconds:6.1f}s  {status}", flush=True)
    return [results[run.name] for run in runs]


TIMINGS = "timings.json"
"""Each report's time in the last batch (seconds, reused or built), beside the index."""


def previous_seconds(out: Path) -> dict[str, float]:
    """Each report's time when it was last built ({} before a first batch or from an unreadable file)."""
    try:
        reports = json.loads((out / TIMINGS).read_text(encoding="utf-8")).get("reports", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {name: float(r.get("seconds") or 0.0) for name, r in reports.items() if isinstance(r, dict)}


def main(argv: list[str] | None = None) -> int:
    """Check the config, run the reports, write the index; exit 1 if any run failed, 2 if the config is wrong."""
    parser = argparse.ArgumentParser(prog="python -m helpers.reporting.batch", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "reports.yml"))
    parser.add_argument("--workers", type=int, help="notebooks run at once (default: the config's, else 2)")
    parser.add_argument("--only", nargs="*", help="run only these names")
    parser.add_argument("--data", help="data_dir for every run, overriding the config")
    parser.add_argument("--force", action="store_true", help="rerun every notebook, even an unchanged one")
    args = parser.parse_args(argv)
    try:
        runs, settings = load_config(Path(args.config))
        if args.data:
            runs = [Run(r.name, r.notebook, {**r.parameters, "data_dir": str(Path(args.data).resolve())}) for r in runs]
        if args.only:
            runs = [r for r in runs if r.name in set(args.only)]
        problems = check_runs(runs, settings["base"])
    except ConfigError as err:
        problems = [str(err)]
    if problems:
        print("error: the batch cannot run:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    began = time.perf_counter()
    workers = args.workers or settings["workers"]
    results = execute(runs, settings["out"], workers, settings["kernel"], settings["base"], args.force)
    baseline = publish_baseline(settings["calibration"], settings["out"])
    like = settings["calibrate_like"]
    data_dir = args.data or settings["data_dir"]
    if like and data_dir:
        t = time.perf_counter()
        calibrate_like(settings["base"] / str(data_dir), settings["out"], like["worlds"], like["seed"], workers)
        print(f"calibration on {like['worlds']} worlds like the data: {time.perf_counter() - t:.0f} s", flush=True)
    index = write_index(settings["out"], runs, results, baseline)
    earlier = previous_seconds(settings["out"])
    write_json(
        settings["out"] / TIMINGS,
        {
            "batch_seconds": round(time.perf_counter() - began, 1),
            "workers": workers,
            "cores": os.cpu_count(),
            "reports": {
                r.notebook: {
                    "seconds": round(earlier.get(r.notebook, 0.0) if r.reused else r.seconds, 1),
                    "reused": r.reused,
                    "ok": r.ok,
                }
                for r in results
            },
        },
    )
    failed = [r for r in results if not r.ok]
    reused = sum(r.reused for r in results)
    print(
        f"{len(results) - len(failed)} of {len(results)} reports ready in {time.perf_counter() - began:.0f} s"
        + (f" ({reused} reused unchanged)" if reused else "")
        + f"; index: {index}"
    )
    built = [r for r in results if not r.reused]
    if built:
        print("  time per report: " + ", ".join(f"{r.notebook} {r.seconds:.0f} s" for r in built))
    for result in failed:
        print(f"  FAILED {result.notebook}: {result.error}" + (f" (see {result.html})" if result.html else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(guarded(main, "python -m helpers.reporting.batch"))
