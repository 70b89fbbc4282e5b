"""Finding a dataset's table files and reading them, in place, through DuckDB.

A table is read as a DuckDB view with the contract's column types. Values that cannot
be read as their type become NULL in the typed column and keep their text in a
``<column>__raw`` column, so validation can name them; ``_file`` and ``_row`` say
where each row stands in its file (``_row`` counts data rows from 1, header excluded).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from helpers.data.schema import DUCKDB_TYPES, TABLES, Table

RAW_SUFFIX = "__raw"


AWARE_TIMESTAMP = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"
"""A timestamp text that ends in a UTC offset or Z carries its time zone."""


class SourceError(Exception):
    """A table file that cannot be read at all (missing, empty, corrupt, ambiguous)."""

    def __init__(self, file: str, problem: str):
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


@dataclass(frozen=True)
class Source:
    """Where one contract table lives on disk and how to read it."""

    table: Table
    path: Path
    format: str  # "parquet" | "csv"
    delimiter: str = ","
    has_bom: bool = False

    @property
    def label(self) -> str:
        """The file name shown in messages."""
        return self.path.name + ("/" if self.path.is_dir() else "")


def find_sources(data_dir: Path) -> tuple[dict[str, Source], list[SourceError]]:
    """Locate each contract table under ``data_dir``; problems come back, not raised."""
    data_dir = Path(data_dir)
    if data_dir.is_file():
        return {}, [SourceError(data_dir.name, "is a file; give the folder that holds the dataset's tables")]
    if not data_dir.is_dir():
        return {}, [SourceError(str(data_dir), "no such dataset directory")]
    sources: dict[str, Source] = {}
    problems: list[SourceError] = []
    for table in TABLES.values():
        candidates = [
            p
            for p in (data_dir / f"{table.name}.parquet", data_dir / f"{table.name}.csv", data_dir / table.name)
            if p.exists()
        ]
        if not candidates:
            if table.required:
                problems.append(
                    SourceError(
                        f"{table.name}.parquet",
                        f"required table '{table.name}' not found in {data_dir} "
                        f"(looked for {table.name}.parquet, {table.name}.csv, {table.name}/)",
                    )
                )
            continue
        if len(candidates) > 1:
            names = ", ".join(p.name for p in candidates)
            problems.append(SourceError(candidates[0].name, f"table '{table.name}' is given twice ({names}); keep one"))
            continue
        try:
            sources[table.name] = _describe(table, candidates[0])
        except SourceError as err:
            problems.append(err)
    return sources, problems


def _describe(table: Table, path: Path) -> Source:
    """Check a table file is non-empty and say how to read it."""
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise SourceError(path.name + "/", "folder holds no .parquet files")
        return Source(table, path, "parquet")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError as err:
        raise SourceError(path.name, f"cannot be opened ({err.strerror or type(err).__name__})") from None
    if size == 0:
        raise SourceError(path.name, "file is empty (0 bytes)")
    if path.suffix == ".parquet":
        return Source(table, path, "parquet")
    if not head.strip():
        raise SourceError(path.name, "holds only blank space: no header line, no rows")
    has_bom = head.startswith(b"\xef\xbb\xbf")
    try:
        header = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8").splitlines()[0]
    except (UnicodeDecodeError, IndexError):
        raise SourceError(path.name, "is not UTF-8 text with a header line") from None
    delimiter = max([",", ";", "\t"], key=header.count)
    return Source(table, path, "csv", delimiter=delimiter, has_bom=has_bom)


def unreadable_part(source: Source) -> SourceError | None:
    """The first Parquet file of ``source`` whose footer cannot be read, as a SourceError naming it; None if none.

    Looked for only after DuckDB failed to read the table, so a good dataset pays nothing.
    """
    parts = sorted(source.path.rglob("*.parquet")) if source.path.is_dir() else [source.path]
    for part in parts:
        try:
            pq.read_metadata(part)
        except Exception as err:  # pyarrow raises OSError or its own errors for truncated or foreign files
            label = f"{source.path.name}/{part.relative_to(source.path)}" if source.path.is_dir() else part.name
            return SourceError(label, f"cannot be read as Parquet ({type(err).__name__}): rewrite or remove it")
    return None


def diagnose_csv(source: Source) -> str:
    """The first line of a CSV file that cannot be read, and why (encoding, quotes, field count); '' if none found.

    DuckDB's own errors on such files name no line or name it vaguely; this reads the file
    line by line as the contract reads it (UTF-8, the sniffed delimiter, double quotes).
    """
    delimiter = source.delimiter
    with source.path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                return f"line {number} is not UTF-8 (byte 0x{raw[err.start]:02x} at column {err.start + 1}); save the file as UTF-8"
    with source.path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', strict=True)
        start = 1
        try:
            header = next(reader)
            while True:
                start = reader.line_num + 1
                row = next(reader, None)
                if row is None:
                    return ""
                if len(row) != len(header) and any(cell.strip() for cell in row):
                    return (
                        f"line {start} has {len(row)} fields where the header has {len(header)} "
                        "(a stray delimiter, or a missing one?)"
                    )
        except csv.Error as err:
            return f"the row starting on line {start} cannot be read ({err}): a double quote opened and never closed?"


def raw_sql(source: Source) -> str:
    """A SELECT over the file as it is, with ``_file`` and ``_row`` columns."""
    path = str(source.path.resolve()).replace("'", "''")
    if source.format == "parquet":
        pattern = f"{path}/**/*.parquet" if source.path.is_dir() else path
        return (
            f"SELECT * EXCLUDE (filename, file_row_number), "
            f"regexp_extract(filename, '[^/]*$') AS _file, file_row_number + 1 AS _row "
            f"FROM read_parquet('{pattern}', filename=true, file_row_number=true)"
        )
    delim = source.delimiter.replace("'", "''")
    return (
        f"SELECT *, '{source.path.name}' AS _file, row_number() OVER () AS _row "
        f"FROM read_csv('{path}', delim='{delim}', header=true, all_varchar=true, quote='\"', "
        f"escape='\"', strict_mode=true)"
    )


def file_columns(con: duckdb.DuckDBPyConnection, source: Source) -> dict[str, str]:
    """Column names and DuckDB types of the file, as it is."""
    try:
        described = con.execute(f"DESCRIBE {raw_sql(source)}").fetchall()
    except duckdb.Error as err:
        raise read_error(source, err) from None
    return {name: ctype for name, ctype, *_ in described if name not in ("_file", "_row")}


def read_error(source: Source, err: Exception) -> SourceError:
    """A SourceError for a file DuckDB failed to read: the line and the reason where they can be found."""
    if source.format == "csv":
        found = diagnose_csv(source)
        if found:
            return SourceError(source.label, f"cannot be read as CSV: {found}")
    elif part := unreadable_part(source):
        return part
    kind = "Parquet" if source.format == "parquet" else "CSV"
    text = re.sub(r"'?/[^' ]*/([^/' ]+)'?", r"'\1'", _first_line(err))  # no absolute paths in messages
    return SourceError(source.label, f"cannot be read as {kind}: {text}")


def typed_sql(source: Source, columns: dict[str, str]) -> str:
    """A SELECT with every contract column in its contract type, plus raw text where it was cast."""
    select = []
    for col in source.table.columns:
        target = DUCKDB_TYPES[col.dtype]
        quoted = f'"{col.name}"'
        if col.name not in columns:  # an optional column the file leaves out
            select.append(f"CAST(NULL AS {target}) AS {quoted}")
            continue
        have = columns[col.name]
        if (target != "DOUBLE" and have == target) or (
            target == "TIMESTAMPTZ" and have.startswith("TIMESTAMP WITH TIME ZONE")
        ):
            select.append(quoted)
        elif target == "TIMESTAMPTZ" and have.startswith("TIMESTAMP"):
            select.append(f"CAST({quoted} AS TIMESTAMPTZ) AS {quoted}")  # naive: read as UTC
        elif target == "VARCHAR":
            select.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
        else:
            text = f"NULLIF(TRIM(CAST({quoted} AS VARCHAR)), '')"
            if target == "BIGINT":  # whole numbers only: DuckDB alone would round '40.5' to 41
                # NaN, inf and values beyond BIGINT (1e30, 20 digits) stay unreadable, as text does
                number = f"TRY_CAST({text} AS DOUBLE)"
                whole = f"isfinite({number}) AND {number} = trunc({number}) AND abs({number}) < 9.2e18"
                select.append(
                    f"CASE WHEN regexp_full_match({text}, '[+-]?[0-9]+') THEN TRY_CAST({text} AS BIGINT) "
                    f"WHEN {whole} THEN TRY_CAST({number} AS BIGINT) END AS {quoted}"
                )
            elif target == "DOUBLE":  # NaN and inf are not values: they stay unreadable, as text does
                number = f"TRY_CAST({text} AS DOUBLE)"
                select.append(f"CASE WHEN isfinite({number}) THEN {number} END AS {quoted}")
            else:
                select.append(f"TRY_CAST({text} AS {target}) AS {quoted}")
            select.append(f'{text} AS "{col.name}{RAW_SUFFIX}"')
    select += ["_file", "_row"]
    return f"SELECT {', '.join(select)} FROM ({raw_sql(source)})"


def _first_line(err: Exception) -> str:
    """The first line of a DuckDB error, without its class prefix."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return re.sub(r"^[A-Za-z ]+Error: ", "", text)
