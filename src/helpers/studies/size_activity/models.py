"""Activity per member against group size and monitor share: spline GLMs, cluster-robust errors, bootstrap optima.

Input is the group-week panel (``measures.group_week.group_week_panel``) with the groups' channel
and segment. Each curve comes from a GLM with natural cubic splines:

    size:          link E[activity] = offset + s(ln size) + s(ln age) + s(ln tenure) + join share
                                      + channel + segment + month
    monitor share: the same + s(monitor share), on group-weeks with enough talk to measure it

- ``messages_per_member``: member messages, Poisson GLM (quasi-likelihood: only the mean
  is assumed) with offset ln(size), so the curves are messages per member-week
  (size = mean members in the week).
- ``interaction_rate``: speakers out of everyone who was a member that week, binomial GLM
  (logit), so the curves are the share of members who spoke.

Errors are clustered by group (cluster-robust sandwich); the optimum of each curve and
the band within ``margin`` of it get percentile CIs from a cluster bootstrap (groups
drawn with replacement, model refitted). ``within_group_size_curve`` is the fixed-effects
variant: Poisson with a fixed effect per group, so only changes of size within a group
over time inform the curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from scipy.stats import chi2 as chi2_dist
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from helpers.measures.size_bands import SIZE_BANDS, size_band
from helpers.measures.stages import stage_names
from helpers.stats.bootstrap import argmax_estimate
from helpers.stats.clustered import clustered_proportion, clustered_ratio
from helpers.stats.estimate import Estimate, plain_fields
from helpers.stats.failures import why_unfitted
from helpers.stats.glm import (
    grid_design,
    group_means,
    group_resamples,
    poisson_fixed_effects,
    profile_grid,
    resample_weights,
    solve_or_drop,
    spline_term,
    term_columns,
    weighted_gram,
)

METRICS = ("messages_per_member", "interaction_rate")


METRIC_WORDS = {"messages_per_member": "messages per member-week", "interaction_rate": "share of members who spoke"}


GRID_POINTS = 241


def model_rows(
    panel: pd.DataFrame,
    groups: pd.DataFrame,
    end: pd.Timestamp,
    min_members: int = 10,
    size_bands: tuple[int, ...] = SIZE_BANDS,
    assignments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Group-weeks fit for the activity models: whole weeks, groups of at least ``min_members``.

    Adds ``size`` (mean members in the week, members at its start + (joins - exits) / 2),
    ``log_size``, ``log_age`` (ln weeks since the creation week), ``log_tenure`` (ln of 1 +
    the members' mean tenure in days), ``join_share`` (joiners among the week's members: they
    were there for part of it), ``month`` (calendar month
    of the week, for season), ``size_band``, the group's channel and segment, and
    ``content_arm`` (the experiment arm in force, by stage; see ``content_arm``). The
    creation week and the week the data ends in (for the group: ``seen_until``) are partial,
    and are left out.
    """
    rows = panel.merge(groups[["group_id", "channel", "segment"]], on="group_id", how="left")
    end_utc = pd.Timestamp(end).tz_convert("UTC") if pd.Timestamp(end).tzinfo else pd.Timestamp(end, tz="UTC")
    week = pd.to_datetime(rows["week"], utc=True)
    seen = pd.to_datetime(rows["seen_until"], utc=True).clip(upper=end_utc) if "seen_until" in rows else end_utc
    whole = (week + pd.Timedelta(days=7) <= seen) & (rows["age_weeks"] >= 1)
    rows = rows[whole].copy()
    rows["size"] = rows["members"] + (rows["joins"] - rows["exits"]) / 2
    rows = rows[rows["size"] >= min_members].copy()
    rows["log_size"] = np.log(rows["size"])
    rows["log_age"] = np.log(rows["age_weeks"])
    rows["log_tenure"] = np.log1p(rows["mean_tenure_days"].fillna(0))
    rows["join_share"] = rows["new_joins"] / rows["members_in_week"]
    rows["month"] = pd.to_datetime(rows["week"], utc=True).dt.strftime("%m")
    rows["size_band"] = size_band(rows["size"], tuple(size_bands))
    talk = rows["member_messages"] + rows["monitor_messages"]
    by_group = rows["group_id"]
    rows["other_weeks_talk"] = talk.groupby(by_group).transform("sum") - talk
    other_monitor = rows["monitor_messages"].groupby(by_group).transform("sum") - rows["monitor_messages"]
    rows["monitor_share_loo"] = other_monitor / rows["other_weeks_talk"].where(rows["other_weeks_talk"] > 0)
    rows["content_arm"] = content_arm(rows, groups, assignments)
    return rows.reset_index(drop=True)


NO_ARM = "none"
"""``content_arm`` of a group-week with no experiment arm in force."""


def content_arm(rows: pd.DataFrame, groups: pd.DataFrame, assignments: pd.DataFrame | None) -> pd.Series:
    """The experiment arm in force in each group-week, by the group's lifecycle stage: 'promo_high (launch)'.

    An arm changes what the group reads, and so how much members talk; a content
    experiment's arms also act differently by stage (the content study's question), and
    stage moves with a group's age and size. Adjusting the activity curves for the arm in
    force, by stage, keeps that effect out of the size and monitor curves. A week counts
    once it starts at or after the group's assignment (its latest, if several);
    ``'none'`` before, and for groups never assigned.
    """
    none = pd.Series(NO_ARM, index=rows.index)
    if assignments is None or assignments.empty:
        return none
    week = pd.to_datetime(rows["week"], utc=True)
    latest = (
        assignments.assign(assigned_at=pd.to_datetime(assignments["assigned_at"], utc=True))
        .sort_values("assigned_at")
        .drop_duplicates("group_id", keep="last")
        .set_index("group_id")
    )
    assigned = rows["group_id"].map(latest["assigned_at"])
    arm = rows["group_id"].map(latest["experiment"].astype(str) + ":" + latest["arm"].astype(str))
    created = rows["group_id"].map(groups.set_index("group_id")["created_at"])
    age_days = (week + pd.Timedelta(days=3.5) - pd.to_datetime(created, utc=True)) / pd.Timedelta(days=1)
    on = assigned.notna() & (week >= assigned)
    labelled = arm + " (" + pd.Series(stage_names(age_days.to_numpy()), index=rows.index) + ")"
    return none.where(~on, labelled)


def binned_activity(rows: pd.DataFrame, by: str = "size_band") -> pd.DataFrame:
    """Messages per member-week and interaction rate per band, with CIs clustered by group (ratio estimators)."""
    out = []
    for band, part in rows.groupby(by, observed=True):
        per_group = part.groupby("group_id")[["member_messages", "size", "speakers", "members_in_week"]].sum()
        mpm = clustered_ratio(per_group["member_messages"], per_group["size"])
        rate = clustered_proportion(per_group["speakers"], per_group["members_in_week"])
        out.append(
            {
                by: band,
                "messages_per_member": mpm.value,
                "mpm_ci_low": mpm.ci_low,
                "mpm_ci_high": mpm.ci_high,
                "interaction_rate": rate.value,
                "rate_ci_low": rate.ci_low,
                "rate_ci_high": rate.ci_high,
                "group_weeks": len(part),
                "groups": len(per_group),
            }
        )
    return pd.DataFrame(out)


def _on_weeks(rows: pd.DataFrame, weekly: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (group-weeks) with the columns of ``weekly`` (group_id, week, ...) beside them, rows' index kept."""

    def utc(weeks: pd.Series) -> pd.Series:
        return pd.to_datetime(weeks, utc=True).astype("datetime64[ns, UTC]")

    other = weekly.assign(_week=utc(weekly["week"])).drop(columns="week")
    merged = rows.assign(_week=utc(rows["week"])).merge(other, on=["group_id", "_week"], how="left")
    return merged.drop(columns="_week").set_axis(rows.index)


def conversion_by_band(rows: pd.DataFrame, weekly: pd.DataFrame, by: str = "size_band") -> pd.DataFrame:
    """Paid conversions and their value per member-week, per band, with CIs clustered by group (ratio estimators).

    ``weekly`` is ``measures.conversions.weekly_conversions``; the denominator is the
    group-weeks' ``size`` (mean members in the week), so a rate is conversions per member
    per week, whoever in the group converted.
    """
    merged = _on_weeks(rows, weekly)
    merged[["conversions", "value"]] = merged[["conversions", "value"]].fillna(0.0)
    out = []
    for band, part in merged.groupby(by, observed=True):
        per_group = part.groupby("group_id")[["conversions", "value", "size"]].sum()
        rate = clustered_ratio(per_group["conversions"], per_group["size"], name="paid conversions per member-week")
        value = clustered_ratio(per_group["value"], per_group["size"], name="conversion value per member-week")
        out.append(
            {
                by: band,
                "conversions": int(per_group["conversions"].sum()),
                "conversions_per_member_week": rate.value,
                "rate_ci_low": rate.ci_low,
                "rate_ci_high": rate.ci_high,
                "value_per_member_week": value.value,
                "value_ci_low": value.ci_low,
                "value_ci_high": value.ci_high,
                "group_weeks": len(part),
                "groups": len(per_group),
                "why_not": rate.why_not or "",
            }
        )
    return pd.DataFrame(out)


def with_koc_counts(rows: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with ``kocs`` replaced by the KOCs present at each week's start (``measures.kocs``; 0 where none)."""
    merged = _on_weeks(rows.drop(columns="kocs"), counts)
    merged["kocs"] = merged.pop("kocs_relative").fillna(0).astype("int64")
    return merged


@dataclass(frozen=True)
class KocEmergence:
    """Share of group-weeks with several KOCs: per size band, and below / at or above the claim's size."""

    by_band: pd.DataFrame  # band, share, ci_low, ci_high, group_weeks, groups
    below: Estimate
    above: Estimate

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {
            "below": self.below.as_dict(),
            "above": self.above.as_dict(),
            "by_band": self.by_band.to_dict(orient="records"),
        }


def koc_emergence(rows: pd.DataFrame, at_least: int = 2, split: float = 150.0, by: str = "size_band") -> KocEmergence:
    """Share of group-weeks with ``at_least`` KOCs, per band and below / at or above ``split`` members.

    CIs treat groups as the independent units (clustered proportions over group-weeks), on
    Student t with Satterthwaite's degrees of freedom: near 100% the weeks without two KOCs
    sit in a few groups, and a normal interval on their variance covers a new set of groups'
    share in about 90% of drawn worlds, not 95%.
    """
    if not len(rows) or not rows["member_messages"].sum():
        return unmeasured_kocs(NO_TALK, at_least, split)
    rows = rows.assign(several=(rows["kocs"] >= at_least).astype(int), one=1)
    bands = []
    for band, part in rows.groupby(by, observed=True):
        per_group = part.groupby("group_id")[["several", "one"]].sum()
        share = clustered_proportion(per_group["several"], per_group["one"], small_sample=True)
        bands.append(
            {
                by: band,
                "share": share.value,
                "ci_low": share.ci_low,
                "ci_high": share.ci_high,
                "group_weeks": len(part),
                "groups": len(per_group),
            }
        )

    def share_of(part: pd.DataFrame, name: str) -> Estimate:
        per_group = part.groupby("group_id")[["several", "one"]].sum()
        share = clustered_proportion(per_group["several"], per_group["one"], name=name, small_sample=True)
        method = "clustered proportion of group-weeks, " + share.method.split("; ", 1)[-1]
        return replace(share, method=method, n=len(part))

    below = share_of(rows[rows["size"] < split], f"P({at_least}+ KOCs), size < {split:g}")
    above = share_of(rows[rows["size"] >= split], f"P({at_least}+ KOCs), size >= {split:g}")
    return KocEmergence(pd.DataFrame(bands), below, above)


@dataclass(frozen=True)
class Curve:
    """One fitted response curve: predicted activity over a grid, its optimum and the band near it."""

    term: str  # 'size' or 'monitor_share'
    curve: pd.DataFrame  # x, level, ci_low, ci_high (pointwise 95%), relative (level / level at peak)
    peak: Estimate  # x at which the curve peaks; bootstrap percentile CI
    band_low: Estimate  # lowest x within margin of the peak
    band_high: Estimate  # highest x within margin of the peak
    margin: float
    flat_chi2: float  # cluster-robust Wald test that the curve is flat
    flat_df: int
    flat_p: float
    interior: bool  # the peak lies inside the observed range, not at its edge
    boot_peaks: np.ndarray = field(repr=False)

    @property
    def detected(self) -> bool:
        """A peak is reported only if flatness is rejected at 5% and the peak is inside the range."""
        return self.flat_p < 0.05 and self.interior

    def as_dict(self) -> dict:
        """The numbers for results.json."""
        return {
            "term": self.term,
            "peak": self.peak.as_dict(),
            "band_low": self.band_low.as_dict(),
            "band_high": self.band_high.as_dict(),
            "margin": self.margin,
            "detected": self.detected,
            "flat_test": {"chi2": self.flat_chi2, "df": self.flat_df, "p_value": self.flat_p},
        }


@dataclass(frozen=True)
class ActivityFit:
    """An activity model: the curve of interest, the coefficient table, and what it was fitted on."""

    metric: str
    curve: Curve
    coefficients: pd.DataFrame
    rows_used: int
    groups: int
    rows_dropped: int
    bootstrap_reps: int
    method: str

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


CLIPPED = ("log_size", "monitor_share", "monitor_share_loo", "log_age", "log_tenure")
"""Regressors held to their 1st-99th percentile range: curves are read only where data is dense."""


def _clip(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with each spline variable clipped to its 1st and 99th percentiles."""
    out = rows.copy()
    for variable in CLIPPED:
        low, high = out[variable].quantile([0.01, 0.99])
        out[variable] = out[variable].clip(low, high)
    return out


def _grid(values: pd.Series) -> np.ndarray:
    """Evenly spaced grid over the (clipped) range of a spline variable."""
    return np.linspace(values.min(), values.max(), GRID_POINTS)


def _peak_and_band(x: np.ndarray, linear: np.ndarray, margin: float, to_level) -> tuple[float, float, float, bool]:
    """x at the curve's peak, the edges of the contiguous band within ``margin`` of it, and whether it is interior."""
    level = to_level(linear)
    top = int(np.argmax(level))
    near = level >= margin * level[top]
    low = top
    while low > 0 and near[low - 1]:
        low -= 1
    high = top
    while high < len(x) - 1 and near[high + 1]:
        high += 1
    return float(x[top]), float(x[low]), float(x[high]), 0 < top < len(x) - 1


MIN_ARM_GROUPS = 3
"""An arm-by-stage level seen in fewer groups than this joins the reference level in the pooled fits."""


def _common_arms(rows: pd.DataFrame) -> pd.Series:
    """``content_arm`` with levels seen in fewer than ``MIN_ARM_GROUPS`` groups folded into ``NO_ARM``.

    Such a level is a group's own indicator in all but name: it would cost a parameter
    and, on small data, leave the design without full rank.
    """
    groups = rows.groupby("content_arm")["group_id"].nunique()
    rare = groups.index[groups < MIN_ARM_GROUPS]
    return rows["content_arm"].where(~rows["content_arm"].isin(rare), NO_ARM)


def _arm_terms(rows: pd.DataFrame) -> list[str]:
    """The design term for the experiment arm in force (none when no arm was ever in force)."""
    if rows["content_arm"].nunique() < 2:
        return []
    return [f"C(content_arm, Treatment({NO_ARM!r}))" if (rows["content_arm"] == NO_ARM).any() else "C(content_arm)"]


def _within_arm_columns(rows: pd.DataFrame, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Indicators of the arm in force for the fixed-effects fit: those not absorbed by the group effects.

    A group in one arm (by stage) throughout has that indicator constant, which its own
    effect absorbs; columns are kept only while the design, centred within groups, stays
    of full rank.
    """
    levels = [level for level in sorted(rows["content_arm"].unique()) if level != NO_ARM]
    ones, n_groups = np.ones(len(rows)), int(groups.max() + 1)
    kept = X - group_means(X, ones, groups, n_groups)[groups]
    columns = []
    for level in levels:
        column = (rows["content_arm"] == level).to_numpy(float)[:, None]
        trial = np.hstack([kept, column - group_means(column, ones, groups, n_groups)[groups]])
        if np.linalg.matrix_rank(trial) == trial.shape[1]:
            kept = trial
            columns.append(column)
    return np.hstack(columns) if columns else np.empty((len(rows), 0))


def _glm(metric: str, y: np.ndarray, X: np.ndarray, offset: np.ndarray, weights: np.ndarray) -> sm.GLM:
    """The GLM for a metric: Poisson with offset, or binomial on shares ``y`` out of ``weights`` trials."""
    if metric == "messages_per_member":
        return sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    successes = y * weights  # (speakers, non-speakers): the binomial with its trials, robust errors supported
    return sm.GLM(np.column_stack([successes, weights - successes]), X, family=sm.families.Binomial())


TERMS = {"size": "log_size", "monitor_share": "monitor_share", "monitor_share_loo": "monitor_share_loo"}
"""Model terms and their variables: size, the week's own monitor share, and the group's share in its other weeks."""


MIN_TALK = 100
"""Monitor shares are read only in group-weeks with at least this many member + monitor messages."""


def activity_model(
    rows: pd.DataFrame,
    term: str = "size",
    metric: str = "messages_per_member",
    spline_df: int = 8,
    bootstrap_reps: int = 200,
    margin: float = 0.9,
    seed: int = 0,
    min_talk: int = MIN_TALK,
) -> ActivityFit:
    """Activity against ``term`` (size or monitor share), adjusted; optimum and band with cluster bootstrap CIs.

    The size model: splines in ln size, ln group age and ln members' mean tenure (new
    members talk more), the week's join share (joiners were members for part of the week),
    and channel, segment and calendar month.
    The monitor-share model adds a spline in monitor share and uses only group-weeks
    with at least ``min_talk`` member + monitor messages: in quieter weeks the share is a
    ratio of a few counts (one message in three is 33%), and such noise in a regressor
    flattens and shifts the curve. The week's own share also has the week's member
    messages in its denominator, so their noise sits in the outcome and the regressor
    at once and pulls the optimum down; ``monitor_share_loo`` (the group's share in its
    other weeks, with at least ``min_talk`` messages there) is free of it. ``rows``
    come from ``model_rows``.
    """
    if metric not in METRICS:
        raise ValueError(f"activity_metric must be one of {', '.join(METRICS)}, not {metric!r}")
    if term not in TERMS:
        raise ValueError(f"term must be one of {', '.join(TERMS)}, not {term!r}")
    used = rows
    if term == "monitor_share":
        used = rows[(rows["member_messages"] + rows["monitor_messages"]) >= min_talk]
    elif term == "monitor_share_loo":
        used = rows[(rows["other_weeks_talk"] >= min_talk) & rows["monitor_share_loo"].notna()]
    used = _clip(used.reset_index(drop=True))
    variable = TERMS[term]
    thin = too_thin(used, [variable] if term == "size" else [variable, "log_size"], spline_df)
    if thin:
        return _unfitted(term, metric, thin, used, rows, margin)
    try:
        return _fit_activity(used, rows, term, metric, spline_df, bootstrap_reps, margin, seed)
    except FIT_ERRORS as err:
        return _unfitted(term, metric, cannot_fit(err), used, rows, margin)


FIT_ERRORS = (np.linalg.LinAlgError, PerfectSeparationError, ValueError)
"""What a curve's fit raises on data too thin or too collinear for it."""


def cannot_fit(err: Exception) -> str:
    """The reason a curve is not estimable when its fit raised ``err``."""
    return f"the model cannot be fitted on this data: {why_unfitted(err)}"


MIN_MODEL_GROUPS = 5
"""A curve across groups, or within them, needs at least this many groups: fewer is an anecdote, not a curve."""


def too_thin(used: pd.DataFrame, variables: list[str], spline_df: int) -> str | None:
    """Why ``used`` is too thin for a spline curve (fewer than 5 groups, or too few distinct values); None if fine."""
    groups = used["group_id"].nunique() if len(used) else 0
    if groups < MIN_MODEL_GROUPS:
        return f"only {groups} group(s) with whole weeks to model (a curve needs {MIN_MODEL_GROUPS} or more)"
    for variable in variables:
        distinct = used[variable].nunique()
        if distinct < spline_df + 2:
            return (
                f"only {distinct} distinct values of {variable.removeprefix('log_')} (a curve needs {spline_df + 2}+)"
            )
    return None


def _missing_curve(term: str, reason: str, margin: float) -> Curve:
    """A curve that could not be fitted: no table, every optimum not estimable for ``reason``."""
    nan = float("nan")
    return Curve(
        term,
        pd.DataFrame(columns=["x", "level", "ci_low", "ci_high", "relative"], dtype=float),
        Estimate.missing(f"{term} at peak", reason),
        Estimate.missing(f"lower edge of the {margin:.0%} band", reason),
        Estimate.missing(f"upper edge of the {margin:.0%} band", reason),
        margin,
        nan,
        0,
        nan,
        False,
        np.array([]),
    )


def _unfitted(
    term: str, metric: str, reason: str, used: pd.DataFrame, rows: pd.DataFrame, margin: float
) -> ActivityFit:
    """An activity model that could not be fitted on this data, saying why."""
    return ActivityFit(
        metric,
        _missing_curve(term, reason, margin),
        pd.DataFrame(columns=["coef", "se", "ci_low", "ci_high"], dtype=float),
        len(used),
        int(used["group_id"].nunique()) if len(used) else 0,
        len(rows) - len(used),
        0,
        f"not fitted: {reason}",
    )


def _fit_activity(
    used: pd.DataFrame,
    rows: pd.DataFrame,
    term: str,
    metric: str,
    spline_df: int,
    bootstrap_reps: int,
    margin: float,
    seed: int,
) -> ActivityFit:
    """``activity_model`` on rows known to be thick enough (see there)."""
    splines = [
        spline_term(used, "log_size", spline_df),
        spline_term(used, "log_age", 3),
        spline_term(used, "log_tenure", 3),
    ]
    if term != "size":
        splines.insert(0, spline_term(used, TERMS[term], spline_df))
    used = used.assign(content_arm=_common_arms(used))
    controls = ["join_share", "C(channel)", "C(segment)", "C(month)"]
    arm_terms = _arm_terms(used)
    design = patsy.dmatrix(" + ".join(splines + controls + arm_terms), used, return_type="dataframe")
    if arm_terms and np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        design = patsy.dmatrix(" + ".join(splines + controls), used, return_type="dataframe")  # too few rows for it
    X = design.to_numpy()
    if metric == "messages_per_member":
        y, weights = used["member_messages"].to_numpy(float), np.ones(len(used))
    else:
        weights = used["members_in_week"].to_numpy(float)
        y = used["speakers"].to_numpy(float) / weights
    offset = np.log(used["size"].to_numpy())
    group_codes = pd.factorize(used["group_id"])[0]
    fit = _glm(metric, y, X, offset, weights).fit(cov_type="cluster", cov_kwds={"groups": group_codes})
    beta, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    to_level = np.exp if metric == "messages_per_member" else (lambda eta: 1 / (1 + np.exp(-eta)))

    variable = TERMS[term]
    values = _grid(used[variable])
    cols = term_columns(design.design_info, variable)
    grid = profile_grid(design.design_info, X, used.iloc[[0]], variable, values)
    x = np.exp(values) if term == "size" else values
    linear = grid @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", grid, cov, grid))
    peak, low, high, interior = _peak_and_band(x, linear, margin, to_level)
    level = to_level(linear)
    table = pd.DataFrame(
        {
            "x": x,
            "level": level,
            "ci_low": to_level(linear - 1.96 * se),
            "ci_high": to_level(linear + 1.96 * se),
            "relative": level / level.max(),
        }
    )
    boot = _bootstrap_fits(metric, y, X, offset, weights, group_codes, beta, bootstrap_reps, seed)
    draws = np.array([_peak_and_band(x, grid @ b, margin, to_level)[:3] for b in boot]).reshape(-1, 3)
    wald = fit.wald_test(np.eye(len(beta))[cols], scalar=True)

    def estimate(name: str, value: float, column: int) -> Estimate:
        return argmax_estimate(
            name,
            value,
            draws[:, column],
            bootstrap_reps,
            "cluster bootstrap of groups",
            (float(x[0]), float(x[-1])),
            n=int(fit.nobs),
        )

    curve = Curve(
        term,
        table,
        estimate(f"{term} at peak {metric}", peak, 0),
        estimate(f"lower edge of the {margin:.0%} band", low, 1),
        estimate(f"upper edge of the {margin:.0%} band", high, 2),
        margin,
        float(wald.statistic),
        len(cols),
        float(wald.pvalue),
        interior,
        draws[:, 0],
    )
    sd = np.sqrt(np.diag(cov))
    coefficients = pd.DataFrame(
        {"coef": beta, "se": sd, "ci_low": beta - 1.96 * sd, "ci_high": beta + 1.96 * sd}, index=design.columns
    )
    family = "Poisson (quasi-likelihood), offset ln(size)" if metric == "messages_per_member" else "binomial (logit)"
    return ActivityFit(
        metric,
        curve,
        coefficients,
        len(used),
        int(group_codes.max() + 1),
        len(rows) - len(used),
        len(boot),
        f"{family} GLM, natural cubic splines, errors clustered by group",
    )


def _irls(
    metric: str,
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray,
    weights: np.ndarray,
    start: np.ndarray,
    max_iter: int = 25,
    tol: float = 1e-8,
    frequency: np.ndarray | None = None,
) -> np.ndarray:
    """The GLM's coefficients by iteratively reweighted least squares (the lean loop the bootstrap needs).

    ``frequency``: how many times each row counts (a resample's rows drawn more than once).
    """
    beta = start.copy()
    counted = np.ones(len(y)) if frequency is None else frequency
    for _ in range(max_iter):
        eta = X @ beta + (offset if metric == "messages_per_member" else 0.0)
        if metric == "messages_per_member":
            mu = np.exp(eta)
            working, z = mu, (y - mu) / np.maximum(mu, 1e-12)
        else:
            mu = 1 / (1 + np.exp(-eta))
            variance = np.maximum(mu * (1 - mu), 1e-12)
            working, z = weights * variance, (y - mu) / variance
        working = working * counted
        step = solve_or_drop(weighted_gram(X, working), X.T @ (working * z))
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def _bootstrap_fits(
    metric: str,
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray,
    weights: np.ndarray,
    group_codes: np.ndarray,
    start: np.ndarray,
    reps: int,
    seed: int,
) -> list[np.ndarray]:
    """Coefficients refitted on ``reps`` resamples of whole groups (with replacement).

    A resample without some category level (a rare month, channel or segment) leaves its
    column all zero; that coefficient is dropped for the resample, as R's ``glm`` does,
    which leaves the curve's shape, and so the peak and band, untouched.
    """
    out = []
    for index, _ in group_resamples(group_codes, reps, seed):
        rows, count = resample_weights(index, len(y))  # a group drawn twice: its rows counted twice
        try:
            beta = _irls(metric, y[rows], X[rows], offset[rows], weights[rows], start, frequency=count)
        except np.linalg.LinAlgError:
            continue  # a resample without some category level: its column is all zero
        if np.all(np.isfinite(beta)):
            out.append(beta)
    return out


@dataclass(frozen=True)
class WithinFit:
    """The within-group (group fixed effects) size curve: only changes of size over time inform it."""

    curve: pd.DataFrame  # x, relative, ci_low, ci_high: messages per member-week relative to the peak
    peak: Estimate
    flat_chi2: float
    flat_df: int
    flat_p: float
    interior: bool
    groups: int
    rows_used: int

    @property
    def detected(self) -> bool:
        """A peak is reported only if flatness is rejected at 5% and the peak is inside the range."""
        return self.flat_p < 0.05 and self.interior

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


def within_group_size_curve(
    rows: pd.DataFrame, spline_df: int = 8, bootstrap_reps: int = 200, seed: int = 0
) -> WithinFit:
    """Messages per member-week on size with group fixed effects (Poisson), adjusted for age and tenure.

    Channel, segment and everything else constant within a group drop out with the
    fixed effects; calendar month is left out too, as within a group it moves with age.
    The peak's CI is from a cluster bootstrap as in ``activity_model``.
    """
    used = _clip(rows[rows.groupby("group_id")["member_messages"].transform("sum") > 0].reset_index(drop=True))
    thin = too_thin(used, ["log_size"], spline_df) or unchanging(used)
    if thin:
        return missing_within(thin, used)
    try:
        return _fit_within(used, spline_df, bootstrap_reps, seed)
    except FIT_ERRORS as err:
        return missing_within(cannot_fit(err), used)


NO_TALK = "no member wrote a message in a whole week of a group (only system rows or operators), so no member is a KOC"


def unchanging(used: pd.DataFrame) -> str | None:
    """Why a within-group curve has no variation to rest on (fewer than 5 groups changed size); None if fine."""
    changed = int((used.groupby("group_id")["size"].nunique() > 1).sum()) if len(used) else 0
    if changed < MIN_MODEL_GROUPS:
        return (
            f"only {changed} group(s) changed size over the data; a within-group curve rests on changes of size "
            f"and needs {MIN_MODEL_GROUPS} or more"
        )
    return None


def unmeasured_activity(rows: pd.DataFrame, term: str, metric: str, reason: str, margin: float = 0.9) -> ActivityFit:
    """An activity curve not fitted because the data cannot measure its term (e.g. sizes that never changed)."""
    return _unfitted(term, metric, reason, rows.iloc[:0], rows, margin)


def unmeasured_kocs(reason: str, at_least: int = 2, split: float = 150.0) -> KocEmergence:
    """KOC emergence by size, not estimable for ``reason``."""
    return KocEmergence(
        pd.DataFrame(columns=["size_band", "share", "ci_low", "ci_high", "group_weeks", "groups"]),
        Estimate.missing(f"P({at_least}+ KOCs), size < {split:g}", reason),
        Estimate.missing(f"P({at_least}+ KOCs), size >= {split:g}", reason),
    )


def missing_within(reason: str, used: pd.DataFrame) -> WithinFit:
    """A within-group curve that could not be fitted, saying why."""
    nan = float("nan")
    return WithinFit(
        pd.DataFrame(columns=["x", "relative", "ci_low", "ci_high"], dtype=float),
        Estimate.missing("size at peak messages per member (within groups)", reason),
        nan,
        0,
        nan,
        False,
        int(used["group_id"].nunique()) if len(used) else 0,
        len(used),
    )


def _fit_within(used: pd.DataFrame, spline_df: int, bootstrap_reps: int, seed: int) -> WithinFit:
    """``within_group_size_curve`` on rows known to be thick enough (see there)."""
    formula = " + ".join(
        [
            "0",
            spline_term(used, "log_size", spline_df),
            spline_term(used, "log_age", 3),
            spline_term(used, "log_tenure", 3),
        ]
    )
    design = patsy.dmatrix(formula, used, return_type="dataframe")
    y = used["member_messages"].to_numpy(float)
    offset = np.log(used["size"].to_numpy())
    groups = pd.factorize(used["group_id"])[0]
    X = np.hstack([design.to_numpy(), _within_arm_columns(used, design.to_numpy(), groups)])
    beta, cov = poisson_fixed_effects(y, X, offset, groups)
    info = design.design_info
    cols = term_columns(info, "log_size")
    values = _grid(used["log_size"])
    basis = grid_design(info, used.iloc[[0]].copy(), "log_size", values)[:, cols]
    linear = basis @ beta[cols]
    top = int(np.argmax(linear))
    contrast = basis - basis[top]
    se = np.sqrt(np.einsum("ij,jk,ik->i", contrast, cov[np.ix_(cols, cols)], contrast))
    x = np.exp(values)
    curve = pd.DataFrame(
        {
            "x": x,
            "relative": np.exp(linear - linear[top]),
            "ci_low": np.exp(linear - linear[top] - 1.96 * se),
            "ci_high": np.exp(linear - linear[top] + 1.96 * se),
        }
    )
    b = beta[cols]
    chi2 = float(b @ np.linalg.solve(cov[np.ix_(cols, cols)], b))
    p_value = float(chi2_dist.sf(chi2, len(cols)))

    n_groups = groups.max() + 1
    peaks = []
    for index, _ in group_resamples(groups, bootstrap_reps, seed):
        rows, count = resample_weights(index, len(y))  # a group drawn twice: its rows counted twice
        try:
            draw, _ = poisson_fixed_effects(
                y[rows], X[rows], offset[rows], groups[rows], weights=count, start=beta, covariance=False
            )
        except np.linalg.LinAlgError:
            continue
        peaks.append(x[int(np.argmax(basis @ draw[cols]))])
    peak = argmax_estimate(
        "size at peak messages per member (within groups)",
        float(x[top]),
        peaks,
        bootstrap_reps,
        "Poisson with group fixed effects, cluster bootstrap of groups",
        (float(x[0]), float(x[-1])),
        n=len(used),
    )
    return WithinFit(curve, peak, chi2, len(cols), p_value, 0 < top < len(x) - 1, int(n_groups), len(used))


def scatter_sample(rows: pd.DataFrame, metric: str, n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random sample of group-weeks for a scatter, and a LOWESS smoother of ``metric`` on ln size over all rows.

    The smoother is unadjusted (no controls): the raw shape, to read beside the model.
    """
    sample = rows.sample(min(n, len(rows)), random_state=seed)[["size", metric]]
    ordered = rows[["log_size", metric]].dropna().sort_values("log_size")
    step = max(1, len(ordered) // 6000)  # LOWESS is O(n^2) in the window: thin very long panels
    thinned = ordered.iloc[::step]
    smooth = sm.nonparametric.lowess(thinned[metric], thinned["log_size"], frac=0.3, return_sorted=True)
    return sample, pd.DataFrame({"x": np.exp(smooth[:, 0]), metric: smooth[:, 1]})
