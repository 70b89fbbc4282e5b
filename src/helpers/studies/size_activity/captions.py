"""Study 2's question and figure captions (the pages sidecar carries them to the index and the decks)."""

from __future__ import annotations

from helpers.studies.result import Caption

QUESTION = "Practitioners say groups of **150–350 members** are the most active per member, that above **150** almost every group has several very active members (KOCs), that activity is best when the monitor writes about **5%** of a week's messages, and that mothers talk most at set hours (claims 1, 5 and 6; each is quoted in full with its source article under the verdicts). This report tests each claim on the data, with intervals that treat groups, not messages, as the independent units."

CAPTIONS: dict[str, Caption] = {  # number, caption, shown in the study's deck, the claim it is evidence for
    "size_activity": Caption(
        1,
        "Each grey dot is one group-week (a random sample of 4,000). Dashed: a LOWESS smoother of the raw values, without adjustment. Orange: the model's prediction for a group with average age, member tenure, channel, segment and month, with its pointwise 95% band (errors clustered by group). Red line and band: the estimated peak and its 95% cluster-bootstrap CI. Green: the claimed 150–350.",
        slide=True,
        claim="size_band",
    ),
    "size_bands": Caption(
        2,
        "The same metric per size band, unadjusted: total messages (or speakers) over member-weeks in the band, with 95% CIs that treat groups as the independent units. Bands with few group-weeks have wide intervals.",
    ),
    "size_curves": Caption(
        3,
        "The size curve from all groups (between and within) and from changes of size within each group over time (group fixed effects), each relative to its own peak. Where they disagree, differences between groups (which groups grow large) drive the pooled curve.",
    ),
    "koc_emergence": Caption(
        4,
        "Share of group-weeks with at least two KOCs (members writing at least ten times as much as their group's median member) present at the week's start, per size band, with 95% CIs clustered by group. Dotted: the 90% read as \"almost every group\"; dashed: 150 members.",
        slide=True,
        claim="koc_above_150",
    ),
    "stickiness": Caption(
        5,
        "Of the members who sent at least one message in a calendar month (UTC), the share who did so on 1, 2, 3–4, 5–9, 10–19 or 20+ different days of it, by the size band of the group's peak membership (PostHog's stickiness, Mixpanel's addiction report). Whole months only; operators left out. Beside the KOCs above: a KOC writes a lot, a sticky member comes back often.",
    ),
    "monitor_share": Caption(
        6,
        "Predicted activity against the monitor's share of the week's member + monitor messages, adjusted for size, age, tenure, channel, segment and month, with its pointwise 95% band; red: the optimum and its 95% cluster-bootstrap CI; green: the claimed 5%. Only group-weeks with at least 100 messages are used (see caveats).",
        slide=True,
        claim="monitor_share",
    ),
    "hour_weekday": Caption(
        7,
        'Share of member messages by local weekday and hour for prenatal ("pregnant…") and postnatal ("baby…") segments; hours practitioners name as peaks are in green on the axis.',
        claim="peak_hours",
    ),
}
