"""Study 3's question and figure captions (the pages sidecar carries them to the index and the decks)."""

from __future__ import annotations

from helpers.studies.result import Caption

QUESTION = "Practitioners say that how fast a group fills to its critical size (about 150) decides whether its first members stay: if recruitment takes **more than 4 weeks**, early joiners doubt the group and leave in large numbers (claim 2, quoted in full with its source article under the verdict). This report measures each group's recruitment window, follows its early members, and estimates whether, and from which window on, they leave more."

CAPTIONS: dict[str, Caption] = {  # number, caption, shown in the study's deck, the claim it is evidence for
    "windows": Caption(
        1,
        "Days from each group's creation to its fill size (the number of joiners set for this report, listed under Provenance, or the group's own target if smaller), in weekly bins; dashed: the claimed 4-week limit. Groups that never reached the fill size are counted in the title.",
    ),
    "curves": Caption(
        2,
        "Cumulative member joiners over the first days since creation, one panel per window bin: thin lines are up to eight groups drawn at random, the thick line the median over all the bin's groups (operators not counted); dotted: 150 members; dashed: the claimed 4 weeks.",
    ),
    "churn_by_bin": Caption(
        3,
        "Share of early members who left within the horizon after joining, per window bin, with 95% Wilson intervals on the effective sample size (members divided by the design effect of clustering in groups). Only members who joined at least the horizon (listed under Provenance) before the data's end count.",
        slide=True,
    ),
    "window_curve": Caption(
        4,
        "Exit probability by recruitment window from a logistic model on group totals (natural spline in ln window, adjusted for homogeneity, target size, channel and segment) with its pointwise 95% band; green band: the estimated threshold's 95% CI; dashed: the claimed 4 weeks.",
        slide=True,
        claim="recruitment",
    ),
    "survival": Caption(
        5,
        "Kaplan–Meier share of early members still in their group by days since joining, for groups that filled within 4 weeks, later, or never; 95% pointwise bands (which treat members as independent, so they are too narrow), members at risk below.",
    ),
    "threshold_profile": Caption(
        6,
        "How well the threshold model fits at each candidate threshold (deviance above the best; lower is better); green: the estimate and its 95% likelihood-ratio set (Hansen); dashed: the claimed 28 days.",
    ),
}
