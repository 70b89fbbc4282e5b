"""Study 0's words that do not depend on the data: the question it answers and its figures' captions.

The report, the index and the decks read these from the study's result (``results.json``'s pages sidecar),
never from a notebook's cells.
"""

from __future__ import annotations

from helpers.studies.result import Caption

QUESTION = "What the dataset holds, how it grew, and what validation found. Read this first: every study in the workbench stands on these tables."
"""What the study asks, in the words a report opens with."""

CAPTIONS: dict[str, Caption] = {
    "members": Caption(
        1,
        "Members in all groups at the end of each period (top) and stays that began (joins) or ended (exits) in it (bottom). Times are UTC; a member in two groups counts twice. Shaded: periods the data covers only in part, whose counts run low.",
        slide=True,
    ),
    "messages": Caption(
        2,
        "Messages per period, stacked by kind: chat (members' conversation), dry (useful content), wet (brand content), promo (direct offers), activity, welcome and system lines. Shaded: periods the data covers only in part.",
    ),
    "groups": Caption(
        3,
        "Number of groups for each acquisition channel and audience segment; 'mixed' marks groups recruited across several.",
    ),
}
"""Each figure's number and caption, whether a study deck shows it, and the claim it is the evidence for."""
