"""Command line: ``python -m helpers.synth --out DIR --groups N --seed S [--months M] [--world planted|null]``."""

from __future__ import annotations

import argparse
import sys
import time

from helpers.synth.dataset import generate
from helpers.synth.world import WORLDS


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, generate the dataset and say what was written."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.synth", description="Write a synthetic dataset with planted truth."
    )
    parser.add_argument("--out", required=True, help="dataset directory to write (replaced when complete)")
    parser.add_argument("--groups", type=int, default=800, help="number of groups (default 800)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    parser.add_argument(
        "--world",
        choices=sorted(WORLDS),
        default="planted",
        help="planted: the practitioners' claims built in; null: no effects",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.groups < 1 or args.months < 2:
        parser.error("--groups must be >= 1 and --months >= 2")
    began = time.perf_counter()
    truth = generate(
        args.out,
        n_groups=args.groups,
        seed=args.seed,
        months=args.months,
        world_name=args.world,
        progress=not args.quiet,
    )
    real = truth["marginals"]["realised"]
    print(
        f"wrote {args.out}: {args.groups:,} groups, {real['memberships']:,} memberships, "
        f"{real['messages']:,} messages ({args.world} world, seed {args.seed}) "
        f"in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
