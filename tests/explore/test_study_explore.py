"""The study notebooks' Explore sections: the report's helpers on a selection, wired to the widgets.

How fast they redraw is measured by ``make bench`` (benchmarks/bench_redraw.py), not asserted here."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import open_dataset
from helpers.data.event_time import data_end
from helpers.explore import studies as study_explore
from helpers.measures.group_week import group_week_panel
from helpers.studies.experiment import measures as experiment_measures
from helpers.studies.experiment import models as experiment_models
from helpers.studies.recruitment import measures as recruitment
from helpers.studies.recruitment import models as recruitment_models
from helpers.studies.size_activity import models as activity_models


@pytest.fixture(scope="module")
def world(planted_world):
    ds = open_dataset(planted_world.path)
    end = data_end(ds.tables)
    panel = group_week_panel(ds.tables, end=end)
    groups = ds.tables.groups.to_pandas()
    rows = activity_models.model_rows(panel, groups, end)
    outcomes = experiment_measures.add_interaction(
        experiment_measures.group_outcomes(ds.tables, "content_ratio"), panel
    )
    outcomes = outcomes.merge(groups[["group_id", "segment", "channel"]], on="group_id")
    return {"tables": ds.tables, "end": end, "rows": rows, "outcomes": outcomes, "groups": groups}


def test_size_bands_of_a_segment_are_the_reports_estimates_for_it(world):
    rows = world["rows"]
    segment = sorted(rows["segment"].unique())[1]
    fig = study_explore.draw_size(rows, "size bands", "interaction_rate", segment=segment)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    plt.close(fig)
    expected = activity_models.binned_activity(rows[rows["segment"] == segment])["interaction_rate"]
    assert np.allclose(heights, expected)
    assert not np.allclose(heights, activity_models.binned_activity(rows)["interaction_rate"])


def test_experiment_forest_of_a_channel_shows_that_channels_effects(world):
    outcomes = world["outcomes"]
    channel = sorted(outcomes["channel"].unique())[1]
    fig = study_explore.draw_experiment(outcomes, "control", "all outcomes", cuped=False, channel=channel)
    shown = fig.axes[0].lines[0].get_xdata()  # first panel: exit_30d, one point per arm
    plt.close(fig)
    part = outcomes[outcomes["channel"] == channel]
    arms = sorted(a for a in part["arm"].unique() if a != "control")
    expected = [experiment_models.arm_effect(part, "exit_30d", a, "control", cuped=False).effect.value for a in arms]
    assert np.allclose(sorted(shown), sorted(expected))


def test_recruitment_settings_recompute_early_members_once(world):
    explorer = study_explore.RecruitmentExplorer(world["tables"], world["end"])
    first = explorer.early(150, 14, 60)
    windows = recruitment.recruitment_windows(world["tables"], 150, end=world["end"])
    direct = recruitment.early_members(world["tables"], windows, 14, None, 60, world["end"])
    assert first.equals(direct)
    bigger = explorer.early(250, 21, 60)
    assert bigger["fill_size"].max() > first["fill_size"].max() and len(bigger) > len(first)
    assert explorer.early(150, 14, 60) is first
    # the slow-vs-fast ratio in the subtitle is the report's
    fig = explorer.draw(150, 14, 60, threshold_weeks=4)
    rr = recruitment_models.slow_vs_fast(first, 28).risk_ratio
    assert f"{rr.value:.2f} (95% CI {rr.ci_low:.2f}–{rr.ci_high:.2f})" in fig.axes[0].get_title()
    plt.close(fig)


def test_too_small_a_selection_says_so_instead_of_failing(world):
    rows = world["rows"].head(3)
    fig = study_explore.draw_size(rows.assign(group_id="g"), "KOC emergence")
    assert "Fewer than 2 groups" in fig.axes[0].texts[0].get_text()
    plt.close(fig)
    with pytest.raises(ValueError, match="view must be one of"):
        study_explore.draw_experiment(world["outcomes"], "control", "pie")


def test_controls_redraw_with_the_widgets_values(world):
    """Each explorer builds its widgets; changing one redraws with the new value."""
    seen = []
    import ipywidgets as widgets

    from helpers.explore.dashboard import controls_panel

    def draw(**values):
        seen.append(values)
        return plt.figure()

    controls = {"view": widgets.ToggleButtons(options=["a", "b"]), "n": widgets.IntSlider(value=1)}
    box = controls_panel(controls, draw, [["view"], ["n"]])
    controls["n"].value = 5
    assert seen == [{"view": "a", "n": 1}, {"view": "a", "n": 5}]
    assert len(box.children) == 3
    for panel in (
        study_explore.size_explorer(world["rows"]),
        study_explore.experiment_explorer(
            world["outcomes"].drop(columns=["segment", "channel"]), world["groups"], "control"
        ),
        study_explore.RecruitmentExplorer(world["tables"], world["end"]).controls(),
    ):
        dropdowns = [w for row in panel.children[:-1] for w in row.children if isinstance(w, widgets.Dropdown)]
        segment = next(d for d in dropdowns if d.description == "segment")
        segment.value = segment.options[1]  # redraws with a real selection, no error
        assert len(segment.options) > 2
