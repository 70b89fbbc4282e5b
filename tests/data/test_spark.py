"""The studies' Ibis expressions run unchanged on Spark and give DuckDB's results exactly.

Twice: on Spark's local mode, and on a real standalone cluster started on loopback by the
test (a master and two workers, each its own JVM, executors in the workers; stopped by
process id afterwards), reading the dataset from a path all of them share.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import open_dataset
from helpers.data import event_time
from helpers.data.cluster import standalone_cluster, wait_for_executors
from helpers.measures import members as member_measures
from helpers.measures.group_week import group_week_panel
from helpers.studies.experiment import measures as experiment
from helpers.studies.recruitment import measures as recruitment
from helpers.studies.retention import measures as retention
from helpers.studies.size_activity import timing
from helpers.synth import generate

pytestmark = pytest.mark.spark  # the metrics on a local Spark

METRICS = {
    "member table": lambda t, end: member_measures.member_table(t, end),
    "membership triangle": lambda t, end: retention.retention_triangle(t, "week", "membership", end=end).rates,
    "activity triangle": lambda t, end: retention.retention_triangle(t, "week", "activity", end=end).rates,
    "lifecycle layers": lambda t, end: retention.lifecycle_layers(t, end),
    "group-week panel": lambda t, end: group_week_panel(t, end=end),
    "recruitment windows": lambda t, end: recruitment.recruitment_windows(t, end=end),
    "early members": lambda t, end: recruitment.early_members(t, recruitment.recruitment_windows(t, end=end), end=end),
    "hour x weekday": lambda t, end: timing.hour_weekday_counts(t),
    "experiment outcomes": lambda t, end: experiment.group_outcomes(t, "content_ratio", end=end),
}
KEYS = ("group_id", "member_id", "week", "joined_at", "weekday", "hour")


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order, instants in UTC to the microsecond (the contract's resolution; instants computed
    through float seconds differ below it), as engines differ in row order and time units."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]").dt.round("us")
    if isinstance(frame.index, pd.DatetimeIndex):
        frame.index = frame.index.astype("datetime64[ns]")
    keys = [k for k in KEYS if k in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True) if keys else frame


@pytest.fixture(scope="module", params=["local", "cluster"])
def engines(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("spark") / "data"
    generate(path, n_groups=40, seed=3, months=6, progress=False)
    duck = open_dataset(path)
    if request.param == "local":
        spark = open_dataset(path, "pyspark://local[2]")
        yield duck, spark
        spark.con._session.stop()
        return
    with standalone_cluster(tmp_path_factory.mktemp("cluster"), workers=2) as url:
        spark = open_dataset(path, url)
        try:
            assert wait_for_executors(spark.con._session, 2) == 2, "both workers' executors registered"
            yield duck, spark
        finally:
            spark.con._session.stop()


def test_spark_backend_is_really_used(engines):
    duck, spark = engines
    assert duck.con.name == "duckdb" and spark.con.name == "pyspark"
    assert spark.tables.messages._find_backend().name == "pyspark"
    master = spark.con._session.sparkContext.master
    assert master.startswith("local") or master.startswith("spark://127.0.0.1:")


@pytest.mark.parametrize("metric", list(METRICS))
def test_metric_on_spark_equals_duckdb(engines, metric):
    duck, spark = engines
    end = event_time.data_end(duck.tables)
    assert event_time.data_end(spark.tables) == end
    ours, theirs = _comparable(METRICS[metric](duck.tables, end)), _comparable(METRICS[metric](spark.tables, end))
    assert len(ours) > 0
    pd.testing.assert_frame_equal(
        ours, theirs[ours.columns], check_dtype=False, check_categorical=False, check_index_type=False, rtol=1e-9
    )
