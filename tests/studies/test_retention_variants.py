"""Retention variants against a pandas reference: recurring entries, custom day brackets, relative to previous.

The reference counts, entry by entry, the set of periods any of the member's stays from that
entry on covers (a stay covers the periods from the one its join falls in to the one its
end reaches into), then entries per cohort and period: written once here, independently of
the engine's window and running-sum formulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import open_dataset
from helpers.data.event_time import data_end
from helpers.studies.retention.measures import relative_to_previous, retention_triangle

DAY = pd.Timedelta(days=1)


def _dataset(folder, seed: int = 11):
    """Three groups, 60 members each, one to three stays apiece (rejoins after gaps), some still open."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01", tz="UTC")
    rows = []
    for g in range(3):
        for i in range(60):
            at = start + rng.uniform(0, 120) * DAY
            for _ in range(rng.integers(1, 4)):
                stay = rng.exponential(25) * DAY
                left = at + stay
                is_open = left > start + 200 * DAY
                rows.append((f"g{g}", f"m{i}", at, None if is_open else left))
                if is_open:
                    break
                at = left + rng.exponential(10) * DAY
    stays = pd.DataFrame(rows, columns=["group_id", "member_id", "joined_at", "left_at"])
    stays = stays.assign(role="member", leave_reason=np.where(stays["left_at"].isna(), None, "quit"))
    folder.mkdir()
    iso = "%Y-%m-%dT%H:%M:%SZ"
    stays.assign(
        joined_at=stays["joined_at"].dt.strftime(iso),
        left_at=stays["left_at"].dt.strftime(iso).where(stays["left_at"].notna()),
    ).to_csv(folder / "memberships.csv", index=False)
    groups = pd.DataFrame({"group_id": ["g0", "g1", "g2"], "created_at": "2025-01-01T00:00:00Z"})
    groups.assign(channel="kol", city="x", segment="s", target_size=None, platform=None).to_csv(
        folder / "groups.csv", index=False
    )
    last = (start + 200 * DAY).strftime(iso)
    pd.DataFrame(
        [{"message_id": "x", "group_id": "g0", "member_id": None, "sent_at": last, "kind": "system", "text_length": 0}]
    ).to_csv(folder / "messages.csv", index=False)
    return open_dataset(folder), stays


def _reference(stays: pd.DataFrame, end: pd.Timestamp, entry: str, edges: list[float], unit: str) -> pd.DataFrame:
    """Entries per cohort and period covered, counted entry by entry (periods are [edges[k], edges[k+1]) days)."""
    edges = np.asarray(edges, float)
    counts: dict[tuple, int] = {}
    for (_, _), own in stays.sort_values("joined_at").groupby(["group_id", "member_id"]):
        origins = own["joined_at"].iloc[:1] if entry == "first" else own["joined_at"]
        for origin in origins:
            covered = set()
            for stay in own[own["joined_at"] >= origin].itertuples():
                until = stay.left_at if pd.notna(stay.left_at) else end
                a = (stay.joined_at - origin) / DAY
                b = (until - origin) / DAY
                k_from = int((edges[1:] <= a).sum())
                k_to = max(int((edges[1:] < b).sum()), k_from)  # an end on a boundary stays in the period before
                covered.update(range(k_from, k_to + 1))
            cohort = origin.tz_localize(None).to_period(unit).start_time
            for k in covered:
                counts[(cohort, k)] = counts.get((cohort, k), 0) + 1
    frame = pd.Series(counts).rename_axis(["cohort", "k"]).unstack(fill_value=0)
    return frame


@pytest.mark.parametrize("entry", ["first", "recurring"])
@pytest.mark.parametrize("brackets", [None, (0, 1, 3, 7, 14, 30, 60, 90)])
def test_bounded_membership_retention_equals_the_reference(tmp_path, entry, brackets):
    ds, stays = _dataset(tmp_path / "data")
    end = data_end(ds.tables)
    tri = retention_triangle(ds.tables, "month", "membership", True, 6, entry=entry, brackets=brackets)
    edges = list(brackets) if brackets else [30 * k for k in range(0, 9)]
    theirs = _reference(stays, end, entry, edges, "M")
    theirs.index = pd.DatetimeIndex(theirs.index).as_unit("us")
    theirs = theirs.reindex(columns=tri.counts.columns, fill_value=0).reindex(tri.counts.index, fill_value=0)
    shown = tri.counts.notna()
    assert shown.to_numpy().sum() >= 6
    np.testing.assert_array_equal(
        tri.counts.where(shown).fillna(-1).to_numpy(), theirs.where(shown).fillna(-1).to_numpy()
    )
    entries = stays.groupby(["group_id", "member_id"]).size() if entry == "first" else None
    sizes = tri.cohort_sizes.sum()
    assert sizes == (len(entries) if entry == "first" else len(stays))


def test_fixed_periods_are_brackets_of_equal_length(tmp_path):
    ds, _ = _dataset(tmp_path / "data", seed=5)
    fixed = retention_triangle(ds.tables, "week", "membership", True, 8)
    bracketed = retention_triangle(ds.tables, "week", "membership", True, brackets=tuple(7 * k for k in range(10)))
    pd.testing.assert_frame_equal(fixed.counts, bracketed.counts, check_names=False)
    assert bracketed.column_labels()[1] == "7–14 d"


def test_relative_to_previous_divides_each_period_by_the_one_before(tmp_path):
    ds, _ = _dataset(tmp_path / "data", seed=6)
    tri = retention_triangle(ds.tables, "month", "membership", False, 5)
    rel = relative_to_previous(tri)
    assert rel.relative and list(rel.rates.columns) == list(tri.counts.columns[1:])
    expected = tri.counts[2] / tri.counts[1]
    pd.testing.assert_series_equal(rel.rates[2], expected, check_names=False)
    assert (rel.rates.stack() <= 1 + 1e-12).all()  # unbounded: those in k or later were all in k - 1 or later


def test_bad_brackets_and_entries_are_refused(tmp_path):
    ds, _ = _dataset(tmp_path / "data", seed=7)
    for bad in ((1, 7), (0, 7, 7), (0,)):
        with pytest.raises(ValueError, match="brackets"):
            retention_triangle(ds.tables, brackets=bad)
    with pytest.raises(ValueError, match="entry"):
        retention_triangle(ds.tables, entry="every")
