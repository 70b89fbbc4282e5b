"""The worlds a calibration runs on: drawn from the documented ranges, or shaped like the analyst's dataset.

A world *like* a dataset keeps what describes the data's shape (number of groups, months
covered, group sizes, the share of homogeneous groups, how much members talk and how
fast they leave, how fast groups fill) and draws every planted effect as a random world
does, so the same tests can be scored on data of that shape with known truth. The
generator's vocabularies (channels, cities, segments) stay its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.calibrate.run import Task
from helpers.data.engine import open_dataset
from helpers.data.event_time import data_end
from helpers.measures.members import member_table
from helpers.synth.parameters import PARAMETERS, with_values
from helpers.synth.parameters import random_world as draw


def drawn(n: int, groups: int, months: int, seed: int, studies: tuple[str, ...] = ()) -> list[Task]:
    """``n`` random worlds of ``groups`` groups over ``months`` months; world ``i`` is drawn from seed ``seed + i``.

    ``studies`` limits the studies run on each (empty: every one).
    """
    return [Task(i, draw(seed + i, groups, months), seed + i, studies) for i in range(n)]


THRESHOLD_HR = (4.0, 10.0)
"""Early members' hazard ratio while a late group is short, in the threshold check's worlds (log-uniform)."""

THRESHOLD_WINDOW = (0.7, 1.4)
"""The median recruitment window as a multiple of the planted threshold, in the threshold check's worlds."""


def threshold_worlds(n: int, groups: int, months: int, seed: int) -> list[Task]:
    """``n`` drawn worlds with a strong recruitment threshold planted, for the threshold CI's coverage.

    On drawn worlds the threshold is placed only where waiting's extra exits stand out from
    exits' noise, so its CI's coverage rests on part of the worlds. These worlds
    are drawn like the others, except that the effect is always on, strong (``THRESHOLD_HR``)
    and planted where about half the groups are still filling (median window near the
    threshold, ``THRESHOLD_WINDOW``); only the recruitment study runs. World ``i`` is drawn
    from seed ``seed + i``.
    """
    tasks = []
    for i in range(n):
        world = draw(seed + i, groups, months)
        rng = np.random.default_rng([seed + i, 77])
        low, high = (math.log(x) for x in THRESHOLD_HR)
        window = world.window_threshold_days * rng.uniform(*THRESHOLD_WINDOW)
        world = with_values(
            world,
            {
                "early_exit_hr": math.exp(rng.uniform(low, high)),
                "window_median_days": _clip("window_median_days", window),
            },
        )
        off = tuple(e for e in world.switched_off if e != "recruitment")
        tasks.append(
            Task(i, replace(world, name=f"threshold-{seed + i}", switched_off=off), seed + i, ("recruitment",))
        )
    return tasks


OPERATIONS_BOOKS = (40.0, 160.0)
"""Groups per service agent (median of a world's books, log-uniform) in the operations check's worlds."""


def operations_worlds(n: int, groups: int, months: int, seed: int) -> list[Task]:
    """``n`` drawn worlds with agents' books big enough to cross 10,000 members, for claims 7-9 at scale.

    On the small drawn worlds no service agent serves 10,000 members, so claim 8 is never
    testable there. These worlds are drawn like the others (effects on or off, any size)
    except that the median book is ``OPERATIONS_BOOKS`` groups; only the operations study
    runs. World ``i`` is drawn from seed ``seed + i``.
    """
    tasks = []
    for i in range(n):
        world = draw(seed + i, groups, months)
        rng = np.random.default_rng([seed + i, 79])
        low, high = (math.log(x) for x in OPERATIONS_BOOKS)
        world = with_values(world, {"agent_groups_median": math.exp(rng.uniform(low, high))})
        tasks.append(Task(i, replace(world, name=f"operations-{seed + i}"), seed + i, ("operations",)))
    return tasks


@dataclass(frozen=True)
class Shape:
    """What a dataset looks like, as world parameters (and what was measured to set them)."""

    parameters: dict[str, float]
    measured: dict[str, float]

    def as_dict(self) -> dict:
        """Plain values for calibration_like.json."""
        return {"parameters": self.parameters, "measured": self.measured}


def _clip(name: str, value: float) -> float:
    spec = PARAMETERS[name]
    value = min(max(value, spec.low), spec.high)
    return int(round(value)) if spec.integer else float(value)


def shape_of(data_dir: str | Path) -> Shape:
    """The world parameters that describe a dataset's shape, measured on it."""
    ds = open_dataset(data_dir)
    end = data_end(ds.tables)
    members = member_table(ds.tables, end)
    created = ds.tables.groups.select("created_at").to_pandas()["created_at"]
    n_groups = int(ds.tables.groups.count().to_pandas())
    start = min(created.min(), members["joined_at"].min()) if len(members) else created.min()
    months = max(2, math.ceil((end - start) / pd.Timedelta(days=30.44)))
    per_group = members.groupby("group_id").agg(joins=("member_id", "size"), homogeneous=("homogeneous", "first"))
    member_days = float(members["duration_days"].sum()) if len(members) else 0.0
    exits = float(members["left"].sum()) if len(members) else 0.0
    messages = float(members["messages"].sum()) if len(members) else 0.0
    measured = {
        "groups": n_groups,
        "months": months,
        "joins_p10": float(per_group["joins"].quantile(0.1)) if len(per_group) else 0.0,
        "joins_p95": float(per_group["joins"].quantile(0.95)) if len(per_group) else 0.0,
        "homogeneous_share": float(per_group["homogeneous"].mean()) if len(per_group) else 0.5,
        "messages_per_member_day": messages / member_days if member_days else 0.0,
        "exits_per_member_day": exits / member_days if member_days else 0.0,
    }
    parameters = {"groups": _clip("groups", n_groups), "months": _clip("months", months)}
    if len(per_group):
        low = _clip("target_size_min", measured["joins_p10"])
        parameters["target_size_min"] = low
        parameters["target_size_max"] = max(_clip("target_size_max", measured["joins_p95"]), low + 1)
        parameters["homogeneous_share"] = _clip("homogeneous_share", measured["homogeneous_share"])
    if measured["messages_per_member_day"] > 0:
        # member propensity is lognormal (sigma 1.2): its mean is the median x e^(sigma^2 / 2)
        parameters["activity_median"] = _clip("activity_median", measured["messages_per_member_day"] / math.exp(0.72))
        parameters["activity_sigma"] = 1.2
    if measured["exits_per_member_day"] > 0:
        # new members leave faster (x 1 + boost in their first weeks): the base rate is below the average
        parameters["exit_base"] = _clip("exit_base", measured["exits_per_member_day"] / 1.5)
    return Shape(parameters, measured)


def like(data_dir: str | Path, n: int, seed: int) -> tuple[Shape, list[Task]]:
    """``n`` worlds shaped like the dataset in ``data_dir``, every planted effect drawn as in random worlds."""
    shape = shape_of(data_dir)
    groups, months = int(shape.parameters["groups"]), int(shape.parameters["months"])
    tasks = []
    for i in range(n):
        world = with_values(draw(seed + i, groups, months), shape.parameters)
        tasks.append(Task(i, replace(world, name=f"like-{seed + i}"), seed + i))
    return shape, tasks
