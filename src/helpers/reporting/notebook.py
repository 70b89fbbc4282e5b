"""What a study notebook's cells call to show a ``StudyResult``: findings, figures, tables, methods, provenance.

Cells hold no computation and no formatting of their own: each calls one of these.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from helpers.claims.registry import CLAIMS
from helpers.data.engine import Dataset
from helpers.figures.theme import apply_theme
from helpers.fmt import prose
from helpers.reporting.pages import PAGES, png, write_pages
from helpers.reporting.runner import provenance, provenance_markdown, write_results
from helpers.reporting.tables import table_html
from helpers.studies.result import StudyResult

apply_theme()  # every report draws in the one theme, whichever study it shows


def show_findings(result: StudyResult, heading: str = "## Findings") -> None:
    """The findings as a Markdown list under a heading."""
    bullets = "\n".join(f"- {prose(f.text)}" for f in result.findings)
    display(Markdown(f"{heading}\n\n{bullets}\n"))


def show_verdicts(result: StudyResult) -> None:
    """The verdict on each claim the study tests, with its reason, the claim quoted in full and its source."""
    display(Markdown(verdicts_markdown(result)))


def verdicts_markdown(result: StudyResult) -> str:
    """The verdicts as Markdown: each claim's label, verdict and reason, then the claim's words and source."""
    lines = []
    for v in result.verdicts:
        lines.append(f"- {prose(v.claim)}: **{v.verdict}** ({prose(v.reason)}).")
        claim = CLAIMS.get(v.claim_id)
        if claim is not None:
            lines.append(f"  <br><small>The claim: “{claim.wording}” ({claim.citation}).</small>")
    return "**Verdicts on the practitioners' claims**\n\n" + "\n".join(lines) + "\n"


def show_figure(result: StudyResult, name: str) -> None:
    """Draw one of the study's figures with its caption below it (the caption from the study's ``CAPTIONS``)."""
    figure = result.figure(name)
    display(figure)
    result.drawn[name] = png(figure)  # the report's figure file: publish writes it without drawing it again
    plt.close(figure)  # shown once: the inline backend would draw an open figure again at the cell's end
    caption = result.captions.get(name)
    if caption is not None:
        display(Markdown(f"*Figure {caption.number}. {caption.text}*"))


def show_table(result: StudyResult, name: str, caption: str = "") -> None:
    """One of the study's tables for reading (``tables.people_table``), a caption above it, or why it is empty."""
    table = result.tables.get(name, pd.DataFrame())
    if not len(table):
        display(
            Markdown(
                prose(f"{caption}: {result.notes.get(name, 'nothing to show on this data')}.")
                if caption
                else prose(result.notes.get(name, "Nothing to show on this data."))
            )
        )
        return
    if caption:
        display(Markdown(prose(caption)))
    display(HTML(table_html(table)))


def show_methods(result: StudyResult) -> None:
    """The study's methods and caveats as a Markdown list."""
    display(Markdown("\n".join(f"- {prose(line)}" for line in result.methods) + "\n"))


def publish(result: StudyResult, ds: Dataset, parameters: dict, results_dir: str | Path | None) -> None:
    """Write results.json, its pages sidecar and the figures (when ``results_dir`` is set); show the provenance."""
    info = provenance(ds.fingerprint, parameters)
    if results_dir is not None:
        write_pages(result, Path(results_dir))
    write_results(result.as_dict(), results_dir, info, pages=PAGES if results_dir is not None else None)
    display(Markdown(provenance_markdown(info)))


def show_note(result: StudyResult, name: str) -> None:
    """One of the study's short texts (e.g. an observational view) as Markdown."""
    display(Markdown(prose(result.notes[name])))
