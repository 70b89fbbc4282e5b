"""The pages sidecar: figures, captions and methods the index and the decks read, never a notebook's cells."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

from helpers.reporting.decks import build_review_deck, build_study_deck
from helpers.reporting.pages import PAGES, read_pages, write_pages
from helpers.reporting.runner import write_results
from helpers.studies.result import Caption, Finding, StudyResult

matplotlib.use("Agg")

STUDIES = ("overview", "retention", "size_activity", "recruitment", "experiment", "operations")


def _bars(ax=None):
    """A small figure to publish."""
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["a", "b"], [1, 2])
    return ax


def _result() -> StudyResult:
    """A study result with two captioned figures, one of them not drawn on this data."""
    return StudyResult(
        study="size_activity",
        title="A study",
        headline={},
        findings=(Finding("Activity peaks at **180 members**."),),
        methods=("**Unit**: the group-week.",),
        figures={"bars": _bars},
        question="Does activity peak at some size?",
        captions={
            "bars": Caption(1, "Messages per member by size band.", slide=True, claim="size_band"),
            "missing": Caption(2, "A figure this data gives nothing for."),
        },
    )


def _publish(folder: Path, result: StudyResult) -> None:
    """What the notebook's publish cell writes: the figures and pages sidecar, then results.json naming it."""
    folder.mkdir(parents=True)
    (folder / f"{folder.name}.html").write_text("<html></html>", encoding="utf-8")  # a published report
    write_pages(result, folder)
    write_results(result.as_dict(), folder, {"data_fingerprint": "abc"}, pages=PAGES)


def test_pages_hold_each_captioned_figure_and_results_json_names_them(tmp_path: Path):
    folder = tmp_path / "02_size"
    _publish(folder, _result())
    pages = read_pages(folder)
    assert pages["question"] == "Does activity peak at some size?" and pages["methods"] == ["**Unit**: the group-week."]
    bars, missing = pages["figures"]["bars"], pages["figures"]["missing"]
    assert bars == {"number": 1, "caption": "Messages per member by size band.", "slide": True,
                    "claim": "size_band", "file": "figures/bars.png"}  # fmt: skip
    assert (folder / bars["file"]).read_bytes().startswith(b"\x89PNG")
    assert missing["file"] is None and not (folder / "figures" / "missing.png").exists()
    assert json.loads((folder / "results.json").read_text())["pages"] == PAGES
    assert read_pages(tmp_path / "nowhere") == {}


def test_decks_are_built_from_results_and_pages_without_a_notebook(tmp_path: Path):
    folder = tmp_path / "reports" / "02_size"
    _publish(folder, _result())
    assert not list(folder.glob("*.ipynb"))
    deck = build_study_deck(folder).read_text(encoding="utf-8")
    assert "Does activity peak at some size?" in deck and "<h2>Figure 1</h2>" in deck
    assert "Messages per member by size band." in deck and "data:image/png;base64," in deck
    review = build_review_deck(tmp_path / "reports").read_text(encoding="utf-8")
    assert "Methods and caveats: A study" in review and "Unit: the group-week." in review


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_declares_its_question_and_a_numbered_caption_per_figure(study):
    captions = importlib.import_module(f"helpers.studies.{study}.captions")
    assert captions.QUESTION.endswith(("?", ".")) and len(captions.QUESTION) > 40
    numbers = [c.number for c in captions.CAPTIONS.values()]
    assert numbers == list(range(1, len(numbers) + 1))  # figures numbered in reading order
    assert all(c.text and not c.text.startswith("Figure") for c in captions.CAPTIONS.values())


def test_a_figure_the_report_already_showed_is_written_without_drawing_it_again(tmp_path: Path):
    def never(ax=None):
        raise AssertionError("drawn twice")

    result = _result()
    shown = StudyResult(**{**result.__dict__, "figures": {"bars": never}, "drawn": {"bars": b"\x89PNG shown"}})
    write_pages(shown, tmp_path)
    assert (tmp_path / "figures" / "bars.png").read_bytes() == b"\x89PNG shown"
