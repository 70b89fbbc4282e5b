"""Study 0 as one call: what a dataset holds, how it grew, and what validation found."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Literal

from helpers.data.engine import Dataset
from helpers.figures.theme import partial_periods
from helpers.measures.members import exits_unrecorded
from helpers.studies.overview import figures
from helpers.studies.overview.measures import dataset_summary, groups_by, members_over_time, messages_over_time
from helpers.studies.result import Finding, StudyResult

TITLE = "Data overview"


@dataclass(frozen=True)
class OverviewParams:
    """The overview's settings (the notebook's parameters, data location aside)."""

    period: Literal["day", "week", "month"] = "week"

    def as_dict(self) -> dict:
        """Plain values for provenance."""
        return asdict(self)


def summarise(ds: Dataset, params: OverviewParams | None = None) -> StudyResult:
    """Counts, span, growth by period, messages by kind, groups by channel and segment, validation warnings."""
    p = params or OverviewParams()
    summary = dataset_summary(ds.tables)
    growth = members_over_time(ds.tables, period=p.period)
    by_kind = messages_over_time(ds.tables, period=p.period, by="kind")
    by_attributes = groups_by(ds.tables, "channel", "segment")
    warnings = ds.report.summary_frame().query("level == 'warning'")
    total = by_kind["messages"].sum()
    spans = partial_periods(
        growth["period_start"] if len(growth) else by_kind.get("period_start", []),
        p.period,
        summary["first_event"],
        summary["last_event"],
    )
    kind_share = by_kind.groupby("kind")["messages"].sum() / total if total else by_kind.groupby("kind").size() * 0.0
    findings = [
        Finding(
            f"The dataset covers **{summary['groups']:,} groups**, **{summary['members']:,} members** "
            f"({summary['memberships']:,} stays) and **{summary['messages']:,} messages** from "
            f"{summary['first_event']:%d %b %Y} to {summary['last_event']:%d %b %Y} (UTC)."
        )
    ]
    if len(growth):
        peak = growth.loc[growth["members_at_end"].idxmax()]
        findings.append(
            Finding(
                f"Membership peaked at **{int(peak.members_at_end):,}** in the {p.period} starting "
                f"{peak.period_start:%d %b %Y}; over the whole span {int(growth.joins.sum()):,} stays began and "
                + (
                    f"{int(growth.exits.sum()):,} ended (net growth {int(growth.net_growth.sum()):+,})."
                    if not exits_unrecorded(ds.tables)
                    else "none is recorded as ended: this data does not record leaving, so growth is joins only."
                )
            )
        )
    findings += [
        Finding(
            f"Ordinary chat is {kind_share.get('chat', 0):.0%} of messages; operator content splits into dry "
            f"{kind_share.get('dry', 0):.0%}, wet {kind_share.get('wet', 0):.0%} and promo "
            f"{kind_share.get('promo', 0):.0%}."
        ),
        Finding(
            "Validation: the tables meet the data contract, "
            + (
                "with **no warnings**."
                if not len(warnings)
                else f"with **{len(warnings)} warning{'s' if len(warnings) > 1 else ''}** (listed below)."
            )
        ),
    ]
    return StudyResult(
        study="overview",
        title=TITLE,
        headline={},
        findings=tuple(findings),
        tables={"warnings": warnings},
        notes={"warnings": "No warnings."},
        figures={
            "members": partial(figures.members_over_time, growth, spans),
            "messages": partial(figures.messages_over_time, by_kind, by="kind", partial=spans),
            "groups": partial(figures.groups_heatmap, by_attributes, "channel", "segment"),
        },
        details={
            "counts": {k: summary[k] for k in ("groups", "members", "memberships", "messages")},
            "first_event": summary["first_event"],
            "last_event": summary["last_event"],
            "message_share_by_kind": {str(k): float(v) for k, v in kind_share.items()},
            "validation_warnings": len(warnings),
        },
    )
