"""Study 1's question and figure captions (the pages sidecar carries them to the index and the decks)."""

from __future__ import annotations

from helpers.studies.result import Caption

QUESTION = "Of the members who joined in a given week or month, what share is still in the group, and still talking, 7, 30, 90 days later? How does that differ by channel, segment, group size and homogeneity (one channel, one city, one age band)?"

CAPTIONS: dict[str, Caption] = {  # number, caption, shown in the study's deck, the claim it is evidence for
    "triangle": Caption(
        1,
        "Share of each join cohort retained k periods after joining (7 days for weekly cohorts, 30 for monthly), by the chosen retention kind: membership = still a member at some time in period k; activity = sent a message in period k. Row labels give the cohort's first-join period and its size; with more than 20 weekly cohorts, weeks are pooled into the month that holds most of their days, and a month's cell is shown only when all its weeks have it. Colours span the range of the values shown, not 0–100%. Blank cells: the cohort is too young for that period (never shown as 0); a cohort marked partial began before the data does.",
        slide=True,
    ),
    "curves": Caption(
        2,
        "Retention k periods after joining, pooled over all cohorts old enough for period k, one line per value of the chosen group attribute.",
    ),
    "by_attribute": Caption(
        3,
        "30-day retention for each channel, segment, peak-size band and homogeneity, with confidence intervals that treat groups (not members) as independent units. 'homogeneous: True' = one channel, one city and one segment.",
        claim="homophily",
    ),
    "survival": Caption(
        4,
        "Kaplan–Meier estimate of the share of members still in their group by days since their first join, with 95% pointwise bands (log-log), and the number of members still at risk below. Members still present at the data's end are censored.",
        slide=True,
    ),
    "ways_out": Caption(
        5,
        "Cumulative incidence of each way out of the group (quit, removed, or left for a reason the data does not record) by days since first join, one line per level of the chosen attribute: the share of members who had left that way by that day, with the other ways counted as competing (Aalen–Johansen), so the ways add up to one minus the Kaplan–Meier curve.",
        slide=True,
    ),
    "layers": Caption(
        6,
        "Members per week by lifecycle layer. New: first joined that week; active: spoke; resurrected: spoke after four or more whole weeks of silence; silent: a member who did not speak; churned (below zero): left for good that week. The layers split each week's members without overlap, in that order of precedence.",
    ),
}
