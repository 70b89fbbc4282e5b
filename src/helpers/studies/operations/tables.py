"""Study 5's tables from the day grid: exits by recent activities, and each service agent's load."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.claims.registry import ACTIVITIES_MIN_PER_MONTH, ACTIVITIES_WEEKLY_PER_MONTH, AGENT_MEMBER_LIMIT
from helpers.studies.operations.cells import MONTH_DAYS
from helpers.studies.operations.grid import DayGrid


def cadence_table(data: DayGrid) -> pd.DataFrame:
    """Exits per 1,000 member-days by activities started in the 30 days before (groups 30+ days old)."""
    if data.recent is None:
        return pd.DataFrame()
    c = data.cells
    age = c.day - data.groups["created"].to_numpy(float)[c.stratum]
    old = age >= MONTH_DAYS
    recent = data.recent[c.stratum, c.day][old]
    band = np.select(
        [recent < 1, recent < ACTIVITIES_MIN_PER_MONTH, recent < ACTIVITIES_WEEKLY_PER_MONTH],
        ["none", f"1 (fewer than {ACTIVITIES_MIN_PER_MONTH})", f"{ACTIVITIES_MIN_PER_MONTH}-3"],
        f"{ACTIVITIES_WEEKLY_PER_MONTH}+ (about weekly)",
    )
    frame = pd.DataFrame({"activities in the last 30 days": band, "exits": c.exits[old], "member-days": c.days[old]})
    out = frame.groupby("activities in the last 30 days", sort=False).sum().reset_index()
    out["exits per 1,000 member-days"] = 1000 * out["exits"] / out["member-days"]
    order = ["none", f"1 (fewer than {ACTIVITIES_MIN_PER_MONTH})", f"{ACTIVITIES_MIN_PER_MONTH}-3"]
    order.append(f"{ACTIVITIES_WEEKLY_PER_MONTH}+ (about weekly)")
    out["order"] = out["activities in the last 30 days"].map({k: i for i, k in enumerate(order)})
    return out.sort_values("order").drop(columns="order").reset_index(drop=True)


def agent_table(data: DayGrid) -> pd.DataFrame:
    """Per service agent (numbered, never named): groups served, peak member load, share of days over the limit."""
    if not len(data.load):
        return pd.DataFrame()
    active = data.load > 0
    rows = []
    for a in range(len(data.load)):
        days = active[a]
        rows.append(
            {
                "agent": f"agent {a + 1}",
                "groups": int((data.agent == a).sum()),
                "most groups at once": int(data.groups_per_agent[a].max()),
                "most members at once": int(data.load[a].max()),
                "days served": int(days.sum()),
                f"share of days over {AGENT_MEMBER_LIMIT:,} members": float(
                    np.mean(data.load[a][days] > AGENT_MEMBER_LIMIT)
                )
                if days.any()
                else 0.0,
            }
        )
    return pd.DataFrame(rows)
