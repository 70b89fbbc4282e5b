"""The main job timed (``make bench``): the batch of reports.yml on the default data, fresh and unchanged.

Runs the batch into a scratch folder twice: first with ``--force`` (every notebook runs),
then again with nothing changed (every report reused). Writes each report's time, the
batch's wall time and the machine's cores to ``benchmarks/reports_timing.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "reports_timing.json"


def run_batch(config: Path, force: bool) -> tuple[float, dict]:
    """One batch run: its wall time (s) and the timings.json it wrote."""
    began = time.perf_counter()
    command = [sys.executable, "-m", "helpers.reporting.batch", "--config", str(config)] + (
        ["--force"] if force else []
    )
    subprocess.run(command, check=True, cwd=ROOT)
    out = Path(yaml.safe_load(config.read_text())["out"])
    return time.perf_counter() - began, json.loads((out / "timings.json").read_text())


def main() -> int:
    """Time the batch fresh and unchanged; write the figures."""
    settings = yaml.safe_load((ROOT / "reports.yml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        settings["out"] = str(Path(tmp) / "reports")
        settings["runs"] = [{**r, "notebook": str(ROOT / r["notebook"])} for r in settings["runs"]]
        settings["parameters"]["data_dir"] = str(ROOT / settings["parameters"]["data_dir"])
        config = Path(tmp) / "reports.yml"
        config.write_text(yaml.safe_dump(settings))
        fresh_wall, fresh = run_batch(config, force=True)
        again_wall, again = run_batch(config, force=False)
        shutil.rmtree(settings["out"], ignore_errors=True)
    figures = {
        "cores": os.cpu_count(),
        "workers": fresh["workers"],
        "fresh": {
            "wall_seconds": round(fresh_wall, 1),
            "batch_seconds": fresh["batch_seconds"],
            "reports": fresh["reports"],
        },
        "unchanged": {"wall_seconds": round(again_wall, 1), "batch_seconds": again["batch_seconds"]},
        "target_batch_seconds": 120,
    }
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
