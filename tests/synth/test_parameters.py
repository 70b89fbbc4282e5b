"""World parameters as data: overrides from a file, checked ranges, random worlds, and the truth of every claim."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from helpers.claims.registry import CLAIMS, PEAK_HOURS
from helpers.data.atomic import new_work_folder
from helpers.synth import generate
from helpers.synth.parameters import EFFECTS, OFF_PROBABILITY, PARAMETERS, ParameterError, flat, from_file, random_world
from helpers.synth.simulate import Cohort, Run
from helpers.synth.truth import claim_truths, is_koc, monday_counts, peak_hour_lifts
from helpers.synth.world import World, null, planted


def test_every_world_field_is_a_documented_parameter():
    names = set(flat(World()))
    assert names == set(PARAMETERS), names ^ set(PARAMETERS)
    for name, value in flat(World()).items():
        spec = PARAMETERS[name]
        assert spec.low <= value <= spec.high, name  # the defaults lie in their own ranges
        if spec.draw:
            assert spec.low <= spec.draw[0] < spec.draw[1] <= spec.high, name


def test_a_file_overrides_flat_and_nested_names(tmp_path):
    path = tmp_path / "world.yml"
    path.write_text(
        "size_peak: 400\npromo_exit_beta: {growth: -0.5}\narm_promo_share.promo_high: 0.5\n"
        "peak_hours: {prenatal: [[9, 10], [14, 15]]}\n"
    )
    world = from_file(path)
    assert world.size_peak == 400.0
    assert world.promo_exit_beta == {"launch": 2.0, "growth": -0.5, "mature": 0.5}
    assert world.arm_promo_share["promo_high"] == 0.5 and world.arm_promo_share["control"] == 0.15
    assert world.peak_hours["prenatal"] == ((9, 10), (14, 15))
    assert world.peak_hours["postnatal"] == PEAK_HOURS["postnatal"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("size_peek: 400\n", "unknown world parameter 'size_peek'"),
        ("promo_exit_beta: {adult: 1}\n", "unknown world parameter 'promo_exit_beta.adult'; did you mean"),
        ("koc_share: 1.5\n", "'koc_share': 1.5 is outside its range 0-1"),
        ("critical_size: 150.5\n", "'critical_size': 150.5 is not a whole number"),
        ("mixed_exit_hr: high\n", "'mixed_exit_hr': 'high' is not a number"),
        ("target_size_min: 600\ntarget_size_max: 500\n", "target_size_min (600) exceeds target_size_max (500)"),
        ("peak_hours: {prenatal: [[20, 18]]}\n", "'peak_hours.prenatal': each range needs 0 <= start < end <= 24"),
        ("- 1\n- 2\n", "give world parameters as 'name: value' lines"),
    ],
)
def test_a_bad_parameter_is_named(tmp_path, text, message):
    path = tmp_path / "world.yml"
    path.write_text(text)
    with pytest.raises(ParameterError) as err:
        from_file(path)
    assert message in str(err.value)
    assert str(err.value).startswith("world.yml: ")


def test_the_command_line_names_a_bad_parameter_and_writes_nothing(tmp_path):
    params = tmp_path / "world.yml"
    params.write_text("exit_base: -1\n")
    out = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "helpers.synth", "--out", str(out), "--params", str(params), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "world.yml: world parameter 'exit_base': -1 is outside its range" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_random_worlds_are_reproducible_in_range_and_switch_effects_off_a_third_of_the_time():
    assert random_world(5) == random_world(5)
    assert random_world(5) != random_world(6)
    worlds = [random_world(seed, groups=30, months=4) for seed in range(300)]
    for world in worlds[:40]:
        for name, value in flat(world).items():
            spec = PARAMETERS[name]
            assert spec.low <= value <= spec.high, (world.name, name, value)
    for effect in EFFECTS:
        off = np.mean([effect in w.switched_off for w in worlds])
        assert abs(off - OFF_PROBABILITY) < 0.09, (effect, off)  # 300 draws: sd 0.027
    homophily_off = [w for w in worlds if "homophily" in w.switched_off]
    assert all(w.mixed_exit_hr == 1.0 for w in homophily_off)
    stage_off = [w for w in worlds if "content_stage" in w.switched_off]
    assert all(len(set(w.promo_exit_beta.values())) == 1 for w in stage_off)
    moved = [w for w in worlds if w.peak_hours != dict(PEAK_HOURS)]
    assert 0.35 < len(moved) / len(worlds) < 0.65
    assert all(
        w.arm_promo_share["promo_low"] < w.arm_promo_share["control"] < w.arm_promo_share["promo_high"] for w in worlds
    )


EXPOSED = {
    "peak_joiners_spaced_welcomes": 100,
    "peak_joiners_one_welcome_per_join": 100,
    "member_days_overloaded_agent": 1e5,
    "member_days_sparse_activities": 1e5,
}
"""Realised exposure to the three operations effects (peak joiners under each welcome policy, member-days)."""


def _truth(world: World, koc_share: float | None = 0.95, crn: dict | None = None, exposed: dict | None = None) -> dict:
    """claim_truths with hand-set emergent values (the rest comes from the world's parameters)."""
    effects = {
        "operations": EXPOSED if exposed is None else exposed,
        "koc": {"share_with_two_or_more_kocs_150_plus": koc_share},
        "content_ratio_experiment": {
            "true_values": {
                "effects": {
                    "promo_low_vs_control": {},
                    "promo_high_vs_control": crn
                    or {"exit_30d_members": 0.03, "exit_30d_members_launch": 0.05, "exit_30d_members_mature": 0.01},
                }
            }
        },
    }
    return {k: v["truth"] for k, v in claim_truths(world, effects).items()}


def test_claim_truths_follow_the_planted_values():
    assert set(_truth(planted())) == set(CLAIMS)
    assert _truth(planted()) == dict.fromkeys(CLAIMS, "supported")
    other = replace(
        planted(),
        size_peak=400.0,
        monitor_optimum=0.09,
        window_threshold_days=49.0,
        mixed_exit_hr=0.8,
        peak_hours={"prenatal": ((9, 10), (14, 16)), "postnatal": PEAK_HOURS["postnatal"]},
        welcome_flood_exit_hr=0.8,  # spacing raises exits: against the claim
        overload_exit_hr=0.85,
        sparse_activity_exit_hr=0.7,
    )
    crn = {"exit_30d_members": -0.02, "exit_30d_members_launch": -0.02, "exit_30d_members_mature": -0.025}
    assert _truth(other, koc_share=0.5, crn=crn) == {
        "size_band": "contradicted",
        "koc_above_150": "contradicted",
        "recruitment": "contradicted",
        "homophily": "contradicted",
        "content_exits": "contradicted",
        "content_stage": "no effect",  # a 0.5-point stage gap is below the 1 point that matters
        "monitor_share": "contradicted",
        "peak_hours": "contradicted",
        "welcome_pacing": "contradicted",
        "staffing": "contradicted",
        "activity_cadence": "contradicted",
    }


def test_claim_truths_of_absent_or_negligible_effects():
    flat_hours = replace(
        null(),
        peak_hour_lift=1.0,
        mixed_exit_hr=1.05,
        early_exit_hr=1.2,
        welcome_flood_exit_hr=1.05,
        sparse_activity_exit_hr=1.5,
    )
    crn = {"exit_30d_members": 0.004, "exit_30d_members_launch": 0.004, "exit_30d_members_mature": None}
    nobody = {**EXPOSED, "member_days_overloaded_agent": 0.0, "member_days_sparse_activities": 0.0}
    truth = _truth(flat_hours, koc_share=None, crn=crn, exposed=nobody)
    assert truth == {
        "size_band": "no effect",
        "koc_above_150": "untestable",
        "recruitment": "no effect",  # HR 1.2 is below the 1.25 that matters
        "homophily": "no effect",  # HR 1.05 is below 1.1
        "content_exits": "no effect",
        "content_stage": "untestable",
        "monitor_share": "no effect",
        "peak_hours": "no effect",
        "welcome_pacing": "no effect",  # 1 / 1.05 is within 1.1 of no effect
        "staffing": "untestable",  # no agent ever served 10,000 members
        "activity_cadence": "untestable",  # planted, but no group ever ran fewer than 2 a month
    }


def test_peak_hour_lift_by_closed_form():
    """Reference: closed form. Day level 1, 23h at 0.5, claimed hours at the lift L."""
    lifts = peak_hour_lifts(planted())
    # prenatal: 3 claimed hours at 3.0; the 13 other daytime hours (8-23) are 12 at 1.0 and 23h at 0.5
    assert lifts["prenatal"]["lift"] == pytest.approx(3.0 / (12.5 / 13))
    # postnatal: 6 claimed hours at 3.0 (21-23 ends before 23h); 10 others: 9 at 1.0 and 23h at 0.5
    assert lifts["postnatal"]["lift"] == pytest.approx(3.0 / (9.5 / 10))
    assert all(v["claimed_are_the_peaks"] for v in lifts.values())


def test_monday_counts_by_hand():
    """Reference: counted by hand. Day 0 is a Wednesday, so Mondays are days 5, 12, 19, ..."""
    cohort = Cohort(
        group=np.array([0, 0, 0, 1]),
        joined=np.array([0.0, 4.0, 6.0, 12.0]),
        role=np.array([0, 3, 3, 3], dtype=np.int8),  # an owner (never counted) and three members
        propensity=np.zeros(4),
        koc=np.array([False, True, False, True]),
        early=np.zeros(4, bool),
        threshold=np.ones(4),
        removed=np.zeros(4, bool),
    )
    run = Run(
        np.array([np.inf, 13.0, np.inf, np.inf]),
        np.zeros(2),
        *([np.zeros(0)] * 3),
        *([np.zeros((2, 1))] * 3),
        np.zeros(4),
        np.zeros(0, np.int64),
        np.zeros(0),
        np.zeros((2, 3)),
    )
    size, kocs = monday_counts(cohort, run, 2, 21.0, cohort.koc)
    # Mondays 5, 12, 19: the KOC in group 0 is there from day 4 to 13, the other member from day 6;
    # group 1's KOC joins on Monday 12 itself
    assert size.tolist() == [[1, 2, 1], [0, 1, 1]]
    assert kocs.tolist() == [[1, 1, 0], [0, 1, 1]]


def test_a_generated_world_records_the_truth_of_every_claim(tmp_path):
    truth = generate(tmp_path / "w", n_groups=30, seed=2, months=4, progress=False, world=random_world(8, 30, 4))
    assert truth["world"] == "random-8" and truth["groups"] == 30 and truth["months"] == 4
    assert set(truth["claims"]) == set(CLAIMS)
    for claim in truth["claims"].values():
        assert claim["truth"] in ("supported", "contradicted", "no effect", "untestable")
        assert claim["why"]
    assert truth["switched_off"] == list(random_world(8).switched_off)


def test_the_command_line_draws_a_random_world_and_applies_a_file_on_top(tmp_path):
    params = tmp_path / "world.yml"
    params.write_text("mixed_exit_hr: 2.0\n")
    out = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "helpers.synth", "--out", str(out), "--world", "random", "--seed", "3"]
        + ["--groups", "8", "--months", "2", "--params", str(params), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    truth = json.loads((out / "truth.json").read_text())
    drawn = random_world(3)
    assert truth["world"] == "random-3" and truth["groups"] == 8 and truth["months"] == 2
    assert truth["parameters"]["size_peak"] == drawn.size_peak
    assert truth["parameters"]["mixed_exit_hr"] == 2.0
    assert truth["claims"]["homophily"]["truth"] == "supported"


def test_planted_kocs_are_talkers_who_are_heard():
    """By hand: the propensity rule, plus a week's stay and five expected messages (a silenced talker is no KOC)."""
    world = planted()
    high = 10 * world.activity_median
    cohort = Cohort(
        group=np.zeros(6, int),
        joined=np.array([0.0, 0.0, 0.0, 0.0, 0.0, 95.0]),
        role=np.array([0, 3, 3, 3, 3, 3], dtype=np.int8),
        propensity=np.array([high, high, high / 2, high, high, high]),
        koc=np.zeros(6, bool),
        early=np.zeros(6, bool),
        threshold=np.ones(6),
        removed=np.zeros(6, bool),
    )
    exit_day = np.array([np.inf, np.inf, np.inf, 5.0, np.inf, np.inf])
    messages = np.array([50.0, 50.0, 50.0, 50.0, 1.0, 50.0])  # member 4 in a silenced group
    run = Run(
        exit_day,
        np.zeros(1),
        *([np.zeros(0)] * 3),
        *([np.zeros((1, 1))] * 3),
        messages,
        *([np.zeros(0)] * 2),
        np.zeros((1, 3)),
    )
    # owner: no; talker: yes; half the rate: no; left after 5 days: no; silenced: no; 5 days before the end: no
    assert is_koc(cohort, world, run, 100.0).tolist() == [False, True, False, False, False, False]


def _synth(*args: str) -> subprocess.CompletedProcess:
    """The synth command line with a tiny world."""
    command = [sys.executable, "-m", "helpers.synth", "--groups", "3", "--months", "2", "--quiet", *args]
    return subprocess.run(command, capture_output=True, text=True)


def test_synth_never_deletes_or_replaces_a_users_files_without_replace(tmp_path):
    """A folder holding anything, or a plain file, given as --out is left as it was; --replace replaces a folder."""
    out = tmp_path / "mine"
    (out / "raw").mkdir(parents=True)
    (out / "notes.txt").write_text("my notes\n")
    done = _synth("--out", str(out))
    assert done.returncode == 2 and "not empty; pass --replace" in done.stderr and "Traceback" not in done.stderr
    assert (out / "notes.txt").read_text() == "my notes\n" and (out / "raw").is_dir()
    plain = tmp_path / "plain.txt"
    plain.write_text("keep me\n")
    for args in (("--out", str(plain)), ("--replace", "--out", str(plain))):
        done = _synth(*args)
        assert done.returncode == 2 and "is a file" in done.stderr
        assert plain.read_text() == "keep me\n"
    assert _synth("--out", str(tmp_path / "new")).returncode == 0  # a new folder needs no --replace
    assert _synth("--replace", "--out", str(out)).returncode == 0
    assert (out / "truth.json").is_file() and not (out / "notes.txt").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_work_folders_of_an_interrupted_run_are_removed_by_the_next_one(tmp_path):
    """A killed run's work folder (its process gone) and a half-removed old folder go; a live run's stays."""
    final = tmp_path / "data"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".data.work-{dead.stdout.strip()}-abc123"
    previous = tmp_path / ".data.previous-1700000000"
    live = tmp_path / f".data.work-{os.getppid()}-xyz789"
    other = tmp_path / ".other.work-1-abc"
    for folder in (stale, previous, live, other):
        (folder / "memberships").mkdir(parents=True)
    work = new_work_folder(final)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in left and previous.name not in left
    assert {live.name, other.name, work.name} <= set(left)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--months", "121"), "--months 121 is outside its range 2 to 120"),
        (("--world", "random", "--seed", "-1"), "--seed -1 is negative"),
    ],
)
def test_synth_options_outside_their_range_are_refused(tmp_path, args, message):
    done = _synth("--out", str(tmp_path / "out"), *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_world_file_giving_a_parameter_twice_is_refused(tmp_path):
    """PyYAML would keep the second 'size_peak'; the file's author meant one of them."""
    path = tmp_path / "world.yml"
    path.write_text("size_peak: 200\nexit_base: 0.01\nsize_peak: 300\n")
    with pytest.raises(ParameterError, match="world.yml: .*line 3: key 'size_peak' is given twice"):
        from_file(path)
