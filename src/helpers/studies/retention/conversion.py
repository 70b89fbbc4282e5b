"""Paid conversion rates of members with CIs clustered by group (members of a group share its operators and mood)."""

from __future__ import annotations

import pandas as pd

from helpers.measures.conversions import NO_CONVERSIONS
from helpers.stats.clustered import clustered_proportion, clustered_ratio
from helpers.stats.estimate import Estimate


def conversion_rates(members: pd.DataFrame, by: str | None = None, horizon_days: int = 30) -> pd.DataFrame:
    """Paid conversion rate and value per member (CIs clustered by group), overall or per value of ``by``.

    ``members`` is ``member_conversions`` output, with ``by`` merged in (e.g. segment, size
    band, cohort month). Rows: the value of ``by`` (``all`` overall), members, converters,
    the rate and the value per member, each with its 95% CI and the groups behind it.
    """
    parts = [("all", members)] if by is None else list(members.groupby(by, observed=True))
    rows = []
    for key, part in parts:
        per_group = part.groupby("group_id").agg(
            members=("member_id", "size"), converted=("converted", "sum"), value=("value", "sum")
        )
        rate = clustered_proportion(
            per_group["converted"], per_group["members"], name=f"paid conversion within {horizon_days} days"
        )
        value = clustered_ratio(per_group["value"], per_group["members"], name="conversion value per member")
        rows.append(
            {
                by or "members": key,
                "members": int(per_group["members"].sum()),
                "converters": int(per_group["converted"].sum()),
                "groups": len(per_group),
                "rate": rate.value,
                "rate_ci_low": rate.ci_low,
                "rate_ci_high": rate.ci_high,
                "value_per_member": value.value,
                "value_ci_low": value.ci_low,
                "value_ci_high": value.ci_high,
                "why_not": rate.why_not or "",
            }
        )
    return pd.DataFrame(rows)


def overall_rate(members: pd.DataFrame | None, horizon_days: int = 30) -> Estimate:
    """The paid conversion rate over all members as an Estimate, or why it cannot be measured."""
    name = f"paid conversion within {horizon_days} days of joining"
    if members is None:
        return Estimate.missing(name, NO_CONVERSIONS)
    if members.empty:
        return Estimate.missing(name, f"no member joined {horizon_days}+ days before the data's end")
    per_group = members.groupby("group_id").agg(members=("member_id", "size"), converted=("converted", "sum"))
    return clustered_proportion(per_group["converted"], per_group["members"], name=name)
