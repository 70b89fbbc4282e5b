"""The calibration beside the reports: the committed baseline's page, and (when asked) worlds like this data.

``benchmarks/calibration.json`` (``make calibrate``) becomes ``reports/calibration.html``,
linked from the index. With ``calibrate_like: {worlds: N}`` in ``reports.yml`` the batch
also draws N worlds shaped like the reports' dataset and writes ``calibration_like.json``
and its page; the index then says, beside each verdict, how often that test detects the
claim and how often it raises a false alarm on data of that shape.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.calibrate.harness import calibrate
from helpers.calibrate.page import write_page
from helpers.calibrate.score import count_share, document_text
from helpers.calibrate.worlds import like
from helpers.data.atomic import write_text_atomic

LIKE = "calibration_like.json"
PAGE = "calibration.html"


def publish_baseline(calibration: Path, out: Path) -> dict | None:
    """Write ``out/calibration.html`` from the committed calibration document and return it; None if there is none."""
    if not calibration.exists():
        return None
    document = json.loads(calibration.read_text(encoding="utf-8"))
    write_page(document, out / PAGE)
    return document


def calibrate_like(data_dir: Path, out: Path, worlds: int, seed: int, jobs: int) -> Path:
    """Run ``worlds`` worlds shaped like ``data_dir`` and write ``out/calibration_like.json`` and its page."""
    shape, tasks = like(data_dir, worlds, seed)
    document = calibrate(tasks, seed, jobs=jobs, progress=False, like={"data": data_dir.name, **shape.as_dict()})
    write_page(document, out / "calibration_like.html")
    return write_text_atomic(out / LIKE, document_text(document))


def like_sentence(document: dict, claim_id: str) -> str:
    """'On data like this (N worlds): detects the claim in X% ...; false alarms Y%' for one claim ('' if unknown)."""
    claim = document.get("claims", {}).get(claim_id)
    if not claim:
        return ""
    none = "no such world drawn"
    return (
        f"On data like this ({claim['worlds']} worlds): where the claim holds, this test says supported in "
        f"{count_share(claim['power_supported'], none)}; where it does not, in "
        f"{count_share(claim['false_supported'], none)} (false alarms)."
    )
