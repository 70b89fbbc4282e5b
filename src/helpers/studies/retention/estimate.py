"""Study 1's numbers: retention, survival, ways out, homogeneity and layers (no sentences, no figures)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.data.engine import Dataset
from helpers.data.event_time import data_end
from helpers.measures.conversions import member_conversions
from helpers.measures.members import exits_unrecorded, member_table
from helpers.stats.competing_risks import CumulativeIncidence, cumulative_incidence
from helpers.stats.estimate import Estimate
from helpers.stats.restricted_mean import RestrictedMean, restricted_mean
from helpers.stats.survival import KaplanMeier, LogRankTest, entry_days, kaplan_meier, logrank, n_day_retention
from helpers.studies.retention.activity_exits import WAYS, activity_exits
from helpers.studies.retention.conversion import conversion_rates, overall_rate
from helpers.studies.retention.measures import (
    WAYS_OUT,
    Triangle,
    largest_level,
    lifecycle_layers,
    retention_triangle,
    ways_out,
    with_attributes,
)
from helpers.studies.retention.models import (
    CoxHazardRatio,
    compare_segments,
    homogeneity_hazard_ratio,
    median_estimate,
    retention_estimate,
)
from helpers.studies.retention.params import RetentionParams

DAYS = (7, 30, 90)
COMPARED = ("channel", "segment", "size_band", "homogeneous")
WAYS_OUT_DAYS = (30, 90, 180)
ALL_TRUNCATED = (
    "every member was already in the group when the data begins (no join is in it), so time since joining "
    "cannot be measured: stays begun before the data are left-truncated"
)


@dataclass(frozen=True)
class RetentionEstimates:
    """Every number the retention study reports, and the tables its figures draw."""

    params: RetentionParams
    end: pd.Timestamp
    headline: dict[str, Estimate]
    unrecorded: str  # why retention cannot be measured on this data ('' when it can)
    members: pd.DataFrame  # one row per member in a group (member_table)
    triangle: Triangle
    retained: dict[int, pd.Series]  # N-day retention overall, per N
    by_segment: pd.DataFrame  # 30-day retention by the chosen attribute
    comparison: pd.DataFrame  # 30-day retention by every compared attribute
    km: KaplanMeier
    logrank: LogRankTest
    rmst_overall: RestrictedMean
    rmst_by: RestrictedMean
    ways: pd.DataFrame  # members with the way each stay ended
    ways_taken: dict[int, str]  # the ways out seen in the data
    ways_out: CumulativeIncidence
    ways_by: CumulativeIncidence
    talkers: pd.DataFrame  # members who spoke, with falling silent vs leaving while active
    activity_ways: CumulativeIncidence
    cox: CoxHazardRatio
    layers: pd.DataFrame
    conversions: pd.DataFrame | None
    conversion_overall: pd.Series | None  # conversion_rates overall (None without conversions)
    conversion_by_level: pd.DataFrame | None
    conversion_by_cohort: pd.DataFrame | None
    entry: pd.Series  # days from join to first seen (NaN: join unknown)

    def as_dict(self) -> dict:
        """The headline estimates as plain values (the tables stay with the caller)."""
        return {"headline": {key: e.as_dict() for key, e in self.headline.items()}}

    @property
    def hazard_ratio(self) -> Estimate:
        """The homogeneity hazard ratio as reported (missing when retention is not measurable)."""
        return self.headline["homogeneity_hazard_ratio"]


def _headline(members, retained, km, cox, rmst_overall, params, unrecorded: str) -> dict[str, Estimate]:
    """The headline estimates, each missing with the reason when retention is not measurable."""
    headline = {f"retention_{d}d": retention_estimate(retained[d]) for d in DAYS}
    headline["median_membership_days"] = median_estimate(km.medians.iloc[0])
    headline["homogeneity_hazard_ratio"] = cox.hazard_ratio
    headline[f"rmst_{params.rmst_days}d"] = rmst_overall.estimate()
    if unrecorded:
        headline = {key: Estimate.missing(e.name, unrecorded, n=e.n) for key, e in headline.items()}
    return headline


def _unrecorded(ds: Dataset, entry: pd.Series) -> str:
    """Why retention is not measurable here ('' when it is): exits not recorded, or no join in the data."""
    unrecorded = exits_unrecorded(ds.tables)
    if not unrecorded and len(entry) and entry.isna().all():
        return ALL_TRUNCATED
    return unrecorded or ""


def cohort_settings(params: RetentionParams, end: pd.Timestamp) -> dict:
    """The triangle settings the report's cohort views share (period, kind, periods shown, cohort range)."""
    return {
        "period": params.cohort_period,
        "kind": params.retention_kind,
        "bounded": params.bounded,
        "entry": params.entry,
        "brackets": None if params.brackets is None else tuple(params.brackets),
        "max_periods": params.max_periods,
        "end": end,
        "start": params.start,
        "stop": params.end,
    }


def _conversions(ds: Dataset, members: pd.DataFrame, by: str, end: pd.Timestamp) -> dict:
    """Members' paid conversions within 30 days: the rows, the overall rate and the rates by ``by`` and cohort."""
    conversions = member_conversions(ds.tables, end)
    out = {"conversions": conversions, "conversion_overall": None}
    out["conversion_by_level"] = out["conversion_by_cohort"] = None
    if conversions is not None and not conversions.empty:
        joined = with_attributes(conversions, members, by)
        out["conversion_overall"] = conversion_rates(conversions).iloc[0]
        out["conversion_by_level"] = conversion_rates(joined, by)
        out["conversion_by_cohort"] = conversion_rates(joined, "cohort")
    return out


def estimate(ds: Dataset, params: RetentionParams | None = None) -> RetentionEstimates:
    """Retention 7/30/90 days, median membership, RMST, ways out, the homogeneity HR, layers, conversions."""
    params = params or RetentionParams()
    by = params.segment_by
    end = data_end(ds.tables)
    members = member_table(ds.tables, end)
    retained = {d: n_day_retention(members, d, end).iloc[0] for d in DAYS}
    km = kaplan_meier(members)
    cox = homogeneity_hazard_ratio(members)
    rmst_overall = restricted_mean(members, params.rmst_days)
    entry = entry_days(members)
    unrecorded = _unrecorded(ds, entry)
    ways = ways_out(members)
    taken = {code: label for code, label in WAYS_OUT.items() if (ways["cause"] == code).any()}
    talkers = activity_exits(members, end)
    conversions = _conversions(ds, members, by, end)
    headline = _headline(members, retained, km, cox, rmst_overall, params, unrecorded)
    headline["paid_conversion_30d"] = overall_rate(conversions["conversions"])
    by_segment = n_day_retention(members, 30, end, by=by)
    return RetentionEstimates(
        params=params,
        end=end,
        headline=headline,
        unrecorded=unrecorded,
        members=members,
        triangle=retention_triangle(ds.tables, **cohort_settings(params, end), min_cohort_size=params.min_cohort_size),
        retained=retained,
        by_segment=by_segment.iloc[0:0] if unrecorded else by_segment,
        comparison=compare_segments(members, end, COMPARED),
        km=km,
        logrank=logrank(members, by),
        rmst_overall=rmst_overall,
        rmst_by=restricted_mean(members, params.rmst_days, by=by, reference=largest_level(members, by)),
        ways=ways,
        ways_taken=taken,
        ways_out=cumulative_incidence(ways, taken, WAYS_OUT_DAYS),
        ways_by=cumulative_incidence(ways, taken, WAYS_OUT_DAYS, by=by),
        talkers=talkers,
        activity_ways=cumulative_incidence(talkers, WAYS, WAYS_OUT_DAYS),
        cox=cox,
        layers=lifecycle_layers(ds.tables, end),
        entry=entry,
        **conversions,
    )
