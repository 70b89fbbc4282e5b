"""Overview metrics computed by DuckDB equal the same numbers computed by hand in pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import open_dataset
from helpers.studies.overview import measures as metrics

from conftest import GOOD


@pytest.fixture(scope="module")
def ds():
    return open_dataset(GOOD)


@pytest.fixture(scope="module")
def raw():
    read = lambda n: pd.read_csv(GOOD / f"{n}.csv")  # noqa: E731
    m = read("memberships")
    for c in ("joined_at", "left_at"):
        m[c] = pd.to_datetime(m[c], utc=True)
    msg = read("messages")
    msg["sent_at"] = pd.to_datetime(msg["sent_at"], utc=True)
    return {"groups": read("groups"), "memberships": m, "messages": msg}


def test_summary_counts(ds, raw):
    s = metrics.dataset_summary(ds.tables)
    assert s["groups"] == len(raw["groups"])
    assert s["members"] == raw["memberships"].member_id.nunique()
    assert s["messages"] == len(raw["messages"])
    assert s["last_event"] == raw["messages"].sent_at.max()


def test_members_over_time_matches_pandas(ds, raw):
    got = metrics.members_over_time(ds.tables, period="week")
    m = raw["memberships"]
    week = lambda t: t.dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time  # noqa: E731
    joins = m.groupby(week(m.joined_at)).size()
    exits = m.dropna(subset=["left_at"]).groupby(week(m.left_at.dropna())).size()
    expected = pd.concat([joins.rename("joins"), exits.rename("exits")], axis=1).fillna(0).sort_index()
    assert got["joins"].tolist() == expected["joins"].astype(int).tolist()
    assert got["exits"].tolist() == expected["exits"].astype(int).tolist()
    still_in = m.left_at.isna().sum()
    assert got["members_at_end"].iloc[-1] == still_in


def test_messages_over_time_by_group_attribute(ds, raw):
    got = metrics.messages_over_time(ds.tables, period="month", by="channel")
    assert got["messages"].sum() == len(raw["messages"])
    merged = raw["messages"].merge(raw["groups"], on="group_id")
    assert got.groupby("channel")["messages"].sum().to_dict() == merged.groupby("channel").size().to_dict()


def test_groups_by(ds, raw):
    got = metrics.groups_by(ds.tables, "channel", "segment")
    assert got["groups"].sum() == len(raw["groups"])
    assert got["memberships"].sum() == len(raw["memberships"])
