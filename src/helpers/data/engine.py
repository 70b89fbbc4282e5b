"""Opening a dataset: validate it, then expose its tables as Ibis tables where the data lives.

The embedded default is an in-memory DuckDB that reads the Parquet files in place
(CSV files are loaded into DuckDB once, never into pandas). ``connect`` takes any Ibis
backend URL, so the same metric expressions run on Spark or another engine when
tables are registered there.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import pandas as pd

from helpers.data.atomic import write_json
from helpers.data.schema import IBIS_TYPES, TABLES
from helpers.data.sources import Source, find_sources
from helpers.data.validation import ContractError, Finding, ValidationReport, check_files, check_relations, check_rows


@dataclass(frozen=True)
class Tables:
    """The contract tables as Ibis tables (an optional table is None when the dataset has none)."""

    groups: ibis.Table
    memberships: ibis.Table
    messages: ibis.Table
    assignments: ibis.Table | None = None
    conversions: ibis.Table | None = None
    activities: ibis.Table | None = None
    activity_participants: ibis.Table | None = None
    derived: dict[str, ibis.Table] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Tables derived once from these and kept where the data lives (e.g. member-week talk), by name."""


@dataclass
class Dataset:
    """A validated dataset: its Ibis tables, the validation report and a content fingerprint."""

    con: ibis.BaseBackend
    tables: Tables
    report: ValidationReport
    data_dir: Path
    fingerprint: str


SPARK_PREFIXES = ("pyspark", "spark")
_KEPT = itertools.count()


def kept(tables: Tables, name: str, build: Callable[[], ibis.Table]) -> ibis.Table:
    """A table derived from ``tables``, computed once and kept where the data lives, for as long as they live.

    On DuckDB a temporary table of the dataset's connection (gone with it); elsewhere the
    backend's own cache (a persisted frame on Spark). ``build`` makes its expression.
    """
    table = tables.derived.get(name)
    if table is None:
        expr = build()
        backend = expr._find_backend(use_default=True)
        if backend.name == "duckdb":
            table = backend.create_table(f"{name}_{next(_KEPT)}", expr, temp=True)
        else:
            table = expr.cache()
        tables.derived[name] = table
    return table


def _validated_dir() -> Path:
    """Where passed validations are remembered: $WORKBENCH_CACHE/validated (default ~/.cache/community-workbench)."""
    return Path(os.environ.get("WORKBENCH_CACHE", Path.home() / ".cache" / "community-workbench")) / "validated"


def connect(url: str | None = None) -> ibis.BaseBackend:
    """An Ibis connection: embedded DuckDB by default; ``pyspark://MASTER`` for Spark; else any Ibis backend URL."""
    if url and url.startswith(SPARK_PREFIXES):
        return _spark(url)
    if url and not url.startswith("duckdb"):
        return ibis.connect(url)
    con = ibis.connect(url) if url else ibis.duckdb.connect()
    spill = Path(tempfile.gettempdir()) / "helpers-duckdb"
    con.raw_sql("SET TimeZone = 'UTC'")
    con.raw_sql(f"SET memory_limit = '{os.environ.get('WORKBENCH_DUCKDB_MEMORY', '2GB')}'")
    con.raw_sql("SET preserve_insertion_order = false")
    con.raw_sql("SET enable_progress_bar = false")  # no progress bars in notebooks and reports
    con.raw_sql(f"SET temp_directory = '{spill}'")
    return con


def _spark(url: str) -> ibis.BaseBackend:
    """A Spark session through Ibis: ``pyspark://local[2]`` (the default master), or a cluster's master URL."""
    from pyspark.sql import SparkSession

    master = url.split("://", 1)[1] if "://" in url else "local[2]"
    builder = SparkSession.builder
    if master.startswith(("spark://127.", "spark://localhost")):  # a cluster on loopback calls back the driver there
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    session = (
        builder.master(master or "local[2]")
        .appName("community-workbench")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # no progress bars in logs and notebooks
        .config("spark.sql.shuffle.partitions", os.environ.get("WORKBENCH_SPARK_PARTITIONS", "8"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def validate_dataset(
    data_dir: str | Path, con: ibis.BaseBackend | None = None, fingerprint: str | None = None
) -> tuple[ValidationReport, dict[str, ibis.Table]]:
    """Validate every table of ``data_dir``; returns the report and the checked Ibis tables by name.

    With ``fingerprint``, a dataset whose files were validated before (same fingerprint,
    no errors) skips the row and relation passes and gets its earlier findings back;
    ``WORKBENCH_REVALIDATE=1`` forces the full check.
    """
    con = con or connect()
    data_dir = Path(data_dir)
    report = ValidationReport(str(data_dir))
    sources, problems = find_sources(data_dir)
    typed = check_files(con.con, sources, problems, report)
    if not report.ok:
        return report, {}
    cached = _cached_report(fingerprint, data_dir)
    if cached is None:
        check_rows(con.con, sources, typed, report)
        if not report.ok:
            return report, {}
    tables = {}
    for name, sql in typed.items():
        kind = "TABLE" if sources[name].format == "csv" else "VIEW"
        con.raw_sql(f'CREATE OR REPLACE TEMP {kind} "_checked_{name}" AS {sql}')
        tables[name] = con.table(f"_checked_{name}")
    if cached is not None:
        return cached, tables
    check_relations(tables, sources, report)
    if report.ok and fingerprint:
        _remember(fingerprint, report)
    return report, tables


def _cached_report(fingerprint: str | None, data_dir: Path) -> ValidationReport | None:
    """The report of an earlier full validation of exactly these files, if there was one."""
    path = _validated_dir() / f"{fingerprint}.json"
    if not fingerprint or os.environ.get("WORKBENCH_REVALIDATE") or not path.is_file():
        return None
    saved = json.loads(path.read_text())
    if "data_end" not in saved:  # remembered before the data's end was checked for outliers: check again
        return None
    findings = [Finding(**f) for f in saved["findings"]]
    return ValidationReport(str(data_dir), findings, saved["rows"], saved.get("data_end"))


def _remember(fingerprint: str, report: ValidationReport) -> None:
    """Keep a passed validation's findings (counts and examples of warnings) under the files' fingerprint."""
    write_json(
        _validated_dir() / f"{fingerprint}.json",
        {"findings": [asdict(f) for f in report.findings], "rows": report.rows, "data_end": report.data_end},
    )


EVENT_TIME = {"messages": "sent_at", "conversions": "converted_at", "activities": "started_at"}
"""Tables of one-off events and the time each row happened: rows after the data's end are left out."""


def _until_end(name: str, end: str | None) -> tuple[str, str]:
    """SQL (a REPLACE clause, a WHERE clause) that drops a table's events after ``end``; empty when there is none.

    ``end`` is set when a few outlying late times were set aside (``outliers``): joins and
    messages after it are left out, and a stay that ended after it is still open at the
    end, as it was then.
    """
    if end is None or name not in ("memberships", *EVENT_TIME):
        return "", ""
    at = f"TIMESTAMPTZ '{pd.Timestamp(end).isoformat()}'"
    if name in EVENT_TIME:
        return "", f" WHERE {EVENT_TIME[name]} <= {at}"
    late = f"left_at > {at}"
    return (
        f" REPLACE (CASE WHEN {late} THEN NULL ELSE left_at END AS left_at, "
        f"CASE WHEN {late} THEN NULL ELSE leave_reason END AS leave_reason)",
        f" WHERE joined_at <= {at}",
    )


def open_dataset(data_dir: str | Path, engine_url: str | None = None) -> Dataset:
    """Validate ``data_dir`` and open its tables; raises ContractError if any rule is broken.

    The files are read and validated by embedded DuckDB. With a Spark (or other Ibis)
    ``engine_url`` the validated Parquet tables are then registered on that backend, and
    every metric runs there.
    """
    on_duckdb = not engine_url or engine_url.startswith("duckdb")
    local = connect(engine_url if on_duckdb else None)
    fingerprint = dataset_fingerprint(data_dir)
    report, checked = validate_dataset(data_dir, local, fingerprint)
    if not report.ok:
        raise ContractError(report)
    if on_duckdb:
        con, tables = local, {}
        for name in checked:
            replace, where = _until_end(name, report.data_end)
            con.raw_sql(
                f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * EXCLUDE (_file, _row){replace} '
                f'FROM "_checked_{name}"{where}'
            )
            tables[name] = con.table(name).select(*TABLES[name].column_names)
    else:
        con = connect(engine_url)
        sources, _ = find_sources(Path(data_dir))
        tables = {name: _remote_table(con, sources[name]) for name in checked}
    return Dataset(con=con, tables=Tables(**tables), report=report, data_dir=Path(data_dir), fingerprint=fingerprint)


def _remote_table(con: ibis.BaseBackend, source: Source) -> ibis.Table:
    """A contract table read from its Parquet file(s) by another backend, in the contract's types."""
    name = source.table.name
    if source.format != "parquet":
        raise NotImplementedError(
            f"{source.label}: only Parquet tables can be read by {con.name}; convert the CSV "
            "(e.g. duckdb -c \"COPY (FROM 'x.csv') TO 'x.parquet'\")"
        )
    raw = con.read_parquet(str(source.path.resolve()), table_name=f"workbench_{name}")
    columns = {
        c.name: (raw[c.name] if c.name in raw.columns else ibis.null()).cast(IBIS_TYPES[c.dtype])
        for c in TABLES[name].columns
    }
    return raw.select(**columns)


def dataset_fingerprint(data_dir: str | Path) -> str:
    """A short SHA-256 over the names and bytes of the dataset's table files."""
    digest = hashlib.sha256()
    data_dir = Path(data_dir)
    files = sorted(p for p in data_dir.rglob("*") if p.is_file() and p.suffix in (".parquet", ".csv"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # hashlib lets go of the GIL: files in parallel
        digests = list(pool.map(_file_digest, files))
    for path, file_digest in zip(files, digests):
        digest.update(str(path.relative_to(data_dir)).encode())
        digest.update(file_digest)
    return digest.hexdigest()[:16]


def _file_digest(path: Path) -> bytes:
    """The SHA-256 of one file's bytes."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").digest()


@ibis.udf.scalar.builtin(name="epoch")
def _duckdb_epoch(value: dt.Timestamp(timezone="UTC")) -> dt.float64:
    """DuckDB's epoch(): seconds since 1970 straight from a TIMESTAMPTZ, no time-zone conversion."""


def epoch_seconds(value: ibis.Value) -> ibis.Value:
    """Seconds since 1970-01-01 UTC of a timestamp column, fast on DuckDB and portable elsewhere.

    Ibis compiles ``epoch_seconds`` for DuckDB as EPOCH(CAST(x AS TIMESTAMP)), whose
    time-zone conversion costs about 4x the query time over 60M messages; DuckDB's own
    epoch() reads the instant directly. Other backends get Ibis' portable expression.
    """
    if isinstance(value.op(), ops.Literal):  # a constant instant (e.g. the data's end): exact, on any backend
        return ibis.literal(pd.Timestamp(value.op().value).timestamp())
    backend = value._find_backend(use_default=True)  # the backend the table lives on
    if backend.name == "duckdb":
        return _duckdb_epoch(value)
    if backend.name == "pyspark":  # CAST(ts AS DOUBLE) keeps the microseconds that unix_timestamp() drops
        return value.cast("float64")
    return value.epoch_seconds()


MONDAY_SHIFT = 3 * 86_400
"""1970-01-01 was a Thursday: epoch seconds + this, divided into whole weeks, gives weeks that start on Monday."""


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us(value: dt.Timestamp(timezone="UTC")) -> dt.int64:
    """DuckDB's epoch_us(): whole microseconds since 1970 of a TIMESTAMPTZ."""


def week_start(value: ibis.Value) -> ibis.Value:
    """Monday 00:00 UTC of the week an instant falls in (like truncate('W'), without time-zone work).

    On DuckDB the week number comes from integer microseconds (epoch_us), about 3x faster
    over 100M messages than from epoch()'s double seconds; the same weeks either way.
    """
    if not isinstance(value.op(), ops.Literal) and value._find_backend(use_default=True).name == "duckdb":
        weeks = ((_duckdb_epoch_us(value) + MONDAY_SHIFT * 1_000_000) / (604_800 * 1_000_000)).floor()
    else:
        weeks = ((epoch_seconds(value) + MONDAY_SHIFT) / 604_800).floor()
    return (weeks * 604_800 - MONDAY_SHIFT).cast("int64").as_timestamp("s").cast("timestamp('UTC')")
