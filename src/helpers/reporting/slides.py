"""Review slides: one deck across studies and one per report (``decks``), fixed-size reveal.js slides.

``python -m helpers.reporting.slides [--reports reports]`` (what ``make slides`` calls) reads each
report's results.json, its pages sidecar and figures under ``reports/<run>/`` and writes
``reports/slides/<run>.slides.html`` and ``reports/slides/review.slides.html``. reveal.js comes
from the npm registry once (``npm pack``) into ``build/`` and is copied beside the decks, so
they open offline with no network request.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from helpers.reporting.decks import build_review_deck, build_study_deck
from helpers.reporting.index_page import reports_on_disk
from helpers.reporting.runner import ROOT

REVEAL_VERSION = "5.2.1"


REVEAL_CACHE = ROOT / "build" / f"reveal.js-{REVEAL_VERSION}"


def fetch_reveal(cache: Path = REVEAL_CACHE) -> Path:
    """A local copy of reveal.js (dist/ and the notes plugin), fetched with ``npm pack`` when missing."""
    if (cache / "dist" / "reveal.js").exists():
        return cache
    if shutil.which("npm") is None:
        raise RuntimeError("npm is needed once to fetch reveal.js for the slides (Debian: apt-get install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        packed = (
            subprocess.run(
                ["npm", "pack", f"reveal.js@{REVEAL_VERSION}", "--silent"],
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        with tarfile.open(Path(tmp) / packed) as archive:
            archive.extractall(tmp, filter="data")
        staged = Path(tmp) / "reveal"
        shutil.copytree(Path(tmp) / "package" / "dist", staged / "dist")
        shutil.copytree(Path(tmp) / "package" / "plugin" / "notes", staged / "plugin" / "notes")
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), cache)
    return cache


def build_slides(reports: Path) -> list[Path]:
    """One deck per report under ``reports`` and the review deck across them, under ``reports/slides/``.

    reveal.js is copied beside the decks once, so they open offline.
    """
    out = reports / "slides"
    reveal = fetch_reveal()
    target = out / "reveal.js"
    if not (target / "dist" / "theme" / "white.css").exists():
        shutil.copytree(reveal, target, dirs_exist_ok=True)
    decks = [deck for name in reports_on_disk(reports) if (deck := build_study_deck(reports / name)) is not None]
    review = build_review_deck(reports)  # one deck across studies, for the review
    return decks + ([review] if review is not None else [])


def main(argv: list[str] | None = None) -> int:
    """Build the decks from the reports of the last batch; exit 1 if there are none."""
    parser = argparse.ArgumentParser(prog="python -m helpers.reporting.slides", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default=str(ROOT / "reports"))
    args = parser.parse_args(argv)
    decks = build_slides(Path(args.reports))
    if not decks:
        print(f"no reports with results and pages under {args.reports}: run `make reports` first", file=sys.stderr)
        return 1
    for deck in decks:
        print(f"slides: {deck}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
