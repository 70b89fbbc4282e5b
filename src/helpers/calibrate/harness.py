"""Run calibration worlds in parallel processes, with a progress bar, surviving worlds and workers that fail.

Each worker process runs whole worlds with single-threaded numerical libraries (the
worlds are the parallelism). A world that raises is recorded by ``run.run_world`` itself;
a worker that dies (out of memory, a crash in native code) breaks the pool, and the
worlds it left unfinished are run again in a fresh pool, once; a world that kills its
worker twice is recorded as failed.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from tqdm.auto import tqdm

from helpers.calibrate.run import Task, run_world
from helpers.calibrate.score import operations_summary, summarise_records, threshold_summary

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
ATTEMPTS = 2


def _failed(task: Task, why: str) -> dict:
    return {"index": task.index, "seed": task.seed, "world": task.world.name, "error": why, "seconds": None}


def run_tasks(tasks: list[Task], jobs: int = 1, progress: bool = True) -> list[dict]:
    """Every task's record, in task order; ``jobs`` worlds at a time (1: in this process)."""
    records: dict[int, dict] = {}
    bar = tqdm(total=len(tasks), desc="worlds", unit="world", disable=not progress)
    if jobs == 1:
        for task in tasks:
            records[task.index] = run_world(task)
            bar.update()
    else:
        pending, attempt = list(tasks), 0
        for name in THREAD_VARIABLES:
            os.environ[name] = "1"  # inherited by the workers, which start fresh (spawn)
        while pending and attempt < ATTEMPTS:
            attempt += 1
            pending = _run_pool(pending, jobs, records, bar)
        for task in pending:
            records[task.index] = _failed(task, "the worker running this world died twice (memory or a native crash)")
            bar.update()
    bar.close()
    return [records[t.index] for t in tasks]


def _run_pool(tasks: list[Task], jobs: int, records: dict[int, dict], bar: tqdm) -> list[Task]:
    """Run ``tasks`` in one pool; returns those left unfinished because the pool broke."""
    context = multiprocessing.get_context("spawn")
    unfinished: list[Task] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures: dict[Future, Task] = {pool.submit(run_world, t): t for t in tasks}
        waiting = set(futures)
        while waiting:
            done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            for future in done:
                task = futures[future]
                try:
                    records[task.index] = future.result()
                    bar.update()
                except BrokenProcessPool:
                    unfinished.append(task)
                except Exception as err:  # pickling or another failure outside run_world's own guard
                    records[task.index] = _failed(task, f"{type(err).__name__}: {err}")
                    bar.update()
    return unfinished


def _check(tasks: list[Task] | None, summary, jobs: int, progress: bool) -> tuple[dict | None, list[dict]]:
    """Run a check's worlds (none: nothing) and summarise them with their settings and time."""
    if not tasks:
        return None, []
    began = time.perf_counter()
    records = run_tasks(tasks, jobs=jobs, progress=progress)
    w = tasks[0].world
    settings = {"worlds": len(tasks), "groups": w.groups, "months": w.months, "seed": tasks[0].seed}
    return {**summary(records, settings), "seconds": round(time.perf_counter() - began, 1)}, records


def calibrate(
    tasks: list[Task],
    seed: int,
    jobs: int = 1,
    progress: bool = True,
    like: dict | None = None,
    threshold: list[Task] | None = None,
    operations: list[Task] | None = None,
) -> dict:
    """Run the worlds and return the calibration document: settings, the summary, and every world's record.

    ``like`` describes the dataset the worlds are shaped like (None for drawn worlds);
    ``threshold`` are the threshold check's worlds (``worlds.threshold_worlds``), scored
    apart under ``threshold_check``; ``operations`` the operations check's
    (``worlds.operations_worlds``), under ``operations_check``.
    """
    began = time.perf_counter()
    records = run_tasks(tasks, jobs=jobs, progress=progress)
    check, check_records = _check(threshold, threshold_summary, jobs, progress)
    ops_check, ops_records = _check(operations, operations_summary, jobs, progress)
    switched_off: dict[str, int] = {}
    for task in tasks:
        for name in task.world.switched_off:
            switched_off[name] = switched_off.get(name, 0) + 1
    return {
        "kind": "like" if like else "drawn",
        "like": like,
        "settings": {
            "worlds": len(tasks),
            "groups": tasks[0].world.groups,
            "months": tasks[0].world.months,
            "seed": seed,
            "jobs": jobs,
        },
        "effects_switched_off": dict(sorted(switched_off.items())),
        "seconds": round(time.perf_counter() - began, 1),
        **summarise_records(records),
        "threshold_check": check,
        "records": records,
        **({"threshold_records": check_records} if threshold else {}),
        "operations_check": ops_check,
        **({"operations_records": ops_records} if operations else {}),
    }
