"""One way to write numbers for people: percentages, intervals and p-values in findings, index and slides."""

from __future__ import annotations

import math

from helpers.stats.estimate import Estimate


def pct(x: float, digits: int = 1) -> str:
    """A share as a percentage: 0.1234 -> '12.3%'; 'n/a' when there is no number."""
    return f"{100 * x:.{digits}f}%" if _finite(x) else "n/a"


def num(x: float, spec: str = ".2f") -> str:
    """A number with a format spec ('n/a' when there is no number)."""
    return format(x, spec) if _finite(x) else "n/a"


def ci(estimate: Estimate, spec: str = ".2f", scale: float = 1.0, unit: str = "", level: float = 0.95) -> str:
    """'95% CI low–high' of an estimate ('95% CI low or more' when it has no upper end), or why there is none.

    ``level`` names the interval's level (e.g. 0.983 for a multiplicity-corrected one: '98.3% CI').
    """
    if estimate.not_estimable or not _finite(estimate.ci_low) or math.isnan(estimate.ci_high):
        return "no CI: " + (estimate.why_not or "the interval cannot be estimated on this data")
    name = f"{100 * level:.1f}".rstrip("0").rstrip(".") + "% CI"
    if estimate.ci_high == math.inf:
        return f"{name} {format(scale * estimate.ci_low, spec)}{unit} or more"
    return f"{name} {format(scale * estimate.ci_low, spec)}–{format(scale * estimate.ci_high, spec)}{unit}"


def p_value(p: float) -> str:
    """A p-value for people: '< 0.001', '= 0.004', '= 0.12' (never 0)."""
    if not _finite(p):
        return "not computed"
    if p < 0.001:
        return "< 0.001"
    return f"= {p:.3f}" if p < 0.01 else f"= {p:.2f}"


def _finite(x: object) -> bool:
    """True for a finite real number."""
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
