"""Truths about the world's population of groups, not about the groups one dataset happens to hold.

``truth.json`` records most emergent quantities on the dataset's own groups (the share of
their weeks with two or more KOCs, the arms' effects on them under common random
numbers). A confidence interval clustered by group is an interval for the world the
groups were drawn from, so it over-covers a truth computed on the same groups: the
groups' own draws sit in both. This module draws a fresh, larger set of groups from the
same world and measures the quantity there, which is what such an interval should cover.
"""

from __future__ import annotations

import numpy as np

from helpers.synth import groups as grp
from helpers.synth.dataset import BATCH_GROUPS
from helpers.synth.simulate import draw_cohort, draw_weeks, simulate
from helpers.synth.truth import KOC_SIZE, is_koc, monday_counts
from helpers.synth.world import World

POPULATION_STREAM = (97,)
"""Prefix of the random streams' paths for population draws (a dataset's paths start with 0-5)."""


def koc_share_150_plus(world: World, seed: int, groups: int, stream: tuple[int, ...] = POPULATION_STREAM) -> dict:
    """Share of Monday group-weeks at 150+ members with 2+ planted KOCs present, over ``groups`` fresh groups.

    The groups are planned, assigned and simulated exactly as the dataset's are (each
    under its own arm), from streams no dataset of any seed uses (``stream=()`` gives the
    dataset's own streams, and so its own groups: messages are not drawn, and exits and
    expected messages do not depend on the message draws). Returns the share
    (None where no group-week reached 150 members), its standard error clustered by
    group (how far another population of this size could put it), the group-weeks
    counted and the groups drawn.
    """
    months = world.months
    _, total_days = grp.calendar(months)
    plan = grp.plan_groups(world, groups, months, np.random.default_rng([seed, *stream, 0]))
    plan = grp.assign_arms(plan, world, months, np.random.default_rng([seed, *stream, 1]))
    n_weeks = int(total_days // 7) + 2
    large, with_two = [], []
    for number, first in enumerate(range(0, groups, BATCH_GROUPS)):
        batch = plan.iloc[first : first + BATCH_GROUPS].reset_index(drop=True)
        dynamics = np.random.default_rng([seed, *stream, 2, number])
        cohort = draw_cohort(batch, world, total_days, dynamics)
        weeks = draw_weeks(batch, world, n_weeks, dynamics)
        run = simulate(
            batch,
            cohort,
            weeks,
            world,
            total_days,
            batch["arm"].to_numpy(dtype=str),
            emit=np.zeros(len(batch), bool),
            rng=np.random.default_rng([seed, *stream, 3, number]),
        )
        size, kocs = monday_counts(cohort, run, len(batch), total_days, is_koc(cohort, world, run, total_days))
        big = size >= KOC_SIZE
        large.append(big.sum(axis=1))
        with_two.append((big & (kocs >= 2)).sum(axis=1))
    weeks, hits = np.concatenate(large).astype(float), np.concatenate(with_two).astype(float)
    if weeks.sum() == 0:
        return {"share": None, "se": None, "group_weeks": 0, "groups": groups}
    share = hits.sum() / weeks.sum()
    reached = int((weeks > 0).sum())
    se = np.sqrt(reached / max(reached - 1, 1) * np.sum((hits - share * weeks) ** 2)) / weeks.sum()
    return {"share": float(share), "se": float(se), "group_weeks": int(weeks.sum()), "groups": groups}
