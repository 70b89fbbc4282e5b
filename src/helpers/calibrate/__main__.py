"""Command line: ``python -m helpers.calibrate --worlds N --groups G --months M --seed S [--jobs J]``.

With ``--like DATA_DIR`` the worlds are shaped like that dataset (see ``worlds.like``) and
the result says, for each claim, how often its test raises a false alarm and how often it
detects the claimed effect on data of that shape.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from helpers.calibrate.harness import calibrate
from helpers.calibrate.page import write_page
from helpers.calibrate.run import STUDIES
from helpers.calibrate.score import count_share, document_text
from helpers.calibrate.worlds import drawn, like, operations_worlds, threshold_worlds
from helpers.data.atomic import write_text_atomic
from helpers.data.crash import guarded
from helpers.data.validation import ContractError

THRESHOLD_SEEDS = 10_000
"""The threshold check's worlds are drawn from seeds this far above the drawn worlds' (independent draws)."""

OPERATIONS_SEEDS = 20_000
"""The operations check's worlds are drawn from seeds this far above the drawn worlds'."""


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the worlds, write the JSON and the page, print the per-claim table."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.calibrate",
        description="Measure every verdict's error rates, CI coverage and power on worlds with known truth.",
    )
    parser.add_argument("--worlds", type=int, default=200, help="worlds to draw (default 200)")
    parser.add_argument("--groups", type=int, default=80, help="groups per drawn world (default 80)")
    parser.add_argument("--months", type=int, default=9, help="months per drawn world (default 9)")
    parser.add_argument("--seed", type=int, default=1, help="world i is drawn from seed S + i (default 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worlds run in parallel (default: cores)")
    parser.add_argument("--like", metavar="DATA_DIR", help="draw worlds shaped like this dataset")
    parser.add_argument(
        "--out", help="JSON to write (default benchmarks/calibration.json; with --like reports/calibration_like.json)"
    )
    parser.add_argument("--page", help="HTML page to write (default: the JSON's name with .html, under reports/)")
    parser.add_argument(
        "--threshold-worlds",
        type=int,
        default=0,
        help="also run this many worlds with a strong recruitment threshold planted (its CI's coverage; default 0)",
    )
    parser.add_argument(
        "--threshold-groups", type=int, default=200, help="groups per threshold-check world (default 200)"
    )
    parser.add_argument(
        "--operations-worlds",
        type=int,
        default=0,
        help="also run this many bigger worlds whose service agents can pass 10,000 members (claims 7-9; default 0)",
    )
    parser.add_argument(
        "--operations-groups", type=int, default=800, help="groups per operations-check world (default 800)"
    )
    parser.add_argument(
        "--studies",
        help=f"comma-separated studies to run (default every one: {', '.join(STUDIES)}); claims of others are not scored",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.worlds < 1 or args.groups < 1 or args.months < 2 or args.jobs < 1 or args.threshold_groups < 1:
        parser.error("--worlds, --groups, --threshold-groups and --jobs must be >= 1 and --months >= 2")
    if args.threshold_worlds < 0 or args.operations_worlds < 0 or args.operations_groups < 1:
        parser.error("--threshold-worlds and --operations-worlds must be >= 0, --operations-groups >= 1")
    studies = tuple(s.strip() for s in (args.studies or "").split(",") if s.strip())
    unknown = [s for s in studies if s not in STUDIES]
    if unknown:
        parser.error(f"unknown studies {', '.join(unknown)}: choose among {', '.join(STUDIES)}")
    like_info = None
    if args.like:
        try:
            shape, tasks = like(args.like, args.worlds, args.seed)
        except (ContractError, FileNotFoundError) as err:
            print(f"error: {args.like}: {err}", file=sys.stderr)
            return 2
        like_info = {"data": Path(args.like).name, **shape.as_dict()}
        out = Path(args.out or "reports/calibration_like.json")
    else:
        tasks = drawn(args.worlds, args.groups, args.months, args.seed, studies)
        out = Path(args.out or "benchmarks/calibration.json")
    page = Path(args.page or Path("reports") / f"{out.stem}.html")
    threshold = (
        threshold_worlds(args.threshold_worlds, args.threshold_groups, args.months, args.seed + THRESHOLD_SEEDS)
        if args.threshold_worlds
        else None
    )
    operations = (
        operations_worlds(args.operations_worlds, args.operations_groups, 12, args.seed + OPERATIONS_SEEDS)
        if args.operations_worlds
        else None
    )
    document = calibrate(
        tasks,
        args.seed,
        jobs=args.jobs,
        progress=not args.quiet,
        like=like_info,
        threshold=threshold,
        operations=operations,
    )
    write_text_atomic(out, document_text(document))
    write_page(document, page)
    print(table(document), file=sys.stderr)
    print(f"wrote {out} and {page} ({len(tasks)} worlds in {document['seconds']:.0f} s)", file=sys.stderr)
    return 0


def table(document: dict) -> str:
    """The per-claim baseline as a plain-text table."""
    lines = [f"{'claim':<16} {'false supported':>18} {'false contradicted':>20} {'power':>16} {'correct':>16}"]
    for cid, c in document["claims"].items():
        lines.append(
            f"{cid:<16} {count_share(c['false_supported']):>18} {count_share(c['false_contradicted']):>20} "
            f"{count_share(c['power']):>16} {count_share(c['correct']):>16}"
        )
    lines.append("")
    lines.append(f"{'estimate':<48} {'coverage':>16} {'mean bias':>12}")
    for key, e in document["estimates"].items():
        bias = "—" if e["mean_bias"] is None else f"{e['mean_bias']:+.3g}"
        lines.append(f"{key:<48} {count_share(e['coverage']):>16} {bias:>12}")
    check = document.get("threshold_check")
    if check:
        e, c = check["estimate"], check["claim"]
        lines.append(
            f"threshold check ({check['worlds']} worlds, strong threshold planted): CI coverage "
            f"{count_share(e['coverage'])} where placed ({e['not_estimable']} not placed); claim false supported "
            f"{count_share(c['false_supported'])}, false contradicted {count_share(c['false_contradicted'])}"
        )
    ops = document.get("operations_check")
    if ops:
        for cid, c in ops["claims"].items():
            lines.append(
                f"operations check ({ops['worlds']} worlds) {cid:<17} false supported {count_share(c['false_supported'])}"
                f", false contradicted {count_share(c['false_contradicted'])}, power {count_share(c['power'])}"
            )
        for key, e in ops["estimates"].items():
            lines.append(f"operations check {key:<48} coverage {count_share(e['coverage'])}")
    koc = document.get("koc_classification") or {}
    if koc.get("precision") and koc.get("recall"):
        lines.append("")
        lines.append(
            f"KOC members found vs planted ({koc['worlds']} worlds): median precision {koc['precision']['median']:.2f}, "
            f"median recall {koc['recall']['median']:.2f}"
        )
    for outcome, r in (document.get("experiment_null") or {}).items():
        lines.append(f"A/A {outcome}: 95% CIs excluding 0 where no content effect was planted {count_share(r)}")
    for outcome, r in (document.get("experiment_null_rerandomised") or {}).items():
        if r.get("n"):
            lines.append(
                f"A/A {outcome}, null worlds re-randomised: {r['share']:.1%} of {r['n']} tests in {r['worlds']} worlds "
                f"(95% CI {r['ci'][0]:.1%}-{r['ci'][1]:.1%})"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(guarded(main, "python -m helpers.calibrate"))
