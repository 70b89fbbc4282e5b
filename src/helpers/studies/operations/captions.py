"""Study 5's question and figure captions (the pages sidecar carries them to the index and the decks)."""

from __future__ import annotations

from helpers.studies.result import Caption

QUESTION = "Practitioners give three rules for running groups day to day (claims 7–9 of the practitioners' list, quoted in full under the verdicts): during join peaks, space the automatic welcome announcements to one every 15–30 minutes; one service agent can handle about 50 groups of about 200 members, 1 agent per 10,000 members at most; run a group activity about weekly, never fewer than twice a month. This report measures each against members' exits, and activities also against paid conversions and talk."

CAPTIONS: dict[str, Caption] = {  # number, caption, shown in the study's deck, the claim it is evidence for
    "welcome": Caption(
        1,
        "Exits per 1,000 member-days in the first 14 days of members who joined in a join peak (6 or more joins in a clock hour), by whether their group spaced its welcome announcements or welcomed each join. Raw rates: groups that space their welcomes tend to have bigger peaks, which the verdict's model adjusts for.",
        slide=True,
        claim="welcome_pacing",
    ),
    "agent_load": Caption(
        2,
        "Members each service agent served per day (all her groups together); dashed: the claimed limit of 10,000 members. The five busiest agents are drawn heavier.",
        slide=True,
        claim="staffing",
    ),
    "cadence": Caption(
        3,
        "Members' exits per 1,000 member-days by the number of activities their group started in the 30 days before the day (groups at least 30 days old); red: fewer than the claimed minimum of two a month. Raw rates; the verdict's model compares days within the same groups.",
        slide=True,
        claim="activity_cadence",
    ),
}
