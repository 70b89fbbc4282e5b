"""Study 5's result: welcome pacing in join peaks, service agents' load and activity cadence (claims 7-9)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from helpers import fmt
from helpers.claims.registry import (
    ACTIVITIES_MIN_PER_MONTH,
    ACTIVITIES_WEEKLY_PER_MONTH,
    AGENT_GROUP_LIMIT,
    AGENT_MEMBER_LIMIT,
    JOIN_PEAK_JOINS,
    WELCOME_WINDOW_DAYS,
    judge,
    rule_line,
)
from helpers.claims.verdict import Verdict
from helpers.data.engine import Dataset
from helpers.data.event_time import data_end
from helpers.measures.members import exits_unrecorded, homogeneous
from helpers.stats.estimate import Estimate
from helpers.studies.operations import cells as oc
from helpers.studies.operations import figures
from helpers.studies.operations import measures as om
from helpers.studies.operations import models as omod
from helpers.studies.result import Finding, StudyResult, records

TITLE = "Operations: welcome pacing, service agents and activity cadence"

TENURE_EDGES = (0.0, 2.0, 4.0, 7.0, 14.0, 28.0, 56.0, 112.0)
"""Lower edges (days since joining) of the tenure bands of the exit model."""

WELCOME_EDGES = (0.0, 2.0, 4.0, 7.0, 10.0)
"""Tenure bands of peak joiners' first 14 days."""

SHORT_GAP_MINUTES = 10
"""A welcome following the previous one within this many minutes: the group welcomes each join."""

SHORT_GAP_SHARE = 0.1
"""A group whose join-peak welcomes are this often under 10 minutes apart welcomes each join; else it spaces them."""

CLAIM_IDS = ("welcome_pacing", "staffing", "activity_cadence")

HEADLINE = {
    "welcome_spaced_hazard_ratio": "exit hazard ratio of peak joiners, spaced welcomes vs one per join",
    "staffing_overload_hazard_ratio": f"exit hazard ratio while the agent serves over {AGENT_MEMBER_LIMIT:,} members",
    "activity_sparse_hazard_ratio": f"exit hazard ratio, fewer than {ACTIVITIES_MIN_PER_MONTH} activities in 30 days",
    "activity_sparse_conversion_ratio": f"paid conversion rate ratio, fewer than {ACTIVITIES_MIN_PER_MONTH} activities",
    "activity_day_message_ratio": "members' messages per member-day, on a day an activity starts vs other days",
    "staffing_overload_message_ratio": "members' messages per member-day while the agent is over the limit",
}


@dataclass(frozen=True)
class OperationsParams:
    """The study's settings (the notebook's parameters, data location aside)."""

    alpha: float = 0.05  # family-wise error over the study's three claims (Bonferroni)

    def as_dict(self) -> dict:
        """Plain values for provenance."""
        return asdict(self)


def _missing_all(reason: str) -> dict[str, Estimate]:
    return {key: Estimate.missing(name, reason) for key, name in HEADLINE.items()}


def _not_measurable(reason: str) -> StudyResult:
    """The result where the data cannot show members leaving: every claim untestable, saying why."""
    from helpers.claims.registry import not_testable

    return StudyResult(
        study="operations",
        title=TITLE,
        headline=_missing_all(reason),
        findings=(Finding(f"**Operations' effects on exits are not measurable on this data**: {reason}."),),
        verdicts=tuple(not_testable(c, reason) for c in CLAIM_IDS),
        methods=tuple(rule_line(c) for c in CLAIM_IDS),
        details={"reason": reason},
        notes={name: f"Not measurable: {reason}." for name in ("cadence", "agent_load", "welcome")},
    )


@dataclass(frozen=True)
class _Data:
    """Everything the models need, on one day grid."""

    line: om.Timeline
    groups: pd.DataFrame
    members: pd.DataFrame  # member stays with group code
    cells: oc.Cells
    member_days: np.ndarray  # groups x days
    sparse: np.ndarray | None  # groups x days
    recent: np.ndarray | None
    activity_today: np.ndarray | None
    over: np.ndarray  # groups x days
    load: np.ndarray  # agents x days
    agent: np.ndarray  # per group: agent code, -1 none
    groups_per_agent: np.ndarray  # agents x days: groups with members present

    def as_dict(self) -> dict:
        """Sizes of what was collected."""
        return {
            "groups": len(self.groups),
            "stays": len(self.members),
            "agents": len(self.load),
            **self.cells.as_dict(),
        }


def _daily_matrix(frame: pd.DataFrame | None, column: str, codes: pd.Series, shape: tuple[int, int]) -> np.ndarray:
    """Groups x days counts from a (group_id, day, column) frame; days outside the grid dropped."""
    out = np.zeros(shape)
    if frame is None or frame.empty:
        return out
    g = frame["group_id"].map(codes)
    d = frame["day"].to_numpy()
    keep = g.notna().to_numpy() & (d >= 0) & (d < shape[1])
    np.add.at(out, (g[keep].astype(int).to_numpy(), d[keep]), frame[column].to_numpy(float)[keep])
    return out


def _collect(ds: Dataset, end: pd.Timestamp) -> _Data:
    """Stays, cells and group-day states from the dataset."""
    line = om.timeline(ds.tables, end)
    groups = om.group_days(ds.tables, line)
    groups["homogeneous"] = homogeneous(groups)
    codes = pd.Series(np.arange(len(groups)), index=groups["group_id"])
    stays = om.stays(ds.tables, line)
    members = stays[(stays["role"] == "member") & stays["group_id"].isin(codes.index)].copy()
    members["g"] = members["group_id"].map(codes).astype(int)
    n_groups = len(groups)
    cells, member_days = oc.lexis_cells(
        members["g"].to_numpy(),
        members["joined"].to_numpy(float),
        members["left"].to_numpy(float),
        line.end,
        TENURE_EDGES,
        n_groups,
    )
    shape = member_days.shape
    starts = om.activity_starts(ds.tables, line)
    if starts is not None:
        recent, sparse = oc.sparse_activities(
            _daily_matrix(starts, "activities", codes, shape), groups["created"].to_numpy(float)
        )
        today = _daily_matrix(starts, "activities", codes, shape) > 0
    else:
        recent = sparse = today = None
    agent_ids = om.agents(stays).reindex(groups["group_id"])
    agent = pd.factorize(agent_ids)[0] if agent_ids.notna().any() else np.full(n_groups, -1)
    present = oc.present(
        members["g"].to_numpy(), members["joined"].to_numpy(float), members["left"].to_numpy(float), n_groups, shape[1]
    )
    over, load = oc.overloaded(present, agent)
    busy = np.zeros_like(load)
    has = agent >= 0
    np.add.at(busy, agent[has], (present[has] > 0).astype(float))
    return _Data(line, groups, members, cells, member_days, sparse, recent, today, over, load, agent, busy)


def _group_day_design(data: _Data, g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Splines in ln headcount, group age and calendar day for group-day rows."""
    headcount = np.maximum(data.member_days[g, d], 1.0)
    age = d + 0.5 - data.groups["created"].to_numpy(float)[g]
    return np.column_stack(omod.smooth_columns(np.log(headcount), age, d + 0.5))


def _sides(values: np.ndarray, cluster: np.ndarray, exposure: np.ndarray) -> tuple[int, int]:
    """Distinct clusters with exposure off and on an indicator."""
    on = exposure > 0
    return int(len(np.unique(cluster[on & (values == 0)]))), int(len(np.unique(cluster[on & (values == 1)])))


def _contrasts(data: _Data, g: np.ndarray, d: np.ndarray, exposure: np.ndarray, today: bool) -> list[omod.Contrast]:
    """The indicators measurable on this data: sparse activities (or an activity that day) and an overloaded agent."""
    out = []
    own = np.full(len(data.groups), -1)
    if data.sparse is not None:
        name = "activity that day" if today else f"fewer than {ACTIVITIES_MIN_PER_MONTH} activities in 30 days"
        values = (data.activity_today if today else data.sparse)[g, d].astype(float)
        out.append(omod.Contrast("today" if today else "sparse", name, values, own, _sides(values, g, exposure)))
    if (data.agent >= 0).any():
        values = data.over[g, d].astype(float)
        agent = data.agent[g]
        sides = _sides(values[agent >= 0], agent[agent >= 0], exposure[agent >= 0])
        out.append(omod.Contrast("over", f"agent over {AGENT_MEMBER_LIMIT:,} members", values, data.agent, sides))
    return out


def _missing_contrast(key: str, data: _Data, ds: Dataset) -> str:
    """Why an indicator is not in the model."""
    if key in ("sparse", "today"):
        return "not measurable on this data: it has no activities table"
    return "not measurable on this data: no assistant (service agent) is recorded in the memberships"


def exit_effects(data: _Data, level: float, ds: Dataset) -> dict[str, Estimate]:
    """Hazard ratios of sparse activities and an overloaded agent from the exit model."""
    c = data.cells
    if c.exits.sum() == 0:
        return {
            "activity_sparse_hazard_ratio": Estimate.missing(HEADLINE["activity_sparse_hazard_ratio"], "no exits"),
            "staffing_overload_hazard_ratio": Estimate.missing(HEADLINE["staffing_overload_hazard_ratio"], "no exits"),
        }
    X = omod.design(omod.band_columns(c.band), _group_day_design(data, c.stratum, c.day), n=len(c.day))
    contrasts = _contrasts(data, c.stratum, c.day, c.days, today=False)
    fitted = omod.conditional_ratios(c.exits, c.days, X, c.stratum, contrasts, level, "exit model")
    names = {"sparse": "activity_sparse_hazard_ratio", "over": "staffing_overload_hazard_ratio"}
    return {
        key: fitted.get(short, Estimate.missing(HEADLINE[key], _missing_contrast(short, data, ds)))
        for short, key in names.items()
    }


def rate_effects(data: _Data, counts: np.ndarray | None, what: str, today: bool, level: float, ds: Dataset):
    """Rate ratios of the indicators on group-day counts (conversions or messages) per member-day."""
    g, d = np.nonzero(data.member_days > 0)
    if counts is None:
        return {}
    y = counts[g, d]
    exposure = data.member_days[g, d]
    weekend = (((d + data.line.origin / 86_400 + 3) % 7) >= 5).astype(float)[:, None]
    X = omod.design(_group_day_design(data, g, d), weekend, n=len(g))
    contrasts = _contrasts(data, g, d, exposure, today)
    if y.sum() == 0:
        return {c.key: Estimate.missing(c.name, f"no {what} on this data") for c in contrasts}
    return omod.conditional_ratios(y, exposure, X, g, contrasts, level, f"{what} model")


def welcome_policy(welcomes: pd.DataFrame) -> pd.DataFrame:
    """Per group with join peaks: welcomes seen, share of gaps under 10 minutes, median gap, and the policy."""
    if welcomes.empty:
        return pd.DataFrame(columns=["group_id", "welcomes", "short_gap_share", "median_gap_minutes", "spaced"])
    gap = welcomes.groupby("group_id")["at"].diff() * 1440
    frame = welcomes.assign(gap=gap).dropna(subset=["gap"])
    out = frame.groupby("group_id").agg(
        welcomes=("gap", "size"),
        short_gap_share=("gap", lambda x: float(np.mean(x < SHORT_GAP_MINUTES))),
        median_gap_minutes=("gap", "median"),
    )
    out = out[out["welcomes"] >= 2].reset_index()
    out["spaced"] = out["short_gap_share"] < SHORT_GAP_SHARE
    return out


def welcome_cells(data: _Data, policy: pd.DataFrame) -> pd.DataFrame:
    """Cells of peak joiners' first 14 days: group, peak size, tenure band, day, exits, member-days, headcount."""
    m = data.members
    peak = m[(m["hour_joins"] >= JOIN_PEAK_JOINS) & m["group_id"].isin(policy["group_id"])]
    if peak.empty:
        return pd.DataFrame()
    key = pd.factorize(peak["g"].to_numpy(np.int64) * 1_000_000 + peak["hour_joins"].to_numpy(np.int64))[0]
    cells, _ = oc.lexis_cells(
        key,
        peak["joined"].to_numpy(float),
        peak["left"].to_numpy(float),
        data.line.end,
        WELCOME_EDGES,
        int(key.max()) + 1,
        horizon=WELCOME_WINDOW_DAYS,
    )
    first = pd.DataFrame({"key": key, "g": peak["g"].to_numpy(), "peak_joins": peak["hour_joins"].to_numpy()})
    first = first.drop_duplicates("key").set_index("key")
    g = first["g"].reindex(cells.stratum).to_numpy()
    groups = data.groups
    spaced = policy.set_index("group_id")["spaced"]
    joiners = np.bincount(key, minlength=int(key.max()) + 1)
    first_cell = ~pd.Series(cells.stratum).duplicated().to_numpy()  # count each stratum's joiners once
    return pd.DataFrame(
        {
            "group_id": groups["group_id"].to_numpy()[g],
            "peak_joins": first["peak_joins"].reindex(cells.stratum).to_numpy(),
            "band": cells.band,
            "day": cells.day,
            "exits": cells.exits,
            "days": cells.days,
            "members": np.maximum(data.member_days[g, cells.day], 1.0),
            "homogeneous": groups["homogeneous"].to_numpy()[g].astype(float),
            "spaced": spaced.reindex(groups["group_id"].to_numpy()[g]).to_numpy(bool),
            "joiners": np.where(first_cell, joiners[cells.stratum], 0),
        }
    )


def cadence_table(data: _Data) -> pd.DataFrame:
    """Exits per 1,000 member-days by activities started in the 30 days before (groups 30+ days old)."""
    if data.recent is None:
        return pd.DataFrame()
    c = data.cells
    age = c.day - data.groups["created"].to_numpy(float)[c.stratum]
    old = age >= oc.MONTH_DAYS
    recent = data.recent[c.stratum, c.day][old]
    band = np.select(
        [recent < 1, recent < ACTIVITIES_MIN_PER_MONTH, recent < ACTIVITIES_WEEKLY_PER_MONTH],
        ["none", f"1 (fewer than {ACTIVITIES_MIN_PER_MONTH})", f"{ACTIVITIES_MIN_PER_MONTH}-3"],
        f"{ACTIVITIES_WEEKLY_PER_MONTH}+ (about weekly)",
    )
    frame = pd.DataFrame({"activities in the last 30 days": band, "exits": c.exits[old], "member-days": c.days[old]})
    out = frame.groupby("activities in the last 30 days", sort=False).sum().reset_index()
    out["exits per 1,000 member-days"] = 1000 * out["exits"] / out["member-days"]
    order = ["none", f"1 (fewer than {ACTIVITIES_MIN_PER_MONTH})", f"{ACTIVITIES_MIN_PER_MONTH}-3"]
    order.append(f"{ACTIVITIES_WEEKLY_PER_MONTH}+ (about weekly)")
    out["order"] = out["activities in the last 30 days"].map({k: i for i, k in enumerate(order)})
    return out.sort_values("order").drop(columns="order").reset_index(drop=True)


def agent_table(data: _Data) -> pd.DataFrame:
    """Per service agent (numbered, never named): groups served, peak member load, share of days over the limit."""
    if not len(data.load):
        return pd.DataFrame()
    active = data.load > 0
    rows = []
    for a in range(len(data.load)):
        days = active[a]
        rows.append(
            {
                "agent": f"agent {a + 1}",
                "groups": int((data.agent == a).sum()),
                "most groups at once": int(data.groups_per_agent[a].max()),
                "most members at once": int(data.load[a].max()),
                "days served": int(days.sum()),
                f"share of days over {AGENT_MEMBER_LIMIT:,} members": float(
                    np.mean(data.load[a][days] > AGENT_MEMBER_LIMIT)
                )
                if days.any()
                else 0.0,
            }
        )
    return pd.DataFrame(rows)


def _verdicts(headline: dict[str, Estimate], level: float) -> tuple[Verdict, ...]:
    """The three claims' verdicts, at the study's Bonferroni level."""
    z = float(omod.sps.norm.ppf(1 - (1 - level) / 2))
    pairs = (
        ("welcome_pacing", "welcome_spaced_hazard_ratio"),
        ("staffing", "staffing_overload_hazard_ratio"),
        ("activity_cadence", "activity_sparse_hazard_ratio"),
    )
    out = []
    for claim_id, key in pairs:
        e = headline[key]
        significant = None if e.not_estimable else bool(e.ci_low > 1 or e.ci_high < 1)
        out.append(judge(claim_id, e, significant=significant, z=z))
    return tuple(out)


def summarise(ds: Dataset, params: OperationsParams | None = None) -> StudyResult:
    """Welcome pacing, agents' load and activity cadence against exits (claims 7-9), with conversions and talk."""
    p = params or OperationsParams()
    end = data_end(ds.tables)
    if unrecorded := exits_unrecorded(ds.tables):
        return _not_measurable(unrecorded)
    level = 1 - p.alpha / len(CLAIM_IDS)
    data = _collect(ds, end)
    headline = exit_effects(data, level, ds)
    conversions = om.paid_conversions(ds.tables, data.line)
    conv = rate_effects(
        data,
        None
        if conversions is None
        else _daily_matrix(conversions, "conversions", _codes(data), data.member_days.shape),
        "paid conversions",
        False,
        level,
        ds,
    )
    talk = rate_effects(
        data,
        _daily_matrix(om.member_messages(ds.tables, data.line), "messages", _codes(data), data.member_days.shape),
        "members' messages",
        True,
        level,
        ds,
    )
    no_conv = "not measurable on this data: it has no conversions table"
    headline["activity_sparse_conversion_ratio"] = _named(
        conv.get("sparse"),
        HEADLINE["activity_sparse_conversion_ratio"],
        no_conv if conversions is None else _missing_contrast("sparse", data, ds),
    )
    headline["activity_day_message_ratio"] = _named(
        talk.get("today"), HEADLINE["activity_day_message_ratio"], _missing_contrast("today", data, ds)
    )
    headline["staffing_overload_message_ratio"] = _named(
        talk.get("over"), HEADLINE["staffing_overload_message_ratio"], _missing_contrast("over", data, ds)
    )
    welcomes = om.peak_welcomes(ds.tables, data.members.assign(role="member"), data.line)
    policy = welcome_policy(welcomes)
    wcells = welcome_cells(data, policy)
    if wcells.empty:
        peaks = int((data.members["hour_joins"] >= JOIN_PEAK_JOINS).sum())
        why = (
            f"no member joined in a join peak ({JOIN_PEAK_JOINS}+ joins in a clock hour)"
            if not peaks
            else f"{peaks} members joined in join peaks, but no welcome announcements are recorded around them"
        )
        headline["welcome_spaced_hazard_ratio"] = Estimate.missing(HEADLINE["welcome_spaced_hazard_ratio"], why)
    else:
        headline["welcome_spaced_hazard_ratio"] = omod.welcome_ratio(
            wcells, level, HEADLINE["welcome_spaced_hazard_ratio"]
        )
    headline = {k: headline[k] for k in HEADLINE}
    verdicts = _verdicts(headline, level)
    cadence, agents = cadence_table(data), agent_table(data)
    welcome = _welcome_table(wcells, policy)
    findings = _findings(headline, verdicts, cadence, agents, welcome, level)
    methods = _methods(level) + tuple(rule_line(c) for c in CLAIM_IDS)
    return StudyResult(
        study="operations",
        title=TITLE,
        headline=headline,
        findings=findings,
        verdicts=verdicts,
        tables={"cadence": cadence, "agents": agents, "welcome": welcome},
        figures=figures.figures(cadence, data.load, data.line, welcome),
        methods=methods,
        notes=_notes(cadence, agents, welcome),
        details={"level": level, "cadence": records(cadence), "agents": records(agents), "welcome": records(welcome)},
    )


def _codes(data: _Data) -> pd.Series:
    return pd.Series(np.arange(len(data.groups)), index=data.groups["group_id"])


def _named(estimate: Estimate | None, name: str, why: str) -> Estimate:
    """An estimate under the headline's name, or a missing one saying why."""
    if estimate is None:
        return Estimate.missing(name, why)
    return Estimate(
        name, estimate.value, estimate.ci_low, estimate.ci_high, estimate.method, estimate.n, estimate.reason
    )


def _welcome_table(cells: pd.DataFrame, policy: pd.DataFrame) -> pd.DataFrame:
    """Peak joiners, their exits within 14 days and the welcome spacing, by policy."""
    if cells.empty:
        return pd.DataFrame()
    by = cells.assign(policy=np.where(cells["spaced"], "spaced (15-30 min)", "one per join"))
    out = by.groupby("policy").agg(
        groups=("group_id", "nunique"),
        joiners=("joiners", "sum"),
        exits=("exits", "sum"),
        days=("days", "sum"),
        peak=("peak_joins", "mean"),
    )
    gaps = policy.assign(policy=np.where(policy["spaced"], "spaced (15-30 min)", "one per join"))
    out["median minutes between welcomes"] = gaps.groupby("policy")["median_gap_minutes"].median()
    out["exits per 1,000 member-days"] = 1000 * out["exits"] / out["days"]
    out = out.reset_index().rename(
        columns={
            "policy": "welcome policy",
            "joiners": "peak joiners",
            "exits": f"exits within {WELCOME_WINDOW_DAYS:g} days",
            "days": "member-days",
            "peak": "mean joins in the peak hour",
        }
    )
    return out


def _ratio_line(e: Estimate, level: float) -> str:
    """'**1.24×** (98.3% CI 1.16–1.32)', or why there is no estimate."""
    if e.not_estimable:
        return f"not estimable ({e.why_not})"
    return f"**{fmt.num(e.value)}×** ({fmt.ci(e, level=level)})"


def _findings(
    headline: dict[str, Estimate],
    verdicts: tuple[Verdict, ...],
    cadence: pd.DataFrame,
    agents: pd.DataFrame,
    welcome: pd.DataFrame,
    level: float,
) -> tuple[Finding, ...]:
    """The study's findings in reading order."""
    v = {x.claim_id: x for x in verdicts}
    welcome_line = (
        f"**Welcome pacing (claim 7).** Members who joined in a join peak ({JOIN_PEAK_JOINS}+ joins in an hour) "
        f"left in their first {WELCOME_WINDOW_DAYS:g} days at {_ratio_line(headline['welcome_spaced_hazard_ratio'], level)} "
        "the rate in groups that spaced their welcome announcements as in groups that welcomed each join, at the "
        "same peak size, headcount and homogeneity. Verdict: "
        f"**{v['welcome_pacing'].verdict}** ({v['welcome_pacing'].reason})."
    )
    if not welcome.empty:
        welcome_line += (
            " Peak size confounds the raw comparison: "
            + "; ".join(
                f"{row['welcome policy']}: {int(row['groups'])} groups, mean peak "
                f"{row['mean joins in the peak hour']:.1f} joins an hour"
                for _, row in welcome.iterrows()
            )
            + "."
        )
    staffing_line = (
        f"**Service agents (claim 8).** While a group's agent served more than {AGENT_MEMBER_LIMIT:,} members, its "
        f"members left at {_ratio_line(headline['staffing_overload_hazard_ratio'], level)} the rate of the same groups' "
        "members at lighter loads, at the same tenure, headcount, age and date; members' talk changed by "
        f"{_ratio_line(headline['staffing_overload_message_ratio'], level)}. Verdict: **{v['staffing'].verdict}** "
        f"({v['staffing'].reason})."
    )
    if not agents.empty:
        staffing_line += (
            f" {len(agents)} agents served up to {int(agents['most groups at once'].max())} groups and "
            f"{int(agents['most members at once'].max()):,} members at once (the claim: about {AGENT_GROUP_LIMIT} "
            "groups of about 200)."
        )
    cadence_line = (
        f"**Activity cadence (claim 9).** In the days after a month with fewer than {ACTIVITIES_MIN_PER_MONTH} "
        f"activities, members left at {_ratio_line(headline['activity_sparse_hazard_ratio'], level)} the rate of the "
        f"same groups' members after busier months, and paid conversions ran at "
        f"{_ratio_line(headline['activity_sparse_conversion_ratio'], level)} the rate; on the day an activity starts "
        f"members write {_ratio_line(headline['activity_day_message_ratio'], level)} as much. Verdict: "
        f"**{v['activity_cadence'].verdict}** ({v['activity_cadence'].reason})."
    )
    if not cadence.empty:
        cadence_line += (
            " Exits per 1,000 member-days by activities in the last 30 days: "
            + ", ".join(f"{row.iloc[0]}: {row['exits per 1,000 member-days']:.2f}" for _, row in cadence.iterrows())
            + "."
        )
    return (
        Finding(welcome_line, ("welcome_spaced_hazard_ratio",)),
        Finding(staffing_line, ("staffing_overload_hazard_ratio", "staffing_overload_message_ratio")),
        Finding(
            cadence_line,
            ("activity_sparse_hazard_ratio", "activity_sparse_conversion_ratio", "activity_day_message_ratio"),
        ),
        Finding(
            f"Intervals are at the {level:.1%} level: the study tests three claims and holds the chance of any false "
            "finding among them to 5% (Bonferroni)."
        ),
    )


def _methods(level: float) -> tuple[str, ...]:
    return (
        "**Exit model** (claims 8 and 9): every member's stays, cut into cells of group × tenure band × calendar "
        "day exactly at band edges and midnights (a Lexis split); exits against member-days at risk in a Poisson "
        "model with a term per group (profiled out), tenure bands, and natural splines in the day's headcount, the "
        "group's age and the calendar day. The effects are measured within groups, as their activity and their "
        "agent's load change, so what is constant in a group (audience, channel, operators) cannot confound them.",
        f"**Activities**: a group at least 30 days old is *sparse* on a day when it started fewer than "
        f"{ACTIVITIES_MIN_PER_MONTH} activities in the 30 days before; errors clustered by group.",
        "**Agents**: a group's service agent is its assistant (the same person across groups: the longest-serving "
        "assistant if it had several); her load on a day is the members present in all her groups; errors "
        "clustered by agent, with t quantiles on agents − 1 degrees of freedom, as her groups share her load.",
        f"**Welcome pacing** (claim 7): members who joined in a clock hour with {JOIN_PEAK_JOINS}+ joins, followed "
        f"for {WELCOME_WINDOW_DAYS:g} days. A group *spaces* its welcomes if fewer than {SHORT_GAP_SHARE:.0%} of "
        f"the gaps between welcome announcements in and just after its join peaks are under {SHORT_GAP_MINUTES} "
        "minutes. Poisson model of exits with the peak's size (ln joins that hour), ln headcount (spline), "
        "homogeneity and calendar day; errors clustered by group. Fast-filling groups have bigger peaks and, in "
        "the synthetic worlds and plausibly in practice, space their welcomes more: the peak-size term takes that.",
        "**Conversions and talk**: paid conversions and members' messages per member-day on group-day cells, same "
        "group terms and splines (and a weekend term).",
    )


def _notes(cadence: pd.DataFrame, agents: pd.DataFrame, welcome: pd.DataFrame) -> dict[str, str]:
    notes = {}
    if cadence.empty:
        notes["cadence"] = "Not measurable on this data: it has no activities table."
    if agents.empty:
        notes["agent_load"] = "Not measurable on this data: no assistant (service agent) is recorded."
    if welcome.empty:
        notes["welcome"] = "Not measurable on this data: no welcome announcements around join peaks."
    return notes
