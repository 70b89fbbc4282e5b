"""The load's validation warnings about the tables a study reads, as a finding of its report.

A warning that touches a study's data (a group created in 1970, messages from
non-members, outlying late times set aside) can move its verdict, so the report says it
beside the findings, not only the overview. Counts and rules only: never a row's values.
"""

from __future__ import annotations

import re

from helpers.data.engine import Dataset
from helpers.studies.result import Finding

READS = {
    "retention": ("groups", "memberships", "messages", "conversions"),
    "size_activity": ("groups", "memberships", "messages", "conversions", "assignments"),
    "recruitment": ("groups", "memberships"),
    "experiment": ("groups", "memberships", "messages", "conversions", "assignments"),
    "operations": ("groups", "memberships", "messages", "conversions", "activities", "activity_participants"),
}
"""The contract tables each study reads."""


def table_of(label: str) -> str:
    """The contract table a source label names: 'groups.csv' -> 'groups', 'messages/ (3 files)' -> 'messages'."""
    return re.split(r"[./ ]", label.strip(), maxsplit=1)[0]


def warnings_touching(ds: Dataset, study: str) -> tuple[Finding, ...]:
    """One finding listing the warnings about the tables ``study`` reads; () when there are none."""
    found = [f for f in ds.report.warnings if table_of(f.file) in READS[study]]
    if not found:
        return ()
    listed = "; ".join(f.format().splitlines()[0] for f in found)
    return (
        Finding(
            f"**Data warnings.** Loading the data noted, in the tables this study reads: {listed}. The study ran "
            "on the data as given; where such rows are many or early, they can move its estimates."
        ),
    )
