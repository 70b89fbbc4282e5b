"""Study 2's numbers: size and monitor-share curves, KOCs, peak hours, stickiness (no sentences, no figures)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.claims.registry import KOC_SIZE
from helpers.data.engine import Dataset
from helpers.data.event_time import data_end
from helpers.measures.active_days import active_days_by_month
from helpers.measures.conversions import weekly_conversions
from helpers.measures.group_week import group_week_panel
from helpers.measures.kocs import classify_kocs, kocs_at_week_start, member_activity
from helpers.measures.members import group_profile, sizes_unchanged
from helpers.stats.estimate import Estimate
from helpers.studies.size_activity import models, timing
from helpers.studies.size_activity.params import SizeParams
from helpers.studies.size_activity.stickiness import Stickiness, stickiness_by


@dataclass(frozen=True)
class SizeEstimates:
    """Every number the size study reports, and the tables its figures draw."""

    params: SizeParams
    rows: pd.DataFrame  # whole group-weeks the models use
    members: pd.DataFrame  # members with their KOC classification
    size_fit: models.ActivityFit  # activity by size, pooled over groups
    monitor_fit: models.ActivityFit  # by the monitor's share in the group's other weeks
    same_week_fit: models.ActivityFit  # by the week's own monitor share
    within: models.WithinFit  # activity by size within groups
    binned: pd.DataFrame  # activity by size band
    conversion: pd.DataFrame | None  # paid conversions per member-week by size band (None: no conversions)
    kocs: models.KocEmergence
    stickiness_by_band: Stickiness  # active days per member-month by size band
    stickiness_by_segment: Stickiness  # the same by segment
    counts: pd.DataFrame  # messages by local hour and weekday
    peaks: pd.DataFrame  # peak hours per audience
    no_monitor: bool  # no message in the data is by a monitor
    headline: dict[str, Estimate]

    def as_dict(self) -> dict:
        """The headline estimates as plain values (the tables stay with the caller)."""
        return {"headline": {key: e.as_dict() for key, e in self.headline.items()}}


def peak_or_why(peak: Estimate, curve: models.Curve | models.WithinFit, what: str) -> Estimate:
    """An optimum of ``curve`` (its peak or a band edge) only where the curve peaks inside the data; else why not."""
    if curve.detected or peak.not_estimable:
        return peak
    if curve.flat_p >= 0.05:
        return Estimate.missing(peak.name, f"no peak: a flat {what} curve lies inside its confidence region")
    return Estimate.missing(
        peak.name,
        f"the {what} curve is highest at the edge of the observed range ({peak.value:.3g}): the peak, if "
        "any, lies beyond the data",
    )


def _headline(size, within, monitor, same_week, kocs, by_band: Stickiness) -> dict[str, Estimate]:
    """The headline estimates: optima only where a curve peaks inside the data."""
    return {
        "size_peak": peak_or_why(size.peak, size, "size"),
        "size_band_low": peak_or_why(size.band_low, size, "size"),
        "size_band_high": peak_or_why(size.band_high, size, "size"),
        "size_peak_within_groups": peak_or_why(within.peak, within, "within-group size"),
        "koc_above_150": kocs.above,
        "koc_below_150": kocs.below,
        "monitor_share_peak": peak_or_why(monitor.peak, monitor, "monitor-share"),
        "monitor_share_peak_same_week": peak_or_why(same_week.peak, same_week, "same-week monitor-share"),
        "active_days_per_month": by_band.mean_days,
        "sticky_share": by_band.sticky_share,
    }


def _rows(ds: Dataset, p: SizeParams, end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's group-weeks with KOC counts, and the members with their KOC classification."""
    panel = group_week_panel(ds.tables, end=end)
    assignments = None if ds.tables.assignments is None else ds.tables.assignments.to_pandas()
    rows = models.model_rows(
        panel,
        ds.tables.groups.to_pandas(),
        end,
        min_members=p.min_members,
        size_bands=tuple(p.size_bands),
        assignments=assignments,
    )
    members = classify_kocs(member_activity(ds.tables, end), p.koc_factor)
    return models.with_koc_counts(rows, kocs_at_week_start(ds.tables, members, end)), members


def _size_fits(
    rows: pd.DataFrame, p: SizeParams, unchanged: str
) -> tuple[models.ActivityFit, models.WithinFit, models.KocEmergence]:
    """The size curves (across and within groups) and KOC emergence by size; not estimable if sizes never changed."""
    if unchanged:
        return (
            models.unmeasured_activity(rows, "size", p.activity_metric, unchanged),
            models.missing_within(unchanged, rows.iloc[:0]),
            models.unmeasured_kocs(unchanged, split=KOC_SIZE),
        )
    reps, metric = p.bootstrap_reps, p.activity_metric
    return (
        models.activity_model(rows, "size", metric, spline_df=p.spline_df, bootstrap_reps=reps),
        models.within_group_size_curve(rows, spline_df=p.spline_df, bootstrap_reps=reps),
        models.koc_emergence(rows, split=KOC_SIZE),
    )


def estimate(ds: Dataset, params: SizeParams | None = None) -> SizeEstimates:
    """Peak size and band (between and within groups), KOC emergence, monitor-share optimum, peak hours."""
    p = params or SizeParams()
    end = data_end(ds.tables)
    rows, members = _rows(ds, p, end)
    reps, metric = p.bootstrap_reps, p.activity_metric
    size_fit, within, kocs = _size_fits(rows, p, sizes_unchanged(ds.tables))
    monitor_fit = models.activity_model(
        rows, "monitor_share_loo", metric, spline_df=p.monitor_spline_df, bootstrap_reps=reps
    )
    same_week_fit = models.activity_model(rows, "monitor_share", metric, spline_df=p.spline_df, bootstrap_reps=reps)
    weekly = weekly_conversions(ds.tables)
    active_days, profile = active_days_by_month(ds.tables, end), group_profile(ds.tables)
    by_band = stickiness_by(active_days, profile, "size_band")
    counts = timing.hour_weekday_counts(ds.tables, p.utc_offset_hours)
    return SizeEstimates(
        params=p,
        rows=rows,
        members=members,
        size_fit=size_fit,
        monitor_fit=monitor_fit,
        same_week_fit=same_week_fit,
        within=within,
        binned=models.binned_activity(rows.iloc[:0] if kocs.by_band.empty else rows),
        conversion=None if weekly is None or kocs.by_band.empty else models.conversion_by_band(rows, weekly),
        kocs=kocs,
        stickiness_by_band=by_band,
        stickiness_by_segment=stickiness_by(active_days, profile, "segment"),
        counts=counts,
        peaks=timing.peak_hours(counts),
        no_monitor=bool(len(rows)) and float(rows["monitor_messages"].sum()) == 0,
        headline=_headline(size_fit.curve, within, monitor_fit.curve, same_week_fit.curve, kocs, by_band),
    )
