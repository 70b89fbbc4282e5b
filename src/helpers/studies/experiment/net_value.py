"""The content trade-off as one number per arm: sales over a horizon against the members an arm drives out.

Promotion converts now and drives members out. Per arm, the value of a member present at
the start is what she buys while she stays within the horizon, plus, if she is still
there at its end, what a member is worth from then on at the control arm's rates:

    net value = v x (1 - exp(-h H)) / h  +  exp(-h H) x v_control / h_control

with v the arm's conversion value per member-week, h its weekly exit hazard (from the
30-day exit share, taken as constant: h = -ln(1 - q) x 7 / 30) and H the horizon in weeks.
A member lost early costs her future purchases; a member kept is valued alike in every
arm after the horizon, so the arms differ by what happens within it and by how many are
left. Undiscounted, with one value per member-week for all members of an arm: a
decision aid, not an accounting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.stats.bootstrap import argmax_estimate, percentile_estimate
from helpers.stats.estimate import Estimate, plain_fields

HORIZON_WEEKS = 26.0
"""Horizon of the net value (weeks): half a year of a member's purchases."""


RATE_COLUMNS = ["post_value", "post_member_days", "exits", "members"]
"""The group outcomes the net value is made of."""


def rates_from_totals(totals: pd.DataFrame) -> pd.DataFrame:
    """Value per member-week and 30-day exit share from per-arm totals of ``RATE_COLUMNS``."""
    days, members = totals["post_member_days"], totals["members"]
    return pd.DataFrame(
        {
            "value_per_member_week": 7 * totals["post_value"] / days.where(days > 0),
            "exit_30d": totals["exits"] / members.where(members > 0),
        }
    )


def arm_rates(groups: pd.DataFrame) -> pd.DataFrame:
    """Per arm: value per member-week and 30-day exit share (ratio estimators over the arm's groups)."""
    return rates_from_totals(groups.groupby("arm")[RATE_COLUMNS].sum())


def net_values(rates: pd.DataFrame, control: str, horizon_weeks: float = HORIZON_WEEKS) -> pd.Series:
    """Net value of a member present at the start, per arm (see the module's formula)."""
    share = rates["exit_30d"].clip(upper=1 - 1e-9)
    hazard = -np.log1p(-share) * 7 / 30
    value = rates["value_per_member_week"]
    safe = hazard.where(hazard > 0)
    within = (value * -np.expm1(-safe * horizon_weeks) / safe).fillna(value * horizon_weeks)
    h_c, v_c = hazard[control], value[control]
    after = v_c / h_c if h_c > 0 else np.nan
    return pd.Series(within + np.exp(-hazard * horizon_weeks) * after, index=rates.index)


def best_share(shares: pd.Series, values: pd.Series) -> float:
    """The promo share with the highest net value on a quadratic through the arms (an edge if it peaks outside).

    With two arms (or shares that do not vary) the better arm's share; with three or more a
    least-squares quadratic in the share, maximised over the range of shares tested.
    """
    frame = pd.DataFrame({"share": shares, "value": values}).dropna()
    if frame["share"].nunique() < 3:
        return float(frame.loc[frame["value"].idxmax(), "share"]) if len(frame) else float("nan")
    a, b, _ = np.polyfit(frame["share"], frame["value"], 2)
    low, high = float(frame["share"].min()), float(frame["share"].max())
    candidates = [low, high] + ([-b / (2 * a)] if a < 0 and low < -b / (2 * a) < high else [])
    return float(max(candidates, key=lambda x: a * x * x + b * x))


@dataclass(frozen=True)
class NetValue:
    """Net value per member at the start, per arm, and each arm's difference from control with its CI."""

    table: pd.DataFrame  # arm, net_value, value_per_member_week, exit_30d
    differences: dict[str, Estimate]  # arm -> net value minus control's
    best_arm: str | None  # the arm with the highest net value (None if not estimable)
    best_share: float  # share of bootstrap resamples in which it was the best
    horizon_weeks: float
    promo_share: Estimate  # the promo share that maximises net value (quadratic over arms), bootstrap CI

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        out = plain_fields(self)
        out["differences"] = {arm: e.as_dict() for arm, e in self.differences.items()}
        return out


def net_value(
    groups: pd.DataFrame,
    control: str,
    horizon_weeks: float = HORIZON_WEEKS,
    reps: int = 400,
    seed: int = 0,
    shares: pd.Series | None = None,
) -> NetValue:
    """Net value per arm, differences from control and the best promo share, by cluster bootstrap within arms.

    ``shares`` are the arms' measured promo shares (``models.arm_promo_shares``), held fixed
    in the resamples (they are the design); without them the best share is not estimated.
    """
    share_name = "promo share with the highest net value"
    rates = arm_rates(groups)
    values = net_values(rates, control, horizon_weeks)
    arms = [a for a in rates.index if a != control]
    name = "net value per member at the start: {arm} - control"
    if control not in rates.index or not np.isfinite(values[control]) or not arms:
        why = "the control arm's value or exit hazard cannot be measured" if arms else "no arm besides control"
        missing = {a: Estimate.missing(name.format(arm=a), why) for a in arms}
        return NetValue(pd.DataFrame(), missing, None, 0.0, horizon_weeks, Estimate.missing(share_name, why))
    rng = np.random.default_rng(seed)
    by_arm = {a: part[RATE_COLUMNS].to_numpy(float) for a, part in groups.groupby("arm")}
    draws = {a: [] for a in arms}
    best, peaks = [], []
    for _ in range(reps):
        totals = {a: x[rng.integers(0, len(x), len(x))].sum(axis=0) for a, x in by_arm.items()}
        v = net_values(rates_from_totals(pd.DataFrame(totals, index=RATE_COLUMNS).T), control, horizon_weeks)
        for a in arms:
            draws[a].append(v[a] - v[control])
        best.append(v.idxmax() if v.notna().all() else None)
        peaks.append(best_share(shares, v) if shares is not None else np.nan)
    method = f"cluster bootstrap, groups resampled within arms, horizon {horizon_weeks:g} weeks"
    differences = {
        a: percentile_estimate(
            name.format(arm=a), float(values[a] - values[control]), draws[a], reps, method, len(groups)
        )
        for a in arms
    }
    winner = str(values.idxmax()) if values.notna().all() else None
    table = rates.assign(net_value=values).reset_index()
    if shares is None or shares.reindex(rates.index).isna().any():
        promo = Estimate.missing(share_name, "the arms' promo shares are not known")
    else:
        edges = (float(shares.min()), float(shares.max()))
        promo = argmax_estimate(share_name, best_share(shares, values), peaks, reps, method, edges, len(groups))
    return NetValue(table, differences, winner, float(np.mean([b == winner for b in best])), horizon_weeks, promo)
