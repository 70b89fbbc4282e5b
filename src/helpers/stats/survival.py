"""Membership survival on a member table: N-day retention, Kaplan-Meier, log-rank.

Input is ``measures.members.member_table``: one row per member in a group with
``duration_days`` (first join to final leave, or to the data's end) and ``left``
(False: still a member, censored), and optionally ``entry_days``: days from the join to
when the data began to see the stay (left truncation; 0 when seen from the join, NaN when
the join itself is unknown). Kaplan-Meier and Cox use delayed entry (a stay is at risk
only once seen), N-day retention counts the stays seen from their join, and stays whose
join is unknown are left out of all three. Estimators are lifelines' or checked against R;
intervals that compare groups of members treat the chat group as the unit of independence
where the method allows (clustered proportions, cluster-robust Cox errors, robust log-rank).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times
from scipy.stats import chi2

from helpers.stats.clustered import clustered_proportion
from helpers.stats.cox import score_test
from helpers.stats.estimate import plain_fields


def entry_days(members: pd.DataFrame) -> pd.Series:
    """Days from each member's join to when the data first saw her stay (0 when it saw the join; NaN: join unknown)."""
    if "entry_days" in members:
        return members["entry_days"].astype(float)
    return pd.Series(0.0, index=members.index)


def seen_from_join(members: pd.DataFrame) -> pd.DataFrame:
    """The members whose join the data saw (no left truncation): those N-day retention can count."""
    return members[entry_days(members) == 0]


def at_risk_from_entry(members: pd.DataFrame) -> pd.DataFrame:
    """The members whose join is known, ready for delayed entry (an entry at or past the exit has no time at risk)."""
    entry = entry_days(members)
    return members[entry.notna() & ((entry == 0) | (entry < members["duration_days"]))]


def n_day_retention(members: pd.DataFrame, days: int, end: pd.Timestamp, by: str | None = None) -> pd.DataFrame:
    """Share of members still in the group ``days`` days after their first join, with group-clustered CIs.

    Only members who joined at least ``days`` days before ``end`` count (younger ones cannot
    be judged yet). One row per value of ``by`` (or one row overall).
    """
    members = seen_from_join(members)
    eligible = members[members["joined_at"] <= end - pd.Timedelta(days=days)].copy()
    eligible["retained"] = eligible["duration_days"] >= days
    rows = []
    for level, part in eligible.groupby(by, observed=True) if by else [("all", eligible)]:
        per_group = part.groupby("group_id")["retained"].agg(["sum", "count"])
        share = clustered_proportion(per_group["sum"], per_group["count"])
        rows.append(
            {
                by or "members": level,
                "days": days,
                "retention": share.value,
                "ci_low": share.ci_low,
                "ci_high": share.ci_high,
                "members": int(per_group["count"].sum()),
                "groups": len(per_group),
            }
        )
    columns = dict.fromkeys([by or "members", "days", "retention", "ci_low", "ci_high", "members", "groups"])
    return pd.DataFrame(rows, columns=list(columns))


def retention_curve(members: pd.DataFrame, end: pd.Timestamp, days: np.ndarray) -> pd.DataFrame:
    """N-day retention for many N at once (point estimates, the definition of ``n_day_retention``).

    For each N: the share of members who joined at least N days before ``end`` whose first
    stay lasted at least N days; NaN where no member is old enough.
    """
    members = seen_from_join(members)
    room = (end - members["joined_at"]).dt.total_seconds().to_numpy() / 86_400
    duration = members["duration_days"].to_numpy()
    eligible = room[None, :] >= np.asarray(days, float)[:, None]
    retained = eligible & (duration[None, :] >= np.asarray(days, float)[:, None])
    counts = eligible.sum(axis=1)
    share = np.where(counts > 0, retained.sum(axis=1) / np.maximum(counts, 1), np.nan)
    return pd.DataFrame({"days": days, "retention": share, "members": counts})


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan-Meier curves (tidy), numbers at risk at chosen days, and median durations with CIs."""

    curves: pd.DataFrame  # level, days, survival, ci_low, ci_high
    at_risk: pd.DataFrame  # level x day: members still at risk
    medians: pd.DataFrame  # level, median_days, ci_low, ci_high (inf: not reached)
    by: str | None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)


def kaplan_meier(
    members: pd.DataFrame, by: str | None = None, at_risk_days: tuple[int, ...] = (0, 30, 60, 90, 180, 270)
) -> KaplanMeier:
    """Kaplan-Meier membership survival per value of ``by``, with 95% bands (lifelines, log-log); delayed entry."""
    members = at_risk_from_entry(members)
    curves, risk, medians = [], {}, []
    parts = members.groupby(by, observed=True) if by else [("all", members)]
    for level, part in parts:
        if part.empty:  # no member at all (every stay an operator's): no curve, and a median that says so
            nan = math.nan
            medians.append({"level": str(level), "median_days": nan, "ci_low": nan, "ci_high": nan, "members": 0})
            continue
        entry = entry_days(part)
        kmf = KaplanMeierFitter().fit(
            part["duration_days"].astype(float),
            part["left"].astype(bool),
            entry=entry if (entry > 0).any() else None,
            label=str(level),
        )
        band = kmf.confidence_interval_survival_function_
        curves.append(
            pd.DataFrame(
                {
                    "level": str(level),
                    "days": kmf.survival_function_.index.to_numpy(),
                    "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                    "ci_low": band.iloc[:, 0].to_numpy(),
                    "ci_high": band.iloc[:, 1].to_numpy(),
                }
            )
        )
        durations, entered = part["duration_days"].to_numpy(), entry.to_numpy()
        risk[str(level)] = {d: int(((durations >= d) & (entered <= d)).sum()) for d in at_risk_days}
        median_ci = median_survival_times(kmf.confidence_interval_)
        medians.append(
            {
                "level": str(level),
                "median_days": float(kmf.median_survival_time_),
                "ci_low": float(median_ci.iloc[0, 0]),
                "ci_high": float(median_ci.iloc[0, 1]),
                "members": len(part),
            }
        )
    at_risk = pd.DataFrame(risk, index=list(at_risk_days)).T
    at_risk.columns.name = "days since join"
    columns = ["level", "days", "survival", "ci_low", "ci_high"]
    curves_frame = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=columns, dtype=float)
    return KaplanMeier(curves_frame, at_risk, pd.DataFrame(medians), by)


@dataclass(frozen=True)
class LogRankTest:
    """Log-rank test of equal survival across the levels of one attribute: naive, and robust to chat groups."""

    by: str
    statistic: float  # members taken as independent (R's survdiff; with delayed entry, coxph's score test)
    df: int
    p_value: float
    levels: int
    reason: str | None = None  # why there is no test (e.g. one level)
    robust_statistic: float = float("nan")  # the same score test, its variance summed by group (Lin-Wei)
    robust_p_value: float = float("nan")
    groups: int = 0

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return asdict(self)


def logrank(members: pd.DataFrame, by: str, cluster: str | None = "group_id") -> LogRankTest:
    """Log-rank test that membership survival is the same for every value of ``by``, naive and cluster-adjusted.

    The naive test treats members as independent; members of one group are not, so its
    p-value is too small when groups differ for reasons of their own. The robust test is
    the Cox score test at zero with its variance summed by ``cluster`` (R's
    ``coxph(... + cluster(g))$rscore``, Breslow ties): read that one. With delayed entry
    both are score tests over the stays' time at risk. One level: no test, and why.
    """
    members = at_risk_from_entry(members)
    levels = int(members[by].nunique())
    if levels < 2:
        return LogRankTest(by, float("nan"), 0, float("nan"), levels, f"every member's group has the same {by}")
    if not members["left"].any():
        return LogRankTest(by, float("nan"), 0, float("nan"), levels, "no member left, so there is nothing to compare")
    entry = entry_days(members)
    delayed = bool((entry > 0).any())
    codes = pd.get_dummies(members[by].astype(str)).iloc[:, 1:].to_numpy(float)
    groups = int(members[cluster].nunique()) if cluster else 0
    score = score_test(
        members["duration_days"].to_numpy(float),
        members["left"].to_numpy(bool),
        codes,
        members[cluster].to_numpy() if cluster and groups >= 2 else None,
        entry.to_numpy(float) if delayed else None,
    )
    df = levels - 1
    if delayed:
        statistic = score.statistic
    else:
        statistic = float(
            multivariate_logrank_test(members["duration_days"], members[by].astype(str), members["left"]).test_statistic
        )
    robust = score.robust_statistic
    return LogRankTest(
        by,
        float(statistic),
        df,
        float(chi2.sf(statistic, df)),
        levels,
        None if math.isfinite(robust) else "a test robust to chat groups needs more groups than levels, with exits",
        float(robust),
        float(chi2.sf(robust, df)) if math.isfinite(robust) else float("nan"),
        groups,
    )


COX_FIT_OPTIONS = {"precision": 1e-12, "r_precision": 1e-14}
"""lifelines' Newton-Raphson stopping rules, tightened: its defaults stop about 2e-6 (relative) short of
R's ``coxph`` estimate; Newton converges quadratically, so this costs a step or two."""
