"""One way to write numbers for people: percentages, intervals and p-values in findings, index and slides."""

from __future__ import annotations

import math
import re

from helpers.stats.estimate import Estimate

GLOSSARY = {
    "coef": "log hazard ratio",
    "exp(coef)": "hazard ratio",
    "se(coef)": "standard error (log scale)",
    "coef lower 95%": "log HR, 95% CI low",
    "coef upper 95%": "log HR, 95% CI high",
    "exp(coef) lower 95%": "HR, 95% CI low",
    "exp(coef) upper 95%": "HR, 95% CI high",
    "cmp to": "compared with",
    "z": "z statistic",
    "p": "p-value",
    "-log2(p)": "evidence (bits, −log₂ p)",
    "test_statistic": "test statistic",
    "covariate": "term",
    "n": "count",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "log_size": "ln group size",
    "log_size_sq": "ln group size, squared",
    "target_size": "planned group size",
    "window_days": "days to fill",
    "horizon_days": "horizon (days)",
    "koc_threshold": "KOC threshold (messages)",
    "arm": "arm",
    "exit_30d": "left within 30 days",
    "messages_per_member_week": "messages per member-week",
    "messages_per_member": "messages per member",
    "ci_width_without_cuped": "CI width without CUPED",
    "ci_width_with_cuped": "CI width with CUPED",
    # notebook parameters, as the provenance table shows them
    "data_dir": "dataset",
    "engine_url": "query engine",
    "results_dir": "results folder",
    "period": "period",
    "cohort_period": "cohort period",
    "retention_kind": "retention measured by",
    "segment_by": "curves by",
    "max_periods": "periods shown",
    "start": "first cohort",
    "end": "cohorts before",
    "min_cohort_size": "smallest cohort shown",
    "interactive": "explore controls",
    "activity_metric": "activity measure",
    "size_bands": "size bands (lower edges)",
    "spline_df": "spline degrees of freedom (size)",
    "monitor_spline_df": "spline degrees of freedom (monitor share)",
    "koc_factor": "KOC factor (× the group's median member)",
    "bootstrap_reps": "bootstrap resamples",
    "min_members": "smallest group-week (members)",
    "utc_offset_hours": "local time (hours from UTC)",
    "early_k": "early members (first joiners)",
    "early_days": "early members (days after creation)",
    "window_bins": "window bins (days)",
    "experiment": "experiment",
    "control_arm": "control arm",
    "outcomes": "outcomes",
    "alpha": "significance level",
    "correction": "multiplicity correction",
    "cuped": "CUPED adjustment",
    "conversion_outcomes": "conversion outcomes",
    # outcomes, estimates and covariates the studies name
    "interaction_rate": "interaction rate",
    "conversions_per_member_week": "conversions per member-week",
    "value_per_member_week": "conversion value per member-week",
    "monitor_share_loo": "the monitor's share (her other weeks)",
    "age_at_assignment_days": "group age at assignment (days)",
    "has_pre_period": "has a pre-period",
    "pre_members": "members before",
    "pre_exit_rate": "exit rate before",
    "pre_messages_per_member_week": "messages per member-week before",
}
"""Column and parameter names as a reader should see them (others: underscores to spaces)."""


def words(name: object, capital: bool = True) -> str:
    """A column, index or parameter name in plain words: the glossary's, else underscores as spaces."""
    text = str(name)
    if text in GLOSSARY:
        return GLOSSARY[text]
    spaced = re.sub(r"_+", " ", text).strip()
    if not spaced:
        return text
    return spaced[:1].upper() + spaced[1:] if capital else spaced


IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
"""A snake_case name (parameter, column, outcome or data label) as it may slip into a sentence."""


def prose(text: str) -> str:
    """A sentence with every snake_case name put in words (the glossary's, else as a data label)."""
    return IDENTIFIER.sub(lambda m: GLOSSARY.get(m.group(0), label_words(m.group(0))), text)


def label_words(value: object) -> str:
    """A data label (segment, channel, band) for reading: 'baby_3_6m' -> 'baby 3–6m', '1-inf' -> '1 or more'."""
    text = str(value)
    if text in ("True", "False"):
        return "yes" if text == "True" else "no"
    text = text.replace("<=", "≤").replace(">=", "≥")
    text = re.sub(r"^(\d+(?:\.\d+)?)\s*[-–]\s*inf$", r"\1 or more", text)
    text = re.sub(r"(?<=\d)_(?=\d)", "–", text)
    text = re.sub(r"(\d+)\+$", r"\1 or more", text)
    text = re.sub(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$", r"\1–\2", text)
    return text.replace("_", " ")


def pct(x: float, digits: int = 1) -> str:
    """A share as a percentage: 0.1234 -> '12.3%'; 'n/a' when there is no number."""
    return f"{100 * x:.{digits}f}%" if _finite(x) else "n/a"


def num(x: float, spec: str = ".2f") -> str:
    """A number with a format spec ('n/a' when there is no number)."""
    return format(x, spec) if _finite(x) else "n/a"


def pct_ci(low: float, high: float) -> str:
    """'95% CI 1.2%–3.4%' of a share, or 'no CI' when either end is missing (never 'n/a–n/a')."""
    return f"95% CI {pct(low)}–{pct(high)}" if _finite(low) and _finite(high) else "no CI"


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


def decimals(value: float, low: float, high: float, least: int = 1, most: int = 4) -> int:
    """Decimals that keep a rounded estimate inside its rounded interval and the interval's ends apart."""
    for d in range(least, most + 1):
        v, lo, hi = (round(x, d) for x in (value, low, high))
        if lo <= v <= hi and (lo < hi or low == high):
            return d
    return most


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
