"""Study 2 as one call: the numbers (``estimate``), the words and verdicts (``findings``), tables and figures."""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import pandas as pd

from helpers.claims.registry import audience_of
from helpers.data.engine import Dataset
from helpers.measures import kocs
from helpers.studies.data_warnings import warnings_touching
from helpers.studies.result import StudyResult, records
from helpers.studies.size_activity import figures, models, timing
from helpers.studies.size_activity.captions import CAPTIONS, QUESTION
from helpers.studies.size_activity.estimate import SizeEstimates, estimate
from helpers.studies.size_activity.findings import findings, methods, verdicts
from helpers.studies.size_activity.params import SizeParams

TITLE = "Group size, KOCs, the monitor's share of talk, and when members talk"


def _scatter_figure(rows: pd.DataFrame, size: models.Curve, metric: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Group-weeks against size with the raw smoother and the model curve; the sample is drawn only when shown."""
    sample, smooth = models.scatter_sample(rows, metric)
    return figures.size_activity(sample, smooth, size, metric, ax=ax)


def _hours_figure(counts: pd.DataFrame, peaks: pd.DataFrame) -> plt.Figure:
    """Messages by local hour and weekday per audience, with the claimed hours marked."""
    by_audience = counts.assign(segment=counts["segment"].map(audience_of))
    audiences = {a: timing.heatmap_table(by_audience, a) for a in sorted(peaks["audience"])} if len(peaks) else {}
    return figures.hour_weekday(audiences, {a: timing.claimed_hours(a) for a in audiences})


def figure_makers(est: SizeEstimates) -> dict:
    """The study's figures, each drawn only when shown."""
    metric, size = est.params.activity_metric, est.size_fit.curve
    return {
        "size_activity": partial(_scatter_figure, est.rows, size, metric),
        "size_bands": partial(figures.size_bands, est.binned, metric),
        "size_curves": partial(figures.size_curves, size, est.within),
        "koc_emergence": partial(figures.koc_emergence, est.kocs.by_band),
        "monitor_share": partial(figures.monitor_share, est.monitor_fit.curve, metric),
        "hour_weekday": partial(_hours_figure, est.counts, est.peaks),
        "stickiness": partial(figures.stickiness, est.stickiness_by_band.distribution, "size_band"),
    }


def stickiness_table(est: SizeEstimates) -> pd.DataFrame:
    """Active days per member-month by size band and by segment, in one table."""
    table = pd.concat(
        [est.stickiness_by_band.summary.assign(by="size band"), est.stickiness_by_segment.summary.assign(by="segment")],
        ignore_index=True,
    )
    return table[["by", *[c for c in table.columns if c != "by"]]].round(4)


def details(est: SizeEstimates) -> dict:
    """Numbers for readers of results.json."""
    p, within, members, k = est.params, est.within, est.members, est.kocs
    return {
        "activity_metric": p.activity_metric,
        "size": est.size_fit.curve.as_dict(),
        "size_within_groups": {"peak": within.peak.as_dict(), "detected": within.detected, "flat_p": within.flat_p},
        "koc": {
            "factor": p.koc_factor,
            "kocs": int(members["koc"].sum()),
            "members_classified": int((members["days"] >= kocs.MIN_DAYS).sum()),
            "below_150": k.below.as_dict(),
            "above_150": k.above.as_dict(),
            "by_band": records(k.by_band),
        },
        "monitor_share": est.monitor_fit.curve.as_dict(),
        "monitor_share_same_week": est.same_week_fit.curve.as_dict(),
        "binned": records(est.binned),
        "conversion_by_size_band": None if est.conversion is None else records(est.conversion),
        "peak_hours": records(est.peaks),
        "stickiness": est.stickiness_by_band.as_dict(),
        "stickiness_by_segment": est.stickiness_by_segment.as_dict(),
    }


def summarise(ds: Dataset, params: SizeParams | None = None) -> StudyResult:
    """Peak size and band (between and within groups), KOC emergence, monitor-share optimum, peak hours; claims 1, 5, 6."""
    est = estimate(ds, params)
    return StudyResult(
        study="size_activity",
        title=TITLE,
        headline=est.headline,
        findings=(*findings(est), *warnings_touching(ds, "size_activity")),
        verdicts=verdicts(est),
        methods=methods(est),
        figures=figure_makers(est),
        tables={"stickiness": stickiness_table(est)},
        details=details(est),
        frames={"model_rows": est.rows, "koc_members": est.members},
        question=QUESTION,
        captions=CAPTIONS,
    )
