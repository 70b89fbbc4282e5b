"""Publishing a folder built elsewhere: readers see the old one or the new one, never half of either."""

from __future__ import annotations

import shutil
import time
from pathlib import Path


def publish_folder(work: Path, final: Path) -> None:
    """Move the finished folder ``work`` to ``final``; a previous ``final`` is removed only after the move."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.previous-{time.time_ns()}")
        final.rename(old)
    work.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
