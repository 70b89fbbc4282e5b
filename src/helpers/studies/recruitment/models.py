"""Early members' churn against the recruitment window: binned shares, slow-vs-fast contrasts and models.

Input is ``measures.early_members`` (one row per early member). The window is a
property of the group, so members of one group are not independent: every interval here
treats groups as the units (design-effect-adjusted Wilson intervals, cluster-robust
ratios, models on group totals with robust errors, Cox errors clustered by group). The
threshold model is in ``threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from helpers.stats.clustered import clustered_ratio, wilson_clustered
from helpers.stats.cox import CoxDidNotConverge, fit_cox
from helpers.stats.estimate import Estimate, plain_fields
from helpers.stats.glm import profile_grid, spline_term
from helpers.stats.proportional_hazards import zph_for_fit

Z95 = NormalDist().inv_cdf(0.975)


def counted(early: pd.DataFrame) -> pd.DataFrame:
    """Early members whose horizon outcome is known (joined at least ``horizon`` days before the end)."""
    return early[early["counted"]]


def churn_by_bin(early: pd.DataFrame) -> pd.DataFrame:
    """Share of early members who left within the horizon, per window bin, with clustered Wilson CIs."""
    rows = []
    for label, part in counted(early).groupby("window_bin", observed=True):
        per_group = part.groupby("group_id")["exited"].agg(["sum", "count"])
        wilson = wilson_clustered(per_group["sum"], per_group["count"])
        rows.append(
            {
                "window_bin": str(label),
                "early_members": int(per_group["count"].sum()),
                "groups": len(per_group),
                "exit_share": wilson.share.value,
                "ci_low": wilson.share.ci_low,
                "ci_high": wilson.share.ci_high,
                "design_effect": wilson.design_effect,
            }
        )
    return pd.DataFrame(rows)


def _share_and_se(part: pd.DataFrame) -> tuple[float, float, int]:
    """Exit share over the members of ``part`` and its cluster-robust standard error; number of groups."""
    per_group = part.groupby("group_id")["exited"].agg(["sum", "count"])
    share = clustered_ratio(per_group["sum"], per_group["count"])
    return share.value, (share.value - share.ci_low) / Z95, len(per_group)


@dataclass(frozen=True)
class SlowFastContrast:
    """Early members' exit shares in slow- vs fast-filling groups, and their risk ratio."""

    risk_ratio: Estimate
    fast_share: float
    slow_share: float
    fast_members: int
    slow_members: int
    fast_groups: int
    slow_groups: int

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {**self.__dict__, "risk_ratio": self.risk_ratio.as_dict()}


def slow_vs_fast(early: pd.DataFrame, threshold_days: float = 28.0, include_never: bool = False) -> SlowFastContrast:
    """Risk ratio of leaving within the horizon, early members of slow- vs fast-filling groups, clustered CI.

    Slow = window longer than ``threshold_days``; with ``include_never`` groups that never
    filled count as slow too (they are slower than any window). Delta method on the log
    ratio; the two sets of groups are disjoint, so their errors are independent.
    """
    rows = counted(early)
    fast = rows[rows["filled"] & (rows["window_days"] <= threshold_days)]
    slow = rows[(rows["filled"] & (rows["window_days"] > threshold_days)) | (~rows["filled"] & include_never)]
    p_fast, se_fast, g_fast = _share_and_se(fast)
    p_slow, se_slow, g_slow = _share_and_se(slow)
    who = "slow or never filled" if include_never else "slow (filled)"
    name = f"risk ratio of exit, {who} vs fast (window <= {threshold_days:g} d)"
    if min(g_slow, g_fast) < 2 or not (p_fast > 0 and p_slow > 0):
        why = (
            f"{'slow' if g_slow < 2 else 'fast'} groups: {min(g_slow, g_fast)} (two or more needed)"
            if min(g_slow, g_fast) < 2
            else "no early member left in one of the two sets of groups: the ratio has no finite CI"
        )
        estimate = Estimate.missing(name, why, n=len(fast) + len(slow))
        return SlowFastContrast(estimate, p_fast, p_slow, len(fast), len(slow), g_fast, g_slow)
    ratio = p_slow / p_fast
    se_log = np.sqrt((se_slow / p_slow) ** 2 + (se_fast / p_fast) ** 2)
    estimate = Estimate(
        name,
        float(ratio),
        float(ratio * np.exp(-Z95 * se_log)),
        float(ratio * np.exp(Z95 * se_log)),
        "ratio of cluster-robust shares, delta method on the log",
        n=len(fast) + len(slow),
    )
    return SlowFastContrast(estimate, p_fast, p_slow, len(fast), len(slow), g_fast, g_slow)


def group_outcomes(early: pd.DataFrame, early_size: pd.Series) -> pd.DataFrame:
    """Per group: counted early members and how many left within the horizon, with the group's attributes.

    ``early_size`` (per group id) is the mean headcount the early members lived through
    (``measures.mean_members``); the threshold model adjusts for it.
    """
    rows = counted(early)
    out = (
        rows.groupby("group_id")
        .agg(
            exits=("exited", "sum"),
            members=("exited", "size"),
            window_days=("window_days", "first"),
            filled=("filled", "first"),
            target_size=("target_size", "first"),
            homogeneous=("homogeneous", "first"),
            channel=("channel", "first"),
            segment=("segment", "first"),
        )
        .reset_index()
    )
    out["log_target"] = np.log(out["target_size"].fillna(out["target_size"].median()).clip(lower=1))
    out["homogeneous"] = out["homogeneous"].astype(int)
    out["log_early_size"] = np.log(out["group_id"].map(early_size).fillna(1).clip(lower=1))
    return out


CONTROLS = "homogeneous + log_target + C(channel) + C(segment)"
"""Group attributes every recruitment model adjusts for."""

CONTROL_COLUMNS = {
    "homogeneous": "homogeneous",
    "log_target": "log_target",
    "C(channel)": "channel",
    "C(segment)": "segment",
}


def controls(groups: pd.DataFrame) -> str:
    """``CONTROLS`` without the attributes that do not vary across ``groups`` (one channel, no target size known)."""
    kept = [term for term, column in CONTROL_COLUMNS.items() if groups[column].nunique(dropna=True) > 1]
    return " + ".join(kept) or "1"


MIN_FILLED_GROUPS = 10
"""The recruitment models need at least this many groups that filled (about ten coefficients each)."""


def too_few_filled(filled: pd.DataFrame) -> str | None:
    """Why there are too few filled groups (with early members) to fit a recruitment model, or None."""
    if len(filled) >= MIN_FILLED_GROUPS:
        return None
    return f"only {len(filled)} group(s) with early members reached their target (the models need {MIN_FILLED_GROUPS}+)"


SIZE_CONTROLS = "log_early_size + I(log_early_size ** 2)"
"""The size the early members lived through: slow groups stay small longer, and size moves exits by itself."""


def _binomial(groups: pd.DataFrame, rhs: str) -> tuple[sm.GLM, patsy.DesignInfo]:
    """Binomial GLM of group exits out of early members on ``rhs``; one row per group."""
    X = patsy.dmatrix(rhs, groups, return_type="dataframe")
    endog = np.column_stack([groups["exits"], groups["members"] - groups["exits"]])
    return sm.GLM(endog, X, family=sm.families.Binomial()), X.design_info


def _fit_hc1(model: sm.GLM) -> tuple[pd.Series, pd.DataFrame]:
    """Coefficients and their HC1 covariance (HC0 x n / (n - k)).

    statsmodels' GLM returns HC0 when asked for HC1 (statsmodels issue 7798), so the
    small-sample factor is applied here, as R's ``sandwich::vcovHC(type = "HC1")`` does.
    """
    fit = model.fit(cov_type="HC0")
    n, k = fit.nobs, len(fit.params)
    return fit.params, fit.cov_params() * n / (n - k)


@dataclass(frozen=True)
class WindowCurve:
    """The logistic model's exit probability over the window, and the adjusted odds ratio slow vs fast."""

    curve: pd.DataFrame  # window_days, probability, ci_low, ci_high
    odds_ratio: Estimate  # slow vs fast, adjusted for the controls
    groups: int
    spline_df: int

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


def window_curve(groups: pd.DataFrame, spline_df: int = 4, threshold_days: float = 28.0) -> WindowCurve:
    """Exit probability by window (natural spline in ln window) with controls; errors robust by group.

    Each row is one group, so heteroscedasticity-robust errors on group totals are the
    cluster-robust errors of the member-level model. Only groups that filled have a window.
    """
    filled = groups[groups["filled"]].copy()
    filled["slow"] = (filled["window_days"] > threshold_days).astype(int)
    odds_ratio = _slow_odds_ratio(filled, threshold_days)
    curve = pd.DataFrame(columns=["window_days", "probability", "ci_low", "ci_high"], dtype=float)
    if not too_few_filled(filled) and filled["window_days"].nunique() >= spline_df + 2:
        try:
            curve = _window_probability(filled, spline_df)
        except (np.linalg.LinAlgError, ValueError):
            pass  # the spline and controls leave too little: no curve, the odds ratio can still stand
    return WindowCurve(curve, odds_ratio, len(filled), spline_df)


def _window_probability(filled: pd.DataFrame, spline_df: int) -> pd.DataFrame:
    """The exit probability over the window with its 95% band (``window_curve``'s spline model)."""
    filled = filled.copy()
    filled["log_window"] = np.log(filled["window_days"].clip(lower=0.5))
    low, high = filled["log_window"].quantile([0.01, 0.99])
    filled["log_window"] = filled["log_window"].clip(low, high)
    model, design = _binomial(filled, f"{spline_term(filled, 'log_window', spline_df)} + {controls(filled)}")
    params, cov = _fit_hc1(model)
    values = np.linspace(low, high, 200)
    grid = profile_grid(design, np.asarray(model.exog), filled.iloc[[0]], "log_window", values)
    eta = grid @ np.asarray(params)
    se = np.sqrt(np.einsum("ij,jk,ik->i", grid, np.asarray(cov), grid))
    expit = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return pd.DataFrame(
        {
            "window_days": np.exp(values),
            "probability": expit(eta),
            "ci_low": expit(eta - Z95 * se),
            "ci_high": expit(eta + Z95 * se),
        }
    )


def _one_kind_missing(slow_by_group: pd.Series, among: str = "") -> str | None:
    """Why slow and fast groups cannot be compared (fewer than two of one kind), or None if they can."""
    kinds = slow_by_group.astype(bool).value_counts()
    if kinds.get(True, 0) >= 2 and kinds.get(False, 0) >= 2:
        return None
    missing = "slow" if kinds.get(True, 0) < 2 else "fast"
    return f"fewer than two {missing} groups{among}"


def _slow_odds_ratio(filled: pd.DataFrame, threshold_days: float) -> Estimate:
    """Adjusted odds ratio of exit, slow vs fast groups; not estimable when one kind is missing or the fit is singular."""
    name = f"odds ratio of exit, slow (> {threshold_days:g} d) vs fast, adjusted"
    why = too_few_filled(filled) or _one_kind_missing(filled["slow"])
    if why:
        return Estimate.missing(name, why)
    try:
        params, cov = _fit_hc1(_binomial(filled, f"slow + {SIZE_CONTROLS} + {controls(filled)}")[0])
    except (np.linalg.LinAlgError, PerfectSeparationError, ValueError):
        return Estimate.missing(name, "the controls leave nothing to compare slow with fast groups (singular model)")
    b, s = params["slow"], float(np.sqrt(cov.loc["slow", "slow"]))
    return Estimate(
        name,
        float(np.exp(b)),
        float(np.exp(b - Z95 * s)),
        float(np.exp(b + Z95 * s)),
        "binomial GLM on group totals, heteroscedasticity-robust (HC1) errors",
        n=int(filled["members"].sum()),
    )


@dataclass(frozen=True)
class CoxResult:
    """Cox model of early members' time to exit: hazard ratio slow vs fast and the proportional-hazards test."""

    hazard_ratio: Estimate
    summary: pd.DataFrame
    ph_test: pd.DataFrame  # per covariate and GLOBAL: chi2, df, p (Grambsch-Therneau score test, R's cox.zph)

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


def cox_slow_vs_fast(
    early: pd.DataFrame, threshold_days: float = 28.0, follow_days: float = 180.0, early_size: pd.Series | None = None
) -> CoxResult:
    """Time from joining to first exit (censored at ``follow_days`` or the data's end), slow vs fast groups.

    Adjusted for homogeneity, ln target size and (with ``early_size``, per group id) a
    quadratic in ln of the headcount the early members lived through: slow groups stay
    small longer, and small groups lose members by themselves. Errors clustered by group (lifelines);
    groups that never filled are left out. The proportional-hazards test is reported
    beside the ratio: the planted effect acts only while a slow group is still unfilled,
    so the ratio is an average over follow-up, not a constant.
    """
    rows = early[early["filled"]]
    frame = pd.DataFrame(
        {
            "duration": rows["duration_days"].clip(upper=follow_days, lower=1e-3),
            "event": (rows["left"] & (rows["duration_days"] <= follow_days)).astype(int),
            "slow": (rows["window_days"] > threshold_days).astype(int),
            "homogeneous": rows["homogeneous"].astype(int),
            "log_target": np.log(rows["target_size"].fillna(rows["target_size"].median()).clip(lower=1)),
            "group_id": rows["group_id"],
        }
    )
    if early_size is not None:
        frame["log_early_size"] = np.log(rows["group_id"].map(early_size).fillna(1).clip(lower=1)).to_numpy()
        frame["log_early_size_sq"] = frame["log_early_size"] ** 2
    name = f"hazard ratio of exit, slow (> {threshold_days:g} d) vs fast"
    why = _one_kind_missing(frame.groupby("group_id")["slow"].first(), " among those that filled")
    if why:
        return CoxResult(Estimate.missing(name, why, n=len(frame)), pd.DataFrame(), pd.DataFrame())
    frame = frame.loc[:, frame.nunique() > 1]  # a constant covariate (e.g. every group homogeneous) is not estimable
    covariates = [c for c in frame.columns if c not in ("duration", "event", "group_id")]
    try:
        cph = fit_cox(
            frame["duration"], frame["event"], frame[covariates].to_numpy(float), covariates, frame["group_id"]
        )
    except (CoxDidNotConverge, np.linalg.LinAlgError) as err:
        why = f"the Cox model did not converge ({str(err).splitlines()[0][:80]})"
        return CoxResult(Estimate.missing(name, why, n=len(frame)), pd.DataFrame(), pd.DataFrame())
    summary = cph.summary
    row = summary.loc["slow"]
    estimate = Estimate.from_row(
        name,
        row,
        ("exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%"),
        "Cox model (Efron ties), errors clustered by group",
        n=len(frame),
    )
    return CoxResult(estimate, summary, zph_for_fit(cph, frame, "duration", "event"))
