"""Command line: ``python -m helpers validate DIR``, ``contract``, ``ingest KIND PATH --out DIR``, ``keygen PATH``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from helpers.data.crash import guarded
from helpers.data.engine import Tables, connect, validate_dataset
from helpers.data.schema import markdown_table_docs
from helpers.ingest import run as ingest
from helpers.ingest.privacy import KeyProblem, write_key
from helpers.studies.overview import measures as metrics


def validate(data_dir: str) -> int:
    """Validate a dataset directory, print what it holds and what is wrong; 0 if usable."""
    con = connect()
    report, tables = validate_dataset(data_dir, con)
    if not report.ok:
        n = len(report.errors)
        print(f"INVALID: {data_dir} breaks the data contract ({n} error{'s' if n > 1 else ''})\n", file=sys.stderr)
        print(report.format(), file=sys.stderr)
        return 1
    summary = metrics.dataset_summary(Tables(**tables))
    print(f"OK: {data_dir} meets the data contract")
    for name, n in report.rows.items():
        print(f"  {name:<12} {n:>12,} rows")
    last, note = summary["last_event"], ""
    if report.data_end:  # a few outlying late events: the studies end where the rest of the data does
        last, note = pd.Timestamp(report.data_end), "; later outlying events set aside, see the warnings"
    print(f"  span         {summary['first_event']:%Y-%m-%d} .. {last:%Y-%m-%d} (UTC{note})")
    print(f"  groups {summary['groups']:,}  members {summary['members']:,}  messages {summary['messages']:,}")
    if report.warnings:
        print(f"\n{len(report.warnings)} warnings:")
        for finding in report.warnings:
            print(finding.format())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command."""
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="check a dataset directory against the data contract")
    check.add_argument("data_dir")
    commands.add_parser("contract", help="print the data contract's tables as Markdown (for data/README.md)")
    ingest.add_parser(commands)
    keygen = commands.add_parser("keygen", help="write a new pseudonymisation key to a file outside the repository")
    keygen.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.command == "ingest":
        return ingest.run(args)
    if args.command == "keygen":
        try:
            print(
                f"wrote a new key to {write_key(args.path)}; point WORKBENCH_HASH_KEY_FILE at it and keep it safe: "
                "the same key gives the same pseudonyms"
            )
        except KeyProblem as err:
            print(f"ERROR: {err}", file=sys.stderr)
            return 2
        return 0
    if args.command == "contract":
        print(markdown_table_docs(), end="")
        return 0
    return validate(args.data_dir)


if __name__ == "__main__":
    sys.exit(guarded(main, "python -m helpers"))
