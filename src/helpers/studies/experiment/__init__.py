"""Study 4: content-ratio experiments that randomise whole groups."""

from helpers.studies.experiment.estimate import ExperimentEstimates, estimate
from helpers.studies.experiment.findings import findings
from helpers.studies.experiment.params import ExperimentParams
from helpers.studies.experiment.summary import summarise
from helpers.studies.experiment.verdicts import verdicts

__all__ = ["ExperimentEstimates", "ExperimentParams", "estimate", "findings", "summarise", "verdicts"]
