"""Two rules for verdicts: one for claims about where something lies, one for claims about an effect.

- ``interval_verdict`` (region claims: the size band, "almost every group", about 5%): the
  CI inside the region the claim allows is *supported*, entirely outside it *contradicted*.
- ``effect_verdict`` (effect claims: homogeneity, promotion, stage): *supported* needs the
  CI, at the study's own multiplicity-adjusted level, entirely beyond the smallest effect
  that matters in the claimed direction (which also makes the study's own test
  significant); *contradicted* needs it entirely inside the equivalence region (smaller
  than that effect either way) or entirely on the other side of no effect.

Anything else, no effect detected, or no estimate, is *inconclusive* on this data, and the
reason says what effect the data could have detected.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Literal

from helpers.stats.estimate import Estimate

Outcome = Literal["supported", "contradicted", "inconclusive"]
Scale = Literal["difference", "ratio"]

Z95 = NormalDist().inv_cdf(0.975)
"""Normal quantile of a two-sided 95% interval."""

Z_POWER = Z95 + NormalDist().inv_cdf(0.8)
"""z distance at which a 5% two-sided test has 80% power: the detectable effect is this many SEs away."""


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


def _span(estimate: Estimate, percent: bool = False) -> str:
    """'low–high' of an estimate's CI, or 'low or more' when it has no upper end (shares in percent)."""
    if estimate.ci_high == math.inf:
        return f"{_number(estimate.ci_low, percent)} or more"
    return f"{_number(estimate.ci_low, percent)}–{_number(estimate.ci_high, percent)}"


def _number(x: float, percent: bool) -> str:
    """A bound or an end of a CI as the reports write it: 3 significant figures, or a percentage."""
    return f"{100 * x:.3g}%" if percent else f"{x:.3g}"


def region_text(low: float, high: float, percent: bool) -> str:
    """The region a claim allows, in words: '150–350', '90%–100%', 'at least 5'."""
    if high == math.inf:
        return f"at least {_number(low, percent)}"
    return f"{_number(low, percent)}–{_number(high, percent)}"


def interval_verdict(
    claim: str,
    estimate: Estimate,
    allowed: tuple[float, float],
    detected: bool = True,
    claim_id: str = "",
    percent: bool | None = None,
) -> Verdict:
    """Supported if the CI lies inside ``allowed``, contradicted if entirely outside, else inconclusive.

    ``detected=False`` (e.g. no peak: a flat curve is inside the CI) makes it inconclusive.
    ``percent``: write the CI and the region as percentages (default: when the region lies in 0–1, a share).
    """
    low, high = allowed
    percent = (0 <= low and high <= 1) if percent is None else percent
    if math.isnan(estimate.value) or math.isnan(estimate.ci_low) or math.isnan(estimate.ci_high):
        # the data cannot answer (e.g. one group: a value but no interval clustered by group)
        why = estimate.why_not or "the estimate has no interval"
        return Verdict(claim, "inconclusive", f"not estimable on this data: {why}", estimate, claim_id)
    if not detected:
        return Verdict(
            claim,
            "inconclusive",
            "no effect detected on this data: a flat curve lies inside the CI",
            estimate,
            claim_id,
        )
    span, region = _span(estimate, percent), region_text(low, high, percent)
    if low <= estimate.ci_low and estimate.ci_high <= high:
        return Verdict(claim, "supported", f"95% CI {span} lies inside {region}", estimate, claim_id)
    if estimate.ci_high < low or estimate.ci_low > high:
        return Verdict(claim, "contradicted", f"95% CI {span} lies outside {region}", estimate, claim_id)
    return Verdict(claim, "inconclusive", f"95% CI {span} overlaps {region} only in part", estimate, claim_id)


def verdict_from_dict(d: dict) -> Verdict:
    """A Verdict from its results.json form."""
    e = d.get("estimate")
    estimate = None
    if e:
        value, low, high = (math.nan if e[k] is None else e[k] for k in ("value", "ci_low", "ci_high"))
        if e["ci_high"] is None and math.isfinite(low):  # strict JSON writes an open upper end as null
            high = math.inf
        estimate = Estimate(e["name"], value, low, high, e["method"], n=e.get("n"), reason=e.get("reason"))
    return Verdict(d["claim"], d["verdict"], d["reason"], estimate, d.get("claim_id", ""))


def _to_scale(x: float, scale: Scale) -> float:
    """Differences as they are, ratios on the log scale (where their intervals are symmetric)."""
    return math.log(x) if scale == "ratio" else x


def _from_scale(x: float, scale: Scale) -> float:
    """Back from ``_to_scale``."""
    return math.exp(x) if scale == "ratio" else x


def detectable_effect(estimate: Estimate, smallest: float, scale: Scale, z: float = Z95) -> float:
    """The true effect beyond which this data would show 'supported' with 80% power (same CI width).

    The CI's half-width (on the log scale for ratios) gives the standard error; to clear
    the smallest effect with 80% power the truth must lie ``Z_POWER`` standard errors
    beyond it (the CI's own z is ``z``). NaN when the interval has no width to read (an end at
    0 or infinity on the ratio scale, or not finite).
    """
    ends = (estimate.ci_low, estimate.ci_high)
    if not all(math.isfinite(x) for x in ends) or (scale == "ratio" and min(ends) <= 0):
        return math.nan
    se = (_to_scale(estimate.ci_high, scale) - _to_scale(estimate.ci_low, scale)) / (2 * z)
    return _from_scale(_to_scale(smallest, scale) + Z_POWER * se, scale)


def effect_verdict(
    claim: str,
    estimate: Estimate,
    smallest: float,
    scale: Scale = "difference",
    direction: Literal["above", "below", "either"] = "above",
    significant: bool | None = None,
    claim_id: str = "",
    z: float = Z95,
    points: bool = False,
) -> Verdict:
    """Supported if the CI lies beyond the smallest effect that matters in the claimed direction, else see module.

    ``estimate`` is on the effect's scale (a difference, with no effect at 0, or a ratio,
    with no effect at 1) and its CI is already at the level the study's multiplicity
    correction implies (``z`` is that level's normal quantile, used only to report the
    detectable effect). ``direction`` 'below' mirrors 'above'; 'either' accepts an effect
    beyond the smallest one in either direction. ``significant`` is the study's own
    decision: a claim it did not find significant is never supported. ``points``: a difference
    of shares, written in percentage points.
    """
    show = (lambda x: f"{100 * x:.3g}") if points else (lambda x: f"{x:.3g}")
    unit = " points" if points else ""
    if estimate.not_estimable or not (math.isfinite(estimate.ci_low) and math.isfinite(estimate.ci_high)):
        return Verdict(
            claim,
            "inconclusive",
            f"not estimable on this data: {estimate.why_not or 'no interval'}",
            estimate,
            claim_id,
        )
    null = 1.0 if scale == "ratio" else 0.0
    low, high = _to_scale(estimate.ci_low, scale), _to_scale(estimate.ci_high, scale)
    bound = abs(_to_scale(smallest, scale))
    ci = f"CI {show(estimate.ci_low)} to {show(estimate.ci_high)}{unit}"
    beyond_up, beyond_down = low > bound, high < -bound
    wanted = {"above": beyond_up, "below": beyond_down, "either": beyond_up or beyond_down}[direction]
    if wanted and significant is not False:
        return Verdict(
            claim,
            "supported",
            f"{ci} lies beyond the smallest effect that matters ({describe_smallest(smallest, scale, direction, points)})",
            estimate,
            claim_id,
        )
    inside = -bound < low and high < bound
    other_side = {"above": high < 0, "below": low > 0, "either": False}[direction]
    if inside or other_side:
        why = (
            (
                f"{ci} lies inside {show(_from_scale(-bound, scale))} to {show(_from_scale(bound, scale))}{unit}: "
                "any effect is smaller than the smallest that matters"
            )
            if inside
            else (f"{ci} lies on the other side of {null:g}: the effect runs against the claim")
        )
        return Verdict(claim, "contradicted", why, estimate, claim_id)
    if wanted:
        why = f"{ci} clears the smallest effect, but the study's multiplicity-corrected test is not significant"
    else:
        detectable = detectable_effect(estimate, smallest, scale, z)
        why = (
            f"{ci} lies neither wholly {describe_smallest(smallest, scale, direction, points)} nor wholly inside the "
            + (
                f"region of no effect; this data would detect an effect of about {show(detectable)}{unit}"
                if math.isfinite(detectable)
                else "region of no effect"
            )
        )
    return Verdict(claim, "inconclusive", why, estimate, claim_id)


def describe_smallest(smallest: float, scale: Scale, direction: str, points: bool = False) -> str:
    """'above 1.1' / 'below -0.01' / 'beyond 1 point either way' for the smallest effect in a direction."""
    if points:
        size = f"{100 * smallest:g} point{'s' if 100 * smallest != 1 else ''}"
        return {"either": f"beyond {size} either way", "below": f"below −{size}"}.get(direction, f"above {size}")
    if direction == "either":
        return (
            f"beyond {smallest:g} either way" if scale == "difference" else f"beyond {smallest:g} or {1 / smallest:.3g}"
        )
    if direction == "below":
        return f"below {(1 / smallest if scale == 'ratio' else -smallest):.3g}"
    return f"above {smallest:g}"
