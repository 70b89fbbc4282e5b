"""A report's pages sidecar: the question, methods and figure captions the index and the decks show, with figures.

``publish`` (the notebook's last cell) writes ``pages.json`` beside ``results.json``, which
names it, and each captioned figure as ``figures/<name>.png``. The index and the decks
read these files and never an executed notebook's cells.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib.pyplot as plt

from helpers.data.atomic import write_json
from helpers.studies.result import StudyResult

PAGES = "pages.json"
FIGURES = "figures"


def png(figure: plt.Figure) -> bytes:
    """A drawn figure as PNG bytes, cropped to its content as the notebook shows it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def write_pages(result: StudyResult, folder: Path) -> Path:
    """Write each captioned figure the data gave to ``folder/figures/<name>.png`` and ``folder/pages.json``.

    A figure the report already showed is written from its PNG (``result.drawn``), never drawn
    twice; the others are drawn here.
    """
    (folder / FIGURES).mkdir(parents=True, exist_ok=True)
    drawn = result.drawn
    pages = result.pages()
    for name, entry in pages["figures"].items():
        entry["file"] = None
        if name not in result.figures:  # a figure the data gave nothing for is not drawn (its caption stays)
            continue
        if name not in drawn:
            figure = result.figure(name)
            drawn[name] = png(figure)
            plt.close(figure)
        (folder / FIGURES / f"{name}.png").write_bytes(drawn[name])
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
