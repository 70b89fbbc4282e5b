"""Study 3: the recruitment window and early members' churn."""

from helpers.studies.recruitment.estimate import RecruitmentEstimates, estimate
from helpers.studies.recruitment.findings import findings, verdicts
from helpers.studies.recruitment.params import RecruitmentParams
from helpers.studies.recruitment.summary import summarise

__all__ = ["RecruitmentEstimates", "RecruitmentParams", "estimate", "findings", "summarise", "verdicts"]
