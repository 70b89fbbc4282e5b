"""From per-world records to error rates: confusion matrices, CI coverage and bias, power by effect size.

Truth labels (``helpers.synth.truth.claim_truths``): supported, contradicted, no effect (the
claim's effect is absent or smaller than the smallest that matters) and untestable (the
estimand does not exist on that world, e.g. no group reached 150 members). A verdict is
correct when it equals the truth, is inconclusive where the truth is no effect or
untestable, or is contradicted where the truth is no effect (a claim that an effect exists
is false where it does not). False "supported" is counted over every world where the
claim does not hold; false "contradicted" over the worlds where it holds. Rates carry 95% Wilson intervals: over a few hundred worlds they are estimates too.
"""

from __future__ import annotations

import json
import math

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from helpers import fmt
from helpers.calibrate.rerandomise import OUTCOMES as AA_OUTCOMES
from helpers.calibrate.rerandomise import pooled_rate
from helpers.calibrate.run import COMPARISON
from helpers.claims.registry import CLAIMS
from helpers.data.atomic import strict_json

VERDICTS = ("supported", "contradicted", "inconclusive", "error")
TRUTHS = ("supported", "contradicted", "no effect", "untestable")
EFFECT_BINS = 3
"""Power is also given by tercile of the true effect's size among worlds where the claim's effect is there."""


def rate(k: int, n: int) -> dict:
    """k of n as a share with its 95% Wilson interval (None when n is 0)."""
    if n == 0:
        return {"k": 0, "n": 0, "share": None, "ci": [None, None]}
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {"k": int(k), "n": int(n), "share": k / n, "ci": [float(low), float(high)]}


def count_share(r: dict, missing: str = "—") -> str:
    """'12% (3/25)': a rate as a percentage with its count (``missing`` when there is no world to count)."""
    return missing if r["share"] is None else f"{fmt.pct(r['share'], 0)} ({r['k']}/{r['n']})"


def correct(truth: str, verdict: str) -> bool:
    """Whether a verdict is right about a world whose truth is ``truth``."""
    return (
        verdict == truth
        or (verdict == "inconclusive" and truth in ("no effect", "untestable"))
        or (verdict == "contradicted" and truth == "no effect")
    )


def _effect_size(claim: dict) -> float | None:
    """How far the planted effect is from none, on the claim's effect scale (ratios on the log scale)."""
    e = claim.get("effect")
    if e is None or not math.isfinite(e):
        return None
    return abs(math.log(e)) if CLAIMS[claim["id"]].smallest_effect > 1 and e > 0 else abs(e)


def claim_summary(records: list[dict], claim_id: str) -> dict:
    """Confusion matrix of verdict vs truth for one claim, its error rates, and its power."""
    rows = [
        {**r["claims"][claim_id], "id": claim_id} for r in records if not r.get("error") and claim_id in r["claims"]
    ]
    matrix = {t: dict.fromkeys(VERDICTS, 0) for t in TRUTHS}
    for c in rows:
        matrix[c["truth"]][c["verdict"] if c["verdict"] in VERDICTS else "error"] += 1
    n_truth = {t: sum(matrix[t].values()) for t in TRUTHS}
    real = [c for c in rows if c["truth"] in ("supported", "contradicted")]
    out = {
        "claim": claim_id,
        "label": CLAIMS[claim_id].label,
        "worlds": len(rows),
        "truth_counts": n_truth,
        "matrix": matrix,
        "false_supported": rate(
            sum(matrix[t]["supported"] for t in TRUTHS if t != "supported"), len(rows) - n_truth["supported"]
        ),
        "false_contradicted": rate(matrix["supported"]["contradicted"], n_truth["supported"]),
        "correct": rate(sum(correct(c["truth"], c["verdict"]) for c in rows), len(rows)),
        "inconclusive_when_real": rate(sum(c["verdict"] == "inconclusive" for c in real), len(real)),
        "errors": rate(sum(c["verdict"] == "error" for c in rows), len(rows)),
        "power": rate(sum(c["verdict"] == c["truth"] for c in real), len(real)),
        "power_supported": rate(matrix["supported"]["supported"], n_truth["supported"]),
        "power_by_effect": _power_by_effect(real),
    }
    return out


def _power_by_effect(real: list[dict]) -> list[dict]:
    """Power within terciles of the true effect's size (worlds where the claim's effect is there)."""
    sized = [(s, c) for c in real if (s := _effect_size(c)) is not None]
    if len(sized) < EFFECT_BINS:
        return []
    edges = np.quantile([s for s, _ in sized], np.linspace(0, 1, EFFECT_BINS + 1))
    out = []
    for i in range(EFFECT_BINS):
        low, high = edges[i], edges[i + 1]
        part = [c for s, c in sized if low <= s <= high and (i == EFFECT_BINS - 1 or s < high)]
        out.append(
            {
                "effect_from": float(low),
                "effect_to": float(high),
                "power": rate(sum(c["verdict"] == c["truth"] for c in part), len(part)),
            }
        )
    return out


def estimate_summary(records: list[dict], key: str) -> dict:
    """Coverage of the 95% CI and mean bias of one headline estimate, over worlds where its truth is known."""
    rows = [r["estimates"][key] for r in records if not r.get("error") and key in r.get("estimates", {})]
    known = [e for e in rows if e["truth"] is not None]
    estimable = [e for e in known if e["covered"] is not None]
    errors = np.array([e["value"] - e["truth"] for e in estimable]) if estimable else np.array([])
    relative = [(e["value"] - e["truth"]) / abs(e["truth"]) for e in estimable if e["truth"]]
    return {
        "estimate": key,
        "role": "comparison" if key in COMPARISON else "verdict",
        "worlds": len(rows),
        "truth_known": len(known),
        "not_estimable": len(known) - len(estimable),
        "coverage": rate(sum(bool(e["covered"]) for e in estimable), len(estimable)),
        "open_above": sum(bool(e.get("open_above")) for e in estimable),
        "mean_bias": float(errors.mean()) if len(errors) else None,
        "median_relative_bias": float(np.median(relative)) if relative else None,
        "rmse": float(np.sqrt((errors**2).mean())) if len(errors) else None,
    }


def failures(records: list[dict]) -> dict:
    """The worlds that failed and the studies that failed on a world, with their errors."""
    return {
        "worlds_failed": [
            {"index": r["index"], "seed": r["seed"], "error": r["error"]} for r in records if r.get("error")
        ],
        "study_errors": [
            {"index": r["index"], "seed": r["seed"], "study": s, "error": e}
            for r in records
            for s, e in (r.get("study_errors") or {}).items()
        ],
    }


def summarise_records(records: list[dict]) -> dict:
    """Every claim's and every headline estimate's summary, and the worlds that failed."""
    keys = sorted({k for r in records if not r.get("error") for k in r.get("estimates", {})})
    return {
        "worlds": len(records),
        **failures(records),
        "claims": {cid: claim_summary(records, cid) for cid in CLAIMS},
        "estimates": {k: estimate_summary(records, k) for k in keys},
        "koc_classification": koc_summary(records),
        "experiment_null": null_rejections(records),
        "experiment_null_rerandomised": {
            outcome: pooled_rate(
                [r["aa_rerandomised"][outcome] for r in records if outcome in r.get("aa_rerandomised", {})]
            )
            for outcome in AA_OUTCOMES
        },
    }


def threshold_summary(records: list[dict], settings: dict) -> dict:
    """The threshold check: coverage of the recruitment threshold's CI and the claim's verdicts on its worlds."""
    ok = [r for r in records if not r.get("error") and "recruitment" in r.get("claims", {})]
    return {
        "settings": settings,
        "worlds": len(records),
        **failures(records),
        "estimate": estimate_summary(ok, "recruitment.threshold"),
        "claim": claim_summary(ok, "recruitment"),
    }


def operations_summary(records: list[dict], settings: dict) -> dict:
    """The operations check: coverage of the operations estimates and the verdicts of claims 7-9 on its worlds."""
    ok = [r for r in records if not r.get("error") and "staffing" in r.get("claims", {})]
    keys = sorted({k for r in ok for k in r.get("estimates", {}) if k.startswith("operations.")})
    return {
        "settings": settings,
        "worlds": len(records),
        **failures(records),
        "estimates": {k: estimate_summary(ok, k) for k in keys},
        "claims": {c: claim_summary(ok, c) for c in ("welcome_pacing", "staffing", "activity_cadence")},
    }


def null_rejections(records: list[dict]) -> dict:
    """A/A rate: how often an arm's 95% CI excludes 0 where that arm's true effect on the outcome is exactly zero.

    Counted per arm and outcome over the worlds' own assignments; the true effect is zero
    where the world planted no content effect that reaches the outcome (the same members
    under every arm), so about 5% is right. Two tests per world: see
    ``experiment_null_rerandomised`` for the precise rate.
    """
    out: dict = {}
    for outcome in AA_OUTCOMES:
        k = n = 0
        for r in records:
            if r.get("error"):
                continue
            for key, e in r.get("estimates", {}).items():
                if key.startswith(f"experiment.{outcome}: ") and e.get("truth") == 0 and e["ci"][0] is not None:
                    n += 1
                    k += not (e["ci"][0] <= 0 <= e["ci"][1])
        out[outcome] = rate(k, n)
    return out


def koc_summary(records: list[dict]) -> dict:
    """Median precision and recall of the KOC classification over worlds with planted KOCs, and their quartiles."""
    rows = [r["koc_classification"] for r in records if not r.get("error") and r.get("koc_classification")]
    out: dict = {"worlds": len(rows)}
    for key in ("precision", "recall"):
        values = [v[key] for v in rows if v.get(key) is not None]
        out[key] = (
            {"median": float(np.median(values)), "quartiles": [float(q) for q in np.quantile(values, [0.25, 0.75])]}
            if values
            else None
        )
    return out


def document_text(document: dict) -> str:
    """A calibration document as JSON text: the summary indented, each world's record on one line (small diffs)."""
    document = json.loads(strict_json(document, indent=None))
    lists = [k for k in ("records", "threshold_records", "operations_records") if k in document]
    head = {k: v for k, v in document.items() if k not in lists}
    text = json.dumps(head, indent=1, allow_nan=False)[:-2]
    for key in lists:
        rows = ",\n".join("  " + json.dumps(r, separators=(",", ":"), allow_nan=False) for r in document[key])
        text += f',\n "{key}": [\n' + rows + "\n ]"
    return text + "\n}\n"
