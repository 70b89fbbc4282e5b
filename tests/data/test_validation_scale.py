"""Validation at volume: a million messages check completely (make bench times the first open at scale)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from helpers.data.engine import validate_dataset


def write_volume_dataset(folder: Path, groups: int, stays: int, messages: int) -> Path:
    """A contract-valid dataset of the given size, written straight to Parquet by DuckDB."""
    folder.mkdir()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""COPY (SELECT 'g' || i AS group_id, TIMESTAMPTZ '2025-01-01' + to_days(i % 300) AS created_at,
        'kol' AS channel, 'Hangzhou' AS city, 'baby_0_3m' AS segment, 200::BIGINT AS target_size,
        'wechat' AS platform FROM range({groups}) r(i)) TO '{folder}/groups.parquet'""")
    con.execute(f"""COPY (SELECT 'g' || (i % {groups}) AS group_id, 'm' || i AS member_id,
        TIMESTAMPTZ '2025-01-01' + to_days((i % {groups}) % 300) + to_hours(1 + (i // {groups}) % 500) AS joined_at,
        CASE WHEN i % 3 = 0 THEN TIMESTAMPTZ '2025-01-01' + to_days((i % {groups}) % 300 + 40) END AS left_at,
        'member' AS role, CASE WHEN i % 3 = 0 THEN 'quit' END AS leave_reason
        FROM range({stays}) r(i)) TO '{folder}/memberships.parquet'""")
    con.execute(f"""COPY (SELECT 'msg' || i AS message_id, 'g' || (mi % {groups}) AS group_id, 'm' || mi AS member_id,
        TIMESTAMPTZ '2025-01-01' + to_days((mi % {groups}) % 300) + to_hours(501 + i % 400) AS sent_at,
        'chat' AS kind, (i % 100)::BIGINT AS text_length
        FROM (SELECT i, (i * 7919) % {stays} AS mi FROM range({messages}) r(i))) TO '{folder}/messages.parquet'""")
    return folder


def test_one_million_messages_validate(tmp_path: Path):
    """A volume dataset validates completely (its time is measured by make bench, not asserted here)."""
    data = write_volume_dataset(tmp_path / "volume", groups=200, stays=40_000, messages=1_000_000)
    report, _ = validate_dataset(data)
    assert report.ok, report.format()
    assert report.rows["messages"] == 1_000_000
