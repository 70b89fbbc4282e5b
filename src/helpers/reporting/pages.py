"""A report's pages sidecar: the question, methods and figure captions the index and the decks show, with figures.

``publish`` (the notebook's last cell) writes ``pages.json`` beside ``results.json``, which
names it, and each captioned figure as ``figures/<name>.png``. The index and the decks
read these files and never an executed notebook's cells.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt

from helpers.data.atomic import write_json
from helpers.studies.result import StudyResult

PAGES = "pages.json"
FIGURES = "figures"


def write_pages(result: StudyResult, folder: Path) -> Path:
    """Draw each captioned figure the data gave to ``folder/figures/<name>.png`` and write ``folder/pages.json``."""
    (folder / FIGURES).mkdir(parents=True, exist_ok=True)
    pages = result.pages()
    for name, entry in pages["figures"].items():
        entry["file"] = None
        if name in result.figures:  # a figure the data gave nothing for is not drawn (its caption stays)
            figure = result.figure(name)
            path = folder / FIGURES / f"{name}.png"
            figure.savefig(path, format="png", bbox_inches="tight")
            plt.close(figure)
            entry["file"] = f"{FIGURES}/{name}.png"
    return write_json(folder / PAGES, pages)


def read_pages(folder: Path) -> dict:
    """A report's pages sidecar, as its results.json names it ({} when there is none or it cannot be read)."""
    try:
        document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        name = document.get("pages")
        return json.loads((folder / name).read_text(encoding="utf-8")) if isinstance(name, str) else {}
    except (OSError, ValueError):
        return {}
