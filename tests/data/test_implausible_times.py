"""Implausible times: the data's end is robust to a handful of outlying late events (rule in ``data.outliers``)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import open_dataset
from helpers.data.event_time import data_end
from helpers.data.outliers import MAX_OUTLIERS, robust_end
from helpers.studies.retention.summary import summarise as retention

from conftest import BAD, overlay_case

T = pd.Timestamp("2025-03-01", tz="UTC")


def days(*offsets: float) -> list[pd.Timestamp]:
    return [T + pd.Timedelta(days=d) for d in offsets]


def test_a_few_late_events_are_set_aside_and_the_end_is_the_event_before_the_gap():
    base = days(*range(0, 100, 2))  # an event every two days for 100 days
    found = robust_end(base + days(400, 401), T)
    assert found.end == T + pd.Timedelta(days=98) and found.outliers == 2
    assert robust_end(base + days(210, 400), T).outliers == 2  # the earliest outlier gap decides
    assert robust_end(base, T).outliers == 0 and robust_end(base, T).end == T + pd.Timedelta(days=98)


def test_more_than_a_handful_of_late_events_are_the_data_not_outliers():
    base = days(*range(0, 100, 2))
    late = days(*[400 + i for i in range(MAX_OUTLIERS + 1)])
    assert robust_end(base + late, T).outliers == 0


def test_a_quiet_spell_shorter_than_the_data_is_real_and_tiny_data_is_left_alone():
    base = days(*range(0, 300, 3))
    assert robust_end(base + days(380), T).outliers == 0  # 83 days: under three months
    assert robust_end(base + days(500), T).outliers == 0  # 203 days of quiet after 297 days of data: real
    assert robust_end(base + days(700), T).outliers == 1  # 403 days: further out than the data is long
    short = days(*range(0, 30, 1))
    assert robust_end(short + days(89), T).outliers == 0  # a month of data, then one event two months later: real
    assert robust_end(short + days(150), T).outliers == 1  # ... or four months later: set aside
    assert robust_end(days(0, 1, 500), T).outliers == 0  # three events: no rest of the data to compare with


@pytest.mark.parametrize("case", ["message_far_after_the_rest", "left_far_after_the_rest"])
def test_the_studies_end_where_the_rest_of_the_data_does(case, tmp_path):
    ds = open_dataset(overlay_case(BAD / case, tmp_path / "data") and tmp_path / "data")
    assert ds.report.data_end is not None
    assert data_end(ds.tables) == pd.Timestamp("2025-02-11T10:00:00Z")
    messages = ds.tables.messages.to_pandas()
    stays = ds.tables.memberships.to_pandas()
    assert messages["sent_at"].max() <= pd.Timestamp("2025-02-11T10:00:00Z") and len(messages) == 8
    assert (stays["left_at"].dropna() <= pd.Timestamp("2025-02-11T10:00:00Z")).all()
    retention(ds)  # runs on the trimmed data
