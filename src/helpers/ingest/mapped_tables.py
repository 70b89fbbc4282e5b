"""Company tables (CSV, TSV or Parquet) mapped to the contract by a small YAML file.

Example ``mapping.yml`` (paths are relative to it)::

    time_format: "%Y-%m-%d %H:%M:%S"   # or: iso, unix (seconds), unix_ms
    time_zone: Asia/Shanghai           # for times written without a zone (default UTC)
    platform: wechat
    group_defaults: {channel: other, city: unknown, segment: unknown}
    operators: {monitor: [u_1001, u_1002]}     # source ids, matched before hashing
    tables:
      messages:
        file: messages.tsv
        columns: {message_id: msg_id, group_id: chat, member_id: sender, sent_at: ts, text: body}
        values: {kind: {image: chat, coupon: promo}}
        defaults: {kind: chat}
      memberships:                      # optional: without it, senders are members from the group's start
        file: members.csv
        columns: {group_id: chat, member_id: user, joined_at: join_time, left_at: leave_time, role: role}
        values: {role: {admin: monitor, normal: member}}
        defaults: {observed_from: "2025-03-01 00:00:00"}  # the log began then: earlier stays are left-truncated
      events:                           # instead of memberships: join / leave / remove rows become stays
        file: member_log.csv
        columns: {group_id: chat, member_id: user, at: time, event: action}
        values: {event: {enter: join, quit: leave, kicked: remove}}
      groups:                           # optional: without it, groups come from the other tables
        file: groups.csv
        columns: {group_id: chat, created_at: created, channel: source, city: city, segment: stage}
      conversions:                      # optional: orders, redeemed coupons, sign-ups credited to a group
        file: orders.csv
        columns: {conversion_id: order_no, group_id: chat, member_id: user, converted_at: paid, value: amount,
                  currency: cur, kind: type}
        values: {kind: {order: purchase, coupon: coupon_redeemed, signup: course_signup}}
      activities:                       # optional: group activities
        file: activities.csv
        columns: {activity_id: id, group_id: chat, started_at: start, ended_at: end, kind: type}
      activity_participants:            # optional, needs activities
        file: participants.csv
        columns: {activity_id: activity, member_id: user}

``file`` is a file, a glob (``archives/*.tsv``) or a folder (all its CSV, TSV and Parquet
files); CSV and TSV may be compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip``). Files without
a header row say ``header: false`` and name their columns in order with ``names: [...]``;
``sep`` overrides the separator sniffed from the first line. ``columns`` maps contract
columns to source columns; ``values`` recodes a column's values; ``defaults`` fills the
blanks of a contract column (or the whole column, if the source lacks it); ``dedupe: true``
drops rows that repeat another row exactly (counted in the tally). A ``text`` column is
read only for its length (and kept only with ``keep_text``). Member, group and message ids
are replaced by keyed hashes. Problems name the file, the column, the row and the value,
every broken rule of a table at once; a row without a group id (or, in memberships, a
member id or join time) is one of them, never a group called "nan".

An ``events`` table (member, group, time, event: join, leave or remove) gives the stays
when the source logs membership changes instead of stays: per member and group in time
order, a join opens a stay and a leave or removal closes it (a rejoin opens another);
someone who leaves or talks before any join was already a member when the log begins (a
stay from the group's first record: left-truncated, counted); a second join while in the
group and a leave while out of it are counted and skipped; a message after leaving
reopens a stay at that message. These are the rules of the chat-export adapters.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from helpers.data import yaml_text
from helpers.data.schema import TABLES
from helpers.data.settings import problems
from helpers.ingest.chatlog import (
    UNKNOWN,
    ChatLog,
    ChatMessage,
    ExportError,
    MemberEvent,
    Tally,
    known_zone,
    stays_from_log,
)
from helpers.ingest.privacy import Pseudonyms

TIME_FORMATS = ("iso", "unix", "unix_ms")


UNIX_LIMIT = 10_000_000_000
"""Seconds since 1970 below this (the year 2286): larger values are milliseconds or microseconds."""


OUTCOME_TABLES = ("conversions", "activities", "activity_participants")
"""Optional tables of what the groups are for: conversions, activities and who took part."""

OUTCOME_KEYS = {
    "conversions": ("group_id", "member_id", "converted_at"),
    "activities": ("activity_id", "group_id", "started_at"),
    "activity_participants": ("activity_id", "member_id"),
}
"""Columns each optional table must map (a conversion without an id gets one from its row)."""

OUTCOME_DEFAULTS = {"conversions": {"kind": "other"}, "activities": {"kind": "other"}}
"""Values of a column a source leaves out: a conversion or activity of no stated kind is 'other'."""


MAX_SHOWN = 5


def read_mapping(path: Path) -> dict:
    """The parsed mapping file, with its basic shape checked."""
    path = Path(path)
    try:
        mapping = yaml_text.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ExportError(path.name, "", f"cannot be read: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ExportError(path.name, where, f"not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(mapping, dict) or not isinstance(mapping.get("tables"), dict):
        raise ExportError(
            path.name, "", "not a table mapping: expected a 'tables' section (see helpers.ingest.mapped_tables)"
        )
    if "messages" not in mapping["tables"]:
        raise ExportError(path.name, "tables", "'messages' is required (groups and memberships are optional)")
    if {"memberships", "events"} <= set(mapping["tables"]):
        raise ExportError(
            path.name, "tables", "give memberships (one row per stay) or events (joins and leaves), not both"
        )
    unknown = sorted(set(mapping["tables"]) - {"groups", "memberships", "messages", "events", *OUTCOME_TABLES})
    if unknown:
        raise ExportError(path.name, "tables", f"unknown table(s) {', '.join(unknown)}")
    try:
        Mapping.model_validate(mapping)
    except ValidationError as err:
        lines = problems(err, path.name)
        raise ExportError(path.name, "", "the mapping does not fit its schema:\n  " + "\n  ".join(lines)) from None
    zone = mapping.get("time_zone", "UTC")
    if not known_zone(zone):
        raise ExportError(
            path.name, "time_zone", f"unknown time zone {zone!r}: give an IANA name such as Asia/Shanghai or UTC"
        )
    fmt = mapping.get("time_format", "iso")
    if fmt not in TIME_FORMATS and "%" not in fmt:
        raise ExportError(
            path.name, "time_format", f"{fmt!r} is not a time format: give iso, unix, unix_ms or a strftime pattern"
        )
    return mapping


class TableSpec(BaseModel):
    """One mapped table: its file, the contract columns mapped to source columns, recodings and fill values."""

    model_config = ConfigDict(extra="forbid", strict=True)
    file: str
    header: bool = True
    names: list[str] | None = None
    sep: str | None = None
    dedupe: bool = False
    columns: dict[str, str] = Field(min_length=1)
    values: dict[str, dict[str | int | float | bool, str]] = Field(default_factory=dict)
    defaults: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class Mapping(BaseModel):
    """The mapping file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    time_format: str = "iso"
    time_zone: str = "UTC"
    platform: str | None = None
    group_defaults: dict[str, str | int | None] = Field(default_factory=dict)
    operators: dict[str, list[str | int]] = Field(default_factory=dict)
    tables: dict[str, TableSpec]


READABLE = (".csv", ".tsv", ".txt", ".parquet")
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def _source_files(root: Path, pattern: str) -> list[Path]:
    """The files a table's ``file`` names: one file, every match of a glob, or every table file in a folder."""
    path = root / pattern
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and _table_suffix(p) in READABLE)
    elif any(ch in pattern for ch in "*?["):
        found = sorted(p for p in map(Path, glob.glob(str(root / pattern))) if p.is_file())
    else:
        if not path.is_file():
            raise ExportError(path.name, "", f"no such file (looked in {path.parent})")
        return [path]
    if not found:
        raise ExportError(pattern, "", f"no file matches (looked in {root})")
    return found


def _table_suffix(path: Path) -> str:
    """'.tsv' for both data.tsv and data.tsv.gz."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (*COMPRESSED, ".zip"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _first_line(path: Path) -> str:
    """The first text line of a plain or compressed file (to sniff the separator)."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as member:
            return io.TextIOWrapper(member, encoding="utf-8-sig", errors="replace").readline()
    opener = COMPRESSED.get(suffix)
    with (
        opener(path, "rt", encoding="utf-8-sig", errors="replace")
        if opener
        else path.open("r", encoding="utf-8-sig", errors="replace")
    ) as fh:
        return fh.readline()


def _read_file(path: Path, spec: dict | None = None) -> pd.DataFrame:
    """A CSV / TSV / Parquet file (compressed or not) as text columns; types are set later, with row-level errors."""
    spec = spec or {}
    if _table_suffix(path) == ".parquet":
        return pd.read_parquet(path)
    sep = spec.get("sep") or max([",", "\t", ";"], key=_first_line(path).count)
    header = spec.get("header", True)
    names = spec.get("names")
    if not header and not names:
        raise ExportError(path.name, "", "header: false needs names: [...] (the columns, in order)")
    try:
        return pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
            header=0 if header else None,
            names=None if header else names,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=names or [])
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ExportError(path.name, "", f"cannot be read as {'TSV' if sep == chr(9) else 'CSV'}: {err}") from None


def _read_files(root: Path, spec: dict, tally: Tally, name: str) -> tuple[pd.DataFrame, pd.Series]:
    """Every file of a table, stacked, and each row's place ('file row N', or 'row N' for a single file)."""
    files = _source_files(root, str(spec.get("file", "")))
    parts, places = [], []
    for path in files:
        part = _read_file(path, spec)
        if part.empty:
            tally.skipped[f"{name}: empty files"] += 1
            continue
        parts.append(part)
        rows = pd.Series(np.arange(1, len(part) + 1)).astype(str)
        places.append(("row " + rows) if len(files) == 1 else (f"{path.name} row " + rows))
    if not parts:
        raise ExportError(str(spec.get("file", "")), "", "every file is empty")
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    place = pd.concat(places, ignore_index=True)
    label = files[0].name if len(files) == 1 else f"{spec.get('file')} ({len(files)} files)"
    tally.read[f"{name} rows ({label})"] = len(frame)
    if spec.get("dedupe"):
        repeated = frame.duplicated()
        if repeated.any():
            tally.skipped[f"{name}: rows repeating another row exactly (dedupe)"] += int(repeated.sum())
            frame, place = frame[~repeated].reset_index(drop=True), place[~repeated].reset_index(drop=True)
    return frame, place


def _problem(column: str, places: pd.Series, values: pd.Series, what: str) -> str:
    """One broken rule: the column, how many rows, and the first few rows (where they are) with their values."""
    shown = "; ".join(f"{r}: {v!r}" for r, v in zip(places[:MAX_SHOWN], values[:MAX_SHOWN]))
    more = f" (and {len(places) - MAX_SHOWN} more)" if len(places) > MAX_SHOWN else ""
    return f"column '{column}': {len(places)} row{'s' if len(places) > 1 else ''} {what}: {shown}{more}"


def _raise(file: str, found: list[str]) -> None:
    """Every broken rule of one table at once (one line each), or nothing."""
    if len(found) == 1:
        column, _, rest = found[0].partition(": ")
        raise ExportError(file, column, rest)
    if found:
        raise ExportError(file, "", f"{len(found)} problems:\n  " + "\n  ".join(found))


def _times(raw: pd.Series, fmt: str, zone: str, column: str, places: pd.Series, found: list[str]) -> pd.Series:
    """Parse a time column to UTC; values that do not parse (or fall in a clock change) are added to ``found``."""
    text = raw.astype("string").str.strip()
    clock = pd.Series(False, index=text.index)
    if fmt in ("unix", "unix_ms"):
        number = pd.to_numeric(text, errors="coerce")
        per_second = 1 if fmt == "unix" else 1000
        wrong_unit = number.abs() >= UNIX_LIMIT * per_second  # after 2286: epochs in a smaller unit than said
        unit = "seconds" if fmt == "unix" else "milliseconds"
        rule = f"are too large for {unit} since 1970 (after the year 2286): give the unit the export uses (unix_ms)"
        _reject(wrong_unit, text, column, rule if fmt == "unix" else rule.replace(" (unix_ms)", ""), places, found)
        clock = wrong_unit.fillna(False)  # said once, not again as 'do not match'
        parsed = pd.to_datetime(number.where(~clock), unit="s" if fmt == "unix" else "ms", utc=True)
    else:
        parsed = pd.to_datetime(text, format="ISO8601" if fmt == "iso" else fmt, errors="coerce", utc=False)
        if getattr(parsed.dt, "tz", None) is None:
            local = parsed.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            clock = parsed.notna() & local.isna()  # a wall-clock time the zone skipped (gap) or repeated (fold)
            rule = (
                f"fall in a daylight-saving change of {zone} (a skipped or repeated hour), so their UTC time "
                "is unknown; export times with their UTC offset, or in UTC"
            )
            _reject(clock, text, column, rule, places, found)
            parsed = local.dt.tz_convert("UTC")
        else:
            parsed = parsed.dt.tz_convert("UTC")
    _reject(parsed.isna() & text.notna() & ~clock, text, column, f"do not match the time format {fmt!r}", places, found)
    return parsed


REQUIRED = {
    "messages": ("group_id",),
    "memberships": ("group_id", "member_id", "joined_at"),
    "groups": ("group_id",),
    "conversions": ("group_id", "member_id", "converted_at"),
    "activities": ("group_id", "started_at"),
    "activity_participants": ("activity_id", "member_id"),
}
"""Key columns a row cannot lack: without them it belongs nowhere."""


def _label(spec: dict) -> str:
    """How errors name a table's source: the file's name, or the glob as written."""
    file = str(spec.get("file", ""))
    return Path(file).name if "*" not in file else file


def _mapped(source: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The source's mapped columns under their contract names; a column the source lacks is an error."""
    columns = dict(spec.get("columns") or {})
    missing = [f"{c} (for {k})" for k, c in columns.items() if c not in source.columns]
    if missing:
        raise ExportError(
            _label(spec),
            "header",
            f"column(s) not found: {', '.join(missing)}; the file has {', '.join(map(str, source.columns))}",
        )
    return pd.DataFrame({k: source[c] for k, c in columns.items()})


def _table(name: str, spec: dict, root: Path, mapping: dict, tally: Tally) -> pd.DataFrame:
    """One mapped table in contract columns (ids still raw), with times parsed and values recoded."""
    source, places = _read_files(root, spec, tally, name)
    columns = dict(spec.get("columns") or {})
    out = _mapped(source, spec)
    for column, value in (spec.get("defaults") or {}).items():
        out[column] = out[column].fillna(value) if column in out else value  # fills blanks, never overwrites
    table = TABLES[name]
    found: list[str] = []
    for column in REQUIRED[name]:
        if column in out:
            rule = f"have no {column.replace('_', ' ')} (a row without it belongs nowhere; fill it or drop the row)"
            _reject(out[column].isna(), out[column], columns.get(column, column), rule, places, found)
    for column, recode in (spec.get("values") or {}).items():
        if column in out:
            out[column] = out[column].map(lambda v, r=recode: r.get(v, v) if pd.notna(v) else v)
    for col in table.columns:
        if col.name not in out:
            continue
        source_column = columns.get(col.name, col.name)
        if col.dtype == "timestamp":
            fmt, zone = str(mapping.get("time_format", "iso")), str(mapping.get("time_zone", "UTC"))
            out[col.name] = _times(out[col.name], fmt, zone, source_column, places, found)
        elif col.vocabulary is not None:
            bad = out[col.name].notna() & ~out[col.name].isin(col.vocabulary)
            rule = f"are not one of {', '.join(col.vocabulary)} (recode them under values: {col.name}: in the mapping)"
            _reject(bad, out[col.name], source_column, rule, places, found)
        elif col.dtype == "integer":
            number = pd.to_numeric(out[col.name], errors="coerce")
            bad = number.isna() & out[col.name].notna() | (number % 1 != 0)
            _reject(bad, out[col.name], source_column, "are not whole numbers", places, found)
            out[col.name] = number.where(~bad).astype("Int64")
        elif col.dtype == "number":
            number = pd.to_numeric(out[col.name], errors="coerce")
            finite = np.isfinite(number.astype(float))
            bad = out[col.name].notna() & ~finite
            rule = "are not numbers (write 129.5, with a point for decimals; NaN and inf are not numbers)"
            _reject(bad, out[col.name], source_column, rule, places, found)
            out[col.name] = number.where(finite).astype(float)
    _raise(_label(spec), found)
    label = _label(spec)
    out.attrs["sources"] = [place if not place.startswith("row ") else f"{label} {place}" for place in places]
    return out


def _reject(bad: pd.Series, values: pd.Series, column: str, rule: str, places: pd.Series, found: list[str]) -> None:
    """Add the broken rule for the rows flagged ``bad`` (where they are and their values) to ``found``, if any."""
    flagged = bad.fillna(False).to_numpy(bool)
    if flagged.any():
        found.append(
            _problem(column, places[flagged].reset_index(drop=True), values[flagged].reset_index(drop=True), rule)
        )


EVENTS = ("join", "leave", "remove")


def _events(spec: dict, root: Path, mapping: dict, tally: Tally) -> pd.DataFrame:
    """The events table: group, member, time and event (join, leave or remove), every broken rule at once."""
    columns, defaults = dict(spec.get("columns") or {}), dict(spec.get("defaults") or {})
    needed = [c for c in ("group_id", "member_id", "at", "event") if c not in columns and c not in defaults]
    if needed:
        raise ExportError(
            _label(spec),
            "columns",
            f"an events table maps (or gives under defaults) group_id, member_id, at and event; missing {needed}",
        )
    source, places = _read_files(root, spec, tally, "events")
    out = _mapped(source, spec)
    for column, value in defaults.items():
        out[column] = out[column].fillna(value) if column in out else value  # fills blanks, never overwrites
    columns = {c: columns.get(c, f"defaults: {c}") for c in ("group_id", "member_id", "at", "event")}
    found: list[str] = []
    for column in ("group_id", "member_id", "at", "event"):
        _reject(out[column].isna(), out[column], columns[column], "are empty (every event needs it)", places, found)
    recode = (spec.get("values") or {}).get("event", {})
    out["event"] = out["event"].map(lambda v: recode.get(v, v) if pd.notna(v) else v)
    bad = out["event"].notna() & ~out["event"].isin(EVENTS)
    rule = "are not join, leave or remove (recode them under values: event: in the mapping)"
    _reject(bad, out["event"], columns["event"], rule, places, found)
    fmt, zone = str(mapping.get("time_format", "iso")), str(mapping.get("time_zone", "UTC"))
    out["at"] = _times(out["at"], fmt, zone, columns["at"], places, found)
    _raise(_label(spec), found)
    tally.read["membership events"] = len(out)
    return out


def _stays_from_events(
    events: pd.DataFrame, msgs: pd.DataFrame, raw_group: pd.Series, raw_member: pd.Series, tally: Tally
) -> pd.DataFrame:
    """One stay per join-leave pair, by the chat adapters' rules (see the module docstring)."""
    talk = pd.DataFrame({"g": raw_group, "m": raw_member, "at": msgs["sent_at"]}).dropna()
    events = events.assign(group_id=events["group_id"].astype(str), member_id=events["member_id"].astype(str))
    rows = []
    for group in pd.unique(pd.concat([events["group_id"], talk["g"].astype(str)])):
        mine, said = events[events["group_id"] == group], talk[talk["g"].astype(str) == group]
        log = ChatLog("tables", group, group)
        log.events = [
            MemberEvent(at, m, "removed" if e == "remove" else e)
            for at, m, e in zip(mine["at"], mine["member_id"], mine["event"])
        ]
        log.messages = [ChatMessage(at, str(m), "text", "", "") for at, m in zip(said["at"], said["m"])]
        start = pd.concat([mine["at"], said["at"]]).min()
        for member, joined, left, reason, unseen in stays_from_log(log, start, tally):
            rows.append((group, member, joined, left, reason, unseen))
    for event, n in events["event"].value_counts().items():
        tally.read[f"{event} events"] = int(n)
    return pd.DataFrame(
        rows, columns=["group_id", "member_id", "joined_at", "left_at", "leave_reason", "observed_from"]
    ).astype({"observed_from": "datetime64[ns, UTC]"})


def _outcome_tables(
    specs: dict,
    root: Path,
    mapping: dict,
    tally: Tally,
    pseudonyms: Pseudonyms,
    group_ids: dict[str, str],
    members: dict[str, str],
) -> dict[str, pd.DataFrame]:
    """The optional conversions, activities and participants a mapping names, ids hashed as in the other tables."""
    out: dict[str, pd.DataFrame] = {}
    for name in OUTCOME_TABLES:
        if name not in specs:
            continue
        needed = [c for c in OUTCOME_KEYS[name] if c not in (specs[name].get("columns") or {})]
        if needed:
            keys = ", ".join(OUTCOME_KEYS[name])
            raise ExportError(
                _label(specs[name]), "columns", f"a {name} table maps {keys}; missing {', '.join(needed)}"
            )
        spec = {**specs[name], "defaults": {**OUTCOME_DEFAULTS.get(name, {}), **(specs[name].get("defaults") or {})}}
        frame = _table(name, spec, root, mapping, tally)
        for column in TABLES[name].column_names:
            if column not in frame:
                frame[column] = None
        if "group_id" in frame:
            frame["group_id"] = frame["group_id"].astype(str).map(lambda g: group_ids.get(g) or pseudonyms.group(g))
        if "member_id" in TABLES[name].column_names:
            frame["member_id"] = frame["member_id"].astype(str).map(lambda m: members.get(m) or pseudonyms.member(m))
        if name == "conversions":
            ids = frame["conversion_id"].where(frame["conversion_id"].notna(), pd.Series(frame.index.astype(str)))
            frame["conversion_id"] = ids.astype(str).map(pseudonyms.conversion)
        else:
            frame["activity_id"] = frame["activity_id"].astype(str).map(pseudonyms.activity)
        out[name] = frame
        tally.read[name.replace("_", " ")] = len(frame)
    return out


def _stays(
    specs: dict,
    root: Path,
    mapping: dict,
    tally: Tally,
    msgs: pd.DataFrame,
    raw_group: pd.Series,
    raw_member: pd.Series,
) -> pd.DataFrame:
    """Members' stays: from join/leave events, a memberships table, or (neither) every sender from the first record."""
    operators = {str(p): role for role, people in (mapping.get("operators") or {}).items() for p in people or []}
    if "events" in specs:
        stays = _stays_from_events(_events(specs["events"], root, mapping, tally), msgs, raw_group, raw_member, tally)
        stays["role"] = stays["member_id"].astype(str).map(operators).fillna("member")
    elif "memberships" in specs:
        stays = _table("memberships", specs["memberships"], root, mapping, tally)
        if "role" not in stays:
            stays["role"] = stays["member_id"].astype(str).map(operators).fillna("member")
        for column in ("left_at", "leave_reason"):
            if column not in stays:
                stays[column] = pd.NaT if column == "left_at" else None
        if "observed_from" in stays:  # a log start (e.g. a default) says nothing of the stays joined after it
            stays["observed_from"] = stays["observed_from"].where(stays["observed_from"] >= stays["joined_at"])
    else:
        senders = pd.DataFrame({"g": raw_group, "m": raw_member}).dropna().drop_duplicates()
        start = msgs["sent_at"].groupby(raw_group).min()
        stays = pd.DataFrame(
            {
                "group_id": senders["g"],
                "member_id": senders["m"],
                "joined_at": senders["g"].map(start),
                "left_at": pd.NaT,
                "role": senders["m"].map(operators).fillna("member"),
                "leave_reason": None,
            }
        )
        tally.notes.append(
            "no memberships table: every sender is a member from the group's first record and no "
            "one leaves, so retention and churn cannot be measured on this dataset"
        )
    return stays


def _groups(
    specs: dict, root: Path, mapping: dict, tally: Tally, msgs: pd.DataFrame, raw_group: pd.Series, stays: pd.DataFrame
) -> pd.DataFrame:
    """The groups table, or (none mapped) each group created at its first record; attributes defaulted."""
    if "groups" in specs:
        groups = _table("groups", specs["groups"], root, mapping, tally)
    else:
        starts = pd.concat(
            [
                msgs.assign(g=raw_group)[["g", "sent_at"]].rename(columns={"sent_at": "t"}),
                stays[["group_id", "joined_at"]].rename(columns={"group_id": "g", "joined_at": "t"}),
            ]
        )
        first = starts.groupby("g")["t"].min()
        groups = pd.DataFrame({"group_id": first.index, "created_at": first.to_numpy()})
        tally.notes.append("no groups table: each group's creation is its first record (left-truncated)")
    defaults = {
        "channel": "other",
        "city": UNKNOWN,
        "segment": UNKNOWN,
        "target_size": pd.NA,
        "platform": mapping.get("platform"),
        **(mapping.get("group_defaults") or {}),
    }
    for column, value in defaults.items():
        if column not in groups:
            groups[column] = value
    size = pd.to_numeric(groups["target_size"], errors="coerce")
    bad = groups["target_size"].notna() & (size.isna() | (size % 1 != 0) | (size < 1))
    if bad.any():
        shown = groups.loc[bad, "target_size"].iloc[0]
        where = "group_defaults: target_size" if "target_size" in (mapping.get("group_defaults") or {}) else "groups"
        raise ExportError(
            mapping.get("_file", "mapping"),
            where,
            f"target_size {shown!r} is not a whole number of members (1 or more; leave it out if unknown)",
        )
    groups["target_size"] = size.astype("Int64")
    return groups


def read_tables(
    mapping_path: Path, pseudonyms: Pseudonyms, tally: Tally, keep_text: bool = False
) -> dict[str, pd.DataFrame]:
    """The contract's tables from the files a mapping names, identities hashed and text dropped."""
    mapping_path = Path(mapping_path)
    mapping = {**read_mapping(mapping_path), "_file": mapping_path.name}
    root = mapping_path.parent
    specs = mapping["tables"]
    msgs = _table("messages", specs["messages"], root, mapping, tally)
    for required in ("group_id", "sent_at"):
        if required not in msgs:
            raise ExportError(mapping_path.name, "tables.messages.columns", f"maps no column to {required}")
    raw_group = msgs["group_id"].astype(str)
    raw_member = msgs["member_id"].astype("string") if "member_id" in msgs else pd.Series(pd.NA, index=msgs.index)
    text = msgs.pop("text").fillna("").astype(str) if "text" in msgs else None
    if "text_length" not in msgs:
        msgs["text_length"] = text.str.len().astype("Int64") if text is not None else pd.NA
    if "kind" not in msgs:
        msgs["kind"] = np.where(raw_member.isna(), "system", "chat")
    raw_id = msgs["message_id"].astype(str) if "message_id" in msgs else pd.Series(msgs.index.astype(str))
    stays = _stays(specs, root, mapping, tally, msgs, raw_group, raw_member)
    groups = _groups(specs, root, mapping, tally, msgs, raw_group, stays)

    all_groups = pd.concat([groups["group_id"].astype(str), raw_group, stays["group_id"].astype(str)])
    all_members = pd.concat([raw_member.dropna().astype(str), stays["member_id"].astype(str)])
    group_ids = {g: pseudonyms.group(g) for g in pd.unique(all_groups)}
    members = {m: pseudonyms.member(m) for m in pd.unique(all_members)}
    msgs["group_id"] = raw_group.map(group_ids)
    msgs["member_id"] = raw_member.astype(object).map(lambda m: members.get(str(m)) if pd.notna(m) else None)
    msgs["message_id"] = [pseudonyms.message(g, i) for g, i in zip(msgs["group_id"], raw_id)]
    stays["group_id"] = stays["group_id"].astype(str).map(group_ids)
    stays["member_id"] = stays["member_id"].astype(str).map(members)
    groups["group_id"] = groups["group_id"].astype(str).map(group_ids)
    outcomes = _outcome_tables(specs, root, mapping, tally, pseudonyms, group_ids, members)
    frames = {"groups": groups, "memberships": stays, "messages": msgs, **outcomes}
    tables = {
        name: frame[[c for c in TABLES[name].column_names if c in frame]].copy() for name, frame in frames.items()
    }
    for name, frame in tables.items():
        for col in TABLES[name].columns:
            if col.dtype == "timestamp" and col.name in frame:
                frame[col.name] = pd.to_datetime(frame[col.name], utc=True)
    if keep_text and text is not None:
        tables["private_text"] = pd.DataFrame({"message_id": msgs["message_id"], "text": text})
    tables["row_sources"] = {  # where each row stands in the source files, for contract errors
        f"{name}.parquet": frame.attrs["sources"]
        for name, frame in frames.items()
        if "sources" in frame.attrs and len(frame.attrs["sources"]) == len(tables[name])
    }
    tally.read["groups"] = len(groups)
    tally.read["members"] = stays[["group_id", "member_id"]].drop_duplicates().shape[0]
    tally.read["messages kept"] = len(msgs)
    return tables
