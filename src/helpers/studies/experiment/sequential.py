"""The experiment read week by week: each look's effect with a fixed 95% CI and an always-valid confidence sequence.

At each calendar week from the experiment's start, every group's outcome is summed over
its weeks from assignment to that week (the group-week panel), and each arm's effect is
estimated as the final analysis does (ratio of sums, groups as units, stratified
jackknife, Welch t). The always-valid interval uses the same estimate and variance in a
normal-mixture confidence sequence (``stats.sequential``), tuned to the last look's
variance: a team that stops the first week an interval excludes zero should read that one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy.stats import t as student_t

from helpers.stats.estimate import plain_fields
from helpers.stats.sequential import mixing_variance, sequence_half_width
from helpers.studies.experiment import models

WATCHED = {
    # outcome: (panel numerator, models.OUTCOMES entry it is estimated as)
    "exits_per_member_week": "exits",
    "interaction_rate": "speakers",
}
MIN_GROUPS = 3
"""Groups an arm needs at a look before that look is read."""


@dataclass(frozen=True)
class SequentialReadout:
    """Per look, arm and outcome: the effect, its fixed 95% CI and its always-valid 95% interval."""

    table: pd.DataFrame  # week, weeks, outcome, arm, effect, ci_low, ci_high, cs_low, cs_high, groups
    alpha: float
    reason: str | None = None

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return plain_fields(self)

    def first_excluding_zero(self, outcome: str, arm: str, column: str = "cs") -> int | None:
        """Weeks from the start to the first look whose interval (``cs`` or ``ci``) excludes zero, or None."""
        rows = self.table[(self.table["outcome"] == outcome) & (self.table["arm"] == arm)]
        hit = rows[(rows[f"{column}_low"] > 0) | (rows[f"{column}_high"] < 0)]
        return None if hit.empty else int(hit["weeks"].iloc[0])


def _look(groups: pd.DataFrame, weeks: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    """The groups with post-assignment sums over their weeks up to ``until`` (inclusive)."""
    part = weeks[weeks["week"] <= until].groupby("group_id")[["exits", "speakers", "members_in_week"]].sum()
    part = part.rename(
        columns={"exits": "post_exits_w", "speakers": "post_speakers", "members_in_week": "post_member_weeks"}
    )
    frame = groups.drop(columns=list(part.columns), errors="ignore")
    frame = frame.merge(part, left_on="group_id", right_index=True, how="left")
    frame[list(part.columns)] = frame[list(part.columns)].fillna(0)
    return frame


def sequential_readout(
    groups: pd.DataFrame, panel: pd.DataFrame, arms: list[str], control: str, alpha: float = 0.05, cuped: bool = True
) -> SequentialReadout:
    """Every weekly look's effects (``WATCHED`` outcomes) with fixed and always-valid intervals."""
    columns = ["week", "weeks", "outcome", "arm", "effect", "ci_low", "ci_high", "cs_low", "cs_high", "se", "groups"]
    weeks = panel.merge(groups[["group_id", "assigned_at"]], on="group_id")
    weeks["week"] = pd.to_datetime(weeks["week"], utc=True)
    post = weeks[weeks["week"] >= weeks["assigned_at"]]
    pre = weeks[
        (weeks["week"] + pd.Timedelta(days=7) <= weeks["assigned_at"])
        & (weeks["week"] >= weeks["assigned_at"] - pd.Timedelta(days=90))
    ]
    pre_exits = pre.groupby("group_id")["exits"].sum().rename("pre_exits_w")
    groups = groups.drop(columns=["pre_exits_w"], errors="ignore").merge(
        pre_exits, left_on="group_id", right_index=True, how="left"
    )
    groups["pre_exits_w"] = groups["pre_exits_w"].fillna(0)
    # the last week is partial (the data ends in it): looks are whole weeks only
    looks = sorted(post["week"].unique())[:-1]
    if not looks:
        return SequentialReadout(pd.DataFrame(columns=columns), alpha, "no whole week after assignment to look at")
    start = looks[0]
    rows = []
    for week in looks:
        frame = _look(groups, post, week)
        for outcome in WATCHED:
            for arm in arms:
                in_arms = frame[frame["arm"].isin([arm, control]) & (frame["post_member_weeks"] > 0)]
                counts = in_arms["arm"].value_counts()
                if min(counts.get(arm, 0), counts.get(control, 0)) < MIN_GROUPS:
                    continue
                e = models.arm_effect(frame, outcome, arm, control, cuped=cuped)
                if e.effect.not_estimable or not math.isfinite(e.effect.ci_low):
                    continue
                se = (e.effect.ci_high - e.effect.ci_low) / 2 / float(student_t.ppf(0.975, e.dof))
                rows.append(
                    {
                        "week": week,
                        "weeks": int((week - start).days // 7) + 1,
                        "outcome": outcome,
                        "arm": arm,
                        "effect": e.effect.value,
                        "ci_low": e.effect.ci_low,
                        "ci_high": e.effect.ci_high,
                        "se": se,
                        "groups": int(len(in_arms)),
                    }
                )
    table = pd.DataFrame(rows, columns=[c for c in columns if c not in ("cs_low", "cs_high")])
    if table.empty:
        return SequentialReadout(pd.DataFrame(columns=columns), alpha, f"no look had {MIN_GROUPS}+ groups in each arm")
    parts = []
    for _, part in table.groupby(["outcome", "arm"], sort=False):
        positive = part["se"] > 0
        part = part[positive].copy()
        if part.empty:
            continue
        tau2 = mixing_variance(float(part["se"].iloc[-1] ** 2), alpha)
        half = sequence_half_width(part["se"].to_numpy() ** 2, tau2, alpha)
        part["cs_low"], part["cs_high"] = part["effect"] - half, part["effect"] + half
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    return SequentialReadout(out, alpha)
