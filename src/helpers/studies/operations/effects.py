"""Study 5's within-group effects on the day grid: exits, paid conversions and talk against each operating state.

Each ratio comes from a Poisson model with a term per group (profiled out), so what is
constant in a group cannot confound it; splines take headcount, age and the calendar.
"""

from __future__ import annotations

import numpy as np

from helpers.claims.registry import ACTIVITIES_MIN_PER_MONTH, AGENT_MEMBER_LIMIT
from helpers.stats.estimate import Estimate
from helpers.studies.operations import models
from helpers.studies.operations.grid import DayGrid

HEADLINE = {
    "welcome_spaced_hazard_ratio": "exit hazard ratio of peak joiners, spaced welcomes vs one per join",
    "staffing_overload_hazard_ratio": f"exit hazard ratio while the agent serves over {AGENT_MEMBER_LIMIT:,} members",
    "activity_sparse_hazard_ratio": f"exit hazard ratio, fewer than {ACTIVITIES_MIN_PER_MONTH} activities in 30 days",
    "activity_sparse_conversion_ratio": f"paid conversion rate ratio, fewer than {ACTIVITIES_MIN_PER_MONTH} activities",
    "activity_day_message_ratio": "members' messages per member-day, on a day an activity starts vs other days",
    "staffing_overload_message_ratio": "members' messages per member-day while the agent is over the limit",
}


def _group_day_design(data: DayGrid, g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Splines in ln headcount, group age and calendar day for group-day rows."""
    headcount = np.maximum(data.member_days[g, d], 1.0)
    age = d + 0.5 - data.groups["created"].to_numpy(float)[g]
    return np.column_stack(models.smooth_columns(np.log(headcount), age, d + 0.5))


def _sides(values: np.ndarray, cluster: np.ndarray, exposure: np.ndarray) -> tuple[int, int]:
    """Distinct clusters with exposure off and on an indicator."""
    on = exposure > 0
    return int(len(np.unique(cluster[on & (values == 0)]))), int(len(np.unique(cluster[on & (values == 1)])))


def _contrasts(data: DayGrid, g: np.ndarray, d: np.ndarray, exposure: np.ndarray, today: bool) -> list[models.Contrast]:
    """The indicators measurable on this data: sparse activities (or an activity that day) and an overloaded agent."""
    out = []
    own = np.full(len(data.groups), -1)
    if data.sparse is not None:
        name = "activity that day" if today else f"fewer than {ACTIVITIES_MIN_PER_MONTH} activities in 30 days"
        values = (data.activity_today if today else data.sparse)[g, d].astype(float)
        out.append(models.Contrast("today" if today else "sparse", name, values, own, _sides(values, g, exposure)))
    if (data.agent >= 0).any():
        values = data.over[g, d].astype(float)
        agent = data.agent[g]
        sides = _sides(values[agent >= 0], agent[agent >= 0], exposure[agent >= 0])
        out.append(models.Contrast("over", f"agent over {AGENT_MEMBER_LIMIT:,} members", values, data.agent, sides))
    return out


def missing_contrast(key: str) -> str:
    """Why an indicator is not in the model."""
    if key in ("sparse", "today"):
        return "not measurable on this data: it has no activities table"
    return "not measurable on this data: no assistant (service agent) is recorded in the memberships"


def exit_effects(data: DayGrid, level: float) -> dict[str, Estimate]:
    """Hazard ratios of sparse activities and an overloaded agent from the exit model."""
    c = data.cells
    if c.exits.sum() == 0:
        return {
            "activity_sparse_hazard_ratio": Estimate.missing(HEADLINE["activity_sparse_hazard_ratio"], "no exits"),
            "staffing_overload_hazard_ratio": Estimate.missing(HEADLINE["staffing_overload_hazard_ratio"], "no exits"),
        }
    X = models.design(models.band_columns(c.band), _group_day_design(data, c.stratum, c.day), n=len(c.day))
    contrasts = _contrasts(data, c.stratum, c.day, c.days, today=False)
    fitted = models.conditional_ratios(c.exits, c.days, X, c.stratum, contrasts, level, "exit model")
    names = {"sparse": "activity_sparse_hazard_ratio", "over": "staffing_overload_hazard_ratio"}
    return {
        key: fitted.get(short, Estimate.missing(HEADLINE[key], missing_contrast(short))) for short, key in names.items()
    }


def rate_effects(data: DayGrid, counts: np.ndarray | None, what: str, today: bool, level: float) -> dict[str, Estimate]:
    """Rate ratios of the indicators on group-day counts (conversions or messages) per member-day."""
    g, d = np.nonzero(data.member_days > 0)
    if counts is None:
        return {}
    y = counts[g, d]
    exposure = data.member_days[g, d]
    weekend = (((d + data.line.origin / 86_400 + 3) % 7) >= 5).astype(float)[:, None]
    X = models.design(_group_day_design(data, g, d), weekend, n=len(g))
    contrasts = _contrasts(data, g, d, exposure, today)
    if y.sum() == 0:
        return {c.key: Estimate.missing(c.name, f"no {what} on this data") for c in contrasts}
    return models.conditional_ratios(y, exposure, X, g, contrasts, level, f"{what} model")


def named(estimate: Estimate | None, name: str, why: str) -> Estimate:
    """An estimate under the headline's name, or a missing one saying why."""
    if estimate is None:
        return Estimate.missing(name, why)
    return Estimate(
        name, estimate.value, estimate.ci_low, estimate.ci_high, estimate.method, estimate.n, estimate.reason
    )
