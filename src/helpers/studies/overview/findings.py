"""Study 0's words, written from its numbers alone."""

from __future__ import annotations

from helpers.studies.overview.estimate import OverviewEstimates
from helpers.studies.result import Finding


def findings(est: OverviewEstimates) -> tuple[Finding, ...]:
    """What the dataset holds, how membership grew, the message mix and what validation found."""
    summary, growth, share, warnings = est.summary, est.growth, est.kind_share, est.warnings
    out = [
        Finding(
            f"The dataset covers **{summary['groups']:,} groups**, **{summary['members']:,} members** "
            f"({summary['memberships']:,} stays) and **{summary['messages']:,} messages** from "
            f"{summary['first_event']:%d %b %Y} to {summary['last_event']:%d %b %Y} (UTC)."
        )
    ]
    if len(growth):
        peak = growth.loc[growth["members_at_end"].idxmax()]
        out.append(
            Finding(
                f"Membership peaked at **{int(peak.members_at_end):,}** in the {est.params.period} starting "
                f"{peak.period_start:%d %b %Y}; over the whole span {int(growth.joins.sum()):,} stays began and "
                + (
                    f"{int(growth.exits.sum()):,} ended (net growth {int(growth.net_growth.sum()):+,})."
                    if est.exits_recorded
                    else "none is recorded as ended: this data does not record leaving, so growth is joins only."
                )
                + (
                    ""
                    if est.sizes_recorded
                    else " These are not headcounts: the data hold no joins or leaves, so every sender counts as a "
                    "member from her group's first record."
                )
            )
        )
    out += [
        Finding(
            f"Ordinary chat is {share.get('chat', 0):.0%} of messages; operator content splits into dry "
            f"{share.get('dry', 0):.0%}, wet {share.get('wet', 0):.0%} and promo {share.get('promo', 0):.0%}."
        ),
        Finding(
            "Validation: the tables meet the data contract, "
            + (
                "with **no warnings**."
                if not len(warnings)
                else f"with **{len(warnings)} warning{'s' if len(warnings) > 1 else ''}** (listed below)."
            )
        ),
    ]
    return tuple(out)


def verdicts(est: OverviewEstimates) -> tuple:
    """The overview tests no claim."""
    return ()


METHODS = (
    "Tables are read in place by DuckDB and checked against the data contract (`data/README.md`): types, required values, vocabularies, keys, references between tables, overlapping stays.",
    "Periods start on Monday (weeks) or the 1st (months), in UTC; local-time patterns need the groups' time zone. The first and last periods may be partial, so their counts run low.",
    "'Members' counts stays, so a member in two groups counts twice. Members present before the data begins (no known join) count from its start and never as joins; members of a group the data stops seeing earlier than the rest (its own export ended) leave the count then, never as exits.",
    "Member ids are pseudonyms; no names, phone numbers or message text are read into reports.",
)
"""How the overview is computed, and what to keep in mind reading it."""


def methods(est: OverviewEstimates) -> tuple[str, ...]:
    """The overview's methods and caveats."""
    return METHODS
