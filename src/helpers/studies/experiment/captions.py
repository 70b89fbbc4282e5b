"""Study 4's question and figure captions (the pages sidecar carries them to the index and the decks)."""

from __future__ import annotations

from helpers.studies.result import Caption

QUESTION = 'Operators ask which mix of useful ("dry") and promotional ("wet") content keeps members and keeps them talking, and whether the answer changes with a group\'s stage (claim 4, quoted in full with its source article under the verdict). Content goes to a whole group, so the experiment randomised **groups** to arms; this report analyses it with groups as the units.'

CAPTIONS: dict[str, Caption] = {  # number, caption, shown in the study's deck, the claim it is evidence for
    "forest": Caption(
        1,
        "Each arm minus control, per outcome, with 95% confidence intervals that treat groups as the independent units (delete-one-group jackknife, Student t), CUPED-adjusted if chosen. Exit rate: share of members who left within 30 days of the start of their exposure; messages per member-week; interaction rate: speakers per member per week. Rates are in percentage points, as the findings write them.",
        slide=True,
        claim="content_exits",
    ),
    "stages": Caption(
        2,
        "Effect on 30-day exits by the group's stage when each member's exposure started (launch: first 4 weeks, growth: to 12 weeks, mature: older), with CIs corrected for multiplicity across all stage × arm comparisons (Bonferroni intervals, consistent with the Holm-adjusted p-values in the findings): a stage effect is a subgroup, and the striking one among six is not evidence on its own. A group contributes members to every stage it passed through during the experiment.",
        slide=True,
        claim="content_stage",
    ),
    "arm_survival": Caption(
        3,
        "Kaplan–Meier estimate of the share of exposed members still in their group by days since their exposure began (the later of joining and assignment), one curve per arm, with 95% pointwise bands and the members still at risk below. Unlike the 30-day exit rate, every exposed stay is followed to its end or to the data's end (censored).",
        slide=True,
    ),
    "sequential": Caption(
        4,
        "Each arm's effect as it would have been read at every whole week since the experiment began (the full analysis on the data up to that week: ratio of sums, groups as units, stratified jackknife), with the fixed 95% CI (dashed) and the always-valid 95% interval (shaded; a normal-mixture sequential test tuned to the last look's variance). Only the shaded band may be acted on the first week it excludes zero.",
        slide=True,
    ),
    "power": Caption(
        5,
        "The smallest difference in the 30-day exit rate that a two-arm comparison detects with 80% power at the chosen alpha, by groups per arm. Inputs from the pre-period: baseline rate, ICC (one-way ANOVA estimator), mean and coefficient of variation of group sizes; design effect 1 + ((cv² + 1) m − 1) ICC.",
    ),
}
