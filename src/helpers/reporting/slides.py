"""Review slides: one deck across studies (``review_deck``) and a reveal.js deck per report from its cells
tagged ``slides`` (findings, key figures).

``python -m helpers.reporting.slides [--reports reports]`` (what ``make slides`` calls) reads each
executed notebook under ``reports/<run>/`` and writes ``reports/slides/<run>.slides.html``
with code hidden. reveal.js comes from the npm registry once (``npm pack``) into
``build/`` and is copied beside the decks, so they open offline with no network request.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

from helpers.data.atomic import write_text_atomic
from helpers.reporting.review_deck import build_review_deck
from helpers.reporting.runner import ROOT, without_code

REVEAL_VERSION = "5.2.1"


REVEAL_CACHE = ROOT / "build" / f"reveal.js-{REVEAL_VERSION}"


SLIDE_TAG = "slides"


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


def slide_notebook(executed: Path) -> nbformat.NotebookNode:
    """The notebook's title and its cells tagged ``slides``, one slide each (captions join their figure)."""
    nb = nbformat.read(executed, as_version=4)
    title = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    kept = [
        c
        for c in nb.cells
        if SLIDE_TAG in c.metadata.get("tags", []) and (c.cell_type == "markdown" or c.get("outputs"))
    ]  # a cell that showed nothing makes no slide
    if title is not None and title not in kept:
        kept.insert(0, title)
    for cell in kept:  # a figure's caption stays on the figure's slide
        caption = cell.cell_type == "markdown" and cell.source.startswith("*Figure")
        cell.metadata["slideshow"] = {"slide_type": "-" if caption else "slide"}
    nb.cells = kept
    return nb


def build_slides(reports: Path) -> list[Path]:
    """One deck per executed report under ``reports``; written under ``reports/slides/`` with reveal.js beside."""
    out = reports / "slides"
    reveal = fetch_reveal()
    target = out / "reveal.js"
    if not (target / "dist" / "reveal.js").exists():
        shutil.copytree(reveal, target, dirs_exist_ok=True)
    exporter = SlidesExporter(
        **without_code("offline_slides"), reveal_url_prefix="reveal.js", reveal_theme="white", reveal_scroll=True
    )
    decks = []
    if not (out / "reveal.js" / "dist" / "theme" / "white.css").exists():
        shutil.copytree(reveal, target, dirs_exist_ok=True)
    for executed in sorted(reports.glob("[!_.]*/*.ipynb")):
        if executed.parent.name == "slides":
            continue
        nb = slide_notebook(executed)
        if len(nb.cells) < 2:
            continue  # nothing tagged for slides
        body, _ = exporter.from_notebook_node(nb)
        decks.append(write_text_atomic(out / f"{executed.stem}.slides.html", body))
    review = build_review_deck(reports)  # one deck across studies, for the review
    return decks + ([review] if review is not None else [])


def main(argv: list[str] | None = None) -> int:
    """Build the decks from the reports of the last batch; exit 1 if there are none."""
    parser = argparse.ArgumentParser(prog="python -m helpers.reporting.slides", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default=str(ROOT / "reports"))
    args = parser.parse_args(argv)
    decks = build_slides(Path(args.reports))
    if not decks:
        print(
            f"no reports with cells tagged '{SLIDE_TAG}' under {args.reports}: run `make reports` first",
            file=sys.stderr,
        )
        return 1
    for deck in decks:
        print(f"slides: {deck}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
