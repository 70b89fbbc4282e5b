"""Study 0's question and figure captions (the pages sidecar carries them to the index and the decks)."""

from __future__ import annotations

from helpers.studies.result import Caption

QUESTION = "What the dataset holds, how it grew, and what validation found. Read this first: every study in the workbench stands on these tables."

CAPTIONS: dict[str, Caption] = {  # number, caption, shown in the study's deck, the claim it is evidence for
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
