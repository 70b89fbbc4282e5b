"""One calibration world: generate it, run every study's ``estimate`` and ``verdicts`` on it, and score them against truth.

The harness pays for the numbers and the verdicts only, never for a study's sentences or figures.

A world that fails (to generate, to open, or in one study) is recorded with its error and
the harness goes on: a study that raises leaves its claims' verdicts as ``error``.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd

from helpers.calibrate.rerandomise import null_outcomes, rerandomised_tests
from helpers.claims.registry import CLAIMS
from helpers.data.engine import Dataset, open_dataset
from helpers.studies import experiment, operations, overview, recruitment, retention, size_activity
from helpers.studies.experiment import ExperimentParams
from helpers.studies.experiment.net_value import best_share, net_values
from helpers.synth.dataset import generate
from helpers.synth.population import koc_share_150_plus
from helpers.synth.truth import koc_claim_truth
from helpers.synth.world import World

STUDIES: dict[str, ModuleType] = {
    "overview": overview,
    "retention": retention,
    "size_activity": size_activity,
    "recruitment": recruitment,
    "experiment": experiment,
    "operations": operations,
}
"""Every study (its ``estimate`` and ``verdicts``), run with its default parameters (the notebooks' defaults)."""


@dataclass(frozen=True)
class Judged:
    """A study's numbers and its verdicts on one world: what calibration scores."""

    estimates: object  # the study's <Study>Estimates
    verdicts: tuple

    @property
    def headline(self) -> dict:
        """The study's headline estimates."""
        return self.estimates.headline

    def as_dict(self) -> dict:
        """Plain values: the headline estimates and the verdicts."""
        return {**self.estimates.as_dict(), "verdicts": [v.as_dict() for v in self.verdicts]}


def judged(name: str, ds: Dataset) -> Judged:
    """Run one study's ``estimate`` on a dataset and judge its claims."""
    study = STUDIES[name]
    estimates = study.estimate(ds)
    return Judged(estimates, tuple(study.verdicts(estimates)))


def _param(name: str, when: Callable[[dict], bool] | None = None) -> Callable[[dict], float | None]:
    """Truth of an estimate that is a planted parameter (None where the effect is switched off)."""
    return lambda truth: truth["parameters"][name] if when is None or when(truth["parameters"]) else None


def _crn(arm: str, outcome: str) -> Callable[[dict], float | None]:
    """Truth of an experiment effect: the arm's effect on these groups (common random numbers)."""
    key = {
        "exit_30d": "exit_30d_members",
        "messages_per_member_week": "messages_per_member_week",
        "conversions_per_member_week": "conversions_per_member_week",
        "value_per_member_week": "value_per_member_week",
    }[outcome]
    return lambda truth: truth["planted_effects"]["content_ratio_experiment"]["true_values"]["effects"][
        f"{arm}_vs_control"
    ][key]


def _true_net_values(truth: dict) -> pd.Series | None:
    """Net value per arm from the arms' true value and exit rates on these groups (None without them)."""
    arms = truth["planted_effects"]["content_ratio_experiment"]["true_values"]["arms"]
    if "control" not in arms or any("value_per_member_week" not in v for v in arms.values()):
        return None
    rates = {
        a: {"value_per_member_week": v["value_per_member_week"], "exit_30d": v["exit_30d_members"]}
        for a, v in arms.items()
    }
    return net_values(pd.DataFrame(rates).T.astype(float), "control")


def _net_value(arm: str) -> Callable[[dict], float | None]:
    """Truth of a net-value difference: the formula on the arms' true value and exit rates on these groups."""

    def locate(truth: dict) -> float | None:
        values = _true_net_values(truth)
        if values is None or arm not in values:
            return None
        return float(values[arm] - values["control"])

    return locate


def _best_promo_share(truth: dict) -> float | None:
    """Truth of the best promo share: the study's quadratic through the arms, on their planted shares and true values.

    The experiment tests three mixes, so the estimand is the peak of the quadratic through
    them (or the better edge), not a peak between mixes no arm ran.
    """
    values = _true_net_values(truth)
    if values is None:
        return None
    shares = pd.Series(truth["parameters"]["arm_promo_share"]).reindex(values.index)
    return best_share(shares, values)


HEADLINE_TRUTH: dict[tuple[str, str], Callable[[dict], float | None]] = {
    ("retention", "homogeneity_hazard_ratio"): _param("mixed_exit_hr"),
    ("size_activity", "size_peak"): _param("size_peak", lambda p: p["activity_size_curvature"] > 0),
    ("size_activity", "size_peak_within_groups"): _param("size_peak", lambda p: p["activity_size_curvature"] > 0),
    ("size_activity", "monitor_share_peak"): _param("monitor_optimum", lambda p: p["monitor_curvature"] > 0),
    ("size_activity", "monitor_share_peak_same_week"): _param("monitor_optimum", lambda p: p["monitor_curvature"] > 0),
    ("size_activity", "koc_above_150"): lambda truth: truth["claims"]["koc_above_150"]["value"],
    ("recruitment", "threshold"): _param("window_threshold_days", lambda p: p["early_exit_hr"] != 1),
    **{
        ("experiment", f"{outcome}: {arm}"): _crn(arm, outcome)
        for outcome in ("exit_30d", "messages_per_member_week", "conversions_per_member_week", "value_per_member_week")
        for arm in ("promo_low", "promo_high")
    },
    **{("experiment", f"net_value: {arm}"): _net_value(arm) for arm in ("promo_low", "promo_high")},
    ("experiment", "best_promo_share"): _best_promo_share,
    ("operations", "welcome_spaced_hazard_ratio"): lambda truth: 1 / truth["parameters"]["welcome_flood_exit_hr"],
    ("operations", "staffing_overload_hazard_ratio"): _param("overload_exit_hr"),
    ("operations", "activity_sparse_hazard_ratio"): _param("sparse_activity_exit_hr"),
    ("operations", "activity_sparse_conversion_ratio"): _param("sparse_activity_conversion_rr"),
    ("operations", "activity_day_message_ratio"): _param("activity_day_message_lift"),
    ("operations", "staffing_overload_message_ratio"): lambda truth: 1.0,
}
"""Headline estimates whose true value the world knows, and where in truth.json it is."""


COMPARISON: dict[str, str] = {
    "size_activity.size_peak": (
        "shown beside the within-group peak the size-band verdict uses: between groups, size goes with everything "
        "else that makes a group grow large, so the pooled curve is a comparison, not the claim's test"
    ),
    "size_activity.monitor_share_peak_same_week": (
        "shown beside the leave-one-week-out optimum the verdict uses: the week's own share has the week's member "
        "messages in its denominator, so it is biased low by construction, and the report says so"
    ),
}
"""Headline estimates shown for comparison only (no verdict rests on them), and why; every other one is a verdict's."""


POPULATION_GROUPS = 20
"""Groups drawn for a population truth, per group of the world (at least 1,000, at most 10,000)."""


def with_population_truths(truth: dict, world: World, seed: int) -> dict:
    """The truth document with the KOC claim's share measured on a fresh population of the world's groups.

    The dataset's own share of 150+ group-weeks with 2+ KOCs shares the groups' draws with
    the estimate, so the group-clustered CI, an interval for the world, would over-cover
    it; the claim is about groups in general, so its truth is the population's share too.
    The dataset's own share is kept under ``koc_above_150_these_groups``.
    """
    groups = min(max(POPULATION_GROUPS * world.groups, 1000), 10_000)
    population = koc_share_150_plus(world, seed, groups)
    claims = dict(truth["claims"])
    claims["koc_above_150_these_groups"] = claims["koc_above_150"]
    claims["koc_above_150"] = koc_claim_truth(population["share"], f" (over {groups:,} fresh groups of this world)")
    return {**truth, "claims": claims, "population": {"koc_above_150": population}}


@dataclass(frozen=True)
class Task:
    """One world to calibrate on: its parameters and the seed of its data."""

    index: int
    world: World
    seed: int
    studies: tuple[str, ...] = ()  # the studies to run (empty: every one)


def _number(x: float | None) -> float | None:
    """A JSON-safe number (None for NaN or infinity)."""
    return float(x) if x is not None and math.isfinite(x) else None


def _estimate_record(estimate, truth_value: float | None) -> dict:
    """An estimate beside its truth: value, interval, whether it covers the truth.

    An interval open above (an optimum the data cannot bound) still covers or misses; its
    upper end is written as null with ``open_above`` true.
    """
    estimable = not estimate.not_estimable and not (math.isnan(estimate.ci_low) or math.isnan(estimate.ci_high))
    return {
        "value": _number(estimate.value),
        "ci": [_number(estimate.ci_low), _number(estimate.ci_high)],
        "truth": _number(truth_value),
        "covered": estimate.covers(truth_value) if estimable and truth_value is not None else None,
        "reason": estimate.why_not or None,
        "open_above": bool(estimable and estimate.ci_high == math.inf),
    }


def _traceback(limit: int) -> str:
    """The current exception's traceback with each file named by its last two path parts (no home paths)."""
    text = traceback.format_exc(limit=limit)
    return re.sub(r'File "/[^"]*?([^/"]+/[^/"]+)"', r'File "\1"', text)


def _first_line(err: Exception) -> str:
    """'TypeName: first line of the message' (some libraries write messages over several lines)."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


def score_world(truth: dict, results: dict[str, object], errors: dict[str, str]) -> dict:
    """The world's claims (truth and verdict) and headline estimates (value, CI, truth) from study results."""
    claims = {cid: {**truth["claims"][cid], "verdict": "error", "reason": None} for cid in CLAIMS}
    if "koc_above_150_these_groups" in truth["claims"]:
        claims["koc_above_150"]["these_groups"] = truth["claims"]["koc_above_150_these_groups"]["value"]
    for result in results.values():
        for verdict in result.verdicts:
            e = verdict.estimate
            claims[verdict.claim_id].update(
                verdict=verdict.verdict,
                reason=verdict.reason,
                estimate=None if e is None else _number(e.value),
                ci=None if e is None else [_number(e.ci_low), _number(e.ci_high)],
                not_estimable=bool(e is not None and e.not_estimable),
            )
    for study, error in errors.items():
        for claim in claims.values():
            if claim["verdict"] == "error":
                claim["reason"] = claim["reason"] or f"{study} failed: {error}"
    estimates = {}
    for (study, key), locate in HEADLINE_TRUTH.items():
        if study in results and key in results[study].headline:
            estimates[f"{study}.{key}"] = _estimate_record(results[study].headline[key], locate(truth))
    return {"claims": claims, "estimates": estimates, "koc_classification": koc_classification(truth, results)}


def koc_classification(truth: dict, results: dict[str, object]) -> dict | None:
    """Precision and recall of the study's KOCs against the members the world planted as KOCs."""
    planted = truth.get("planted_effects", {}).get("koc", {}).get("koc_members")
    size = results.get("size_activity")
    frame = None if size is None else size.estimates.members
    if planted is None or frame is None:
        return None
    found, planted = set(frame.loc[frame["koc"], "member_id"]), set(planted)
    hits = len(found & planted)
    return {
        "planted": len(planted),
        "found": len(found),
        "precision": hits / len(found) if found else None,
        "recall": hits / len(planted) if planted else None,
    }


def run_world(task: Task, workdir: str | None = None) -> dict:
    """Generate the task's world in a scratch folder, run every study, and return its scored record."""
    began = time.perf_counter()
    record: dict = {"index": task.index, "seed": task.seed, "world": task.world.name, "error": None}
    scratch = Path(tempfile.mkdtemp(prefix="calibrate-", dir=workdir))
    try:
        names = task.studies or tuple(STUDIES)
        truth = generate(scratch / "data", seed=task.seed, world=task.world, progress=False)
        if "size_activity" in names:
            truth = with_population_truths(truth, task.world, task.seed)
        record["switched_off"] = truth["switched_off"]
        record["parameters"] = {
            k: v for k, v in truth["parameters"].items() if not isinstance(v, dict) and k != "switched_off"
        }
        record["realised"] = truth["marginals"]["realised"]
        ds = open_dataset(scratch / "data")
        results, errors, seconds = {}, {}, {}
        for name in names:
            t = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    results[name] = judged(name, ds)
            except Exception as err:  # a study that fails is what calibration must record, not stop on
                errors[name] = _first_line(err)
                record.setdefault("study_tracebacks", {})[name] = _traceback(4)
            seconds[name] = round(time.perf_counter() - t, 2)
        record.update(score_world(truth, results, errors))
        if task.studies and not errors:  # a focused world scores only the claims its studies judged
            record["claims"] = {k: c for k, c in record["claims"].items() if c["verdict"] != "error"}
        groups = results["experiment"].estimates.groups if "experiment" in results else None
        if groups is not None and (nulls := null_outcomes(truth)):
            frame = groups
            record["aa_rerandomised"] = rerandomised_tests(frame, nulls, ExperimentParams().control_arm)
        record["study_errors"] = errors
        record["study_seconds"] = seconds
    except Exception as err:  # the world itself failed: keep its error, the harness goes on
        record["error"] = _first_line(err)
        record["traceback"] = _traceback(5)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    record["seconds"] = round(time.perf_counter() - began, 2)
    return record
