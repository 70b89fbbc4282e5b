"""Study 5's welcome pacing: how each group welcomes its join peaks, and peak joiners' first days as model cells."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.claims.registry import JOIN_PEAK_JOINS, WELCOME_WINDOW_DAYS
from helpers.studies.operations.cells import lexis_cells
from helpers.studies.operations.grid import DayGrid

WELCOME_EDGES = (0.0, 2.0, 4.0, 7.0, 10.0)
"""Tenure bands of peak joiners' first 14 days."""

SHORT_GAP_MINUTES = 10
"""A welcome following the previous one within this many minutes: the group welcomes each join."""

SHORT_GAP_SHARE = 0.1
"""A group whose join-peak welcomes are this often under 10 minutes apart welcomes each join; else it spaces them."""


def welcome_policy(welcomes: pd.DataFrame) -> pd.DataFrame:
    """Per group with join peaks: welcomes seen, share of gaps under 10 minutes, median gap, and the policy."""
    if welcomes.empty:
        return pd.DataFrame(columns=["group_id", "welcomes", "short_gap_share", "median_gap_minutes", "spaced"])
    gap = welcomes.groupby("group_id")["at"].diff() * 1440
    frame = welcomes.assign(gap=gap).dropna(subset=["gap"])
    out = frame.groupby("group_id").agg(
        welcomes=("gap", "size"),
        short_gap_share=("gap", lambda x: float(np.mean(x < SHORT_GAP_MINUTES))),
        median_gap_minutes=("gap", "median"),
    )
    out = out[out["welcomes"] >= 2].reset_index()
    out["spaced"] = out["short_gap_share"] < SHORT_GAP_SHARE
    return out


def welcome_cells(data: DayGrid, policy: pd.DataFrame) -> pd.DataFrame:
    """Cells of peak joiners' first 14 days: group, peak size, tenure band, day, exits, member-days, headcount."""
    m = data.members
    peak = m[(m["hour_joins"] >= JOIN_PEAK_JOINS) & m["group_id"].isin(policy["group_id"])]
    if peak.empty:
        return pd.DataFrame()
    key = pd.factorize(peak["g"].to_numpy(np.int64) * 1_000_000 + peak["hour_joins"].to_numpy(np.int64))[0]
    cells, _ = lexis_cells(
        key,
        peak["joined"].to_numpy(float),
        peak["left"].to_numpy(float),
        data.line.end,
        WELCOME_EDGES,
        int(key.max()) + 1,
        horizon=WELCOME_WINDOW_DAYS,
    )
    first = pd.DataFrame({"key": key, "g": peak["g"].to_numpy(), "peak_joins": peak["hour_joins"].to_numpy()})
    first = first.drop_duplicates("key").set_index("key")
    g = first["g"].reindex(cells.stratum).to_numpy()
    groups = data.groups
    spaced = policy.set_index("group_id")["spaced"]
    joiners = np.bincount(key, minlength=int(key.max()) + 1)
    first_cell = ~pd.Series(cells.stratum).duplicated().to_numpy()  # count each stratum's joiners once
    return pd.DataFrame(
        {
            "group_id": groups["group_id"].to_numpy()[g],
            "peak_joins": first["peak_joins"].reindex(cells.stratum).to_numpy(),
            "band": cells.band,
            "day": cells.day,
            "exits": cells.exits,
            "days": cells.days,
            "members": np.maximum(data.member_days[g, cells.day], 1.0),
            "homogeneous": groups["homogeneous"].to_numpy()[g].astype(float),
            "spaced": spaced.reindex(groups["group_id"].to_numpy()[g]).to_numpy(bool),
            "joiners": np.where(first_cell, joiners[cells.stratum], 0),
        }
    )


def welcome_table(cells: pd.DataFrame, policy: pd.DataFrame) -> pd.DataFrame:
    """Peak joiners, their exits within 14 days and the welcome spacing, by policy."""
    if cells.empty:
        return pd.DataFrame()
    by = cells.assign(policy=np.where(cells["spaced"], "spaced (15-30 min)", "one per join"))
    out = by.groupby("policy").agg(
        groups=("group_id", "nunique"),
        joiners=("joiners", "sum"),
        exits=("exits", "sum"),
        days=("days", "sum"),
        peak=("peak_joins", "mean"),
    )
    gaps = policy.assign(policy=np.where(policy["spaced"], "spaced (15-30 min)", "one per join"))
    out["median minutes between welcomes"] = gaps.groupby("policy")["median_gap_minutes"].median()
    out["exits per 1,000 member-days"] = 1000 * out["exits"] / out["days"]
    out = out.reset_index().rename(
        columns={
            "policy": "welcome policy",
            "joiners": "peak joiners",
            "exits": f"exits within {WELCOME_WINDOW_DAYS:g} days",
            "days": "member-days",
            "peak": "mean joins in the peak hour",
        }
    )
    return out
