"""Study 1 as one call: the numbers (``estimate``), the words and verdict (``findings``), tables and figures."""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt

from helpers.data.engine import Dataset
from helpers.figures.survival import incidence_figure, km_curves
from helpers.stats.competing_risks import incidence_curves
from helpers.stats.survival import kaplan_meier
from helpers.studies.data_warnings import warnings_touching
from helpers.studies.result import StudyResult, records
from helpers.studies.retention import figures
from helpers.studies.retention.captions import CAPTIONS, QUESTION
from helpers.studies.retention.estimate import RetentionEstimates, cohort_settings, estimate
from helpers.studies.retention.findings import findings, methods, verdicts
from helpers.studies.retention.measures import (
    LAYERS,
    curves_by_level,
    monthly_cohorts,
    pooled_retention,
    relative_to_previous,
)
from helpers.studies.retention.params import RetentionParams
from helpers.studies.retention.tables import tables

TITLE = "Cohort retention and lifecycle layers"

MAX_WEEKLY_ROWS = 20
"""Beyond this many weekly cohorts, the triangle pools weeks into months (a readable page, not 57 rows)."""

NOT_MEASURABLE = ("triangle", "curves", "by_attribute", "survival", "ways_out", "rmst", "ways_out_table")
"""What the report shows nothing for, saying why, when retention is not measurable."""


def _curves_figure(ds: Dataset, est: RetentionEstimates) -> plt.Figure:
    """Retention curves by level; their triangles (one engine query per level) are computed only when drawn."""
    p = est.params
    curves = curves_by_level(ds.tables, est.members, p.segment_by, cohort_settings(p, est.end))
    return figures.retention_curves(curves, p.segment_by, p.cohort_period, overall=pooled_retention(est.triangle))


def _survival_figure(est: RetentionEstimates) -> plt.Figure:
    """Kaplan-Meier curves by level, fitted only when drawn."""
    km = kaplan_meier(est.members, by=est.params.segment_by)
    return km_curves(km.curves, km.at_risk, est.params.segment_by)


def _triangle_figure(est: RetentionEstimates) -> partial:
    """The cohort triangle as shown: weekly cohorts pooled into months when there are many, variants in the title."""
    p = est.params
    monthly = p.cohort_period == "week" and len(est.triangle.rates) > MAX_WEEKLY_ROWS
    view = monthly_cohorts(est.triangle) if monthly else est.triangle
    view = relative_to_previous(view) if p.relative else view
    title = (
        f"{p.retention_kind.capitalize()} retention by month of joining (weekly cohorts pooled)"
        if monthly
        else f"{p.retention_kind.capitalize()} retention by {p.cohort_period}ly join cohort"
    )
    variants = [
        *(["recurring entries"] if p.entry == "recurring" else []),
        *(["vs previous period"] if p.relative else []),
        *(["k or later"] if not p.bounded else []),
    ]
    title += f" ({'; '.join(variants)})" if variants else ""
    shown_rates = view.rates.rename(columns=view.column_labels()) if view.brackets else view.rates
    return partial(
        figures.retention_heatmap,
        shown_rates,
        view.cohort_sizes,
        title,
        monthly=monthly or p.cohort_period == "month",
        data_start=est.members["joined_at"].min() if len(est.members) else None,
        value_label="% of the previous period's" if p.relative else "% of cohort retained",
    )


def figure_makers(ds: Dataset, est: RetentionEstimates) -> dict:
    """The study's figures, each drawn only when shown (only the layers where retention is not measurable)."""
    layers = partial(figures.lifecycle_stacked, est.layers, LAYERS)
    if est.unrecorded:  # a retention figure would show 100% everywhere: each is a panel saying why instead
        return {"layers": layers}
    by = est.params.segment_by
    return {
        "triangle": _triangle_figure(est),
        "curves": partial(_curves_figure, ds, est),
        "by_attribute": partial(
            figures.estimates_by_level,
            est.comparison,
            "retention",
            "30-day membership retention (95% CI, clustered by group)",
            "still a member 30 days after joining",
        ),
        "survival": partial(_survival_figure, est),
        "ways_out": partial(lambda: incidence_figure(incidence_curves(est.ways, est.ways_taken, by), by)),
        "layers": layers,
    }


def details(est: RetentionEstimates) -> dict:
    """Numbers for readers of results.json."""
    measured = not est.unrecorded
    return {
        "retention_30d_by_segment": records(est.by_segment),
        "retention_nd_overall": {str(d): r.to_dict() for d, r in est.retained.items()} if measured else {},
        "median_membership_days": est.km.medians.iloc[0].to_dict() if measured else {},
        "homogeneity_hazard_ratio": est.hazard_ratio.as_dict(),
        "paid_conversion_30d": est.headline["paid_conversion_30d"].as_dict(),
        "logrank": {k: v for k, v in est.logrank.as_dict().items() if k != "reason"},
        "rmst": est.rmst_by.as_dict() if measured else {},
        "ways_out": est.ways_by.as_dict() if measured else {},
        "ways_out_of_activity": est.activity_ways.as_dict() if measured else {},
    }


def notes(est: RetentionEstimates) -> dict[str, str]:
    """Short texts: the Cox model's method, and why each view is empty where retention is not measurable."""
    out = {"cox": est.hazard_ratio.method}
    if est.unrecorded:
        out.update({name: f"Not measurable: {est.unrecorded}." for name in (*NOT_MEASURABLE, "activity_ways_table")})
    return out


def summarise(ds: Dataset, params: RetentionParams | None = None) -> StudyResult:
    """Retention 7/30/90 days, median membership, retention by attribute, homogeneity HR, layers; claim 3 judged."""
    est = estimate(ds, params)
    return StudyResult(
        study="retention",
        title=TITLE,
        headline=est.headline,
        findings=(*findings(est), *warnings_touching(ds, "retention")),
        verdicts=verdicts(est),
        tables=tables(est),
        notes=notes(est),
        figures=figure_makers(ds, est),
        methods=methods(est),
        details=details(est),
        question=QUESTION,
        captions=CAPTIONS,
    )
