"""Population truths: fresh groups of the same world, drawn by the generator's own process."""

from __future__ import annotations

import json

from helpers.calibrate.run import with_population_truths
from helpers.synth.dataset import generate
from helpers.synth.parameters import random_world
from helpers.synth.population import koc_share_150_plus


def test_the_population_draw_on_the_datasets_own_streams_gives_the_datasets_own_koc_share(tmp_path):
    """Reference: the generator's truth.json (the same process on the same streams must give the same share)."""
    world = random_world(11, groups=40, months=4)
    truth = generate(tmp_path / "d", seed=11, world=world, progress=False)
    own = truth["planted_effects"]["koc"]
    again = koc_share_150_plus(world, 11, 40, stream=())
    assert again["group_weeks"] == own["group_weeks_150_plus"] > 0
    assert again["share"] == own["share_with_two_or_more_kocs_150_plus"]


def test_fresh_populations_agree_with_each_other_and_differ_from_one_datasets_groups():
    """Reference: simulation with known truth; two disjoint populations estimate one world's share."""
    world = random_world(12, groups=40, months=4)  # a share near a half: the draws matter most there
    a = koc_share_150_plus(world, 1, 1500)
    b = koc_share_150_plus(world, 2, 1500)
    small = koc_share_150_plus(world, 1, 40)
    assert a["group_weeks"] > 2000 and b["group_weeks"] > 2000
    assert 0.3 < a["share"] < 0.8 and 0 < a["se"] < 0.03 and 0 < b["se"] < 0.03
    # groups differ a lot in how many KOCs they grow, so two populations differ by their clustered SEs
    assert abs(a["share"] - b["share"]) < 4 * (a["se"] ** 2 + b["se"] ** 2) ** 0.5
    assert small["share"] != a["share"]  # other groups, other draws


def test_calibration_truth_is_the_populations_share_and_keeps_the_datasets_own(tmp_path):
    world = random_world(11, groups=40, months=4)
    truth = generate(tmp_path / "d", seed=11, world=world, progress=False)
    scored = with_population_truths(truth, world, 11)
    population = scored["population"]["koc_above_150"]
    assert population["groups"] == 1000  # 20 per group of the world, at least 1,000
    assert scored["claims"]["koc_above_150"]["value"] == population["share"]
    assert scored["claims"]["koc_above_150_these_groups"] == truth["claims"]["koc_above_150"]
    assert scored["claims"]["koc_above_150"]["truth"] == ("supported" if population["share"] >= 0.9 else "contradicted")
    assert "fresh groups" in scored["claims"]["koc_above_150"]["why"]
    json.dumps(scored)  # still a JSON document
