"""What every study's ``summarise`` returns: headline estimates, findings, verdicts, tables and figures.

``StudyResult.as_dict()`` is the ``results`` part of ``results.json`` (schema below);
the index, the scorecard and the calibration read these fields and nothing else.

    schema_version  int, RESULTS_SCHEMA_VERSION
    study           the study's id: overview, retention, size_activity, recruitment, experiment
    title           the study's title
    headline        {name: Estimate as dict}: the numbers a review reads first
    findings        [{"text": Markdown sentence, "cites": [headline names]}], in reading order
    verdicts        [Verdict as dict]: one per claim the study tests (claim_id from the claims registry)
    details         study-specific numbers and tables (records), for readers of the JSON
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import pandas as pd

from helpers.claims.verdict import Verdict
from helpers.figures.axes import nothing_to_draw
from helpers.stats.estimate import Estimate

RESULTS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Finding:
    """One finding: a Markdown sentence and the headline estimates it cites."""

    text: str
    cites: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """Plain values for results.json."""
        return {"text": self.text, "cites": list(self.cites)}


@dataclass(frozen=True)
class Caption:
    """A figure's number and caption, whether a study's deck shows it, and the claim it is the evidence for."""

    number: int
    text: str
    slide: bool = False
    claim: str | None = None

    def as_dict(self) -> dict:
        """Plain values for the pages sidecar."""
        return {"number": self.number, "caption": self.text, "slide": self.slide, "claim": self.claim}


@dataclass(frozen=True)
class StudyResult:
    """A study's computation, findings and verdicts, ready to display and to write to results.json."""

    study: str
    title: str
    headline: dict[str, Estimate]
    findings: tuple[Finding, ...]
    verdicts: tuple[Verdict, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    notes: dict[str, str] = field(default_factory=dict)  # short texts: a section's words, why a table is empty
    figures: dict[str, Callable[[], plt.Figure | plt.Axes]] = field(default_factory=dict, repr=False)
    methods: tuple[str, ...] = ()
    details: dict = field(default_factory=dict, repr=False)
    frames: dict[str, object] = field(default_factory=dict, repr=False)  # inputs of the Explore section
    question: str = ""  # what the study asks, as a report opens
    captions: dict[str, Caption] = field(default_factory=dict, repr=False)  # each figure's number and caption
    drawn: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)  # PNGs of figures shown so far

    def figure(self, name: str) -> plt.Figure:
        """Draw one of the study's figures (figure functions return their Axes or, with several panels, the Figure).

        A figure the data gave nothing for (e.g. no experiment to plot) is a panel saying why
        (the study's note under the figure's name).
        """
        if name not in self.figures:
            _, ax = plt.subplots(figsize=(9, 2.5))
            why = self.notes.get(name, "Nothing to draw on this data.")
            return nothing_to_draw(ax, True, "", why).figure
        drawn = self.figures[name]()
        return drawn.figure if isinstance(drawn, plt.Axes) else drawn

    def pages(self) -> dict:
        """What the index and the decks show besides the results: the question, methods and each figure's caption."""
        return {
            "question": self.question,
            "methods": list(self.methods),
            "figures": {name: caption.as_dict() for name, caption in self.captions.items()},
        }

    def as_dict(self) -> dict:
        """The ``results`` document of results.json (see the module docstring for the schema)."""
        return {
            "schema_version": RESULTS_SCHEMA_VERSION,
            "study": self.study,
            "title": self.title,
            "headline": {k: v.as_dict() for k, v in self.headline.items()},
            "findings": [f.as_dict() for f in self.findings],
            "verdicts": [v.as_dict() for v in self.verdicts],
            "details": self.details,
        }


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-ready records."""
    return frame.to_dict(orient="records")
