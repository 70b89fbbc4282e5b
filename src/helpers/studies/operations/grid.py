"""Study 5's day grid: every stay cut into group x tenure x day cells, and each group's daily states.

Everything the operations models need, collected once: members' stays on one grid of
days, the Lexis cells of the exit model, member-days present, activities started, and
service agents' loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.data.engine import Dataset
from helpers.measures.members import homogeneous
from helpers.studies.operations import measures
from helpers.studies.operations.cells import Cells, lexis_cells, overloaded, present, sparse_activities

TENURE_EDGES = (0.0, 2.0, 4.0, 7.0, 14.0, 28.0, 56.0, 112.0)
"""Lower edges (days since joining) of the tenure bands of the exit model."""


@dataclass(frozen=True)
class DayGrid:
    """Everything the models need, on one day grid."""

    line: measures.Timeline
    groups: pd.DataFrame
    members: pd.DataFrame  # member stays with group code
    cells: Cells
    member_days: np.ndarray  # groups x days
    sparse: np.ndarray | None  # groups x days
    recent: np.ndarray | None
    activity_today: np.ndarray | None
    over: np.ndarray  # groups x days
    load: np.ndarray  # agents x days
    agent: np.ndarray  # per group: agent code, -1 none
    groups_per_agent: np.ndarray  # agents x days: groups with members present

    def as_dict(self) -> dict:
        """Sizes of what was collected."""
        return {
            "groups": len(self.groups),
            "stays": len(self.members),
            "agents": len(self.load),
            **self.cells.as_dict(),
        }


def daily_matrix(frame: pd.DataFrame | None, column: str, codes: pd.Series, shape: tuple[int, int]) -> np.ndarray:
    """Groups x days counts from a (group_id, day, column) frame; days outside the grid dropped."""
    out = np.zeros(shape)
    if frame is None or frame.empty:
        return out
    g = frame["group_id"].map(codes)
    d = frame["day"].to_numpy()
    keep = g.notna().to_numpy() & (d >= 0) & (d < shape[1])
    np.add.at(out, (g[keep].astype(int).to_numpy(), d[keep]), frame[column].to_numpy(float)[keep])
    return out


def collect(ds: Dataset, end: pd.Timestamp) -> DayGrid:
    """Stays, cells and group-day states from the dataset."""
    line = measures.timeline(ds.tables, end)
    groups = measures.group_days(ds.tables, line)
    groups["homogeneous"] = homogeneous(groups)
    codes = pd.Series(np.arange(len(groups)), index=groups["group_id"])
    stays = measures.stays(ds.tables, line)
    members = stays[(stays["role"] == "member") & stays["group_id"].isin(codes.index)].copy()
    members["g"] = members["group_id"].map(codes).astype(int)
    n_groups = len(groups)
    cells, member_days = lexis_cells(
        members["g"].to_numpy(),
        members["joined"].to_numpy(float),
        members["left"].to_numpy(float),
        line.end,
        TENURE_EDGES,
        n_groups,
    )
    shape = member_days.shape
    starts = measures.activity_starts(ds.tables, line)
    if starts is not None:
        recent, sparse = sparse_activities(
            daily_matrix(starts, "activities", codes, shape), groups["created"].to_numpy(float)
        )
        today = daily_matrix(starts, "activities", codes, shape) > 0
    else:
        recent = sparse = today = None
    agent_ids = measures.agents(stays).reindex(groups["group_id"])
    agent = pd.factorize(agent_ids)[0] if agent_ids.notna().any() else np.full(n_groups, -1)
    presence = present(
        members["g"].to_numpy(), members["joined"].to_numpy(float), members["left"].to_numpy(float), n_groups, shape[1]
    )
    over, load = overloaded(presence, agent)
    busy = np.zeros_like(load)
    has = agent >= 0
    np.add.at(busy, agent[has], (presence[has] > 0).astype(float))
    return DayGrid(line, groups, members, cells, member_days, sparse, recent, today, over, load, agent, busy)


def group_codes(data: DayGrid) -> pd.Series:
    """Each group's row on the grid, by group id."""
    return pd.Series(np.arange(len(data.groups)), index=data.groups["group_id"])
