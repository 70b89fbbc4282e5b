"""The practitioners' rules of thumb the studies test, as numbers, and one rule for verdicts.

The numbers are the claims in ``../shared/domain.md`` (sources 001-003). A verdict
compares an estimate's confidence interval with the range the claim allows:
inside it is *supported*, entirely outside it is *contradicted*, anything else (or no
effect detected at all) is *inconclusive* on this data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from helpers.estimates import Estimate

SIZE_BAND = (150.0, 350.0)
"""Claim 1: groups of 150-350 members are the most active per member."""

KOC_SIZE = 150.0
"""Claim 1: above 150 members almost every group has several KOCs."""
KOC_ALMOST_EVERY = 0.9
"""What "almost every group" is taken to mean: at least 90% of group-weeks."""

RECRUITMENT_WEEKS = 4.0
"""Claim 2: recruitment slower than 4 weeks makes early joiners leave."""
CRITICAL_SIZE = 150
"""Claim 2: the critical size a group must reach."""

MONITOR_SHARE = 0.05
"""Claim 5: activity is best when the monitor writes about 5% of a week's messages."""
MONITOR_SHARE_ABOUT = (0.025, 0.075)
"""What "about 5%" is taken to mean: within half of 5% either side."""

PEAK_HOURS = {
    "prenatal": ((11, 12), (16, 17), (20, 21)),
    "postnatal": ((11, 12), (13, 15), (16, 17), (21, 23)),
}
"""Claim 6: peak local hours as [start, end) ranges, by audience."""

AUDIENCE_PREFIXES = {"pregnant": "prenatal", "baby": "postnatal"}
"""Segment names starting with these words belong to that audience (others to none)."""


@dataclass(frozen=True)
class Verdict:
    """A claim, the estimate that tests it, and what the data says."""

    claim: str
    verdict: str   # supported, contradicted or inconclusive
    reason: str
    estimate: Estimate | None = None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return asdict(self)


def interval_verdict(claim: str, estimate: Estimate, allowed: tuple[float, float], detected: bool = True) -> Verdict:
    """Supported if the CI lies inside ``allowed``, contradicted if entirely outside, else inconclusive.

    ``detected=False`` (e.g. no peak: a flat curve is inside the CI) makes it inconclusive.
    """
    low, high = allowed
    if estimate.value != estimate.value:  # NaN: the data cannot answer (e.g. one group, nothing to compare)
        return Verdict(claim, "inconclusive", f"not estimable on this data: {estimate.method}", estimate)
    if not detected:
        return Verdict(claim, "inconclusive", "no effect detected on this data: a flat curve lies inside the CI",
                       estimate)
    if low <= estimate.ci_low and estimate.ci_high <= high:
        return Verdict(claim, "supported", f"95% CI {estimate.ci_low:.3g}-{estimate.ci_high:.3g} lies inside "
                       f"{low:g}-{high:g}", estimate)
    if estimate.ci_high < low or estimate.ci_low > high:
        return Verdict(claim, "contradicted", f"95% CI {estimate.ci_low:.3g}-{estimate.ci_high:.3g} lies outside "
                       f"{low:g}-{high:g}", estimate)
    return Verdict(claim, "inconclusive", f"95% CI {estimate.ci_low:.3g}-{estimate.ci_high:.3g} overlaps "
                   f"{low:g}-{high:g} only in part", estimate)


def audience_of(segment: str) -> str | None:
    """'prenatal', 'postnatal' or None for a segment name, by its first word."""
    first = str(segment).split("_")[0].lower()
    return AUDIENCE_PREFIXES.get(first)
