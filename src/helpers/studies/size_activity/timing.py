"""When members talk: messages by local hour and weekday, and the practitioners' peak hours tested.

Counts are computed where the data lives (one row per group, weekday and hour comes
back); hours are local to the members, at a fixed offset from UTC (the contract stores
UTC; China is UTC+8 all year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.claims.registry import CLAIMS, DAYTIME_HOURS, PEAK_HOURS, Verdict, audience_of, not_testable
from helpers.data.engine import Tables, epoch_seconds
from helpers.measures.group_week import messages_with_role
from helpers.stats.clustered import clustered_ratio
from helpers.stats.estimate import Estimate

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_weekday_counts(tables: Tables, utc_offset_hours: float = 8.0) -> pd.DataFrame:
    """Member messages per group, local weekday (0 = Monday) and local hour, with the group's segment."""
    msg = messages_with_role(tables)
    msg = msg.filter(msg.role == "member")
    local = epoch_seconds(msg.sent_at) + utc_offset_hours * 3600
    days = (local / 86_400).floor()
    counts = msg.mutate(
        weekday=((days + 3) % 7).cast("int8"),  # 1970-01-01 was a Thursday
        hour=((local - days * 86_400) / 3600).floor().cast("int8"),
    )
    counts = counts.group_by(["group_id", "weekday", "hour"]).aggregate(messages=counts.count())
    frame = counts.to_pyarrow().to_pandas()
    segments = tables.groups.select("group_id", "segment").to_pandas()
    return frame.merge(segments, on="group_id", how="left")


def heatmap_table(counts: pd.DataFrame, segment: str | None = None) -> pd.DataFrame:
    """Share of a segment's (or all) member messages per weekday (rows) and hour (columns)."""
    part = counts if segment is None else counts[counts["segment"] == segment]
    table = part.pivot_table(index="weekday", columns="hour", values="messages", aggfunc="sum", fill_value=0)
    table = table.reindex(index=range(7), columns=range(24), fill_value=0)
    table.index = list(WEEKDAYS)
    return table / max(table.to_numpy().sum(), 1)


def claimed_hours(audience: str) -> list[int]:
    """The hours the practitioners name as peaks for an audience (prenatal or postnatal)."""
    return sorted({h for start, end in PEAK_HOURS[audience] for h in range(start, end)})


def peak_hours(counts: pd.DataFrame) -> pd.DataFrame:
    """Per audience: busiest hours, the claimed hours, their overlap, and the claimed hours' lift with a CI.

    Lift = messages per claimed hour / messages per other daytime hour (08-24 local),
    a ratio with a CI clustered by group. Segments whose names do not say prenatal
    ('pregnant...') or postnatal ('baby...') are left out.
    """
    counts = counts.assign(audience=counts["segment"].map(audience_of))
    rows = []
    for audience, part in counts.dropna(subset=["audience"]).groupby("audience"):
        claimed = claimed_hours(audience)
        others = [h for h in DAYTIME_HOURS if h not in claimed]
        by_hour = part.groupby("hour")["messages"].sum().reindex(range(24), fill_value=0)
        top = sorted(by_hour.sort_values(ascending=False).index[: len(claimed)].tolist())
        per_group = part.pivot_table(
            index="group_id", columns="hour", values="messages", aggfunc="sum", fill_value=0
        ).reindex(columns=range(24), fill_value=0)
        lift = clustered_ratio(
            per_group[claimed].sum(axis=1) / len(claimed), per_group[others].sum(axis=1) / len(others)
        )
        rows.append(
            {
                "audience": audience,
                "busiest_hours": top,
                "claimed_hours": claimed,
                "overlap": len(set(top) & set(claimed)) / len(claimed),
                "lift": lift.value,
                "ci_low": lift.ci_low,
                "ci_high": lift.ci_high,
                "groups": len(per_group),
                "messages": int(part["messages"].sum()),
            }
        )
    return pd.DataFrame(rows)


def peak_hours_verdict(peaks: pd.DataFrame) -> Verdict:
    """Claim 6 by the registry's rule: supported if, for every audience, the claimed hours are the busiest and the
    lift's CI lies above the smallest lift that matters; contradicted if for some audience it lies below it."""
    smallest = CLAIMS["peak_hours"].smallest_effect
    if peaks.empty:
        return not_testable("peak_hours", "no prenatal or postnatal segment with messages in the data")
    unbounded = peaks[~(np.isfinite(peaks["ci_low"]) & np.isfinite(peaks["ci_high"]))]
    if len(unbounded):
        audiences = ", ".join(unbounded["audience"].astype(str))
        return not_testable(
            "peak_hours", f"no interval for the lift of the claimed hours ({audiences}): too few groups"
        )
    worst = peaks.sort_values("ci_low").iloc[0]
    estimate = Estimate.from_row(
        f"lift of claimed hours, {worst['audience']}",
        worst,
        ("lift", "ci_low", "ci_high"),
        "messages per claimed hour / per other daytime hour, clustered CI",
    )
    if (peaks["ci_low"] > smallest).all() and (peaks["overlap"] == 1).all():
        return Verdict(
            "peak hours (claim 6)",
            "supported",
            f"for each audience the claimed hours are the busiest, and at least {smallest:g}× as busy as other daytime "
            f"hours (the lowest 95% CI starts at {peaks['ci_low'].min():.2f}×)",
            estimate,
            "peak_hours",
        )
    if (peaks["ci_high"] < smallest).any():
        low = peaks.sort_values("ci_high").iloc[0]
        return Verdict(
            "peak hours (claim 6)",
            "contradicted",
            f"{low['audience']}: claimed hours are less than {smallest:g}× as busy as other daytime hours "
            f"(95% CI {low['ci_low']:.2f}–{low['ci_high']:.2f})",
            estimate,
            "peak_hours",
        )
    missing = "; ".join(
        f"{r.audience}: busiest {', '.join(f'{h}h' for h in r.busiest_hours)}"
        for r in peaks.itertuples()
        if r.overlap < 1
    )
    return Verdict(
        "peak hours (claim 6)",
        "inconclusive",
        f"claimed hours are not all among the busiest ({missing})",
        estimate,
        "peak_hours",
    )


def hour_profile(counts: pd.DataFrame) -> pd.DataFrame:
    """Share of each audience's member messages per local hour (tidy: audience, hour, share)."""
    counts = counts.assign(audience=counts["segment"].map(audience_of).fillna("other"))
    by_hour = counts.groupby(["audience", "hour"])["messages"].sum()
    share = by_hour / by_hour.groupby(level="audience").transform("sum")
    return share.rename("share").reset_index().astype({"hour": np.int64})
