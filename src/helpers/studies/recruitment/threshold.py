"""The recruitment-window threshold: from which group age does waiting in an unfilled group drive early members out?

Claim 2 says early joiners leave once recruitment lasts beyond about 4 weeks. Made
measurable: early members' exit hazard is higher on the days their group is older than
a threshold c and has not yet reached its fill size ("waiting"). The model is a
piecewise-exponential survival model on cells of group x day of the group's age x tenure
band: exits against member-days at risk, with

    log hazard = group + tenure band + spline(ln headcount that day) + spline(age) + b x waiting(c).

The group terms absorb everything constant within a group (audience, channel, target,
mix); the tenure bands take new members' higher hazard; the headcount spline takes the
effect of size, which changes day by day and is low exactly while a group waits (claim
1); the age spline takes what changes with age in every group alike (content stages,
seasonality of a cohort of groups). b, the log hazard ratio of waiting, is then the
extra hazard of groups still unfilled past age c against groups of the same age that
filled. Each candidate c is one fit; the threshold is
the best-fitting c, its CI the set Hansen's likelihood-ratio rule does not reject. Whether
there is any threshold effect is a one-sided sup-score test over all candidates with
group-clustered multiplier-bootstrap critical values (the threshold is not identified
without an effect, so the best candidate's own Wald test would over-reject).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.stats import conditional_poisson
from helpers.stats.estimate import Estimate, plain_fields
from helpers.stats.failures import why_unfitted
from helpers.stats.glm import spline_columns
from helpers.studies.recruitment.models import Z95

TENURE_EDGES = (0.0, 2.0, 4.0, 7.0, 10.0, 14.0, 21.0, 28.0, 42.0)
"""Lower edges (days since joining) of the tenure bands; new members' hazard falls fast in the first weeks."""

SPLINE_DF = 4
"""Columns of each natural spline (in ln headcount and in the group's age)."""

MIN_GROUPS_WITH_EXITS = 10
"""The model needs early exits in at least this many groups."""

MIN_WAITING_GROUPS = 3
"""A candidate is fitted only if early members left while waiting in at least this many groups (errors are by group)."""

HANSEN_95 = -2 * np.log(1 - np.sqrt(0.95))
"""7.35: the 95% critical value of the likelihood ratio for a threshold (Hansen 2000, Econometrica 68, eq. 3.3)."""

NAME = "recruitment-window threshold (days)"
EFFECT = "early members' exit hazard ratio while the group is past the threshold and unfilled"


def exit_cells(early: pd.DataFrame, curves: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """Early members' exits and member-days at risk per group, day of the group's age and tenure band.

    Each early member is followed from joining to her first exit, the data's end or
    ``horizon_days`` after joining, whichever comes first; ``members`` is the group's
    headcount that day (``measures.recruitment_curves``, its last day carried forward).
    """
    start = early["joined_day"].to_numpy(float)
    followed = np.minimum(early["duration_days"].to_numpy(float), horizon_days)
    stop = start + followed
    exited = early["left"].to_numpy(bool) & (early["duration_days"].to_numpy(float) <= horizon_days)
    first, last = np.floor(start).astype(np.int64), np.floor(stop).astype(np.int64)
    days_each = last - first + 1
    member = np.repeat(np.arange(len(early)), days_each)
    day = np.repeat(first, days_each) + (
        np.arange(len(member)) - np.repeat(np.cumsum(days_each) - days_each, days_each)
    )
    low = np.maximum(start[member], day)
    high = np.minimum(stop[member], day + 1)
    edges = np.asarray(TENURE_EDGES)
    band = np.searchsorted(edges, low - start[member], side="right") - 1
    next_edge = np.append(edges, np.inf)[band + 1] + start[member]
    split = next_edge < high  # a tenure edge inside the day: two pieces (edges are at least a day apart)
    exits = (exited[member] & (day == last[member])).astype(float)
    group = early["group_id"].to_numpy()[member]
    pieces = pd.DataFrame(
        {
            "group_id": np.concatenate([group, group[split]]),
            "day": np.concatenate([day, day[split]]),
            "band": np.concatenate([band, band[split] + 1]),
            "exits": np.concatenate([np.where(split, 0.0, exits), exits[split]]),
            "days": np.concatenate([np.where(split, next_edge, high) - low, high[split] - next_edge[split]]),
        }
    )
    cells = pieces[(pieces["days"] > 0) | (pieces["exits"] > 0)]
    cells = cells.groupby(["group_id", "day", "band"], as_index=False, sort=True)[["exits", "days"]].sum()
    last_day = int(curves["day"].max()) if len(curves) else 0
    headcount = curves.set_index(["group_id", "day"])["members"]
    at = pd.MultiIndex.from_arrays([cells["group_id"], cells["day"].clip(upper=last_day)])
    cells["members"] = headcount.reindex(at).to_numpy()
    cells["members"] = cells["members"].fillna(1).clip(lower=1)
    return cells[cells["days"] > 0].reset_index(drop=True)


@dataclass(frozen=True)
class Threshold:
    """The threshold fit: profile, the threshold with its CI, the effect of waiting and the test that there is one."""

    profile: pd.DataFrame  # threshold_days, deviance (lower is better), hazard_ratio, ci_low, ci_high per candidate
    threshold: Estimate  # best candidate, Hansen likelihood-ratio set
    effect: Estimate  # hazard ratio of waiting at the best candidate, group-clustered CI
    p_value: float | None  # one-sided sup-score test of any waiting effect, over all candidates
    detected: bool  # the test rejects at 5% and the effect's CI lies above 1

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


def _missing(why: str) -> Threshold:
    """A threshold result that says why it cannot be estimated."""
    empty = pd.DataFrame(columns=["threshold_days", "deviance", "hazard_ratio", "ci_low", "ci_high"], dtype=float)
    return Threshold(empty, Estimate.missing(NAME, why), Estimate.missing(EFFECT, why), None, False)


def threshold_set(candidates: np.ndarray, deviance: np.ndarray, scale: float, n: int) -> Estimate:
    """The candidates whose scaled deviance lies within Hansen's 95% critical value of the best, as an interval.

    The likelihood ratio for a threshold is not chi-square: Hansen (2000) gives its limit,
    whose 95% point is 7.35. The deviance is divided by ``scale`` (at least 1): the ratio of
    the group-clustered to the model variance of the waiting effect, Hansen's correction
    when the model variance is wrong. The interval is the hull of the accepted candidates
    widened by half the grid step; where the lowest candidate is accepted it reaches down to
    0 days and where the highest is, it is open above: the data cannot rule out a threshold
    beyond the range searched.
    """
    finite = np.where(np.isfinite(deviance), deviance, np.inf)
    scaled = (finite - np.min(finite)) / scale
    accepted = candidates[scaled <= HANSEN_95]
    step = float(np.min(np.diff(candidates))) / 2 if len(candidates) > 1 else 0.5
    low = 0.0 if accepted.min() <= candidates.min() else float(accepted.min()) - step
    high = np.inf if accepted.max() >= candidates.max() else float(accepted.max()) + step
    best = float(candidates[int(np.argmin(finite))])
    method = (
        "piecewise-exponential model of early members' exits with group terms; 95% profile likelihood-ratio set "
        f"(Hansen's critical value {HANSEN_95:.2f}, deviance scaled by {scale:.2f} for clustering)"
    )
    return Estimate(NAME, best, low, high, method, n=n)


def _design(cells: pd.DataFrame) -> np.ndarray:
    """Tenure-band indicators (first band present as reference) and splines in ln headcount and age."""
    frame = cells.assign(log_members=np.log(cells["members"].astype(float)), age=cells["day"] + 0.5)
    bands = np.sort(frame["band"].unique())
    columns = [(frame["band"].to_numpy() == b).astype(float) for b in bands[1:]]
    for variable in ("log_members", "age"):
        columns.extend(spline_columns(frame[variable].to_numpy(float), SPLINE_DF).T)
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


def _waiting(cells: pd.DataFrame, windows: pd.DataFrame, candidates: np.ndarray) -> np.ndarray:
    """Cells x candidates: 1 where the day's middle is past the candidate age and before the group filled."""
    window = cells["group_id"].map(windows.set_index("group_id")["window_days"]).astype(float).fillna(np.inf)
    middle = cells["day"].to_numpy(float)[:, None] + 0.5
    return ((middle > candidates[None, :]) & (middle < window.to_numpy()[:, None])).astype(float)


def _hazard_ratio(fit: conditional_poisson.PoissonFit) -> tuple[float, float, float]:
    """The waiting column's hazard ratio (the last coefficient) with its group-clustered 95% CI."""
    b, se = float(fit.beta[-1]), float(np.sqrt(max(fit.robust_covariance()[-1, -1], 0.0)))
    return float(np.exp(b)), float(np.exp(b - Z95 * se)), float(np.exp(b + Z95 * se))


def sup_score_test(
    null: conditional_poisson.PoissonFit,
    exits: np.ndarray,
    X: np.ndarray,
    Z: np.ndarray,
    strata: np.ndarray,
    draws: int,
    seed: int,
) -> float:
    """One-sided p-value of the largest clustered score statistic over the columns of Z (Hansen 1996 multipliers).

    Each stratum's efficient score is multiplied by a standard normal draw; the share of
    draws whose largest statistic reaches the observed one is the p-value. It accounts
    for searching over all candidates, which a test at the best candidate does not.
    """
    scores = conditional_poisson.efficient_scores(null, exits, X, Z, strata)
    spread = np.sqrt(np.sum(scores**2, axis=0))
    usable = spread > 0
    scores, spread = scores[:, usable], spread[usable]
    observed = float(np.max(scores.sum(axis=0) / spread))
    rng = np.random.default_rng(seed)
    exceed = 0
    for chunk in np.array_split(np.arange(draws), max(1, draws // 500)):
        multipliers = rng.standard_normal((len(chunk), scores.shape[0]))
        exceed += int(np.sum(np.max(multipliers @ scores / spread, axis=1) >= observed))
    return (exceed + 1) / (draws + 1)


def threshold_estimate(
    early: pd.DataFrame,
    windows: pd.DataFrame,
    curves: pd.DataFrame,
    horizon_days: float,
    candidates: np.ndarray | None = None,
    draws: int = 2000,
    seed: int = 0,
) -> Threshold:
    """Profile the threshold over candidate ages (days), with its likelihood-ratio set, effect and sup-score test."""
    cells = exit_cells(early, curves, horizon_days)
    n_groups = int((cells.groupby("group_id")["exits"].sum() > 0).sum())
    if n_groups < MIN_GROUPS_WITH_EXITS:
        return _missing(f"early members left in only {n_groups} group(s) (the model needs {MIN_GROUPS_WITH_EXITS}+)")
    candidates = np.arange(7.0, 85.0) if candidates is None else np.asarray(candidates, float)
    Z = _waiting(cells, windows, candidates)
    exits = cells["exits"].to_numpy(float)
    strata = pd.factorize(cells["group_id"])[0]
    waiting_exits = conditional_poisson.stratum_sums(exits[:, None] * Z, strata, int(strata.max()) + 1)
    usable = (np.sum(waiting_exits > 0, axis=0) >= MIN_WAITING_GROUPS) & (waiting_exits.sum(axis=0) < exits.sum())
    if not usable.any():
        return _missing(
            f"early members left while their group was past a candidate age and still unfilled in fewer than "
            f"{MIN_WAITING_GROUPS} groups"
        )
    candidates, Z = candidates[usable], Z[:, usable]
    X = _design(cells)
    try:
        return _fit_profile(cells, X, Z, strata, candidates, draws, seed, n_groups)
    except (np.linalg.LinAlgError, ValueError) as err:
        return _missing(f"the threshold model cannot be fitted on this data: {why_unfitted(err)}")


def _fit_profile(
    cells: pd.DataFrame,
    X: np.ndarray,
    Z: np.ndarray,
    strata: np.ndarray,
    candidates: np.ndarray,
    draws: int,
    seed: int,
    n_groups: int,
) -> Threshold:
    """The fits at every candidate, the best one's effect and set, and the sup-score test."""
    exits, days = cells["exits"].to_numpy(float), cells["days"].to_numpy(float)
    null = conditional_poisson.fit(exits, days, X, strata)
    deviance, fits, start = [], [], np.append(null.beta, 0.0)
    for k in range(len(candidates)):
        fit = conditional_poisson.fit(exits, days, np.column_stack([X, Z[:, k]]), strata, start=start)
        start = fit.beta
        variance = fit.model_covariance()[-1, -1]
        usable = fit.converged and np.isfinite(fit.loglik) and variance > 0
        deviance.append(-2 * fit.loglik if usable else np.inf)
        fits.append(fit)
    deviance = np.array(deviance)
    bounds = np.array([_hazard_ratio(fit) for fit in fits])
    bounds[~np.isfinite(deviance)] = np.nan
    if not np.isfinite(deviance).any():
        return _missing("the threshold model does not converge at any candidate age on this data")
    best = int(np.argmin(deviance))
    fit = fits[best]
    robust, model = fit.robust_covariance()[-1, -1], fit.model_covariance()[-1, -1]
    threshold = threshold_set(candidates, deviance, max(1.0, float(robust / model)), n_groups)
    effect = Estimate(
        EFFECT,
        *bounds[best],
        "piecewise-exponential model with group terms, at the best threshold; CI clustered by group (sandwich)",
        n=n_groups,
    )
    p_value = sup_score_test(null, exits, X, Z, strata, draws, seed)
    detected = p_value < 0.05 and effect.ci_low > 1
    profile = pd.DataFrame({"threshold_days": candidates, "deviance": deviance})
    profile[["hazard_ratio", "ci_low", "ci_high"]] = bounds
    return Threshold(profile, threshold, effect, p_value, bool(detected))
