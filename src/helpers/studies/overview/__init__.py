"""Study 0: what a dataset holds, how it grew, what validation found."""

from helpers.studies.overview.estimate import OverviewEstimates, estimate
from helpers.studies.overview.findings import findings, verdicts
from helpers.studies.overview.params import OverviewParams
from helpers.studies.overview.summary import summarise

__all__ = ["OverviewEstimates", "OverviewParams", "estimate", "findings", "summarise", "verdicts"]
