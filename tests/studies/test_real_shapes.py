"""What real exports look like, made from a drawn world: each shape must change what the studies say, and only that.

- a message log (Gitter, Zulip): no joins or leaves, so every sender is a member from her group's first record
  and no size ever changes;
- system rows that name their member (a join line mapped as ``kind: system``);
- a dataset where every row is a system row;
- groups whose export begins mid-life: members present before the data have no known join.

The truth is the drawn world's own: the message log keeps its messages, the system rows add nothing a member wrote.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import open_dataset
from helpers.data.event_time import data_end
from helpers.measures.group_week import group_week_panel
from helpers.measures.members import member_table
from helpers.studies import overview, recruitment, size_activity
from helpers.studies.overview import measures as overview_measures
from helpers.studies.recruitment.measures import recruitment_windows
from helpers.studies.size_activity import SizeParams
from helpers.synth import generate

from conftest import BAD, TINY, overlay_case

SIZE_CLAIMS = ("size_band", "koc_above_150")
SIZE_ESTIMATES = ("size_peak", "size_band_low", "size_band_high", "size_peak_within_groups", "koc_above_150")
QUICK = SizeParams(bootstrap_reps=20)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """A small drawn world: 40 groups over 5 months (seed 23)."""
    path = tmp_path_factory.mktemp("shapes") / "world"
    generate(path, n_groups=40, seed=23, months=5, progress=False)
    return path


def _variant(world: Path, into: Path, **tables: pd.DataFrame) -> Path:
    """A copy of the world with some tables replaced (each written as one Parquet file)."""
    shutil.copytree(world, into)
    for name, frame in tables.items():
        shutil.rmtree(into / name, ignore_errors=True)
        (into / f"{name}.parquet").unlink(missing_ok=True)
        frame.to_parquet(into / f"{name}.parquet", index=False)
    return into


def _read(world: Path, name: str) -> pd.DataFrame:
    """One table of the world as pandas."""
    return getattr(open_dataset(world).tables, name).to_pandas()


def _message_log(world: Path, into: Path) -> Path:
    """The world as a message log: a stay per sender from her group's first record, nobody leaves."""
    messages, groups = _read(world, "messages"), _read(world, "groups")
    senders = messages.dropna(subset=["member_id"]).groupby(["group_id", "member_id"], as_index=False).size()
    first = messages.groupby("group_id")["sent_at"].min().rename("joined_at")
    stays = senders.merge(first, on="group_id")[["group_id", "member_id", "joined_at"]]
    stays = stays.assign(left_at=pd.NaT, role="member", leave_reason=None)
    stays["left_at"] = pd.to_datetime(stays["left_at"], utc=True)
    groups = groups.drop(columns="created_at").merge(first.rename("created_at"), on="group_id")
    return _variant(world, into, memberships=stays, groups=groups)


def test_a_message_log_gives_no_size_verdict(world, tmp_path):
    """Sizes that never changed: every size estimate is not estimable and says why; no size claim is judged."""
    ds = open_dataset(_message_log(world, tmp_path / "log"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = size_activity.estimate(ds, QUICK)
    for key in SIZE_ESTIMATES:
        assert est.headline[key].not_estimable, key
        assert "size ever changed" in est.headline[key].why_not, key
    verdicts = {v.claim_id: v for v in size_activity.verdicts(est)}
    assert all(verdicts[c].verdict == "inconclusive" for c in SIZE_CLAIMS)
    assert not est.headline["active_days_per_month"].not_estimable  # talk is still measured
    growth = overview.findings(overview.estimate(ds))[1].text
    assert "These are not headcounts" in growth
    assert "not headcounts" not in overview.findings(overview.estimate(open_dataset(world)))[1].text


def test_the_drawn_world_itself_still_gets_its_size_curve(world):
    """The same world with its joins and leaves: the size estimates rest on real changes of size."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = size_activity.estimate(open_dataset(world), QUICK)
    assert "size ever changed" not in (est.headline["size_peak"].why_not or "")
    assert not est.headline["koc_below_150"].not_estimable


def test_system_rows_that_name_a_member_are_not_talk(world, tmp_path):
    """A join line per stay, naming its member, changes no count of messages or speakers."""
    messages, stays = _read(world, "messages"), _read(world, "memberships")
    joins = pd.DataFrame(
        {
            "message_id": [f"join{k}" for k in range(len(stays))],
            "group_id": stays["group_id"],
            "member_id": stays["member_id"],
            "sent_at": stays["joined_at"],
            "kind": "system",
            "text_length": 0,
        }
    )
    with_joins = _variant(world, tmp_path / "joins", messages=pd.concat([messages, joins], ignore_index=True))
    columns = ["member_messages", "speakers", "kocs", "monitor_messages"]
    before = group_week_panel(open_dataset(world).tables, end=data_end(open_dataset(world).tables))[columns]
    ds = open_dataset(with_joins)
    after = group_week_panel(ds.tables, end=data_end(ds.tables))[columns]
    assert after.equals(before)


def test_only_system_rows_judge_no_koc_claim(world, tmp_path):
    """Every row a system row: no member talked, so whether large groups have KOCs is not estimable."""
    messages = _read(world, "messages").assign(kind="system")
    ds = open_dataset(_variant(world, tmp_path / "system", messages=messages))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = size_activity.estimate(ds, QUICK)
    assert est.headline["koc_above_150"].not_estimable
    assert {v.claim_id: v.verdict for v in size_activity.verdicts(est)}["koc_above_150"] == "inconclusive"


def test_a_warning_about_a_studys_tables_is_in_its_report(tmp_path):
    """A group created in 1970 (a validation warning) is named in the findings of every study reading groups."""
    overlay_case(BAD / "group_created_1970", tmp_path / "data")
    ds = open_dataset(tmp_path / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recruitment.summarise(ds)
    text = " ".join(f.text for f in result.findings)
    assert "Data warnings" in text and "before 2000" in text
    assert "Data warnings" not in " ".join(f.text for f in recruitment.summarise(open_dataset(TINY)).findings)


def _begun_midway(world: Path, into: Path) -> tuple[Path, pd.Timestamp]:
    """The world as an export that begins two months in: earlier stays still open then have no known join."""
    stays, messages = _read(world, "memberships"), _read(world, "messages")
    cut = stays["joined_at"].min() + pd.Timedelta(days=60)
    stays = stays[stays["left_at"].isna() | (stays["left_at"] > cut)].copy()
    before = stays["joined_at"] < cut
    stays.loc[before, "joined_at"] = cut
    stays["observed_from"] = stays["joined_at"].where(before)
    return _variant(world, into, memberships=stays, messages=messages[messages["sent_at"] >= cut]), cut


def test_members_present_before_the_data_are_never_joins(world, tmp_path):
    """Growth counts only joins the data saw; the headcount starts with those present; recruitment leaves such groups out."""
    path, cut = _begun_midway(world, tmp_path / "midway")
    ds = open_dataset(path)
    stays = ds.tables.memberships.to_pandas()
    present = stays["observed_from"].notna()
    growth = overview_measures.members_over_time(ds.tables)
    assert growth["joins"].sum() == (~present).sum()
    assert growth["members_at_end"].iloc[-1] == stays["left_at"].isna().sum()
    windows = recruitment_windows(ds.tables)
    created_before = set(_read(path, "groups").query("created_at < @cut")["group_id"])
    assert set(windows.loc[~windows["start_seen"], "group_id"]) == created_before & set(stays.loc[present, "group_id"])
    panel = group_week_panel(ds.tables, end=data_end(ds.tables))
    assert panel["new_joins"].sum() == (~present & (stays["role"] == "member")).sum()


def test_a_group_the_data_stops_seeing_counts_no_one_after(world, tmp_path):
    """Ten groups seen only until a cut (observed_until): no week after it, open stays censored at it, not exits."""
    groups, stays = _read(world, "groups"), _read(world, "memberships")
    cut = stays["joined_at"].min() + pd.Timedelta(days=75)
    cut_ids = set(groups["group_id"].iloc[:10])
    groups["observed_until"] = pd.Series(pd.NaT, index=groups.index, dtype="datetime64[ns, UTC]")
    groups.loc[groups["group_id"].isin(cut_ids), "observed_until"] = cut
    stays = stays[~(stays["group_id"].isin(cut_ids) & (stays["joined_at"] > cut))]  # nothing seen after the cut
    messages = _read(world, "messages")
    messages = messages[~(messages["group_id"].isin(cut_ids) & (messages["sent_at"] > cut))]
    left_after = stays["group_id"].isin(cut_ids) & (stays["left_at"] > cut)
    stays.loc[left_after, ["left_at", "leave_reason"]] = [pd.NaT, None]
    ds = open_dataset(_variant(world, tmp_path / "cut", groups=groups, memberships=stays, messages=messages))
    end = data_end(ds.tables)
    panel = group_week_panel(ds.tables, end=end)
    assert panel.loc[panel["group_id"].isin(cut_ids), "week"].max() <= cut
    members = member_table(ds.tables, end)
    still_in = members[members["group_id"].isin(cut_ids) & ~members["left"]]
    expected = (cut - still_in["joined_at"]).dt.total_seconds() / 86_400
    assert len(still_in) and np.allclose(still_in["duration_days"], expected)
    growth = overview_measures.members_over_time(ds.tables)
    open_stays = stays["left_at"].isna() & ~stays["group_id"].isin(cut_ids)
    assert growth["members_at_end"].iloc[-1] == open_stays.sum()


def test_a_group_created_in_1970_has_no_recruitment_window(world, tmp_path):
    """A default date as creation would make a 55-year window, the slowest of all: the group is left out instead."""
    groups = _read(world, "groups")
    groups.loc[0, "created_at"] = pd.Timestamp("1970-01-01", tz="UTC")
    ds = open_dataset(_variant(world, tmp_path / "epoch", groups=groups))
    windows = recruitment_windows(ds.tables)
    assert not windows.set_index("group_id").loc[groups.loc[0, "group_id"], "start_seen"]
    assert windows["start_seen"].sum() == len(groups) - 1
    assert any("before 2000" in f.rule for f in ds.report.warnings)
