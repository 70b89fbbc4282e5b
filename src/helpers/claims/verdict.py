"""One rule for verdicts: an estimate's confidence interval against the range a claim allows.

Inside it is *supported*, entirely outside it is *contradicted*, anything else (or no
effect detected at all, or no estimate) is *inconclusive* on this data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from helpers.stats.estimate import Estimate

Outcome = Literal["supported", "contradicted", "inconclusive"]


@dataclass(frozen=True)
class Verdict:
    """A claim, the estimate that tests it, and what the data says."""

    claim: str
    verdict: Outcome
    reason: str
    estimate: Estimate | None = None
    claim_id: str = ""

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return asdict(self)


def interval_verdict(
    claim: str, estimate: Estimate, allowed: tuple[float, float], detected: bool = True, claim_id: str = ""
) -> Verdict:
    """Supported if the CI lies inside ``allowed``, contradicted if entirely outside, else inconclusive.

    ``detected=False`` (e.g. no peak: a flat curve is inside the CI) makes it inconclusive.
    """
    low, high = allowed
    if estimate.value != estimate.value:  # NaN: the data cannot answer (e.g. one group, nothing to compare)
        return Verdict(claim, "inconclusive", f"not estimable on this data: {estimate.why_not}", estimate, claim_id)
    if not detected:
        return Verdict(
            claim,
            "inconclusive",
            "no effect detected on this data: a flat curve lies inside the CI",
            estimate,
            claim_id,
        )
    if low <= estimate.ci_low and estimate.ci_high <= high:
        return Verdict(
            claim,
            "supported",
            f"95% CI {estimate.ci_low:.3g}-{estimate.ci_high:.3g} lies inside {low:g}-{high:g}",
            estimate,
            claim_id,
        )
    if estimate.ci_high < low or estimate.ci_low > high:
        return Verdict(
            claim,
            "contradicted",
            f"95% CI {estimate.ci_low:.3g}-{estimate.ci_high:.3g} lies outside {low:g}-{high:g}",
            estimate,
            claim_id,
        )
    return Verdict(
        claim,
        "inconclusive",
        f"95% CI {estimate.ci_low:.3g}-{estimate.ci_high:.3g} overlaps {low:g}-{high:g} only in part",
        estimate,
        claim_id,
    )


def verdict_from_dict(d: dict) -> Verdict:
    """A Verdict from its results.json form."""
    e = d.get("estimate")
    estimate = (
        Estimate(
            **{k: e[k] for k in ("name", "value", "ci_low", "ci_high", "method")}, n=e.get("n"), reason=e.get("reason")
        )
        if e
        else None
    )
    return Verdict(d["claim"], d["verdict"], d["reason"], estimate, d.get("claim_id", ""))
