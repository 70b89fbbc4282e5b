"""Study 2: group size vs activity, KOCs, the monitor's share, peak hours."""

from helpers.studies.size_activity.estimate import SizeEstimates, estimate
from helpers.studies.size_activity.findings import findings, verdicts
from helpers.studies.size_activity.params import SizeParams
from helpers.studies.size_activity.summary import summarise

__all__ = ["SizeEstimates", "SizeParams", "estimate", "findings", "summarise", "verdicts"]
