"""Study 0 as one call: the numbers (``estimate``), the words (``findings``), the figures, composed."""

from __future__ import annotations

from functools import partial

from helpers.data.engine import Dataset
from helpers.studies.overview import figures
from helpers.studies.overview.captions import CAPTIONS, QUESTION
from helpers.studies.overview.estimate import OverviewEstimates, estimate
from helpers.studies.overview.findings import findings, methods
from helpers.studies.overview.params import OverviewParams
from helpers.studies.result import StudyResult

TITLE = "Data overview"


def figure_makers(est: OverviewEstimates) -> dict:
    """The study's figures, each drawn only when shown."""
    return {
        "members": partial(figures.members_over_time, est.growth, est.spans),
        "messages": partial(figures.messages_over_time, est.by_kind, by="kind", partial=est.spans),
        "groups": partial(figures.groups_heatmap, est.by_attributes, "channel", "segment"),
    }


def details(est: OverviewEstimates) -> dict:
    """Numbers for readers of results.json."""
    summary = est.summary
    return {
        "counts": {k: summary[k] for k in ("groups", "members", "memberships", "messages")},
        "first_event": summary["first_event"],
        "last_event": summary["last_event"],
        "message_share_by_kind": {str(k): float(v) for k, v in est.kind_share.items()},
        "validation_warnings": len(est.warnings),
    }


def summarise(ds: Dataset, params: OverviewParams | None = None) -> StudyResult:
    """Counts, span, growth by period, messages by kind, groups by channel and segment, validation warnings."""
    est = estimate(ds, params)
    return StudyResult(
        study="overview",
        title=TITLE,
        headline=est.headline,
        findings=findings(est),
        tables={"warnings": est.warnings},
        notes={"warnings": "No warnings."},
        figures=figure_makers(est),
        details=details(est),
        methods=methods(est),
        question=QUESTION,
        captions=CAPTIONS,
    )
