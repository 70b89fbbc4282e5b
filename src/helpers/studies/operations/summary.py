"""Study 5 as one call: the numbers (``estimate``), the words and verdicts (``findings``), tables and figures."""

from __future__ import annotations

from helpers.data.engine import Dataset
from helpers.studies.data_warnings import warnings_touching
from helpers.studies.operations import figures
from helpers.studies.operations.captions import CAPTIONS, QUESTION
from helpers.studies.operations.estimate import OperationsEstimates, estimate
from helpers.studies.operations.findings import findings, methods, verdicts
from helpers.studies.operations.params import OperationsParams
from helpers.studies.result import StudyResult, records

TITLE = "Operations: welcome pacing, service agents and activity cadence"


def details(est: OperationsEstimates) -> dict:
    """Numbers for readers of results.json."""
    if est.unrecorded:
        return {"reason": est.unrecorded}
    return {
        "level": est.level,
        "cadence": records(est.cadence),
        "agents": records(est.agents),
        "welcome": records(est.welcome),
    }


def notes(est: OperationsEstimates) -> dict[str, str]:
    """Why a table or figure is empty."""
    if est.unrecorded:
        return {name: f"Not measurable: {est.unrecorded}." for name in ("cadence", "agent_load", "welcome")}
    cadence, agents, welcome = est.cadence, est.agents, est.welcome
    notes = {}
    if cadence.empty:
        notes["cadence"] = "Not measurable on this data: it has no activities table."
    if agents.empty:
        notes["agent_load"] = "Not measurable on this data: no assistant (service agent) is recorded."
    if welcome.empty:
        notes["welcome"] = "Not measurable on this data: no welcome announcements around join peaks."
    return notes


def summarise(ds: Dataset, params: OperationsParams | None = None) -> StudyResult:
    """Welcome pacing, agents' load and activity cadence against exits (claims 7-9), with conversions and talk."""
    est = estimate(ds, params)
    measured = not est.unrecorded
    return StudyResult(
        study="operations",
        title=TITLE,
        headline=est.headline,
        findings=(*findings(est), *warnings_touching(ds, "operations")),
        verdicts=verdicts(est),
        tables={"cadence": est.cadence, "agents": est.agents, "welcome": est.welcome} if measured else {},
        figures=figures.figures(est.cadence, est.grid.load, est.grid.line, est.welcome) if measured else {},
        methods=methods(est),
        notes=notes(est),
        details=details(est),
        question=QUESTION,
        captions=CAPTIONS,
    )
