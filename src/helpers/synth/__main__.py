"""Command line: ``python -m helpers.synth --out DIR [--world planted|null|random] [--params FILE.yml] [--seed S]``.

``DIR`` must be new or empty; ``--replace`` replaces a folder that holds anything, once the
new dataset is complete (a plain file is never replaced).

``--groups`` and ``--months`` override the world's own (800 groups, 12 months unless a
parameter file says otherwise). ``--world random --seed S`` draws every parameter from
its documented range (``helpers.synth.parameters``); ``--params`` then overrides any of them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from helpers.data.atomic import TargetTaken, check_target
from helpers.data.crash import guarded
from helpers.synth.dataset import generate
from helpers.synth.parameters import PARAMETERS, ParameterError, from_file, random_world
from helpers.synth.world import WORLDS, World


def world_from_args(args: argparse.Namespace) -> World:
    """The world the command line asks for: a preset or a random draw, with the file's overrides."""
    world = random_world(args.seed) if args.world == "random" else WORLDS[args.world]()
    return from_file(args.params, world) if args.params else world


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, generate the dataset and say what was written."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.synth", description="Write a synthetic dataset with planted truth."
    )
    parser.add_argument("--out", required=True, help="dataset directory to write (an empty or new folder)")
    parser.add_argument(
        "--replace", action="store_true", help="replace --out if it holds anything (once the new one is complete)"
    )
    parser.add_argument("--groups", type=int, default=None, help="number of groups (default: the world's, 800)")
    parser.add_argument("--seed", type=int, default=1, help="random seed, also of a random world's draw (default 1)")
    parser.add_argument("--months", type=int, default=None, help="months of history (default: the world's, 12)")
    parser.add_argument(
        "--world",
        choices=[*sorted(WORLDS), "random"],
        default="planted",
        help="planted: the practitioners' claims built in; null: no effects; random: drawn from the ranges",
    )
    parser.add_argument("--params", help="YAML file of world parameters overriding the world's (name: value)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    for name in ("groups", "months"):
        value, spec = getattr(args, name), PARAMETERS[name]
        if value is not None and not spec.low <= value <= spec.high:
            parser.error(f"--{name} {value} is outside its range {spec.low:g} to {spec.high:g}")
    if args.seed < 0:
        parser.error(f"--seed {args.seed} is negative; a seed is a whole number from 0")
    try:
        check_target(Path(args.out), args.replace)
        world = world_from_args(args)
    except (ParameterError, TargetTaken) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    truth = generate(
        args.out, n_groups=args.groups, seed=args.seed, months=args.months, world=world, progress=not args.quiet
    )
    real = truth["marginals"]["realised"]
    print(
        f"wrote {args.out}: {truth['groups']:,} groups, {real['memberships']:,} memberships, "
        f"{real['messages']:,} messages ({world.name} world, seed {args.seed}) "
        f"in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main, "python -m helpers.synth"))
