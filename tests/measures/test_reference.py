"""The engine's metrics equal the pandas reference and the rivals bench.py races (benchmarks/*_reference.py)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from helpers import open_dataset
from helpers.data import event_time
from helpers.measures import members as member_measures
from helpers.measures.group_week import group_week_panel
from helpers.studies.experiment import measures as experiment
from helpers.studies.recruitment import measures as recruitment
from helpers.studies.retention import measures as retention
from helpers.synth import generate

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import pandas_reference as ref  # noqa: E402


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small generated dataset (60 groups, 8 months)."""
    path = tmp_path_factory.mktemp("reference") / "data"
    generate(path, n_groups=60, seed=5, months=8, progress=False)
    return path


@pytest.fixture(scope="module")
def both(small):
    path = small
    ds = open_dataset(path)
    frames = ref.load(path)
    end = event_time.data_end(ds.tables)
    assert ref.data_end(frames) == end
    return ds.tables, frames, end


def _same(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], columns: list[str]) -> None:
    ours = ours.sort_values(keys).reset_index(drop=True)[keys + columns]
    theirs = theirs.sort_values(keys).reset_index(drop=True)[keys + columns]
    for frame in (ours, theirs):
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]").dt.round("us")
    assert len(ours) > 10
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9)


def _same_triangle(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    ours.index = pd.DatetimeIndex(ours.index).tz_localize(None) if pd.DatetimeIndex(ours.index).tz else ours.index
    theirs.index = pd.DatetimeIndex(theirs.index).tz_convert(None)
    assert np.nansum(theirs.to_numpy()) > 100
    pd.testing.assert_frame_equal(
        ours, theirs, check_names=False, check_index_type=False, check_column_type=False, check_freq=False
    )


PANEL = ["age_weeks", "members", "members_in_week", "joins", "exits", "mean_tenure_days", "member_messages"]
PANEL += ["speakers", "interaction_rate", "messages_per_member", "kocs", "monitor_messages", "monitor_share"]
PANEL += ["operator_posts", "promo_posts", "promo_share"]
MEMBER = ["joined_at", "left_at", "stays", "final_left_at", "left", "duration_days", "messages", "messages_per_week"]
MEMBER += ["first_message_at", "last_message_at", "peak_members"]
EXPERIMENT = ["arm", "members", "exits", "pre_members", "pre_exits", "post_member_days", "pre_member_days"]
EXPERIMENT += ["post_messages", "pre_messages"] + [f"{v}_{s}" for v in ("members", "exits") for s in experiment.STAGES]
METRICS = {  # suite name: the engine's frame, the pandas reference's function, keys, columns compared
    "member table": (
        lambda t, end: member_measures.member_table(t, end),
        lambda f, end: ref.member_table(f, end),
        ["group_id", "member_id"],
        MEMBER,
    ),
    "group-week panel": (
        lambda t, end: group_week_panel(t, end=end),
        lambda f, end: ref.group_week_panel(f, end),
        ["group_id", "week"],
        PANEL,
    ),
    "recruitment windows": (
        lambda t, end: recruitment.recruitment_windows(t, end=end),
        lambda f, end: ref.recruitment_windows(f, end),
        ["group_id"],
        ["fill_size", "joiners", "window_days", "observed_days", "filled"],
    ),
    "experiment outcomes": (
        lambda t, end: experiment.group_outcomes(t, "content_ratio", end=end),
        lambda f, end: ref.experiment_outcomes(f, "content_ratio", end),
        ["group_id"],
        EXPERIMENT,
    ),
}


@pytest.mark.parametrize("metric", list(METRICS))
def test_engine_equals_pandas_reference(both, metric):
    tables, frames, end = both
    engine, reference, keys, columns = METRICS[metric]
    _same(engine(tables, end), reference(frames, end), keys, columns)


@pytest.mark.parametrize("kind", ["membership", "activity"])
def test_retention_triangle(both, kind):
    tables, frames, end = both
    _same_triangle(
        retention.retention_triangle(tables, "week", kind, end=end).counts, ref.retention_counts(frames, kind, end)
    )


def test_activity_triangle_beyond_the_bit_mask(both):
    """Past MASK_BITS periods the triangle counts distinct (member, period) pairs instead: same as the reference."""
    tables, frames, end = both
    periods = retention.MASK_BITS + 2
    _same_triangle(
        retention.retention_triangle(tables, "week", "activity", max_periods=periods, end=end).counts,
        ref.retention_counts(frames, "activity", end, max_periods=periods),
    )


@pytest.fixture(scope="module", params=["sql_reference", "polars_reference"])
def rival(request, small):
    """A rival implementation's whole suite on the same small dataset (hand-written DuckDB SQL, Polars)."""
    return request.param, __import__(request.param).suite(small)


@pytest.mark.parametrize("metric", list(METRICS))
def test_rival_equals_engine(both, rival, metric):
    """Each rival gives the engine's frames (checked here so the race in bench.py compares equal work)."""
    tables, _, end = both
    engine, _, keys, columns = METRICS[metric]
    _same(engine(tables, end), rival[1][metric], keys, columns)


@pytest.mark.parametrize("kind", ["membership", "activity"])
def test_rival_triangles_equal_engine(both, rival, kind):
    tables, _, end = both
    _same_triangle(retention.retention_triangle(tables, "week", kind, end=end).counts, rival[1][f"{kind} triangle"])
