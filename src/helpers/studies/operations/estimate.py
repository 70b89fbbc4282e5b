"""Study 5's numbers: welcome pacing, service agents' load and activity cadence against exits (no sentences)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.claims.registry import JOIN_PEAK_JOINS
from helpers.data.engine import Dataset
from helpers.data.event_time import data_end
from helpers.measures.members import exits_unrecorded
from helpers.stats.estimate import Estimate
from helpers.studies.operations import measures, models
from helpers.studies.operations.effects import HEADLINE, exit_effects, missing_contrast, named, rate_effects
from helpers.studies.operations.grid import DayGrid, collect, daily_matrix, group_codes
from helpers.studies.operations.params import OperationsParams
from helpers.studies.operations.tables import agent_table, cadence_table
from helpers.studies.operations.welcome import welcome_cells, welcome_policy, welcome_table

CLAIM_IDS = ("welcome_pacing", "staffing", "activity_cadence")


@dataclass(frozen=True)
class OperationsEstimates:
    """Every number the operations study reports; only ``unrecorded`` and ``headline`` where exits are not recorded."""

    params: OperationsParams
    headline: dict[str, Estimate]
    level: float  # the intervals' level: Bonferroni over the study's three claims
    unrecorded: str = ""  # why operations' effects on exits are not measurable here ('' when they are)
    cadence: pd.DataFrame | None = None  # exits by activities in the last 30 days
    agents: pd.DataFrame | None = None  # per service agent: groups, peak load, days over the limit
    welcome: pd.DataFrame | None = None  # peak joiners and their exits by welcome policy
    grid: DayGrid | None = None

    def as_dict(self) -> dict:
        """The headline estimates as plain values (the tables stay with the caller)."""
        return {"headline": {key: e.as_dict() for key, e in self.headline.items()}}


def _rate_ratios(ds: Dataset, data: DayGrid, level: float) -> dict[str, Estimate]:
    """Paid conversions after a sparse month, and members' talk on activity days and under an overloaded agent."""
    shape, codes = data.member_days.shape, group_codes(data)
    conversions = measures.paid_conversions(ds.tables, data.line)
    counts = None if conversions is None else daily_matrix(conversions, "conversions", codes, shape)
    conv = rate_effects(data, counts, "paid conversions", False, level)
    messages = daily_matrix(measures.member_messages(ds.tables, data.line), "messages", codes, shape)
    talk = rate_effects(data, messages, "members' messages", True, level)
    no_conv = "not measurable on this data: it has no conversions table"
    return {
        "activity_sparse_conversion_ratio": named(
            conv.get("sparse"),
            HEADLINE["activity_sparse_conversion_ratio"],
            no_conv if conversions is None else missing_contrast("sparse"),
        ),
        "activity_day_message_ratio": named(
            talk.get("today"), HEADLINE["activity_day_message_ratio"], missing_contrast("today")
        ),
        "staffing_overload_message_ratio": named(
            talk.get("over"), HEADLINE["staffing_overload_message_ratio"], missing_contrast("over")
        ),
    }


def _welcome_ratio(data: DayGrid, cells: pd.DataFrame, level: float) -> Estimate:
    """Peak joiners' exit hazard ratio, spaced welcomes vs one per join, or why it cannot be estimated."""
    if not cells.empty:
        return models.welcome_ratio(cells, level, HEADLINE["welcome_spaced_hazard_ratio"])
    peaks = int((data.members["hour_joins"] >= JOIN_PEAK_JOINS).sum())
    why = (
        f"no member joined in a join peak ({JOIN_PEAK_JOINS}+ joins in a clock hour)"
        if not peaks
        else f"{peaks} members joined in join peaks, but no welcome announcements are recorded around them"
    )
    return Estimate.missing(HEADLINE["welcome_spaced_hazard_ratio"], why)


def estimate(ds: Dataset, params: OperationsParams | None = None) -> OperationsEstimates:
    """Welcome pacing, agents' load and activity cadence against exits (claims 7-9), with conversions and talk."""
    p = params or OperationsParams()
    level = 1 - p.alpha / len(CLAIM_IDS)
    if unrecorded := exits_unrecorded(ds.tables):
        missing = {key: Estimate.missing(name, unrecorded) for key, name in HEADLINE.items()}
        return OperationsEstimates(params=p, headline=missing, level=level, unrecorded=unrecorded)
    data = collect(ds, data_end(ds.tables))
    headline = {**exit_effects(data, level), **_rate_ratios(ds, data, level)}
    welcomes = measures.peak_welcomes(ds.tables, data.members.assign(role="member"), data.line)
    policy = welcome_policy(welcomes)
    cells = welcome_cells(data, policy)
    headline["welcome_spaced_hazard_ratio"] = _welcome_ratio(data, cells, level)
    return OperationsEstimates(
        params=p,
        headline={k: headline[k] for k in HEADLINE},
        level=level,
        cadence=cadence_table(data),
        agents=agent_table(data),
        welcome=welcome_table(cells, policy),
        grid=data,
    )
