"""Exploration: aggregates computed once, any selection redrawn fast; the explore notebook runs in batch mode."""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from helpers import explore, open_dataset, retention
from helpers.report import run_notebook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data(planted_world):
    return explore.load(planted_world.path)


def test_aggregates_are_cached(planted_world, data):
    began = time.perf_counter()
    assert explore.load(planted_world.path) is data
    assert time.perf_counter() - began < 1.0


def test_redraw_after_a_control_change_is_fast(data):
    """Every view for a few selections, drawn and rendered to PNG: the median within 300 ms."""
    choices = explore.options(data)
    selections = [{}, {"segment": choices["segment"][2]}, {"channel": choices["channel"][1], "size_band": "150-200"}]
    seconds = []
    for view in explore.VIEWS:
        for selection in selections:
            began = time.perf_counter()
            fig = explore.draw(data, view, **selection)
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)
            seconds.append(time.perf_counter() - began)
    assert statistics.median(seconds) < 0.3, seconds
    assert max(seconds) < 1.0, seconds


def test_per_group_layers_add_up_to_the_overall_layers(planted_world, data):
    overall = retention.lifecycle_layers(open_dataset(planted_world.path).tables).set_index("week")
    summed = data.layers.drop(columns="group_id").groupby("week").sum()
    assert summed.loc[overall.index].equals(overall)


def test_selection_filters_groups(data):
    choices = explore.options(data)
    segment = choices["segment"][1]
    ids = explore.selected_groups(data, segment=segment)
    assert 0 < len(ids) < len(data.groups)
    assert set(data.groups.set_index("group_id").loc[ids, "segment"]) == {segment}
    assert choices["size_band"][1:3] == ["0-50", "50-100"]  # bands in size order, not alphabetical
    with pytest.raises(ValueError, match="view must be one of"):
        explore.draw(data, "pie")


def test_explore_notebook_runs_statically_in_batch(planted_world, tmp_path: Path):
    result = run_notebook(ROOT / "notebooks" / "explore.ipynb", tmp_path,
                          {"data_dir": str(planted_world.path), "interactive": False}, "community-workbench")
    assert result.ok, result.error
    assert result.html.read_text().count("<img") == len(explore.VIEWS)


def test_dashboard_redraws_on_every_control(data):
    """The widgets wire up and each control change redraws without error (the browser test is the real one)."""
    import ipywidgets

    board = explore.dashboard(data, view="layers")
    rows, plot = board.children[:-1], board.children[-1]
    assert isinstance(plot, ipywidgets.Output) and all(isinstance(r, ipywidgets.HBox) for r in rows)
    controls = [w for row in rows for w in row.children]
    view, segment = controls[0], controls[1]
    assert segment.description == "segment"
    for value in explore.VIEWS:
        view.value = value
    segment.value = segment.options[1]
    assert view.value == explore.VIEWS[-1] and segment.value == segment.options[1]
