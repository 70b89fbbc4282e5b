"""The rules-of-thumb scorecard: each practitioner claim the studies test, its estimate and a verdict.

Reads the studies' ``results.json`` documents (by what they contain, not by file name),
so a sweep or a renamed run still counts. Verdicts follow ``claims.interval_verdict``.
"""

from __future__ import annotations

import math

from helpers.claims import Verdict, interval_verdict
from helpers.estimates import Estimate


def _estimate(d: dict) -> Estimate:
    """An Estimate from its results.json form."""
    return Estimate(**{k: d[k] for k in ("name", "value", "ci_low", "ci_high", "method")}, n=d.get("n"))


def _from_dict(d: dict) -> Verdict:
    """A Verdict from its results.json form."""
    return Verdict(d["claim"], d["verdict"], d["reason"], _estimate(d["estimate"]) if d.get("estimate") else None)


def scorecard(documents: dict[str, dict]) -> list[tuple[str, Verdict]]:
    """(run name, verdict) for every claim found in the runs' results; the first run with a claim wins."""
    found: dict[str, tuple[str, Verdict]] = {}
    for run, doc in documents.items():
        results = doc.get("results", {})
        for key, verdict in (results.get("verdicts") or {}).items():  # study 2
            found.setdefault(key, (run, _from_dict(verdict)))
        if "verdict" in results and "threshold" in results:  # study 3
            found.setdefault("recruitment", (run, _from_dict(results["verdict"])))
        if "homogeneity_hazard_ratio" in results:  # study 1: hazard ratio of mixed vs homogeneous groups
            ratio = _estimate(results["homogeneity_hazard_ratio"])
            found.setdefault("homophily", (run, interval_verdict(
                "homogeneous groups keep members better than mixed ones (claim 3)", ratio, (1.0, math.inf))))
        if "stage_effects_exit_30d" in results:  # study 4
            for key, verdict in _content_verdicts(results).items():
                found.setdefault(key, (run, verdict))
    order = ["size_band", "koc_above_150", "recruitment", "homophily", "content_exits", "content_stage",
             "monitor_share", "peak_hours"]
    return [found[k] for k in order if k in found]


def _content_verdicts(results: dict) -> dict[str, Verdict]:
    """Claim 4 from the experiment: the most promotional arm's exit effect, and whether it differs by stage."""
    exits = [e for e in results["effects"] if e["outcome"] == "exit_30d"]
    if not exits:
        return {}
    worst = max(exits, key=lambda e: e["effect"])
    effect = Estimate(f"exit_30d: {worst['arm']} - control", worst["effect"], worst["ci_low"], worst["ci_high"],
                      "difference of ratios, groups as units")
    out = {"content_exits": interval_verdict("too much promotional content drives exits (claim 4)", effect,
                                             (0.0, math.inf))}
    stages = {s["stage"]: s for s in results["stage_effects_exit_30d"] if s["arm"] == worst["arm"]}
    if "launch" in stages and "mature" in stages:
        launch, mature = stages["launch"], stages["mature"]
        gap = Estimate(f"{worst['arm']}: launch effect - mature effect", launch["effect"] - mature["effect"],
                       launch["ci_low"] - mature["ci_high"], launch["ci_high"] - mature["ci_low"],
                       "difference of stage effects; conservative interval from the two CIs")
        out["content_stage"] = interval_verdict("the right content mix depends on the group's stage (claim 4)",
                                                gap, (0.0, math.inf))
    return out
