"""Validating a dataset against the contract, with findings people can act on.

Three passes, each only if the one before found no error:

1. files: every required table is there, readable, non-empty, has its columns;
2. rows: one DuckDB query per table, generated from the contract, counts the rows that
   break each rule (unreadable values, missing values, vocabularies, ranges, rules
   within a row) where the files lie; only rows that break a rule are fetched, a few each;
3. relations: keys, references between tables, overlapping stays, senders who were
   not members at the time; these run as Ibis expressions where the data lives.

Each finding names the file, the column, the rule, how many rows break it and up to
five of them with their row numbers and values. Errors stop a load; warnings do not.
What is an error and what a warning is listed in ``data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import ibis
import pandas as pd

from helpers.data.currencies import ISO_4217, currency_hint
from helpers.data.outliers import EARLIEST_PLAUSIBLE, MAX_OUTLIERS, robust_end
from helpers.data.schema import TABLES, Table
from helpers.data.sources import AWARE_TIMESTAMP, RAW_SUFFIX, Source, SourceError, file_columns, read_error, typed_sql

MAX_EXAMPLES = 5


SINGULAR = {
    "are": "is",
    "lie": "lies",
    "break": "breaks",
    "repeat": "repeats",
    "overlap": "overlaps",
    "join": "joins",
    "were": "was",
    "mix": "mixes",
    "name": "names",
}
"""Rules are phrased for several rows; these verbs change when exactly one row breaks a rule."""


@dataclass
class Finding:
    """One broken rule: where, what, how often, and a few rows that break it."""

    level: str  # "error" | "warning"
    file: str
    column: str | None
    rule: str
    n_rows: int = 0
    examples: list[dict] = field(default_factory=list)

    def format(self) -> str:
        """The finding as the lines a person reads."""
        where = f"{self.file}: column '{self.column}'" if self.column else self.file
        rule = self.rule
        if self.n_rows == 1:  # "1 row breaks", not "1 row break"
            verb, _, rest = rule.partition(" ")
            rule = f"{SINGULAR.get(verb, verb)} {rest}"
        count = f"{self.n_rows} row{'s' if self.n_rows != 1 else ''} " if self.n_rows else ""
        lines = [f"{where}: {count}{rule}".rstrip()]
        for example in self.examples:
            row = example.get("_row")
            place = f"row {row}" if row is not None else ""
            if example.get("_file") and example["_file"] != self.file:
                place = f"{example['_file']} {place}"
            values = "  ".join(f"{k} {_show(v)}" for k, v in example.items() if k not in ("_row", "_file"))
            lines.append(f"  {place}  {values}".rstrip())
        if self.n_rows > len(self.examples) > 0:
            lines.append(f"  ... and {self.n_rows - len(self.examples)} more")
        return "\n".join(lines)


@dataclass
class ValidationReport:
    """Everything validation found, plus row counts per table."""

    data_dir: str
    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    data_end: str | None = None  # ISO time where the data ends when a few outlying late events were set aside

    @property
    def errors(self) -> list[Finding]:
        """Findings that make the dataset unusable."""
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings worth knowing that do not stop a load."""
        return [f for f in self.findings if f.level == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def format(self) -> str:
        """All findings, errors first."""
        return "\n".join(f.format() for f in self.errors + self.warnings)

    def summary_frame(self) -> pd.DataFrame:
        """Findings as a table of counts (no example values, so safe for reports)."""
        return pd.DataFrame(
            [
                {"level": f.level, "file": f.file, "column": f.column or "", "rule": f.rule, "rows": f.n_rows}
                for f in self.findings
            ],
            columns=["level", "file", "column", "rule", "rows"],
        )


class ContractError(Exception):
    """Raised when a dataset breaks the contract; carries the full report."""

    def __init__(self, report: ValidationReport):
        super().__init__(f"{report.data_dir} breaks the data contract:\n{report.format()}")
        self.report = report


def _show(value: object) -> str:
    """A value as shown in a finding (timestamps in UTC with a Z)."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "<empty>"
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%SZ") if value.tzinfo else str(value)
    return repr(value) if isinstance(value, str) else str(value)


def check_files(
    con: duckdb.DuckDBPyConnection, sources: dict[str, Source], problems: list[SourceError], report: ValidationReport
) -> dict[str, str]:
    """Check each table file can be read and has its columns; returns the typed SQL per table."""
    for problem in problems:
        report.findings.append(Finding("error", problem.file, None, problem.problem))
    typed: dict[str, str] = {}
    for name, source in sources.items():
        try:
            columns = file_columns(con, source)
        except SourceError as err:
            report.findings.append(Finding("error", err.file, None, err.problem))
            continue
        missing = [c.name for c in source.table.columns if c.name not in columns and not c.optional]
        for col in missing:
            found = ", ".join(columns) or "none"
            report.findings.append(Finding("error", source.label, col, f"missing (columns found: {found})"))
        extra = [c for c in columns if c not in source.table.column_names]
        if extra:
            report.findings.append(Finding("warning", source.label, None, f"extra columns ignored: {', '.join(extra)}"))
        if source.has_bom:
            report.findings.append(
                Finding("warning", source.label, None, "starts with a UTF-8 byte-order mark (read correctly)")
            )
        if source.format == "csv" and source.delimiter != ",":
            shown = "tab" if source.delimiter == "\t" else f"'{source.delimiter}'"
            report.findings.append(
                Finding("warning", source.label, None, f"delimiter is {shown}, not ',' (read correctly)")
            )
        for col in source.table.columns:
            have = columns.get(col.name, "")
            if col.dtype == "timestamp" and have.startswith("TIMESTAMP") and "TIME ZONE" not in have:
                report.findings.append(
                    Finding("warning", source.label, col.name, "timestamps carry no time zone; read as UTC")
                )
        if not missing:
            typed[name] = typed_sql(source, columns)
    return typed


EMPTY_ALLOWED = {
    "messages": "has a header but no rows: no message was sent, so every measure of activity is not estimable"
}
"""Required tables that may be empty in a valid dataset (a group nobody wrote in is real), and what that means."""


def check_rows(
    con: duckdb.DuckDBPyConnection, sources: dict[str, Source], typed: dict[str, str], report: ValidationReport
) -> None:
    """Check every row of every table where it lies: one query counts the rows that break each rule."""
    for name, sql in typed.items():
        try:
            _check_table_rows(con, name, sources[name], sql, report)
        except duckdb.Error as err:  # a file DuckDB cannot read to the end: say where, never a traceback
            problem = read_error(sources[name], err)
            report.findings.append(Finding("error", problem.file, None, problem.problem))


@dataclass(frozen=True)
class RowCheck:
    """One rule a single row can break, as SQL: the condition that picks the rows breaking it, and what to show."""

    column: str | None
    rule: str
    broken: str  # SQL condition, true where a row breaks the rule
    shown: tuple[str, ...]  # SQL expressions for the example columns, after _row and _file


UNREADABLE = {
    "timestamp": " (expected ISO 8601, e.g. 2025-01-07T12:31:00Z)",
    "integer": " (a whole number below 9.2e18; NaN and inf are not numbers)",
    "number": " (a number such as 129.5, with a point for decimals; NaN and inf are not numbers)",
}
"""What a readable value of each type looks like, said when a value cannot be read as its column's type."""


def row_checks(table: Table, present: set[str]) -> list[RowCheck]:
    """Every rule of ``table`` that one row can break, from the contract; ``present`` are the typed query's columns.

    Values present but unreadable are reported once, as unreadable, not again as empty.
    """

    def shown(columns: list[str]) -> tuple[str, ...]:
        keys = [k for k in table.key if k not in columns]
        return tuple(f'"{c}"' for c in dict.fromkeys([*keys, *columns]))

    readable, column_checks = [], []
    for col in table.columns:
        raw, name = f"{col.name}{RAW_SUFFIX}", f'"{col.name}"'
        has_raw = raw in present
        if has_raw:
            keys = [k for k in table.key if k != col.name and f"{k}{RAW_SUFFIX}" not in present]
            readable.append(
                RowCheck(
                    col.name,
                    f"cannot be read as {col.dtype}{UNREADABLE.get(col.dtype, '')}",
                    f'"{raw}" IS NOT NULL AND {name} IS NULL',
                    (*(f'"{k}"' for k in keys), f'"{raw}" AS {name}'),
                )
            )
        if not col.nullable:
            empty = f'{name} IS NULL AND "{raw}" IS NULL' if has_raw else f"{name} IS NULL"
            column_checks.append(RowCheck(col.name, "are empty (rule: required)", empty, shown([col.name])))
        if col.vocabulary is not None:
            vocab = ", ".join(col.vocabulary)
            words = ", ".join("'" + v.replace("'", "''") + "'" for v in col.vocabulary)
            column_checks.append(
                RowCheck(
                    col.name,
                    f"break the rule: {col.name} is one of {vocab}",
                    f"{name} IS NOT NULL AND {name} NOT IN ({words})",
                    shown([col.name]),
                )
            )
        if col.min_value is not None:
            column_checks.append(
                RowCheck(
                    col.name,
                    f"break the rule: {col.name} is >= {col.min_value}",
                    f"{name} IS NOT NULL AND {name} < {col.min_value}",
                    shown([col.name]),
                )
            )
    rules = [
        RowCheck(None, f"break the rule: {rule.name}", f"NOT coalesce({rule.holds}, false)", shown(list(rule.columns)))
        for rule in table.row_rules
    ]
    return readable + column_checks + rules


def _check_table_rows(
    con: duckdb.DuckDBPyConnection, name: str, source: Source, sql: str, report: ValidationReport
) -> None:
    """``check_rows`` for one table: one pass counts its rows and the rows breaking each rule; examples after."""
    table, label = TABLES[name], source.label
    present = set(con.sql(f"SELECT * FROM ({sql}) LIMIT 0").columns)
    checks = row_checks(table, present)
    zones = [c for c in table.columns if c.dtype == "timestamp" and f"{c.name}{RAW_SUFFIX}" in present]
    counts = ["count(*)"] + [f"count(*) FILTER (WHERE {c.broken})" for c in checks]
    for col in zones:  # timestamps read from text: with a time zone, and without one
        aware = f"regexp_matches(\"{col.name}{RAW_SUFFIX}\", '{AWARE_TIMESTAMP}')"
        counts += [
            f'count(*) FILTER (WHERE "{col.name}" IS NOT NULL AND {aware})',
            f'count(*) FILTER (WHERE "{col.name}" IS NOT NULL AND NOT {aware})',
        ]
    found = con.execute(f"SELECT {', '.join(counts)} FROM ({sql})").fetchone()
    report.rows[name], broken, zoned = found[0], found[1 : 1 + len(checks)], found[1 + len(checks) :]
    if report.rows[name] == 0 and name in EMPTY_ALLOWED:
        report.findings.append(Finding("warning", label, None, EMPTY_ALLOWED[name]))
        return
    if report.rows[name] == 0 and table.required:
        report.findings.append(Finding("error", label, None, "has a header but no rows"))
        return
    for i, col in enumerate(zones):
        _time_zone_finding(con, col.name, label, sql, zoned[2 * i], zoned[2 * i + 1], report)
    for check, n in zip(checks, broken):
        if n:
            examples = _examples(con, sql, check.broken, check.shown)
            report.findings.append(Finding("error", label, check.column, check.rule, n, examples))


def _examples(con: duckdb.DuckDBPyConnection, sql: str, where: str, shown: tuple[str, ...]) -> list[dict]:
    """The first few rows (in file order) of the typed query ``sql`` that meet ``where``, with their place."""
    columns = ", ".join(["_row", "_file", *shown])
    query = f"SELECT {columns} FROM ({sql}) WHERE {where} ORDER BY _file, _row LIMIT {MAX_EXAMPLES}"
    return con.execute(query).df().to_dict("records")


def _time_zone_finding(
    con: duckdb.DuckDBPyConnection, column: str, label: str, sql: str, aware: int, naive: int, report: ValidationReport
) -> None:
    """Timestamps read from text must all carry a time zone, or all lack one (then read as UTC)."""
    if aware and naive:
        raw = f'"{column}{RAW_SUFFIX}"'
        where = f"\"{column}\" IS NOT NULL AND NOT regexp_matches({raw}, '{AWARE_TIMESTAMP}')"
        report.findings.append(
            Finding(
                "error",
                label,
                column,
                f"mix timestamps with a time zone ({aware} rows) and without one "
                "(rule: all carry a UTC offset such as Z or +08:00, or none does)",
                naive,
                _examples(con, sql, where, (f'{raw} AS "{column}"',)),
            )
        )
    elif naive:
        report.findings.append(Finding("warning", label, column, "timestamps carry no time zone; read as UTC"))


def check_relations(tables: dict[str, ibis.Table], sources: dict[str, Source], report: ValidationReport) -> None:
    """Keys, references and time rules across rows and tables, computed where the data lives."""
    for name, t in tables.items():
        key = list(TABLES[name].key)
        if len(key) == 1 and _distinct_hashes(t, key[0]) == report.rows.get(name):
            continue  # as many distinct hashes of the key as rows: no key repeats (a cheap proof at 100M rows)
        dupes = t.group_by(key).aggregate(copies=t.count()).filter(lambda d: d.copies > 1)
        rows = t.semi_join(dupes, key).select("_row", "_file", *key)
        _relation_finding(
            report,
            "error",
            sources[name].label,
            ", ".join(key),
            f"repeat a key (rule: ({', '.join(key)}) is unique)",
            rows,
        )

    groups = tables["groups"].select("group_id", "created_at")
    for name in ("memberships", "messages", "assignments", "conversions", "activities"):
        if name not in tables:
            continue
        t = tables[name]
        rows = t.anti_join(groups, "group_id").select("_row", "_file", "group_id")
        _relation_finding(report, "error", sources[name].label, "group_id", "name a group that is not in groups", rows)

    m = tables["memberships"]
    stays = m.mutate(
        next_joined_at=m.joined_at.lead().over(ibis.window(group_by=[m.group_id, m.member_id], order_by=m.joined_at))
    )
    overlap = stays.filter(
        stays.next_joined_at.notnull() & (stays.left_at.isnull() | (stays.next_joined_at < stays.left_at))
    )
    _relation_finding(
        report,
        "error",
        sources["memberships"].label,
        None,
        "overlap the member's next stay in the same group (rule: one stay ends before the next begins)",
        overlap.select("_row", "_file", "group_id", "member_id", "joined_at", "left_at", "next_joined_at"),
    )

    early = m.join(groups, "group_id").filter(lambda j: j.joined_at < j.created_at)
    _relation_finding(
        report,
        "warning",
        sources["memberships"].label,
        "joined_at",
        "join before their group was created",
        early.select("_row", "_file", "group_id", "member_id", "joined_at", "created_at"),
    )

    _check_outcome_relations(tables, sources, report)
    msgs = tables["messages"]
    senders = msgs.filter(msgs.member_id.notnull())
    # An open stay ends at a far-future time rather than "left_at IS NULL OR ...": an OR in the join
    # condition forces a nested-loop join (minutes at 5M messages); this stays a hash join (seconds).
    open_end = ibis.timestamp("9999-12-31 00:00:00").cast("timestamp('UTC')")
    stays = m.select("group_id", "member_id", "joined_at", until=m.left_at.fill_null(open_end))
    outside = senders.anti_join(
        stays,
        [
            senders.group_id == stays.group_id,
            senders.member_id == stays.member_id,
            senders.sent_at >= stays.joined_at,
            senders.sent_at <= stays.until,
        ],
    )
    _relation_finding(
        report,
        "warning",
        sources["messages"].label,
        "member_id",
        "were sent by someone who was not a member of the group at that time",
        outside.select("_row", "_file", "message_id", "group_id", "member_id", "sent_at"),
    )
    _check_system_rows(msgs, sources["messages"].label, report)
    check_times(tables, sources, report)


def _check_system_rows(msgs: ibis.Table, label: str, report: ValidationReport) -> None:
    """System rows that name a member (a join line mapped as system) are kept, and warned about: never talk."""
    named_system = msgs.filter(msgs.member_id.notnull() & (msgs.kind == "system"))
    _relation_finding(
        report,
        "warning",
        label,
        "kind",
        "are system rows that name a member (e.g. a join line): kept, but never counted as her talk",
        named_system.select("_row", "_file", "message_id", "group_id", "member_id", "kind"),
    )


def _distinct_hashes(t: ibis.Table, column: str) -> int:
    """How many distinct 64-bit hashes the column's values have: fewer than rows when a key repeats (or, rarely, two
    hashes collide; then the exact check runs)."""
    return int(t.aggregate(n=t[column].hash().nunique()).to_pandas().iloc[0, 0])


def _check_currencies(c: ibis.Table, label: str, report: ValidationReport) -> None:
    """Conversion values are in ISO 4217 codes, and in one currency: values in two cannot be summed."""
    if "currency" not in c.columns:
        return
    unknown = c.filter(c.currency.notnull() & ~c.currency.isin(sorted(ISO_4217)))
    first = unknown.select("currency").limit(1).to_pandas()
    hint = currency_hint(first["currency"].iloc[0]) if len(first) else ""
    _relation_finding(
        report,
        "error",
        label,
        "currency",
        f"name a currency by something other than its ISO 4217 code (CNY, USD, EUR, ...){hint}",
        unknown.select("_row", "_file", "conversion_id", "currency"),
    )
    used = sorted(c.filter(c.currency.notnull()).select("currency").distinct().to_pandas()["currency"])
    if len(used) > 1:
        report.findings.append(
            Finding(
                "error",
                label,
                "currency",
                f"holds values in {len(used)} currencies ({', '.join(used[:5])}): values in different currencies "
                "cannot be summed; convert them to one currency in the export or the ingest mapping",
            )
        )


def _check_outcome_relations(
    tables: dict[str, ibis.Table], sources: dict[str, Source], report: ValidationReport
) -> None:
    """Conversions and activity participants: by members of the group, of activities that exist."""
    ever = tables["memberships"].select("group_id", "member_id").distinct()
    if "conversions" in tables:
        c = tables["conversions"]
        _check_currencies(c, sources["conversions"].label, report)
        outsiders = c.anti_join(ever, ["group_id", "member_id"])
        _relation_finding(
            report,
            "warning",
            sources["conversions"].label,
            "member_id",
            "are by a member who was never in the group they are attributed to (kept; check the attribution)",
            outsiders.select("_row", "_file", "conversion_id", "group_id", "member_id"),
        )
    if "activity_participants" not in tables:
        return
    p = tables["activity_participants"]
    if "activities" not in tables:
        report.findings.append(
            Finding(
                "error",
                sources["activity_participants"].label,
                None,
                "is given without activities (rule: participants name activities in activities.parquet or .csv)",
            )
        )
        return
    a = tables["activities"].select("activity_id", "group_id")
    unknown = p.anti_join(a, "activity_id")
    _relation_finding(
        report,
        "error",
        sources["activity_participants"].label,
        "activity_id",
        "name an activity that is not in activities",
        unknown.select("_row", "_file", "activity_id", "member_id"),
    )
    placed = p.join(a, "activity_id")
    strangers = placed.anti_join(ever, ["group_id", "member_id"])
    _relation_finding(
        report,
        "warning",
        sources["activity_participants"].label,
        "member_id",
        "took part in an activity of a group they were never in (kept)",
        strangers.select("_row", "_file", "activity_id", "member_id", "group_id"),
    )


TIME_COLUMNS = {
    "groups": ("created_at",),
    "memberships": ("joined_at", "left_at"),
    "messages": ("sent_at",),
    "assignments": ("assigned_at",),
    "conversions": ("converted_at",),
    "activities": ("started_at", "ended_at"),
}
EVENT_COLUMNS = {"memberships": ("joined_at", "left_at"), "messages": ("sent_at",)}
"""The times that make up the data's span: joins, leaves and messages."""


def check_times(tables: dict[str, ibis.Table], sources: dict[str, Source], report: ValidationReport) -> None:
    """Implausible times: before 2000, later than now, or a handful of events far after the rest (``outliers``).

    All are warnings listing the rows; late outliers also set ``report.data_end``, where
    the studies then end (the rows beyond it are left out when the dataset is opened).
    """
    now = pd.Timestamp.now(tz="UTC")
    floor = ibis.literal(EARLIEST_PLAUSIBLE.to_pydatetime(), type="timestamp('UTC')")
    ceiling = ibis.literal(now.to_pydatetime(), type="timestamp('UTC')")
    starts: list[pd.Timestamp] = []
    rules = {
        "early": (
            lambda c: c < floor,
            "are before 2000: a default or zero date (e.g. 1970-01-01), not a real time; check the export",
        ),
        "late": (lambda c: c > ceiling, "are later than now"),
    }
    for name, columns in TIME_COLUMNS.items():
        if name not in tables:
            continue
        t, key = tables[name], list(TABLES[name].key)
        firsts = {f"{c}_first": t[c].min() for c in EVENT_COLUMNS.get(name, ())}  # the data's start, on the way
        counts = (  # one pass over the table; rows are fetched only for a rule some row breaks
            t.aggregate(
                **{
                    f"{c}_{r}": test(t[c]).cast("int64").sum().fill_null(0)
                    for c in columns
                    for r, (test, _) in rules.items()
                },
                **firsts,
            )
            .to_pandas()
            .iloc[0]
        )
        starts += [counts[k] for k in firsts if pd.notna(counts[k])]
        for column in columns:
            for r, (test, rule) in rules.items():
                if counts[f"{column}_{r}"] > 0:
                    rows = t.filter(test(t[column])).select("_row", "_file", *dict.fromkeys([*key, column]))
                    _relation_finding(report, "warning", sources[name].label, column, rule, rows)
    latest = []  # the few latest events of each kind, then of all (a top-n each, not a sort of every event)
    for name, columns in EVENT_COLUMNS.items():
        for column in columns:
            t = tables[name]
            top = t.select(at=t[column]).filter(lambda r: r.at.notnull()).order_by(ibis.desc("at"))
            latest += top.limit(MAX_OUTLIERS + 2).to_pandas()["at"].tolist()
    latest = sorted(latest, reverse=True)[: MAX_OUTLIERS + 2]
    found = robust_end(latest, min(starts) if starts else None)
    if not found.outliers:
        return
    end = ibis.literal(found.end.to_pydatetime(), type="timestamp('UTC')")
    report.data_end = found.end.isoformat()
    rule = (
        f"lie far after the rest of the data, which ends {found.end:%Y-%m-%d %H:%M} UTC (outlying times, e.g. a "
        "wrong clock); the studies end there and leave these events out"
    )
    for name, columns in EVENT_COLUMNS.items():
        t, key = tables[name], list(TABLES[name].key)
        for column in columns:
            rows = t.filter(t[column] > end).select("_row", "_file", *dict.fromkeys([*key, column]))
            _relation_finding(report, "warning", sources[name].label, column, rule, rows)


def _relation_finding(
    report: ValidationReport, level: str, label: str, column: str | None, rule: str, rows: ibis.Table
) -> None:
    """Count rows that break a relation rule and keep a few of them as examples."""
    n = int(rows.count().execute())
    if n:
        examples = rows.order_by(["_file", "_row"]).limit(MAX_EXAMPLES).to_pandas().to_dict("records")
        report.findings.append(Finding(level, label, column, rule, n, examples))
