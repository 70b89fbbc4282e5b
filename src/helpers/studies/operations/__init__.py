"""Study 5: operations - welcome pacing, service agents and activity cadence (claims 7-9)."""

from helpers.studies.operations.estimate import OperationsEstimates, estimate
from helpers.studies.operations.findings import findings, verdicts
from helpers.studies.operations.params import OperationsParams
from helpers.studies.operations.summary import summarise

__all__ = ["OperationsEstimates", "OperationsParams", "estimate", "findings", "summarise", "verdicts"]
