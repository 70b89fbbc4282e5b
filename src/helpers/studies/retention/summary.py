"""Study 1 as one call: cohort retention, survival, homogeneity and lifecycle layers, with findings and a verdict."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import partial
from typing import Literal

import matplotlib.pyplot as plt
import pandas as pd

from helpers import fmt
from helpers.claims.registry import judge, rule_line
from helpers.data.engine import Dataset
from helpers.data.event_time import data_end
from helpers.figures.survival import incidence_figure, km_curves
from helpers.measures.conversions import member_conversions
from helpers.measures.members import NO_EXITS as NO_EXITS_RECORDED
from helpers.measures.members import exits_unrecorded, member_table
from helpers.stats.competing_risks import cumulative_incidence, incidence_curves
from helpers.stats.estimate import Estimate
from helpers.stats.restricted_mean import restricted_mean
from helpers.stats.survival import entry_days, kaplan_meier, logrank, n_day_retention
from helpers.studies.result import Finding, StudyResult, records
from helpers.studies.retention import figures
from helpers.studies.retention.activity_exits import SILENCE_DAYS, WAYS, activity_exits
from helpers.studies.retention.conversion import conversion_rates, overall_rate
from helpers.studies.retention.measures import (
    LAYERS,
    Triangle,
    lifecycle_layers,
    monthly_cohorts,
    pooled_retention,
    relative_to_previous,
    retention_triangle,
)
from helpers.studies.retention.models import compare_segments, homogeneity_hazard_ratio

TITLE = "Cohort retention and lifecycle layers"

MAX_WEEKLY_ROWS = 20
"""Beyond this many weekly cohorts, the triangle pools weeks into months (a readable page, not 57 rows)."""
DAYS = (7, 30, 90)
COMPARED = ("channel", "segment", "size_band", "homogeneous")
WAYS_OUT = {1: "quit", 2: "removed", 3: "reason not recorded"}
WAYS_OUT_DAYS = (30, 90, 180)
ALL_TRUNCATED = (
    "every member was already in the group when the data begins (no join is in it), so time since joining "
    "cannot be measured: stays begun before the data are left-truncated"
)


@dataclass(frozen=True)
class RetentionParams:
    """The study's settings (the notebook's parameters, data location aside)."""

    cohort_period: Literal["week", "month"] = "week"
    retention_kind: Literal["membership", "activity"] = "membership"
    segment_by: str = "segment"
    max_periods: int = 12
    start: str | None = None
    end: str | None = None
    min_cohort_size: int = 50
    bounded: bool = True
    rmst_days: int = 90
    entry: Literal["first", "recurring"] = "first"
    brackets: tuple[int, ...] | None = None
    relative: bool = False

    def as_dict(self) -> dict:
        """Plain values for provenance (brackets as a list, as the notebook gives them)."""
        return {**asdict(self), "brackets": None if self.brackets is None else list(self.brackets)}


def _largest(members: pd.DataFrame, by: str) -> str | None:
    """The level of ``by`` with the most members (the reference differences are taken from)."""
    counts = members[by].astype(str).value_counts()
    return str(counts.index[0]) if len(counts) else None


def _retention_estimate(row: pd.Series) -> Estimate:
    """N-day retention overall as an Estimate (clustered ratio CI)."""
    name = f"{int(row['days'])}-day membership retention"
    method = "share still a member N days after first join; ratio estimator, CI clustered by group"
    if row["members"] == 0:
        return Estimate.missing(name, f"no member joined {int(row['days'])}+ days before the data's end", n=0)
    if pd.isna(row["ci_low"]):
        return Estimate(
            name,
            float(row["retention"]),
            math.nan,
            math.nan,
            method,
            n=int(row["members"]),
            reason="a CI clustered by group needs two groups or more",
        )
    return Estimate(
        name, float(row["retention"]), float(row["ci_low"]), float(row["ci_high"]), method, n=int(row["members"])
    )


def _median_estimate(median: pd.Series) -> Estimate:
    """Median membership in days, or why it is not reached."""
    name = "median membership (days)"
    if median["members"] == 0:
        return Estimate.missing(name, "no member stays (only operators')", n=0)
    if not math.isfinite(median["median_days"]):
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


def _cohorts(params: RetentionParams, end: pd.Timestamp) -> dict:
    """The triangle settings the report's cohort views share (period, kind, periods shown, cohort range)."""
    return {
        "period": params.cohort_period,
        "kind": params.retention_kind,
        "bounded": params.bounded,
        "entry": params.entry,
        "brackets": None if params.brackets is None else tuple(params.brackets),
        "max_periods": params.max_periods,
        "end": end,
        "start": params.start,
        "stop": params.end,
    }


def _curves_by_level(ds: Dataset, members: pd.DataFrame, params: RetentionParams, end: pd.Timestamp) -> pd.DataFrame:
    """Pooled retention by periods since join, one curve per value of ``segment_by``."""
    curves = []
    for level, groups in members.groupby(params.segment_by, observed=True)["group_id"]:
        part = retention_triangle(ds.tables, **_cohorts(params, end), group_ids=groups.unique().tolist())
        curves.append(pooled_retention(part).assign(**{params.segment_by: str(level)}))
    return (
        pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=["k", "retention", params.segment_by])
    )


def _curves_figure(
    ds: Dataset, members: pd.DataFrame, params: RetentionParams, end: pd.Timestamp, triangle: Triangle
) -> plt.Figure:
    """Retention curves by level; their triangles (one engine query per level) are computed only when drawn."""
    curves = _curves_by_level(ds, members, params, end)
    return figures.retention_curves(curves, params.segment_by, params.cohort_period, overall=pooled_retention(triangle))


def _survival_figure(members: pd.DataFrame, by: str) -> plt.Figure:
    """Kaplan-Meier curves by level, fitted only when drawn."""
    km = kaplan_meier(members, by=by)
    return km_curves(km.curves, km.at_risk, by)


def _ph_note(test: pd.DataFrame) -> str:
    """A sentence on the proportional-hazards test of the mixed-group term, when it rejects."""
    if test.empty or "mixed" not in test.index or test.loc["mixed", "p"] >= 0.05:
        return ""
    return (
        f" The ratio is not constant over membership time (Grambsch-Therneau test p {fmt.p_value(test.loc['mixed', 'p'])}"
        "): read it as an average over follow-up."
    )


def _with_attributes(conversions: pd.DataFrame, members: pd.DataFrame, by: str) -> pd.DataFrame:
    """Members' conversions with their group's ``by`` attribute and their monthly join cohort."""
    attributes = members[["group_id", "member_id", by]].drop_duplicates(["group_id", "member_id"])
    out = conversions.merge(attributes, on=["group_id", "member_id"], how="left")
    out["cohort"] = out["joined_at"].dt.tz_convert(None).dt.to_period("M").astype(str)
    return out


def _conversion_tables(conversions: pd.DataFrame | None, members: pd.DataFrame, by: str) -> dict[str, pd.DataFrame]:
    """Paid conversion within 30 days by ``by`` and by monthly join cohort (none without a conversions table)."""
    if conversions is None or conversions.empty:
        return {}
    joined = _with_attributes(conversions, members, by)
    return {
        f"conversion_by_{by}": conversion_rates(joined, by).round(4),
        "conversion_by_cohort": conversion_rates(joined, "cohort").round(4),
    }


def _conversion_line(rate: Estimate, conversions: pd.DataFrame | None, members: pd.DataFrame, by: str) -> str:
    """The paid conversion rate in words: overall, its value per member, and the range across ``by``."""
    if rate.not_estimable:
        return f"**Paid conversion is not measurable on this data**: {rate.why_not}."
    rates = conversion_rates(_with_attributes(conversions, members, by), by).dropna(subset=["rate"])
    overall = conversion_rates(conversions).iloc[0]
    line = (
        f"**{fmt.pct(rate.value)}** of members made a paid conversion within 30 days of joining "
        f"({fmt.ci(rate, '.1%')}; {int(overall['members']):,} members who joined 30+ days before the data's end), "
        f"worth {overall['value_per_member']:.2f} per member (95% CI {overall['value_ci_low']:.2f}–"
        f"{overall['value_ci_high']:.2f}, in the data's currency units)"
    )
    if len(rates) >= 2:
        low, high = rates.sort_values("rate").iloc[[0, -1]].itertuples()
        line += (
            f"; by {by} from {fmt.pct(low.rate)} ({getattr(low, by)}, 95% CI {fmt.pct(low.rate_ci_low)}–"
            f"{fmt.pct(low.rate_ci_high)}) to {fmt.pct(high.rate)} ({getattr(high, by)}, 95% CI "
            f"{fmt.pct(high.rate_ci_low)}–{fmt.pct(high.rate_ci_high)})"
        )
    return line + ". CIs are clustered by group."


def _truncation_line(members: pd.DataFrame) -> str:
    """A sentence on stays the data saw only after they began ('' when it saw every join)."""
    entry = entry_days(members)
    unknown, late = int(entry.isna().sum()), int((entry > 0).sum())
    if not unknown and not late:
        return ""
    line = ""
    if unknown:
        line = (
            f"**{unknown:,} of {len(members):,} members** were already in their group when the data begins, their "
            "join not in it: survival, medians, the Cox model and N-day retention leave them out, since their time "
            "in the group before the data is unknown (counting them from the data's start would overstate retention)"
        )
    if late:
        line += ("; " if line else "") + (
            f"{late:,} members whose join is known but whose stay the data sees only later enter the survival "
            "estimates on the day they are first seen (delayed entry), not on their join day"
        )
    return line[0].upper() + line[1:] + "."


def _ways_out(members: pd.DataFrame) -> pd.DataFrame:
    """Members with the way each first stay ended: 0 still in, 1 quit, 2 removed, 3 left for a reason not recorded."""
    reason = members["leave_reason"] if "leave_reason" in members else pd.Series(None, index=members.index)
    cause = reason.map({"quit": 1, "removed": 2}).fillna(3).astype(int)
    return members.assign(cause=cause.where(members["left"].astype(bool), 0))


def _incidence_words(cause: str, row: pd.Series, level: str = "95% CI ") -> str:
    """One cumulative incidence in words: 'x% cause (95% CI a–b)', 'none cause', or the share and why no interval."""
    if row["incidence"] == 0 and pd.isna(row["ci_low"]):
        return f"none {cause}".strip()
    words = f"{fmt.pct(row['incidence'])} {cause}".strip()
    if pd.isna(row["ci_low"]):
        return f"{words} ({row['reason']})"
    return f"{words} ({level}{fmt.pct(row['ci_low'])}–{fmt.pct(row['ci_high'])})"


def _activity_ways_line(ways, talkers: int, members: int) -> str:
    """Falling silent vs leaving while active, by day 90, among members who spoke."""
    if ways.reason:
        return f"Falling silent vs leaving while active: not estimable ({ways.reason})."
    at = ways.table[ways.table["days"] == 90].set_index("cause")
    if at.empty or at["incidence"].isna().all():
        return "Falling silent vs leaving while active: follow-up is too short for day 90."
    parts = [_incidence_words(cause, row) for cause, row in at.iterrows() if pd.notna(row.incidence)]
    return (
        f"Of the {talkers:,} members who spoke (of {members:,}; one stay, join seen), by day 90 after joining "
        + " and ".join(parts)
        + f" ({SILENCE_DAYS} days in the group without a message counts as silent, from the last message; "
        "cumulative incidence with the other way competing, CIs clustered by group)."
    )


def _ways_out_table(table: pd.DataFrame) -> pd.DataFrame:
    """Cumulative incidence per level and way out, one column per day, each cell 'share (CI)' or why not."""
    if table.empty:
        return table

    def cell(row: pd.Series) -> str:
        if not math.isfinite(row["incidence"]):
            return "not estimable"
        return _incidence_words("", row, level="")

    shown = table.assign(cell=table.apply(cell, axis=1), day=table["days"].map(lambda d: f"by day {d:g}"))
    wide = shown.pivot_table(index=["level", "cause"], columns="day", values="cell", aggfunc="first", sort=False)
    wide = wide[[f"by day {d:g}" for d in dict.fromkeys(table["days"])]]
    wide.columns.name = None
    members = table.groupby(["level", "cause"], sort=False)["members"].first()
    return wide.assign(members=members).reset_index()


def _rmst_table(overall: pd.DataFrame, by_level: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """RMST overall and per level, each level's difference from the reference beside it."""
    table = pd.concat([overall, by_level], ignore_index=True)
    diff = differences.rename(columns={"se": "difference_se", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high"})
    out = table.merge(diff.drop(columns=["reason"]), on="level", how="left")
    shown = ["level", "rmst", "ci_low", "ci_high", "members", "groups", "reference", "difference"]
    return out[[*shown, "diff_ci_low", "diff_ci_high"]].round(2)


def _rmst_line(rmst: Estimate, levels: pd.DataFrame, differences: pd.DataFrame, by: str, days: int) -> str:
    """The restricted mean membership in words, and its range and largest gap across ``by``."""
    if rmst.not_estimable:
        return f"The restricted mean membership over the first {days} days is not estimable: {rmst.why_not}."
    line = (
        f"Of their first {days} days, members stayed **{rmst.value:.1f} days** on average (restricted mean "
        f"membership, {fmt.ci(rmst, '.1f')}; the area under Kaplan–Meier, CI clustered by group): a difference in "
        "it is in days, and needs no proportional hazards"
    )
    ok = levels.dropna(subset=["rmst"]).sort_values("rmst")
    gaps = differences.dropna(subset=["difference"])
    if len(ok) >= 2 and not gaps.empty:
        low, high = ok.iloc[0], ok.iloc[-1]
        widest = gaps.loc[gaps["difference"].abs().idxmax()]
        line += (
            f". By {by} it runs from {low['rmst']:.1f} ({low['level']}) to {high['rmst']:.1f} days "
            f"({high['level']}); the widest gap from {widest['reference']}, the largest {by}, is "
            f"{widest['difference']:+.1f} days for {widest['level']} (95% CI {widest['ci_low']:+.1f} to "
            f"{widest['ci_high']:+.1f})"
        )
    return line + "."


def _ways_out_line(table: pd.DataFrame, reason: str | None) -> str:
    """How members left by day 90: quit vs removed (vs not recorded), with CIs."""
    if reason:
        return f"Ways out (quit vs removed): {reason}."
    at = table[(table["level"] == "all") & (table["days"] == 90)].set_index("cause")
    if at.empty or at["incidence"].isna().all():
        why = at["reason"].dropna().iloc[0] if not at.empty and at["reason"].notna().any() else "no estimate"
        return f"Ways out (quit vs removed) by day 90 are not estimable: {why}."
    parts = [_incidence_words(cause, row) for cause, row in at.iterrows() if row.incidence > 0]
    if not parts:
        return "No member whose join the data saw left within 90 days of joining, so there are no ways out to weigh."
    return (
        "By day 90 after joining, "
        + ", ".join(parts)
        + " (cumulative incidence, Aalen–Johansen: each way out counted with the others as competing, "
        "CIs clustered by group)."
    )


def summarise(ds: Dataset, params: RetentionParams | None = None) -> StudyResult:
    """Retention 7/30/90 days, median membership, retention by attribute, homogeneity HR, layers; claim 3 judged."""
    params = params or RetentionParams()
    by = params.segment_by
    end = data_end(ds.tables)
    members = member_table(ds.tables, end)
    triangle = retention_triangle(ds.tables, **_cohorts(params, end), min_cohort_size=params.min_cohort_size)
    retained = {d: n_day_retention(members, d, end).iloc[0] for d in DAYS}
    by_segment = n_day_retention(members, 30, end, by=by)
    comparison = compare_segments(members, end, COMPARED)
    km_all = kaplan_meier(members)
    test = logrank(members, by)
    rmst_overall = restricted_mean(members, params.rmst_days)
    rmst_by = restricted_mean(members, params.rmst_days, by=by, reference=_largest(members, by))
    ways = _ways_out(members)
    taken = {code: label for code, label in WAYS_OUT.items() if (ways["cause"] == code).any()}
    ways_out = cumulative_incidence(ways, taken, WAYS_OUT_DAYS)
    ways_by = cumulative_incidence(ways, taken, WAYS_OUT_DAYS, by=by)
    talkers = activity_exits(members, end)
    activity_ways = cumulative_incidence(talkers, WAYS, WAYS_OUT_DAYS)
    cox = homogeneity_hazard_ratio(members)
    hazard_ratio, cox_table = cox.hazard_ratio, cox.coefficients
    layers = lifecycle_layers(ds.tables, end)

    headline = {f"retention_{d}d": _retention_estimate(retained[d]) for d in DAYS}
    headline["median_membership_days"] = _median_estimate(km_all.medians.iloc[0])
    headline["homogeneity_hazard_ratio"] = hazard_ratio
    headline[f"rmst_{params.rmst_days}d"] = rmst_overall.estimate()
    unrecorded = exits_unrecorded(ds.tables)
    if not unrecorded and len(members) and entry_days(members).isna().all():
        unrecorded = ALL_TRUNCATED
    if unrecorded:
        headline = {key: Estimate.missing(e.name, unrecorded, n=e.n) for key, e in headline.items()}
        hazard_ratio = headline["homogeneity_hazard_ratio"]
        by_segment = by_segment.iloc[0:0]
    verdict = judge("homophily", hazard_ratio)

    def ci(row: pd.Series) -> str:
        return fmt.ci(_retention_estimate(row), ".1%")

    r7, r30, r90 = (retained[d] for d in DAYS)
    if unrecorded:
        first = f"**Retention is not measurable on this data**: {unrecorded}."
    elif headline["retention_7d"].not_estimable:
        first = f"N-day retention is not estimable on this data: {headline['retention_7d'].why_not}."
    else:
        first = f"**{fmt.pct(r7['retention'])}** of members are still in their group 7 days after joining ({ci(r7)})"
        for row, key in ((r30, "retention_30d"), (r90, "retention_90d")):
            e = headline[key]
            first += (
                f", **{fmt.pct(row['retention'])}** after {int(row['days'])} days ({ci(row)})"
                if not e.not_estimable
                else f"; {int(row['days'])}-day retention is not estimable ({e.why_not})"
            )
        counted = ", ".join(f"{int(retained[d]['members']):,} for {d} days" for d in DAYS)
        first += (
            f". Each figure counts the members who joined at least that many days before the data's end ({counted}), "
            "so the three cover different members: later joiners are in the 7-day figure only."
        )
    findings = [Finding(first, ("retention_7d", "retention_30d", "retention_90d"))]
    if truncated := _truncation_line(members):
        findings.append(Finding(truncated))
    median = headline["median_membership_days"]
    findings.append(
        Finding(
            f"Half of all members have left after **{median.value:.0f} days** (median membership, 95% CI "
            f"{median.ci_low:.0f}–{median.ci_high:.0f})."
            if not median.not_estimable
            else "The median membership is not measurable either."
            if unrecorded
            else f"The median membership is not estimable: {median.why_not}.",
            ("median_membership_days",),
        )
    )
    rmst_key = f"rmst_{params.rmst_days}d"
    if not unrecorded:
        findings.append(
            Finding(
                _rmst_line(headline[rmst_key], rmst_by.levels, rmst_by.differences, by, params.rmst_days), (rmst_key,)
            )
        )
        findings.append(Finding(_ways_out_line(ways_out.table, ways_out.reason)))
        findings.append(Finding(_activity_ways_line(activity_ways, len(talkers), len(members))))
    conversions = member_conversions(ds.tables, end)
    headline["paid_conversion_30d"] = overall_rate(conversions)
    findings.append(
        Finding(_conversion_line(headline["paid_conversion_30d"], conversions, members, by), ("paid_conversion_30d",))
    )
    ordered = by_segment.dropna(subset=["retention"]).sort_values("retention")
    if unrecorded:
        findings.append(Finding(f"Retention by {by} is not measurable either."))
    elif ordered.empty:
        findings.append(
            Finding(f"No member joined 30+ days before the data's end, so there is no 30-day retention by {by}.")
        )
    elif test.levels < 2:
        findings.append(
            Finding(
                f"All members' groups have the same {by} ({ordered.iloc[-1][by]}), so there is no comparison by {by}."
            )
        )
    elif len(ordered) < 2:
        findings.append(
            Finding(f"Only members of one {by} ({ordered.iloc[-1][by]}) joined 30+ days before the data's end.")
        )
    else:
        best, worst = ordered.iloc[-1], ordered.iloc[0]
        findings.append(
            Finding(
                f"By {by}, 30-day retention ranges from {fmt.pct(worst['retention'])} ({worst[by]}, {ci(worst)}) to "
                f"{fmt.pct(best['retention'])} ({best[by]}, {ci(best)}). The log-rank test of equal survival across "
                f"{test.levels} levels gives χ² = {test.statistic:.1f} on {test.df} df if members were independent "
                f"(p {fmt.p_value(test.p_value)})"
                + (
                    f", and χ² = {test.robust_statistic:.1f} (p {fmt.p_value(test.robust_p_value)}) with its "
                    f"variance taken across the {test.groups:,} groups, which members of one group share: read that."
                    if math.isfinite(test.robust_statistic)
                    else f"; no test robust to groups ({test.reason})."
                )
            )
        )
    if unrecorded:
        findings.append(Finding("Homogeneous vs mixed groups: not measurable either.", ("homogeneity_hazard_ratio",)))
    elif hazard_ratio.not_estimable:
        findings.append(Finding(f"Homogeneous vs mixed groups: {hazard_ratio.method}.", ("homogeneity_hazard_ratio",)))
    else:
        how = (
            "keep members better than"
            if hazard_ratio.ci_low > 1
            else "lose members faster"
            if hazard_ratio.ci_high < 1
            else "show no clear difference from"
        )
        findings.append(
            Finding(
                f"Homogeneous groups {how} mixed ones: a member of a mixed group leaves at **{hazard_ratio.value:.2f} "
                f"times** the rate (hazard ratio, {fmt.ci(hazard_ratio)}; Cox model with errors clustered by group, "
                f"adjusted for group size). Verdict: **{verdict.verdict}** ({verdict.reason}).{_ph_note(cox.ph_test)}",
                ("homogeneity_hazard_ratio",),
            )
        )
    if len(layers) >= 2:
        week = layers.iloc[-2]  # the last whole week
        share = (lambda x: fmt.pct(x / week["members"])) if week["members"] else (lambda x: "n/a")
        findings.append(
            Finding(
                f"In the week of {week['week']:%d %b %Y}: {int(week['members']):,} members, of whom "
                f"{share(week['active'])} spoke, {share(week['silent'])} stayed silent, {int(week['new']):,} were new "
                + (
                    f"and {int(week['churned']):,} left."
                    if unrecorded != NO_EXITS_RECORDED
                    else "and leaving is not recorded."
                )
            )
        )
    monthly = params.cohort_period == "week" and len(triangle.rates) > MAX_WEEKLY_ROWS
    view = monthly_cohorts(triangle) if monthly else triangle
    view = relative_to_previous(view) if params.relative else view
    title = (
        f"{params.retention_kind.capitalize()} retention by month of joining (weekly cohorts pooled)"
        if monthly
        else f"{params.retention_kind.capitalize()} retention by {params.cohort_period}ly join cohort"
    )
    variants = [
        *(["recurring entries"] if params.entry == "recurring" else []),
        *(["vs previous period"] if params.relative else []),
        *(["k or later"] if not params.bounded else []),
    ]
    title += f" ({'; '.join(variants)})" if variants else ""
    shown_rates = view.rates.rename(columns=view.column_labels()) if view.brackets else view.rates
    drawn = {
        "triangle": partial(
            figures.retention_heatmap,
            shown_rates,
            view.cohort_sizes,
            title,
            monthly=monthly or params.cohort_period == "month",
            data_start=members["joined_at"].min() if len(members) else None,
            value_label="% of the previous period's" if params.relative else "% of cohort retained",
        ),
        "curves": partial(_curves_figure, ds, members, params, end, triangle),
        "by_attribute": partial(
            figures.estimates_by_level,
            comparison,
            "retention",
            "30-day membership retention (95% CI, clustered by group)",
            "still a member 30 days after joining",
        ),
        "survival": partial(_survival_figure, members, by),
        "ways_out": partial(lambda: incidence_figure(incidence_curves(ways, taken, by), by)),
        "layers": partial(figures.lifecycle_stacked, layers, LAYERS),
    }
    if unrecorded:  # a retention figure would show 100% everywhere: each is a panel saying why instead
        drawn = {"layers": drawn["layers"]}

    cox_shown = (
        cox_table[["exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%", "p"]].round(3)
        if not cox_table.empty
        else pd.DataFrame()
    )
    return StudyResult(
        study="retention",
        title=TITLE,
        headline=headline,
        findings=tuple(findings),
        verdicts=(verdict,),
        tables={
            "cox": cox_shown,
            "ph_test": cox.ph_test.round(4),
            **_conversion_tables(conversions, members, by),
            **(
                {}
                if unrecorded
                else {
                    "rmst": _rmst_table(rmst_overall.levels, rmst_by.levels, rmst_by.differences),
                    "ways_out_table": _ways_out_table(pd.concat([ways_out.table, ways_by.table], ignore_index=True)),
                    "activity_ways_table": _ways_out_table(activity_ways.table),
                }
            ),
        },
        notes={
            "cox": hazard_ratio.method,
            **{
                name: f"Not measurable: {unrecorded}."
                for name in (
                    "triangle",
                    "curves",
                    "by_attribute",
                    "survival",
                    "ways_out",
                    "rmst",
                    "ways_out_table",
                    "activity_ways_table",
                )
            },
        }
        if unrecorded
        else {"cox": hazard_ratio.method},
        figures=drawn,
        methods=(rule_line("homophily"),),
        details={
            "retention_30d_by_segment": records(by_segment),
            "retention_nd_overall": {str(d): r.to_dict() for d, r in retained.items()} if not unrecorded else {},
            "median_membership_days": km_all.medians.iloc[0].to_dict() if not unrecorded else {},
            "homogeneity_hazard_ratio": hazard_ratio.as_dict(),
            "paid_conversion_30d": headline["paid_conversion_30d"].as_dict(),
            "logrank": {k: v for k, v in test.as_dict().items() if k != "reason"},
            "rmst": rmst_by.as_dict() if not unrecorded else {},
            "ways_out": ways_by.as_dict() if not unrecorded else {},
            "ways_out_of_activity": activity_ways.as_dict() if not unrecorded else {},
        },
    )
