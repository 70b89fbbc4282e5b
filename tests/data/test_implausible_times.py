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
    assert robust_end(base + days(150, 400), T).outliers == 2  # the earliest big gap decides
    assert robust_end(base, T) == robust_end(base, T)
    assert robust_end(base, T).outliers == 0 and robust_end(base, T).end == T + pd.Timedelta(days=98)


def test_more_than_a_handful_of_late_events_are_the_data_not_outliers():
    base = days(*range(0, 100, 2))
    late = days(*[400 + i for i in range(MAX_OUTLIERS + 1)])
    assert robust_end(base + late, T).outliers == 0


def test_a_short_quiet_spell_is_not_a_gap_and_tiny_data_is_left_alone():
    base = days(*range(0, 300, 3))
    assert robust_end(base + days(325), T).outliers == 0  # 28 days: under a month
    assert robust_end(base + days(340), T).outliers == 1  # 43 days after a 300-day span: set aside
    long = days(*range(0, 900, 3))
    assert robust_end(long + days(940), T).outliers == 0  # 43 days, but under 10% of a 900-day span
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
