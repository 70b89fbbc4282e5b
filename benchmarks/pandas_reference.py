"""A straightforward pandas implementation of the metric suite, to check and to race the engine.

Not part of the package: this is what an analyst would write with pandas alone, reading
whole tables into memory. It follows the definitions in the package's docstrings
(``retention``, ``panel``, ``recruitment``, ``experiment``) independently of their Ibis
code, so that ``tests/test_reference.py`` can hold the engine to it on a small dataset and
``bench.py`` can time both on the same data.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DAY = 86_400.0
WEEK = pd.Timedelta(days=7)
STAGE_EDGES_DAYS = (28.0, 84.0)


@dataclass
class Frames:
    """The contract tables as pandas frames."""

    groups: pd.DataFrame
    memberships: pd.DataFrame
    messages: pd.DataFrame
    assignments: pd.DataFrame


def parquet_source(data_dir: Path, name: str) -> Path:
    """A table's Parquet file, or a glob over its folder of parts."""
    single = data_dir / f"{name}.parquet"
    return single if single.exists() else data_dir / name / "*.parquet"


def load(data_dir: str | Path) -> Frames:
    """Read every table into memory (Parquet files or folders of parts)."""
    data_dir = Path(data_dir)

    def read(name: str) -> pd.DataFrame:
        path = parquet_source(data_dir, name)
        path = path.parent if path.name == "*.parquet" else path
        frame = pd.read_parquet(path)
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].dt.tz_convert("UTC")
        return frame

    return Frames(read("groups"), read("memberships"), read("messages"), read("assignments"))


def data_end(f: Frames) -> pd.Timestamp:
    """The latest join, leave or message."""
    return max(f.memberships["joined_at"].max(), f.memberships["left_at"].max(), f.messages["sent_at"].max())


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.total_seconds() / DAY


def _monday(times: pd.Series) -> pd.Series:
    """Monday 00:00 UTC of each instant's week."""
    day = times.dt.floor("D")
    return day - pd.to_timedelta(day.dt.weekday, unit="D")


# --- member table -----------------------------------------------------------------------------


def member_table(f: Frames, end: pd.Timestamp) -> pd.DataFrame:
    """Per member (role member) in a group: first stay, stays, final leave, duration, messages; group peak size."""
    m = f.memberships[f.memberships["role"] == "member"].sort_values(["group_id", "member_id", "joined_at"])
    per = m.groupby(["group_id", "member_id"], sort=False)
    first = per.head(1)[["group_id", "member_id", "joined_at", "left_at"]].copy()
    first["stays"] = per.size().to_numpy()
    still_in = per["left_at"].apply(lambda s: s.isna().any()).to_numpy()
    first["final_left_at"] = per["left_at"].max().where(~still_in).to_numpy()
    first["left"] = first["left_at"].notna()
    first["duration_days"] = _days(first["left_at"].fillna(end), first["joined_at"])
    talk = (
        f.messages.groupby(["group_id", "member_id"])
        .agg(messages=("sent_at", "size"), first_message_at=("sent_at", "min"), last_message_at=("sent_at", "max"))
        .reset_index()
    )
    out = first.merge(talk, on=["group_id", "member_id"], how="left")
    out["messages"] = out["messages"].fillna(0).astype("int64")
    span = _days(out["final_left_at"].fillna(end), out["joined_at"]).clip(lower=7.0)
    out["messages_per_week"] = out["messages"] * 7 / span
    return out.merge(peak_members(f), on="group_id", how="left")


def peak_members(f: Frames) -> pd.DataFrame:
    """Each group's largest headcount (all roles), joins before leaves at the same instant."""
    m = f.memberships
    moves = pd.concat(
        [
            pd.DataFrame({"group_id": m["group_id"], "at": m["joined_at"], "step": 1}),
            pd.DataFrame({"group_id": m["group_id"], "at": m["left_at"], "step": -1}).dropna(),
        ]
    )
    moves = moves.sort_values(["group_id", "at", "step"])
    moves["members"] = moves.groupby("group_id")["step"].cumsum()
    return moves.groupby("group_id", as_index=False)["members"].max().rename(columns={"members": "peak_members"})


# --- retention triangles -------------------------------------------------------------------------


def retention_counts(f: Frames, kind: str, end: pd.Timestamp, max_periods: int = 12, length: int = 7) -> pd.DataFrame:
    """Members of each weekly join cohort retained in period k (a stay covers part of it / a message in it)."""
    m = f.memberships[f.memberships["role"] == "member"]
    first = (
        m.groupby(["group_id", "member_id"], as_index=False)["joined_at"]
        .min()
        .rename(columns={"joined_at": "first_joined"})
    )
    first["cohort"] = _monday(first["first_joined"])
    if kind == "membership":
        s = m.merge(first, on=["group_id", "member_id"])
        k_from = np.floor(_days(s["joined_at"], s["first_joined"]) / length).astype(int)
        k_to = (np.ceil(_days(s["left_at"].fillna(end), s["first_joined"]) / length) - 1).astype(int)
        s = s.assign(k=[list(range(a, max(b, a) + 1)) for a, b in zip(k_from, k_to)]).explode("k")
    else:
        s = f.messages.merge(first, on=["group_id", "member_id"])
        s["k"] = np.floor(_days(s["sent_at"], s["first_joined"]) / length).astype(int)
        s = s[s["k"] >= 0]
    s = s[s["k"] <= max_periods].drop_duplicates(["group_id", "member_id", "k"])
    pairs = s.groupby(["cohort", "k"]).size().rename("n").reset_index()
    return finish_triangle(pairs, first.groupby("cohort").size(), end, max_periods, length)


def finish_triangle(
    pairs: pd.DataFrame, sizes: pd.Series, end: pd.Timestamp, max_periods: int = 12, length: int = 7
) -> pd.DataFrame:
    """Cohort x period counts from (cohort, k, n) rows; missing where period k has not ended for the cohort."""
    counts = pairs.pivot_table(index="cohort", columns="k", values="n", aggfunc="sum", fill_value=0)
    counts = counts.reindex(columns=range(max_periods + 1), fill_value=0)
    sizes.index = pd.DatetimeIndex(sizes.index).tz_convert("UTC")
    counts.index = pd.DatetimeIndex(counts.index).tz_convert("UTC")
    counts = counts.reindex(sizes.sort_index().index, fill_value=0).astype(float)
    steps = np.arange(1, max_periods + 2) * np.timedelta64(length, "D")  # period k ends (k + 1) lengths after
    period_end = (counts.index + WEEK).tz_convert(None).values[:, None] + steps[None, :]
    counts = counts.where(period_end <= end.tz_convert(None).to_datetime64())
    counts.index.name, counts.columns.name = "cohort", "k"
    return counts


# --- group-week panel ----------------------------------------------------------------------------


def group_week_panel(f: Frames, end: pd.Timestamp, koc_threshold: int = 10) -> pd.DataFrame:
    """Per group and week from creation to the data's end: members, joins, exits, talk, KOCs, operator posts."""
    last = _monday(pd.Series([end]))[0]
    rows = []
    for group_id, created in zip(f.groups["group_id"], f.groups["created_at"]):
        first = _monday(pd.Series([created]))[0]
        weeks = pd.date_range(first, last, freq="7D")
        rows.append(pd.DataFrame({"group_id": group_id, "week": weeks, "age_weeks": np.arange(len(weeks))}))
    panel = pd.concat(rows, ignore_index=True)
    m = f.memberships[f.memberships["role"] == "member"]
    joins = m.assign(week=_monday(m["joined_at"])).groupby(["group_id", "week"]).size().rename("joins")
    left = m.dropna(subset=["left_at"])
    exits = left.assign(week=_monday(left["left_at"])).groupby(["group_id", "week"]).size().rename("exits")
    roles = f.memberships[f.memberships["role"] != "member"].groupby(["group_id", "member_id"])["role"].max()
    msg = f.messages.dropna(subset=["member_id"])
    msg = msg.join(roles.rename("op_role"), on=["group_id", "member_id"])
    msg["role"] = msg["op_role"].fillna("member")
    msg["week"] = _monday(msg["sent_at"])
    per_sender = msg[msg["role"] == "member"].groupby(["group_id", "week", "member_id"]).size()
    talk = per_sender.groupby(["group_id", "week"]).agg(
        member_messages="sum", speakers="size", kocs=lambda n: int((n >= koc_threshold).sum())
    )
    ops = (
        msg.assign(
            monitor=msg["role"] == "monitor",
            operator=msg["kind"].isin(["dry", "wet", "promo", "activity"]),
            promo=msg["kind"] == "promo",
        )
        .groupby(["group_id", "week"])[["monitor", "operator", "promo"]]
        .sum()
    )
    ops.columns = ["monitor_messages", "operator_posts", "promo_posts"]
    panel = panel.join(joins, on=["group_id", "week"]).join(exits, on=["group_id", "week"])
    panel = panel.join(talk, on=["group_id", "week"]).join(ops, on=["group_id", "week"])
    counts = [
        "joins",
        "exits",
        "member_messages",
        "speakers",
        "kocs",
        "monitor_messages",
        "operator_posts",
        "promo_posts",
    ]
    panel[counts] = panel[counts].fillna(0).astype("int64")
    panel = panel.sort_values(["group_id", "week"]).reset_index(drop=True)
    net = panel["joins"] - panel["exits"]
    panel["members"] = net.groupby(panel["group_id"]).cumsum() - net
    # tenure: mean days since joining of the members present at the week's start (running sums of join times)
    seconds = (m["joined_at"] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    joined_in = seconds.groupby([m["group_id"], _monday(m["joined_at"])]).sum().rename("joined_s_in")
    joined_out = seconds[m["left_at"].notna()].groupby([left["group_id"], _monday(left["left_at"])]).sum()
    panel = panel.join(joined_in, on=["group_id", "week"]).join(
        joined_out.rename("joined_s_out"), on=["group_id", "week"]
    )
    flow = panel["joined_s_in"].fillna(0) - panel["joined_s_out"].fillna(0)
    present_s = flow.groupby(panel["group_id"]).cumsum() - flow
    week_s = (panel["week"] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    panel["mean_tenure_days"] = (week_s - present_s / panel["members"].where(panel["members"] > 0)) / DAY
    panel["members_in_week"] = panel["members"] + panel["joins"]
    has = panel["members_in_week"].where(panel["members_in_week"] > 0)
    panel["interaction_rate"] = panel["speakers"] / has
    panel["messages_per_member"] = panel["member_messages"] / has
    total = panel["member_messages"] + panel["monitor_messages"]
    panel["monitor_share"] = panel["monitor_messages"] / total.where(total > 0)
    panel["promo_share"] = panel["promo_posts"] / panel["operator_posts"].where(panel["operator_posts"] > 0)
    return panel


# --- recruitment windows -----------------------------------------------------------------------


def recruitment_windows(f: Frames, end: pd.Timestamp, target_size: int = 150) -> pd.DataFrame:
    """Per group: days from creation to its n-th distinct joiner (n = min(target, own target)), joiners so far."""
    joiners = f.memberships.groupby(["group_id", "member_id"], as_index=False)["joined_at"].min()
    joiners = joiners.sort_values(["group_id", "joined_at"])
    joiners["rank"] = joiners.groupby("group_id").cumcount() + 1
    g = f.groups.copy()
    g["fill_size"] = np.minimum(target_size, g["target_size"].fillna(target_size)).astype(int)
    nth = joiners.merge(g[["group_id", "fill_size"]], on="group_id")
    nth = nth[nth["rank"] == nth["fill_size"]][["group_id", "joined_at"]].rename(columns={"joined_at": "filled_at"})
    out = g.merge(nth, on="group_id", how="left")
    out = out.merge(joiners.groupby("group_id").size().rename("joiners"), on="group_id", how="left")
    out["joiners"] = out["joiners"].fillna(0).astype("int64")
    out["window_days"] = _days(out["filled_at"], out["created_at"])
    out["observed_days"] = _days(pd.Series(end, index=out.index), out["created_at"])
    out["filled"] = out["window_days"].notna()
    return out.sort_values("group_id").reset_index(drop=True)


# --- experiment outcomes -------------------------------------------------------------------------


def experiment_outcomes(
    f: Frames, experiment: str, end: pd.Timestamp, horizon_days: int = 30, pre_days: int = 90
) -> pd.DataFrame:
    """Per randomised group: post exits by stage, pre exits, member-days and member messages after / before."""
    a = f.assignments[f.assignments["experiment"] == experiment].merge(
        f.groups[["group_id", "created_at"]], on="group_id"
    )
    horizon = pd.Timedelta(days=horizon_days)
    m = f.memberships[f.memberships["role"] == "member"].merge(a, on="group_id")
    stop = m["left_at"].fillna(end)
    start = m[["joined_at", "assigned_at"]].max(axis=1)
    post = m[(stop > m["assigned_at"]) & (start + horizon <= end)].copy()
    post["start"] = start
    post["exited"] = (post["left_at"].notna() & (post["left_at"] < post["start"] + horizon)).astype(int)
    age = _days(post["start"], post["created_at"])
    post["stage"] = np.where(
        age < STAGE_EDGES_DAYS[0], "launch", np.where(age < STAGE_EDGES_DAYS[1], "growth", "mature")
    )
    stages = post.pivot_table(index="group_id", columns="stage", values="exited", aggfunc=["size", "sum"], fill_value=0)
    out = a[["group_id", "arm", "assigned_at"]].set_index("group_id")
    for stage in ("launch", "growth", "mature"):
        out[f"members_{stage}"] = stages.get(("size", stage), pd.Series(dtype=float))
        out[f"exits_{stage}"] = stages.get(("sum", stage), pd.Series(dtype=float))
    pre = m[
        (m["joined_at"] < m["assigned_at"] - horizon)
        & (m["joined_at"] >= m["assigned_at"] - pd.Timedelta(days=pre_days))
    ]
    out["pre_members"] = pre.groupby("group_id").size()
    out["pre_exits"] = (
        (pre["left_at"].notna() & (pre["left_at"] < pre["joined_at"] + horizon)).groupby(pre["group_id"]).sum()
    )
    window_start = m["assigned_at"] - pd.Timedelta(days=pre_days)
    m["post_days"] = _days(stop, start).clip(lower=0)
    m["pre_days"] = _days(np.minimum(stop, m["assigned_at"]), np.maximum(m["joined_at"], window_start)).clip(lower=0)
    out["post_member_days"] = m.groupby("group_id")["post_days"].sum()
    out["pre_member_days"] = m.groupby("group_id")["pre_days"].sum()
    roles = f.memberships[f.memberships["role"] != "member"].groupby(["group_id", "member_id"]).size()
    msg = f.messages.dropna(subset=["member_id"])
    msg = msg[~msg.set_index(["group_id", "member_id"]).index.isin(roles.index)].merge(a, on="group_id")
    out["post_messages"] = (msg["sent_at"] >= msg["assigned_at"]).groupby(msg["group_id"]).sum()
    out["pre_messages"] = (
        ((msg["sent_at"] < msg["assigned_at"]) & (msg["sent_at"] >= msg["assigned_at"] - pd.Timedelta(days=pre_days)))
        .groupby(msg["group_id"])
        .sum()
    )
    out = out.fillna(0)
    out["members"] = out[[f"members_{s}" for s in ("launch", "growth", "mature")]].sum(axis=1)
    out["exits"] = out[[f"exits_{s}" for s in ("launch", "growth", "mature")]].sum(axis=1)
    return out.reset_index().sort_values("group_id").reset_index(drop=True)


def suite_of(module, data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every metric of the suite computed by ``module`` (this one or a rival with the same functions)."""
    frames = module.load(data_dir)
    end = module.data_end(frames)
    return {
        "member table": module.member_table(frames, end),
        "membership triangle": module.retention_counts(frames, "membership", end),
        "activity triangle": module.retention_counts(frames, "activity", end),
        "group-week panel": module.group_week_panel(frames, end),
        "recruitment windows": module.recruitment_windows(frames, end),
        "experiment outcomes": module.experiment_outcomes(frames, "content_ratio", end),
    }


def suite(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every metric of the suite, from reading the files on (what the benchmark times)."""
    return suite_of(sys.modules[__name__], data_dir)
