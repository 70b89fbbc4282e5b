"""Scale check of Study 1's cohort computations on the 10,000-group dataset (``make bench``).

Times the member table, both retention triangles and the lifecycle layers (opening and
validating the dataset is timed apart), and the process's peak memory. Exits 1 if the
cohort computations take over 30 s or the peak passes 4 GB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from helpers import open_dataset, retention

LIMIT_SECONDS, LIMIT_GB = 30.0, 4.0


def main() -> int:
    """Open the dataset, time each cohort computation, print the figures, check the limits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir")
    args = parser.parse_args()
    began = time.perf_counter()
    ds = open_dataset(args.data_dir)
    print(f"open + validate: {time.perf_counter() - began:.1f} s")
    steps = {
        "data end": lambda: retention.data_end(ds.tables),
        "member table": lambda: retention.member_table(ds.tables),
        "membership triangle": lambda: retention.retention_triangle(ds.tables, "week", "membership"),
        "activity triangle": lambda: retention.retention_triangle(ds.tables, "week", "activity"),
        "lifecycle layers": lambda: retention.lifecycle_layers(ds.tables),
    }
    total = 0.0
    for name, step in steps.items():
        start = time.perf_counter()
        out = step()
        seconds = time.perf_counter() - start
        total += seconds
        size = f"{len(out):,} rows" if hasattr(out, "__len__") else ""
        print(f"{name:<20} {seconds:6.1f} s  {size}")
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    broken = total > LIMIT_SECONDS or peak_gb > LIMIT_GB
    print(f"cohort computations: {total:.1f} s, peak memory {peak_gb:.2f} GB"
          + ("  LIMIT BROKEN" if broken else ""))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
