"""Study 1: cohort retention, survival and lifecycle layers."""

from helpers.studies.retention.estimate import RetentionEstimates, estimate
from helpers.studies.retention.findings import findings, verdicts
from helpers.studies.retention.params import RetentionParams
from helpers.studies.retention.summary import summarise

__all__ = ["RetentionEstimates", "RetentionParams", "estimate", "findings", "summarise", "verdicts"]
