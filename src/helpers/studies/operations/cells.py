"""Exits and member-days at risk per stratum, tenure band and calendar day (a Lexis split), and group-day states.

Each stay is followed from joining to its exit, the data's end or a horizon after
joining; its follow-up is cut at tenure-band edges and at day boundaries exactly, so a
cell's member-days are the time its members were in that band on that day. The split
runs on difference arrays over strata x bands x days, not member by member.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.claims.registry import ACTIVITIES_MIN_PER_MONTH, AGENT_MEMBER_LIMIT

MONTH_DAYS = 30
"""Activities are counted over the 30 days before each day."""


@dataclass(frozen=True)
class Cells:
    """Non-empty cells: stratum code, tenure band, day, exits and member-days at risk."""

    stratum: np.ndarray
    band: np.ndarray
    day: np.ndarray
    exits: np.ndarray
    days: np.ndarray

    def as_dict(self) -> dict:
        """Totals: cells, exits, member-days."""
        return {"cells": len(self.day), "exits": float(self.exits.sum()), "member_days": float(self.days.sum())}


def _spread(row: np.ndarray, a: np.ndarray, b: np.ndarray, n_rows: int, n_days: int) -> np.ndarray:
    """Rows x days: the length of each interval [a, b) falling on each day, summed per row."""
    size = n_rows * n_days
    fa, fb = np.floor(a).astype(np.int64), np.minimum(np.floor(b).astype(np.int64), n_days - 1)
    same = fa == fb
    out = np.zeros(size)
    out += np.bincount(row[same] * n_days + fa[same], b[same] - a[same], size)
    split = ~same
    r, fa_s, fb_s = row[split], fa[split], fb[split]
    out += np.bincount(r * n_days + fa_s, fa_s + 1 - a[split], size)
    out += np.bincount(r * n_days + fb_s, np.maximum(b[split] - fb_s, 0.0), size)
    steps = np.zeros(n_rows * (n_days + 1))
    steps += np.bincount(r * (n_days + 1) + fa_s + 1, minlength=n_rows * (n_days + 1))
    steps -= np.bincount(r * (n_days + 1) + fb_s, minlength=n_rows * (n_days + 1))
    full = np.cumsum(steps.reshape(n_rows, n_days + 1), axis=1)[:, :n_days]
    return out.reshape(n_rows, n_days) + full


def lexis_cells(
    stratum: np.ndarray,
    joined: np.ndarray,
    left: np.ndarray,
    end: float,
    edges: tuple[float, ...],
    n_strata: int,
    horizon: float = np.inf,
) -> tuple[Cells, np.ndarray]:
    """The cells of stays (``stratum`` codes 0..n-1, times in days) and the strata x days member-days of all bands.

    A stay exits in a cell if it ends there (before ``end`` and within ``horizon`` of joining).
    """
    n_days = int(np.floor(end)) + 1
    n_bands = len(edges)
    stop = np.minimum(np.minimum(left, end), joined + horizon)
    exited = (left <= end) & (left - joined <= horizon)
    upper = np.append(np.asarray(edges[1:], float), np.inf)
    rows, starts, stops, exit_rows, exit_days = [], [], [], [], []
    for k, low in enumerate(edges):
        a = joined + low
        b = np.minimum(joined + upper[k], stop)
        keep = b > a
        rows.append(stratum[keep] * n_bands + k)
        starts.append(a[keep])
        stops.append(b[keep])
        here = exited & (left - joined >= low) & (left - joined < upper[k])
        exit_rows.append(stratum[here] * n_bands + k)
        exit_days.append(np.minimum(np.floor(left[here]).astype(np.int64), n_days - 1))
    n_rows = n_strata * n_bands
    row_codes = np.concatenate(rows).astype(np.int64)
    exposure = _spread(row_codes, np.concatenate(starts), np.concatenate(stops), n_rows, n_days)
    exit_at = np.concatenate(exit_rows).astype(np.int64) * n_days + np.concatenate(exit_days).astype(np.int64)
    exits = np.bincount(exit_at, minlength=n_rows * n_days).reshape(n_rows, n_days)
    row, day = np.nonzero((exposure > 0) | (exits > 0))
    cells = Cells(
        stratum=row // n_bands,
        band=row % n_bands,
        day=day,
        exits=exits[row, day].astype(float),
        days=exposure[row, day],
    )
    return cells, exposure.reshape(n_strata, n_bands, n_days).sum(axis=1)


def present(group: np.ndarray, joined: np.ndarray, left: np.ndarray, n_groups: int, n_days: int) -> np.ndarray:
    """Groups x days: stays that overlap each day (joined before its end, not left before its start)."""
    group = np.asarray(group, dtype=np.int64)
    first = np.floor(joined).astype(np.int64)
    last = np.where(np.isfinite(left), np.floor(np.minimum(left, n_days - 1)), n_days - 1).astype(np.int64)
    steps = np.zeros(n_groups * (n_days + 1))
    steps += np.bincount(group * (n_days + 1) + first, minlength=n_groups * (n_days + 1))
    steps -= np.bincount(group * (n_days + 1) + last + 1, minlength=n_groups * (n_days + 1))
    return np.cumsum(steps.reshape(n_groups, n_days + 1), axis=1)[:, :n_days]


def overloaded(load_present: np.ndarray, agent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups x days: the group's agent serves more than 10,000 members; and the agents x days loads.

    ``agent`` holds each group's agent code, -1 where it has none (never overloaded).
    """
    n_agents = int(agent.max()) + 1 if len(agent) and agent.max() >= 0 else 0
    load = np.zeros((n_agents, load_present.shape[1]))
    has = agent >= 0
    np.add.at(load, agent[has], load_present[has])
    over = np.zeros(load_present.shape, bool)
    over[has] = load[agent[has]] > AGENT_MEMBER_LIMIT
    return over, load


def sparse_activities(starts: np.ndarray, created: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups x days: activities started in the 30 days before the day, and whether that is fewer than 2.

    ``starts`` is groups x days activity starts; a group younger than 30 days is never sparse.
    """
    n_groups, n_days = starts.shape
    before = np.concatenate([np.zeros((n_groups, 1)), np.cumsum(starts, axis=1)], axis=1)
    lag = np.maximum(np.arange(n_days) - MONTH_DAYS, 0)
    recent = before[:, :n_days] - np.where(np.arange(n_days) >= MONTH_DAYS, before[:, lag], 0.0)
    old_enough = np.arange(n_days)[None, :] - created[:, None] >= MONTH_DAYS
    return recent, old_enough & (recent < ACTIVITIES_MIN_PER_MONTH)
