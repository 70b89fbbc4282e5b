"""Generate a whole dataset: plan groups, simulate them batch by batch, write Parquet and truth.json.

Batches hold a fixed number of groups and each has its own random streams, seeded by
(seed, batch), so a dataset is identical however it is run and memory stays flat as
the number of groups grows. The dataset is written to a temporary folder beside
``out`` and moved into place only when complete.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from helpers.claims.registry import JOIN_PEAK_JOINS
from helpers.data.atomic import new_work_folder, publish_folder, write_json
from helpers.data.schema import ACTIVITY_KINDS, MESSAGE_KINDS
from helpers.synth import groups as grp
from helpers.synth import messages as msg
from helpers.synth import operations as ops_
from helpers.synth.simulate import ROLE_CODES, Cohort, Run, arm_codes, draw_cohort, draw_weeks, simulate
from helpers.synth.truth import Accumulator, build_truth, is_koc
from helpers.synth.world import ARMS, WORLDS, World

BATCH_GROUPS = 250
"""Groups simulated together; fixed, so output never depends on how the run is sliced."""

MEMBER_ID_SALT = 1_000_003
UTC = pa.timestamp("us", tz="UTC")


def _stream(seed: int, *path: int) -> np.random.Generator:
    """An independent random stream for one purpose (and batch) of a seeded run."""
    return np.random.default_rng([seed, *path])


def member_ids(first: int, n: int, seed: int) -> pa.Array:
    """Pseudonymous member ids ``m_`` + 10 digits: a seeded bijection of the running member number."""
    number = (np.arange(first, first + n, dtype=np.int64) * 2_654_435_761 + seed * MEMBER_ID_SALT) % 10**10
    return pc.binary_join_element_wise("m_", pc.utf8_lpad(pa.array(number).cast(pa.string()), 10, "0"), "")


def _times(start: pd.Timestamp, days: np.ndarray) -> pa.Array:
    return pa.array(grp.day_to_time(start, days), type=pa.int64()).cast(UTC)


def _combine(runs: dict[str, Run], arm_code: np.ndarray, group: np.ndarray) -> Run:
    """The batch as written: each group's stays and counts from the run under its own arm."""
    pick = [runs[a] for a in ARMS]
    exit_day = np.choose(arm_code[group], [r.exit_day for r in pick])
    return Run(
        exit_day=exit_day,
        reached_day=np.choose(arm_code, [r.reached_day for r in pick]),
        message_member=np.concatenate([r.message_member for r in pick]),
        message_day=np.concatenate([r.message_day for r in pick]),
        message_count=np.concatenate([r.message_count for r in pick]),
        expected_messages=np.choose(arm_code[:, None], [r.expected_messages for r in pick]),
        post_member_days=np.choose(arm_code[:, None], [r.post_member_days for r in pick]),
        post_messages=np.choose(arm_code[:, None], [r.post_messages for r in pick]),
        member_messages=np.choose(arm_code[group], [r.member_messages for r in pick]),
        conversion_member=np.concatenate([r.conversion_member for r in pick]),
        conversion_time=np.concatenate([r.conversion_time for r in pick]),
        post_conversions=np.choose(arm_code[:, None], [r.post_conversions for r in pick]),
        overload_member_days=np.choose(arm_code, [r.overload_member_days for r in pick]),
        sparse_member_days=np.choose(arm_code, [r.sparse_member_days for r in pick]),
    )


def generate(
    out: str | Path,
    n_groups: int | None = None,
    seed: int = 1,
    months: int | None = None,
    world_name: str = "planted",
    progress: bool = True,
    world: World | None = None,
) -> dict:
    """Write a contract-valid dataset with ``truth.json`` to ``out``; returns the truth document.

    The world is ``world`` if given, else the named preset; ``n_groups`` and ``months``,
    when given, override the world's own.
    """
    world = world or WORLDS[world_name]()
    world = replace(world, groups=n_groups or world.groups, months=months or world.months)
    n_groups, months = world.groups, world.months
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    start, total_days = grp.calendar(months)
    plan = grp.plan_groups(world, n_groups, months, _stream(seed, 0))
    plan = grp.assign_arms(plan, world, months, _stream(seed, 1))
    n_weeks = int(total_days // 7) + 2
    acc = Accumulator(n_groups)
    realised = _new_realised()
    koc_members: list[str] = []

    tmp = new_work_folder(out)
    try:
        for table in ("memberships", "messages", "conversions", "activities", "activity_participants"):
            (tmp / table).mkdir()
        pq.write_table(
            pa.Table.from_pandas(grp.groups_table(plan, start), preserve_index=False),
            tmp / "groups.parquet",
            coerce_timestamps="us",
        )  # microseconds: every engine reads them
        pq.write_table(
            pa.Table.from_pandas(grp.assignments_table(plan, start), preserve_index=False),
            tmp / "assignments.parquet",
            coerce_timestamps="us",
        )
        first_member = first_message = first_conversion = first_activity = 0
        batches = range(0, n_groups, BATCH_GROUPS)
        for number, first in enumerate(tqdm(batches, desc="groups", unit="batch", disable=not progress)):
            batch = plan.iloc[first : first + BATCH_GROUPS].reset_index(drop=True)
            cohort, weeks, ops, code, actual, koc = _run_batch(
                batch, world, total_days, n_weeks, seed, number, first, acc
            )

            ids = stay_ids(cohort, ops, first_member, seed, number)
            members = _memberships(batch, cohort, actual, start, total_days, ids)
            pq.write_table(members, tmp / "memberships" / f"part-{number:05d}.parquet")
            texts = _messages(
                batch,
                world,
                cohort,
                actual,
                weeks,
                code,
                total_days,
                start,
                ids,
                first_message,
                ops,
                _stream(seed, 5, number),
            )
            pq.write_table(texts, tmp / "messages" / f"part-{number:05d}.parquet", row_group_size=1_000_000)
            sales = _conversions(batch, world, cohort, actual, start, ids, first_conversion, _stream(seed, 7, number))
            pq.write_table(sales, tmp / "conversions" / f"part-{number:05d}.parquet")
            first_conversion += sales.num_rows
            realised["conversions"] += sales.num_rows
            acts, takers = _activities(
                batch, world, cohort, actual, ops, start, ids, first_activity, _stream(seed, 9, number)
            )
            pq.write_table(acts, tmp / "activities" / f"part-{number:05d}.parquet")
            pq.write_table(takers, tmp / "activity_participants" / f"part-{number:05d}.parquet")
            first_activity += acts.num_rows
            realised["activities"] += acts.num_rows
            realised["activity_participants"] += takers.num_rows
            _tally_operations(realised, ops, actual, cohort)
            koc_members += ids.filter(pa.array(koc)).to_pylist()
            first_member += len(cohort.group)
            first_message += texts.num_rows
            realised["memberships"] += members.num_rows
            realised["messages"] += texts.num_rows
            realised["kocs"] += int(koc.sum())
            joins = np.bincount(cohort.group[cohort.role == 3], minlength=len(batch))
            realised["groups_reaching_target"] += int((joins >= batch["target_size"].to_numpy()).sum())

        truth = build_truth(world, seed, n_groups, months, acc, realised, koc_members)
        write_json(tmp / "truth.json", truth)
        publish_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return truth


def _new_realised() -> dict:
    """The counts of what a generation realised, all at zero."""
    return {
        "memberships": 0,
        "messages": 0,
        "conversions": 0,
        "activities": 0,
        "activity_participants": 0,
        "kocs": 0,
        "groups_reaching_target": 0,
        "agents": 0,
        "member_days_overloaded_agent": 0.0,
        "member_days_sparse_activities": 0.0,
        "peak_joiners_one_welcome_per_join": 0,
        "peak_joiners_spaced_welcomes": 0,
    }


def _run_batch(
    batch: pd.DataFrame,
    world: World,
    total_days: float,
    n_weeks: int,
    seed: int,
    number: int,
    first: int,
    acc: Accumulator,
) -> tuple:
    """Draw one batch's members, weeks and operations, run every arm on it (and the world without the early
    effect), record the arm runs and the actual one in ``acc``; returns what the tables are written from."""
    dynamics = _stream(seed, 2, number)
    cohort = draw_cohort(batch, world, total_days, dynamics)
    weeks = draw_weeks(batch, world, n_weeks, dynamics)
    cohort = ops_.join_waves(cohort, batch, world, total_days, _stream(seed, 10, number))
    ops = ops_.draw_operations(batch, cohort, world, total_days, _stream(seed, 8, number))
    arms = batch["arm"].to_numpy(dtype=str)
    code = arm_codes(arms)
    runs = {}
    for a, arm in enumerate(ARMS):
        runs[arm] = simulate(
            batch,
            cohort,
            weeks,
            world,
            total_days,
            np.full(len(batch), arm),
            emit=code == a,
            rng=_stream(seed, 3, number, a),
            conversion_rng=_stream(seed, 6, number, a),
            ops=ops,
        )
        acc.add_arm_run(arm, first, batch, cohort, runs[arm], world, total_days)
    actual = _combine(runs, code, cohort.group)
    without = (
        simulate(
            batch,
            cohort,
            weeks,
            world,
            total_days,
            arms,
            emit=np.zeros(len(batch), bool),
            rng=_stream(seed, 4, number),
            early_effect=False,
            ops=ops,
        )
        if world.early_exit_hr != 1
        else actual
    )
    koc = is_koc(cohort, world, actual, total_days)
    acc.add_actual(batch, cohort, actual, without, koc, total_days)
    return cohort, weeks, ops, code, actual, koc


def _tally_operations(realised: dict, ops: ops_.Operations, actual: Run, cohort: Cohort) -> None:
    """Add a batch's agents, overloaded and sparse member-days, and peak joiners by welcome policy."""
    realised["agents"] += ops.n_agents
    realised["member_days_overloaded_agent"] += float(actual.overload_member_days.sum())
    realised["member_days_sparse_activities"] += float(actual.sparse_member_days.sum())
    peak = (ops.hour_joins >= JOIN_PEAK_JOINS) & (cohort.role == 3)
    realised["peak_joiners_spaced_welcomes"] += int((peak & ops.spaced[cohort.group]).sum())
    realised["peak_joiners_one_welcome_per_join"] += int((peak & ~ops.spaced[cohort.group]).sum())


AGENT_NUMBER_BASE = 5_000_000_000
"""Agents' running numbers start here, far above any member's, so their ids never collide with a member's."""


def stay_ids(cohort, ops: ops_.Operations, first_member: int, seed: int, batch: int) -> pa.Array:
    """Member id of every stay; each group's assistant is its service agent, one id across her groups."""
    ids = member_ids(first_member, len(cohort.group), seed).to_numpy(zero_copy_only=False).astype(object)
    agents = member_ids(AGENT_NUMBER_BASE + batch * 100_000, ops.n_agents, seed).to_numpy(zero_copy_only=False)
    assistant = np.nonzero(cohort.role == ROLE_CODES.index("assistant"))[0]
    ids[assistant] = agents[ops.agent[cohort.group[assistant]]]
    return pa.array(ids, type=pa.string())


def _activities(
    batch: pd.DataFrame,
    world: World,
    cohort,
    run: Run,
    ops: ops_.Operations,
    start: pd.Timestamp,
    ids: pa.Array,
    first_activity: int,
    rng: np.random.Generator,
) -> tuple[pa.Table, pa.Table]:
    """The batch's activities (id, group, start, end, kind) and who took part in each."""
    order = np.argsort(ops.activity_start, kind="stable")
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(first_activity, first_activity + len(order))
    act_ids = pc.binary_join_element_wise("act_", pc.utf8_lpad(pa.array(number).cast(pa.string()), 8, "0"), "")
    group = pa.array(batch["group_id"].to_numpy(dtype=str)).take(pa.array(ops.activity_group))
    activities = pa.table(
        {
            "activity_id": act_ids,
            "group_id": group,
            "started_at": _times(start, ops.activity_start),
            "ended_at": _times(start, ops.activity_start + ops_.ACTIVITY_HOURS),
            "kind": pa.array(np.array(ACTIVITY_KINDS)[ops.activity_kind]),
        }
    ).take(pa.array(order))
    which, stay = ops_.participants(ops, cohort, run.exit_day, world, rng)
    takers = pa.table({"activity_id": act_ids.take(pa.array(which)), "member_id": ids.take(pa.array(stay))})
    return activities, takers


def _conversions(
    batch: pd.DataFrame,
    world: World,
    cohort,
    run: Run,
    start: pd.Timestamp,
    ids: pa.Array,
    first_conversion: int,
    rng: np.random.Generator,
) -> pa.Table:
    """The batch's conversions: who, when, of which kind (drawn by the world's shares) and their value."""
    order = np.argsort(run.conversion_time, kind="stable")
    stay, at = run.conversion_member[order], run.conversion_time[order]
    kinds = np.array(list(world.conversion_kind_shares))
    shares = np.array(list(world.conversion_kind_shares.values()), float)
    kind = kinds[rng.choice(len(kinds), size=len(stay), p=shares / shares.sum())]
    value = np.round(
        world.conversion_value_median * np.exp(world.conversion_value_sigma * rng.standard_normal(len(stay))), 2
    )
    value = np.where(kind == "course_signup", 0.0, value)
    numbers = pc.utf8_lpad(
        pa.array(np.arange(first_conversion, first_conversion + len(stay))).cast(pa.string()), 8, "0"
    )
    group = batch["group_id"].to_numpy(dtype=str)
    return pa.table(
        {
            "conversion_id": pc.binary_join_element_wise("cv_", numbers, ""),
            "group_id": pa.array(group).take(pa.array(cohort.group[stay])),
            "member_id": ids.take(pa.array(stay)),
            "converted_at": _times(start, at),
            "kind": pa.array(kind, type=pa.string()),
            "value": pa.array(value, type=pa.float64()),
            "currency": pa.array(["CNY"] * len(stay), type=pa.string()),
        }
    )


def _memberships(
    batch: pd.DataFrame, cohort, run: Run, start: pd.Timestamp, total_days: float, ids: pa.Array
) -> pa.Table:
    left = run.exit_day < total_days
    reason = np.where(cohort.removed, "removed", "quit")
    return pa.table(
        {
            "group_id": pa.array(batch["group_id"].to_numpy(dtype=str)).take(pa.array(cohort.group)),
            "member_id": ids,
            "joined_at": _times(start, cohort.joined),
            "left_at": pa.array(grp.day_to_time(start, np.where(left, run.exit_day, 0)), mask=~left).cast(UTC),
            "role": pa.array(np.array(ROLE_CODES)[cohort.role]),
            "leave_reason": pa.array(reason, mask=~left),
        }
    )


def _messages(
    batch: pd.DataFrame,
    world,
    cohort,
    run: Run,
    weeks,
    code: np.ndarray,
    total_days: float,
    start: pd.Timestamp,
    ids: pa.Array,
    first_message: int,
    ops: ops_.Operations,
    rng: np.random.Generator,
) -> pa.Table:
    emit = np.ones(len(batch), bool)
    events = msg.Events.concat(
        [
            msg.member_talk(cohort, batch, world, run.message_member, run.message_day, run.message_count, rng),
            msg.monitor_talk(cohort, batch, world, run.expected_messages, weeks, emit, rng),
            msg.operator_posts(cohort, batch, world, code, weeks, total_days, emit, rng),
            msg.joins_and_exits(cohort, run.exit_day, len(batch), ops, rng),
        ]
    )
    events = msg.keep_within_stays(events, cohort, run.exit_day, total_days)
    # rows by group, then time: each group's talk is contiguous in the file (the engine's per-group and
    # per-member aggregations run about a quarter faster, and row-group statistics on group_id prune)
    order = np.lexsort((events.day, events.group))
    stay, group, day, kind = events.stay[order], events.group[order], events.day[order], events.kind[order]
    numbers = pc.utf8_lpad(pa.array(np.arange(first_message, first_message + len(day))).cast(pa.string()), 10, "0")
    senders = ids
    return pa.table(
        {
            "message_id": pc.binary_join_element_wise("msg_", numbers, ""),
            "group_id": pa.array(batch["group_id"].to_numpy(dtype=str)).take(pa.array(group)),
            "member_id": senders.take(pa.array(stay, mask=stay < 0)),
            "sent_at": _times(start, day),
            "kind": pa.array(np.array(MESSAGE_KINDS)[kind]),
            "text_length": pa.array(msg.text_lengths(kind, rng)),
        }
    )
