"""Retention study models: the homogeneity hazard ratio (Cox) and N-day retention compared across attributes.

Input is ``measures.members.member_table``: one row per member in a group with
``duration_days`` (first join to final leave, or to the data's end) and ``left``
(False: still a member, censored). Estimators are lifelines'; intervals that compare
groups of members treat the chat group as the unit of independence where the method
allows (clustered proportions, cluster-robust Cox errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.stats.cox import CoxDidNotConverge, fit_cox
from helpers.stats.estimate import Estimate
from helpers.stats.failures import why_unfitted
from helpers.stats.proportional_hazards import zph_for_fit
from helpers.stats.survival import at_risk_from_entry, entry_days, n_day_retention


def size_terms(members: pd.DataFrame, reference: float = 229.0) -> pd.DataFrame:
    """Covariates for group size: ln(peak / reference) and its square (a smooth U or hump)."""
    log_size = np.log(np.maximum(members["peak_members"].to_numpy(float), 1.0) / reference)
    return pd.DataFrame({"log_size": log_size, "log_size_sq": log_size**2}, index=members.index)


@dataclass(frozen=True)
class CoxHazardRatio:
    """A hazard ratio from a Cox model, and the model's coefficient table (empty when not estimable)."""

    hazard_ratio: Estimate
    coefficients: pd.DataFrame
    ph_test: pd.DataFrame = field(default_factory=pd.DataFrame)  # R's cox.zph: chi2, df, p per covariate, GLOBAL

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {
            "hazard_ratio": self.hazard_ratio.as_dict(),
            "coefficients": self.coefficients.reset_index().to_dict(orient="records"),
            "ph_test": self.ph_test.reset_index().to_dict(orient="records"),
        }


def homogeneity_hazard_ratio(members: pd.DataFrame, adjust_for_size: bool = True) -> CoxHazardRatio:
    """Hazard ratio of leaving, mixed vs homogeneous groups: Cox model, cluster-robust errors by group.

    Homogeneous = one channel, one city and one segment. With ``adjust_for_size`` the model
    also holds the group's peak size fixed (ln size and its square), since size moves the
    exit rate too. Returns the estimate and lifelines' coefficient table. With fewer than two
    groups of each kind there is nothing to compare: the estimate is NaN and says why.
    """
    name = "hazard ratio of leaving, mixed vs homogeneous groups"
    members = at_risk_from_entry(members)
    groups = members.groupby("homogeneous")["group_id"].nunique()
    if groups.empty:
        return CoxHazardRatio(Estimate.missing(name, "no member stays (only operators')", n=0), pd.DataFrame())
    if len(groups) < 2 or groups.min() < 2:
        reason = (
            "every group is " + ("homogeneous" if groups.index[0] else "mixed")
            if len(groups) < 2
            else f"only {groups.min()} group(s) of one kind"
        )
        return CoxHazardRatio(Estimate.missing(name, reason, n=len(members)), pd.DataFrame())
    frame = pd.DataFrame(
        {
            "duration_days": np.maximum(members["duration_days"].to_numpy(float), 1e-6),
            "left": members["left"].astype(int).to_numpy(),
            "mixed": (~members["homogeneous"].astype(bool)).astype(float).to_numpy(),
            "cluster": pd.factorize(members["group_id"])[0],
        },
        index=members.index,
    )
    if adjust_for_size:
        terms = size_terms(members)
        frame = frame.join(terms.loc[:, terms.nunique() > 1])  # one size for every group: nothing to adjust for
    events = frame.groupby("mixed")["left"].sum()  # both kinds are there (checked above)
    if events.min() == 0:
        kind = "mixed" if events.get(1.0, 0) == 0 else "homogeneous"
        reason = f"no member of a {kind} group left, so the hazards cannot be compared"
        return CoxHazardRatio(Estimate.missing(name, reason, n=len(members)), pd.DataFrame())
    covariates = [c for c in frame.columns if c not in ("duration_days", "left", "cluster")]
    entry = entry_days(members).to_numpy(float)
    delayed = bool((entry > 0).any())
    try:
        fit = fit_cox(
            frame["duration_days"],
            frame["left"],
            frame[covariates].to_numpy(float),
            covariates,
            frame["cluster"],
            entry=entry if delayed else None,  # below each duration (at_risk_from_entry)
        )
    except (CoxDidNotConverge, np.linalg.LinAlgError) as err:
        reason = f"the Cox model cannot be fitted on this data: {why_unfitted(err)}"
        return CoxHazardRatio(Estimate.missing(name, reason, n=len(members)), pd.DataFrame())
    row = fit.summary.loc["mixed"]
    estimate = Estimate(
        name=name,
        value=float(row["exp(coef)"]),
        ci_low=float(row["exp(coef) lower 95%"]),
        ci_high=float(row["exp(coef) upper 95%"]),
        method="Cox proportional hazards (Efron ties), cluster-robust errors by group"
        + (", adjusted for ln peak size and its square" if adjust_for_size else "")
        + (", stays seen only after their join entered late (delayed entry)" if delayed else ""),
        n=len(frame),
    )
    # R's cox.zph on counting-process data needs the entry too; the test here is for stays seen from their join
    ph = pd.DataFrame() if delayed else zph_for_fit(fit, frame, "duration_days", "left")
    return CoxHazardRatio(estimate, fit.summary, ph)


def compare_segments(
    members: pd.DataFrame, end: pd.Timestamp, columns: tuple[str, ...], days: int = 30
) -> pd.DataFrame:
    """N-day retention with group-clustered CIs for every value of each column (one tidy frame)."""
    parts = []
    for column in columns:
        part = n_day_retention(members, days, end, by=column).rename(columns={column: "level"})
        part.insert(0, "dimension", column)
        part["level"] = part["level"].astype(str)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def retention_estimate(row: pd.Series) -> Estimate:
    """N-day retention overall as an Estimate (clustered ratio CI), from a row of ``n_day_retention``."""
    name = f"{int(row['days'])}-day membership retention"
    method = "share still a member N days after first join; ratio estimator, CI clustered by group"
    if row["members"] == 0:
        return Estimate.missing(name, f"no member joined {int(row['days'])}+ days before the data's end", n=0)
    if pd.isna(row["ci_low"]):
        return Estimate(
            name,
            float(row["retention"]),
            np.nan,
            np.nan,
            method,
            n=int(row["members"]),
            reason="a CI clustered by group needs two groups or more",
        )
    return Estimate(
        name, float(row["retention"]), float(row["ci_low"]), float(row["ci_high"]), method, n=int(row["members"])
    )


def median_estimate(median: pd.Series) -> Estimate:
    """Median membership in days from a Kaplan-Meier medians row, or why it is not reached."""
    name = "median membership (days)"
    if median["members"] == 0:
        return Estimate.missing(name, "no member stays (only operators')", n=0)
    if not np.isfinite(median["median_days"]):
        return Estimate.missing(
            name, "fewer than half of all members had left by the data's end", n=int(median["members"])
        )
    return Estimate(
        name,
        float(median["median_days"]),
        float(median["ci_low"]),
        float(median["ci_high"]),
        "Kaplan-Meier median, log-log CI (members as independent)",
        n=int(median["members"]),
    )
