"""Study 0's numbers: what a dataset holds and how it grew (no sentences, no figures)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from helpers.data.engine import Dataset
from helpers.figures.theme import partial_periods
from helpers.measures.members import exits_unrecorded, sizes_unchanged
from helpers.studies.overview.measures import dataset_summary, groups_by, members_over_time, messages_over_time
from helpers.studies.overview.params import OverviewParams


@dataclass(frozen=True)
class OverviewEstimates:
    """Counts, growth and message mix by period, groups by attribute, validation warnings."""

    params: OverviewParams
    summary: dict  # counts and the span of the events
    growth: pd.DataFrame  # members over time, per period
    by_kind: pd.DataFrame  # messages per period and kind
    by_attributes: pd.DataFrame  # groups by channel x segment
    warnings: pd.DataFrame  # validation warnings
    kind_share: pd.Series  # share of messages by kind
    spans: object  # the partial first and last periods (for figures)
    exits_recorded: bool
    sizes_recorded: bool  # some group's headcount changed (False: a message log, senders counted from the start)
    headline: dict = field(default_factory=dict)  # the overview has no headline estimates

    def as_dict(self) -> dict:
        """The headline estimates as plain values (the tables stay with the caller)."""
        return {"headline": {key: e.as_dict() for key, e in self.headline.items()}}


def estimate(ds: Dataset, params: OverviewParams | None = None) -> OverviewEstimates:
    """Counts, span, growth by period, messages by kind, groups by channel and segment, validation warnings."""
    p = params or OverviewParams()
    summary = dataset_summary(ds.tables)
    growth = members_over_time(ds.tables, period=p.period)
    by_kind = messages_over_time(ds.tables, period=p.period, by="kind")
    total = by_kind["messages"].sum()
    spans = partial_periods(
        growth["period_start"] if len(growth) else by_kind.get("period_start", []),
        p.period,
        summary["first_event"],
        summary["last_event"],
    )
    kind_share = by_kind.groupby("kind")["messages"].sum() / total if total else by_kind.groupby("kind").size() * 0.0
    return OverviewEstimates(
        params=p,
        summary=summary,
        growth=growth,
        by_kind=by_kind,
        by_attributes=groups_by(ds.tables, "channel", "segment"),
        warnings=ds.report.summary_frame().query("level == 'warning'"),
        kind_share=kind_share,
        spans=spans,
        exits_recorded=not exits_unrecorded(ds.tables),
        sizes_recorded=not sizes_unchanged(ds.tables),
    )
