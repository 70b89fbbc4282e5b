"""Stickiness by size band (or any group attribute): active days per member-month, as PostHog and Mixpanel show it.

Of the members who spoke in a month, how many days they spoke on: the distribution (1, 2,
3-4, 5-9, 10-19, 20+ days), the mean, and the share who spoke on 10+ days. Means and
shares are ratios over groups, CIs clustered by group (members of one group share its
rhythm). Read beside the KOC counts: KOCs write a lot; sticky members come back often.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.stats.clustered import clustered_proportion, clustered_ratio
from helpers.stats.estimate import Estimate, plain_fields

BUCKETS = ((1, 1, "1 day"), (2, 2, "2 days"), (3, 4, "3–4 days"), (5, 9, "5–9 days"), (10, 19, "10–19 days"))
TOP = (20, "20+ days")
STICKY_DAYS = 10
"""Active days in a month from which a member counts as sticky (about every third day)."""


@dataclass(frozen=True)
class Stickiness:
    """Active days per member-month: distribution and summary per level of ``by``, and overall estimates."""

    by: str
    distribution: pd.DataFrame  # level, days, share, member_months
    summary: pd.DataFrame  # level, mean_days (+ CI), sticky_share (+ CI), member_months, groups
    mean_days: Estimate
    sticky_share: Estimate

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


def _bucket(days: pd.Series) -> pd.Series:
    """The display bucket of each number of active days."""
    labels = pd.Series(TOP[1], index=days.index)
    for low, high, label in BUCKETS:
        labels[(days >= low) & (days <= high)] = label
    return labels


def _estimates(counts: pd.DataFrame, name: str) -> tuple[Estimate, Estimate]:
    """Mean active days and the sticky share over these member-months, CIs clustered by group."""
    per_group = (
        counts.assign(
            day_total=counts["active_days"] * counts["members"],
            sticky=counts["members"].where(counts["active_days"] >= STICKY_DAYS, 0),
        )
        .groupby("group_id")[["day_total", "sticky", "members"]]
        .sum()
    )
    mean = clustered_ratio(per_group["day_total"], per_group["members"], name=f"active days per member-month ({name})")
    share = clustered_proportion(
        per_group["sticky"],
        per_group["members"],
        name=f"share of active member-months with {STICKY_DAYS}+ active days ({name})",
        small_sample=True,
    )
    return mean, share


def stickiness_by(counts: pd.DataFrame, profile: pd.DataFrame, by: str = "size_band") -> Stickiness:
    """Stickiness per level of ``by`` from ``active_days_by_month`` counts and the groups' ``profile``."""
    frame = counts.merge(profile[["group_id", by]], on="group_id", how="left")
    column = profile[by]
    order = [str(c) for c in column.cat.categories] if isinstance(column.dtype, pd.CategoricalDtype) else None
    frame[by] = frame[by].astype(str)
    mean_all, sticky_all = _estimates(frame, "all")
    rows, shares = [], []
    levels = [lv for lv in (order or sorted(frame[by].unique())) if lv in set(frame[by])]
    for level in levels:
        part = frame[frame[by] == level]
        mean, share = _estimates(part, level)
        total = int(part["members"].sum())
        rows.append(
            {
                "level": level,
                "mean_days": mean.value,
                "mean_ci_low": mean.ci_low,
                "mean_ci_high": mean.ci_high,
                "sticky_share": share.value,
                "sticky_ci_low": share.ci_low,
                "sticky_ci_high": share.ci_high,
                "member_months": total,
                "groups": int(part["group_id"].nunique()),
            }
        )
        spread = part.assign(days=_bucket(part["active_days"])).groupby("days")["members"].sum()
        for _, _, label in (*BUCKETS, (None, None, TOP[1])):
            shares.append(
                {"level": level, "days": label, "share": spread.get(label, 0) / total, "member_months": total}
            )
    summary = pd.DataFrame(rows)
    distribution = pd.DataFrame(shares, columns=["level", "days", "share", "member_months"])
    return Stickiness(by, distribution, summary, mean_all, sticky_all)
