"""Exploration: aggregates computed once, any selection redrawn fast; the explore notebook runs in batch mode."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from helpers import open_dataset
from helpers.explore import dashboard as explore
from helpers.reporting.runner import run_notebook
from helpers.studies.retention import measures as retention

from conftest import ROOT


@pytest.fixture(scope="module")
def data(planted_world):
    return explore.load(planted_world.path)


def test_aggregates_are_cached(planted_world, data):
    assert explore.load(planted_world.path) is data


def test_every_view_draws_for_any_selection(data):
    """Every view for a few selections draws a figure that renders to PNG (speed is measured in make bench)."""
    choices = explore.options(data)
    selections = [{}, {"segment": choices["segment"][2]}, {"channel": choices["channel"][1], "size_band": "150-200"}]
    for view in explore.VIEWS:
        for selection in selections:
            fig = explore.draw(data, view, **selection)
            png = io.BytesIO()
            fig.savefig(png, format="png")
            plt.close(fig)
            assert png.tell() > 1000, (view, selection)


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
    result = run_notebook(
        ROOT / "notebooks" / "explore.ipynb",
        tmp_path,
        {"data_dir": str(planted_world.path), "interactive": False},
        "community-workbench",
    )
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
