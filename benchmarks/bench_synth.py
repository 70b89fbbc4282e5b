"""Scale check of the generator: time and peak memory for the default and the 10,000-group dataset.

Run by ``make bench`` (not by ``make test``: the large run takes minutes). Each dataset is
generated in a child process so its peak resident memory can be measured on its own.
Exits 1 if a limit from the issue is broken: default <= 60 s, 10,000 groups <= 4 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMITS = {800: {"seconds": 60.0}, 10_000: {"peak_gb": 4.0}}


def measure(groups: int, out: Path) -> dict:
    """Generate ``groups`` groups into ``out`` in a child process; wall time and the child's peak RSS."""
    began = time.perf_counter()
    cmd = [
        sys.executable,
        "-m",
        "helpers.synth",
        "--replace",
        "--out",
        str(out),
        "--groups",
        str(groups),
        "--seed",
        "1",
    ]
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - began
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB -> GiB (Linux)
    realised = json.loads((out / "truth.json").read_text())["marginals"]["realised"]
    return {
        "groups": groups,
        "seconds": round(seconds, 1),
        "peak_gb": round(peak_gb, 2),
        "memberships": realised["memberships"],
        "messages": realised["messages"],
    }


def main() -> int:
    """Measure each size, print a table, and fail if a limit is broken."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, nargs="+", default=sorted(LIMITS))
    parser.add_argument("--keep", type=Path, help="write the datasets here instead of a temporary folder")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        for groups in args.groups:  # ascending: RUSAGE_CHILDREN keeps the maximum over children
            row = measure(groups, root / f"synth_{groups}")
            broken = [f"{k} {row[k]} > {v}" for k, v in LIMITS.get(groups, {}).items() if row[k] > v]
            failed |= bool(broken)
            print(
                f"synth {groups:>6,} groups: {row['seconds']:>6.1f} s, peak {row['peak_gb']:.2f} GB, "
                f"{row['memberships']:,} memberships, {row['messages']:,} messages"
                + (f"  LIMIT BROKEN: {'; '.join(broken)}" if broken else "")
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
