"""Opening datasets: CSV and Parquet give the same tables, typed to the contract, computed in DuckDB."""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import ContractError, open_dataset
from helpers.data.engine import dataset_fingerprint, validate_dataset

from conftest import BAD, GOOD, overlay_case


def write_parquet(src: Path, dest: Path, *, parts: int = 1, naive: bool = False) -> Path:
    """Convert the CSV fixture to Parquet (one file per table, or a folder of parts)."""
    dest.mkdir()
    for csv in src.glob("*.csv"):
        frame = pd.read_csv(csv)
        for col in [c for c in frame.columns if c.endswith("_at")]:
            frame[col] = pd.to_datetime(frame[col], utc=True)
            if naive:
                frame[col] = frame[col].dt.tz_localize(None)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if parts == 1:
            pq.write_table(table, dest / f"{csv.stem}.parquet")
        else:
            (dest / csv.stem).mkdir()
            size = -(-len(frame) // parts)
            for i in range(parts):
                pq.write_table(table.slice(i * size, size), dest / csv.stem / f"part-{i}.parquet")
    return dest


def test_contract_types(good_copy: Path):
    ds = open_dataset(good_copy)
    schema = ds.tables.memberships.schema()
    assert schema["joined_at"].is_timestamp() and schema["joined_at"].timezone == "UTC"
    assert schema["role"].is_string()
    assert ds.tables.groups.schema()["target_size"].is_integer()
    assert ds.tables.messages.columns == (
        "message_id",
        "group_id",
        "member_id",
        "sent_at",
        "kind",
        "text_length",
        "form",
    )
    assert ds.tables.messages.form.isnull().all().execute()  # optional column, absent from the file: all empty


def test_parquet_file_and_parts_match_csv(tmp_path: Path):
    csv = open_dataset(GOOD)
    for parts in (1, 3):
        pq_ds = open_dataset(write_parquet(GOOD, tmp_path / f"pq{parts}", parts=parts))
        for name in ("groups", "memberships", "messages", "assignments"):
            a = getattr(csv.tables, name).to_pandas()
            b = getattr(pq_ds.tables, name).to_pandas()
            key = list(a.columns[:3])
            pd.testing.assert_frame_equal(
                a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True), check_dtype=False
            )


def test_parquet_is_read_in_place_not_copied(tmp_path: Path):
    ds = open_dataset(write_parquet(GOOD, tmp_path / "pq"))
    plan = ds.con.raw_sql("SELECT sql FROM duckdb_views() WHERE view_name = '_checked_messages'").fetchone()[0]
    assert "read_parquet" in plan


def test_naive_parquet_timestamps_read_as_utc_with_warning(tmp_path: Path):
    ds = open_dataset(write_parquet(GOOD, tmp_path / "naive", naive=True))
    warned = {(f.file, f.column) for f in ds.report.warnings}
    assert ("messages.parquet", "sent_at") in warned
    first = ds.tables.messages.sent_at.min().execute()
    assert first == pd.Timestamp(pd.read_csv(GOOD / "messages.csv")["sent_at"].min())


def test_parquet_row_numbers_in_findings(tmp_path: Path):
    data = write_parquet(GOOD, tmp_path / "pq", parts=2)
    part = data / "memberships" / "part-1.parquet"
    frame = pq.read_table(part).to_pandas()
    frame.loc[4, "role"] = "boss"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
    report, _ = validate_dataset(data)
    (finding,) = report.errors
    assert finding.file == "memberships/" and finding.column == "role"
    assert finding.examples[0]["_file"] == "part-1.parquet" and finding.examples[0]["_row"] == 5


def test_open_raises_contract_error_with_report(tmp_path: Path):
    overlay_case(BAD / "unknown_role", tmp_path / "d")
    with pytest.raises(ContractError) as err:
        open_dataset(tmp_path / "d")
    assert "memberships.csv: column 'role'" in str(err.value)
    assert err.value.report.errors[0].n_rows == 1


def test_raw_inputs_not_modified(good_copy: Path):
    before = {p.name: p.read_bytes() for p in good_copy.iterdir()}
    open_dataset(good_copy)
    assert {p.name: p.read_bytes() for p in good_copy.iterdir()} == before


def test_fingerprint_changes_with_content(good_copy: Path):
    first = dataset_fingerprint(good_copy)
    assert first == dataset_fingerprint(good_copy)
    with (good_copy / "messages.csv").open("a") as fh:
        fh.write("msg_99999,g_001,m_001_05,2025-03-01T00:00:00Z,chat,3\n")
    assert dataset_fingerprint(good_copy) != first


def test_metrics_are_ibis_expressions_on_duckdb(good_copy: Path):
    ds = open_dataset(good_copy)
    assert isinstance(ds.tables.messages, ibis.Table)
    assert ds.con.name == "duckdb"


def test_a_validated_dataset_is_not_checked_row_by_row_again(good_copy: Path, monkeypatch):
    """Same files (same fingerprint): the earlier findings come back without the row and relation passes."""
    import helpers.data.engine as engine

    first = open_dataset(good_copy)
    calls = []
    monkeypatch.setattr(engine, "check_rows", lambda *a: calls.append("rows"))
    again = open_dataset(good_copy)
    assert calls == [] and again.report.format() == first.report.format()
    assert again.tables.messages.count().execute() == first.tables.messages.count().execute()
    (good_copy / "messages.csv").write_text((good_copy / "messages.csv").read_text() + "\n")  # files changed
    monkeypatch.undo()
    original = engine.check_rows
    monkeypatch.setattr(engine, "check_rows", lambda *a: calls.append("rows") or original(*a))
    changed = open_dataset(good_copy)
    assert changed.fingerprint != first.fingerprint and calls == ["rows"]


def test_a_duckdb_engine_url_is_the_connection_the_tables_live_on(good_copy: Path):
    ds = open_dataset(good_copy, "duckdb://")
    assert ds.tables.messages._find_backend() is ds.con
    assert ds.con.sql("SELECT count(*) AS n FROM messages").execute()["n"][0] == ds.tables.messages.count().execute()


def _outcome_tables(folder: Path) -> None:
    """Valid conversions, activities and participants for the good fixture's first group and members."""
    stays = pd.read_csv(folder / "memberships.csv")
    group, members = stays["group_id"].iloc[0], stays.loc[stays["group_id"] == stays["group_id"].iloc[0], "member_id"]
    pd.DataFrame(
        {
            "conversion_id": ["cv1", "cv2"],
            "group_id": [group, group],
            "member_id": members.iloc[:2].tolist(),
            "converted_at": ["2025-02-10T20:15:00Z", "2025-02-11T08:00:00+08:00"],
            "kind": ["purchase", "course_signup"],
            "value": ["129.5", ""],
            "currency": ["CNY", ""],
        }
    ).to_csv(folder / "conversions.csv", index=False)
    pd.DataFrame(
        {
            "activity_id": ["a1"],
            "group_id": [group],
            "started_at": ["2025-02-12T12:00:00Z"],
            "ended_at": [""],
            "kind": ["live_session"],
        }
    ).to_csv(folder / "activities.csv", index=False)
    pd.DataFrame({"activity_id": ["a1", "a1"], "member_id": members.iloc[:2].tolist()}).to_csv(
        folder / "activity_participants.csv", index=False
    )


def test_optional_outcome_tables_open_typed_or_are_none(good_copy: Path, tmp_path: Path):
    assert open_dataset(good_copy).tables.conversions is None  # a dataset without them still opens
    _outcome_tables(good_copy)
    ds = open_dataset(good_copy)
    assert ds.report.ok, ds.report.format()
    conversions = ds.tables.conversions.to_pandas()
    assert ds.tables.conversions.schema()["value"].is_floating()
    assert conversions["value"].tolist()[0] == 129.5 and pd.isna(conversions["value"].tolist()[1])
    assert conversions["converted_at"].iloc[1] == pd.Timestamp("2025-02-11T00:00:00Z")
    assert int(ds.tables.activity_participants.count().execute()) == 2
    assert ds.tables.activities.ended_at.isnull().all().execute()
    # Parquet doubles: NaN and inf are not values, named with their rows like unreadable text
    pq_dir = write_parquet(good_copy, tmp_path / "pq")
    table = pq.read_table(pq_dir / "conversions.parquet")
    values = pa.array([float("nan"), float("inf")], type=pa.float64(), from_pandas=False)  # a real NaN, not a null
    pq.write_table(
        table.set_column(table.schema.get_field_index("value"), "value", values), pq_dir / "conversions.parquet"
    )
    report, _ = validate_dataset(pq_dir)
    [finding] = [f for f in report.errors if f.column == "value"]
    assert finding.n_rows == 2 and "cannot be read as number" in finding.rule
    assert [e["_row"] for e in finding.examples] == [1, 2]


def test_derived_tables_are_kept_once_per_dataset(good_copy: Path):
    """kept() builds a derived table once, as a DuckDB temporary table; another opening builds its own."""
    from helpers.data.engine import kept
    from helpers.measures.activity import member_weeks

    ds = open_dataset(good_copy)
    calls = []

    def build():
        calls.append(1)
        return ds.tables.messages.group_by("group_id").aggregate(n=ds.tables.messages.count())

    first, again = kept(ds.tables, "per_group", build), kept(ds.tables, "per_group", build)
    assert first is again and len(calls) == 1
    temp = ds.con.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    assert any(name.startswith("per_group_") for (name,) in temp)
    assert first.count().execute() == ds.tables.messages.group_id.nunique().execute()
    other = open_dataset(good_copy)
    assert "per_group" not in other.tables.derived
    weeks = member_weeks(other.tables).to_pandas()  # one row per sender and week, every message counted once
    msg = other.tables.messages.to_pandas()
    assert weeks["messages"].sum() == msg["member_id"].notna().sum()
    assert not weeks.duplicated(["group_id", "member_id", "week"]).any()
