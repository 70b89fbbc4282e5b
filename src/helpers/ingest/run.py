"""``python -m helpers ingest KIND PATH --out DIR``: real data into the contract, personal data kept out.

KIND is ``telegram`` (a Telegram Desktop export: ``result.json``, or the HTML pages), ``whatsapp`` (an exported chat
``.txt``), ``irc`` (a log file, or a folder of them), ``wechat`` (MemoTrace CSV exports: a
file, or a folder of them), ``discord`` (DiscordChatExporter JSON or CSV, a file per
channel, or a folder of them), ``slack`` (a workspace export: the .zip or its folder) or ``tables`` (a YAML mapping of CSV / Parquet tables). Member, group and message
ids become keyed hashes (``privacy``); names and phone numbers are never written; message
text is dropped (its length and form are kept) unless ``--keep-text`` asks for it, and
then it goes to ``DIR/private/message_text.parquet``, for local analysis only: no report
reads it.

The dataset is built in a temporary folder beside DIR, validated against the contract,
and only then moved into place; on any error nothing is written and DIR is untouched.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from helpers.data import yaml_text
from helpers.data.atomic import TargetTaken, check_target, new_work_folder, publish_folder, write_json
from helpers.data.engine import validate_dataset
from helpers.ingest.chatlog import ExportError, Settings, Tally, build_tables, known_zone
from helpers.ingest.discord import read_discord
from helpers.ingest.irc import read_irc
from helpers.ingest.mapped_tables import read_tables
from helpers.ingest.privacy import KeyProblem, Pseudonyms, load_key
from helpers.ingest.slack import read_slack
from helpers.ingest.telegram import read_telegram
from helpers.ingest.telegram_html import PAGE, pages, read_telegram_html
from helpers.ingest.tg_archive import archive_pages, read_tg_archive
from helpers.ingest.wechat import read_wechat
from helpers.ingest.whatsapp import read_whatsapp
from helpers.ingest.zulip_archive import read_zulip_archive

KINDS = ("telegram", "whatsapp", "irc", "wechat", "discord", "slack", "zulip", "tables")

FOLDER_KINDS = {"irc": (".txt",), "wechat": (".csv",), "discord": (".json", ".csv")}
"""Kinds whose path may be a folder, and the suffix of the files read from it."""


PRIVATE = "private"


class IngestError(Exception):
    """Ingestion stopped; nothing was written."""


@dataclass
class Ingested:
    """Where the dataset went and the account of what was read and skipped."""

    out: Path
    tally: Tally
    warnings: list[str]


def read_settings(path: Path | None) -> Settings:
    """Group attributes, operators and kind rules from a YAML file (defaults without one)."""
    if path is None:
        return Settings()
    try:
        config = yaml_text.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise IngestError(f"{Path(path).name}: cannot be read as YAML settings: {err}") from None
    try:
        return Settings.from_dict(config, Path(path).name)
    except ValueError as err:
        raise IngestError(str(err)) from None


def export_file(kind: str, path: Path) -> Path:
    """The file to read for ``kind``: a Telegram export folder gives its result.json, else its first HTML page."""
    if kind == "telegram" and path.is_dir():
        if (path / "result.json").is_file():
            return path / "result.json"
        if html_pages := pages(path):
            return html_pages[0]
        if archive_pages(path):
            return path  # a tg-archive site: read as a whole
        raise IngestError(
            f"{path.name}/ holds no result.json, messages.html or tg-archive month pages (2021-03.html): give the "
            "folder Telegram's export or tg-archive wrote"
        )
    if kind in FOLDER_KINDS or kind in ("slack", "zulip"):
        return path
    if path.is_dir():
        texts = sorted(path.glob("*.txt")) if kind == "whatsapp" else []
        if len(texts) == 1:
            return texts[0]
        raise IngestError(f"{path.name}/ is a folder; give the export file itself")
    return path


def is_html(path: Path) -> bool:
    """Whether a file is an HTML page (by its name or its first bytes)."""
    with path.open("rb") as fh:
        head = fh.read(200).lstrip().lower()
    return path.suffix.lower() in (".html", ".htm") or head.startswith((b"<!doctype html", b"<html"))


def _export_files(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The export's files: ``path`` itself, or those in its folder and below (hidden ones left out)."""
    if not path.is_dir():
        return [path]
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in suffixes
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise IngestError(f"{path.name}/ holds no {' or '.join(suffixes)} files")
    return files


def _chat_logs(
    kind: str,
    path: Path,
    tally: Tally,
    time_zone: str | None,
    date_order: str | None,
    you: str | None,
    group_name: str | None,
) -> list:
    """The chat logs of an export of ``kind`` (every kind but mapped tables)."""
    if kind == "slack":
        return read_slack(path, tally)
    if kind == "zulip":
        return read_zulip_archive(path, tally)
    if kind == "discord":
        return read_discord(_export_files(path, FOLDER_KINDS[kind]), tally, time_zone, group_name, date_order)
    if kind in FOLDER_KINDS:
        reader = read_irc if kind == "irc" else read_wechat
        return reader(_export_files(path, FOLDER_KINDS[kind]), tally, time_zone, group_name)
    if kind == "telegram" and path.is_dir():
        return read_tg_archive(path, tally, group_name)
    if kind == "telegram" and is_html(path):
        html_pages = pages(path.parent) if PAGE.match(path.name) else [path]
        return read_telegram_html(html_pages, tally, time_zone, group_name)
    if kind == "telegram":
        return read_telegram(path, tally, time_zone)
    return read_whatsapp(path, tally, time_zone, date_order, you, group_name)


def ingest(
    kind: str,
    path: Path,
    out: Path,
    *,
    settings: Settings | None = None,
    key_file: Path | None = None,
    time_zone: str | None = None,
    date_order: str | None = None,
    you: str | None = None,
    group_name: str | None = None,
    keep_text: bool = False,
    replace: bool = False,
) -> Ingested:
    """Read ``path`` as ``kind``, write the contract dataset to ``out`` atomically, return the tally."""
    if kind not in KINDS:
        raise IngestError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    path, out = Path(path), Path(out)
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    path = export_file(kind, path)
    try:
        check_target(out, replace)
    except TargetTaken as err:
        raise IngestError(str(err)) from None
    if time_zone is not None and not known_zone(time_zone):
        raise IngestError(f"unknown time zone {time_zone!r} (use a name such as Asia/Shanghai or UTC)")
    pseudonyms = Pseudonyms(load_key(key_file))
    settings = settings or Settings()
    tally = Tally()
    if kind == "tables":
        tables = read_tables(path, pseudonyms, tally, keep_text)
    else:
        logs = _chat_logs(kind, path, tally, time_zone, date_order, you, group_name)
        tables = build_tables(logs, pseudonyms, settings, tally, keep_text)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = new_work_folder(out)
    try:
        warnings = _write(tables, work, kind, tally)
        publish_folder(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Ingested(out, tally, warnings)


HASHED = ("message_id", "group_id", "member_id", "conversion_id", "activity_id")
"""Columns holding keyed hashes: meaningless to the person who made the export."""


def traced_to_source(report, sources: dict[str, list[str]]) -> None:
    """Findings name each row by where it stands in the source (file and line or row, or message id), not by hash."""
    for finding in report.findings:
        places = sources.get(finding.file)
        if not places:
            continue
        for example in finding.examples:
            row = example.get("_row")
            if row is None or not 0 < int(row) <= len(places):
                continue
            values = {k: v for k, v in example.items() if k not in ("_row", "_file", *HASHED)}
            example.clear()
            example.update({"_file": places[int(row) - 1], "_row": None, **values})


def _write(tables: dict[str, pd.DataFrame], work: Path, kind: str, tally: Tally) -> list[str]:
    """Write the tables into ``work`` and validate them; IngestError (with the findings) if they break the contract."""
    private = tables.pop("private_text", None)
    sources = tables.pop("row_sources", {})
    for name, frame in tables.items():
        frame.to_parquet(work / f"{name}.parquet", index=False, coerce_timestamps="us")  # readable by Spark too
    report, _ = validate_dataset(work)
    if not report.ok:
        traced_to_source(report, sources)
        raise IngestError("the data read does not meet the contract; nothing was written:\n" + report.format())
    if private is not None:  # only there with --keep-text: readable by the user alone (0600 in a 0700 folder)
        (work / PRIVATE).mkdir(mode=0o700)
        os.chmod(work / PRIVATE, 0o700)
        private.to_parquet(work / PRIVATE / "message_text.parquet", index=False)
        (work / PRIVATE / "README.txt").write_text(
            "Message text kept by --keep-text for local analysis only. Do not share or commit; no report reads it.\n"
        )
        for file in (work / PRIVATE).iterdir():
            os.chmod(file, 0o600)
    write_json(
        work / "ingest.json",
        {
            "kind": kind,
            "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "read": dict(tally.read),
            "skipped": dict(tally.skipped),
            "notes": tally.notes,
            "text_kept": private is not None,
        },
    )
    return [finding.format() for finding in report.warnings]


def run(args) -> int:
    """The ``ingest`` command: print what was read, skipped and written; 2 on bad input (nothing written)."""
    try:
        settings = read_settings(args.settings)
        done = ingest(
            args.kind,
            args.path,
            args.out,
            settings=settings,
            key_file=args.key_file,
            time_zone=args.timezone,
            date_order=args.date_order,
            you=args.you,
            group_name=args.group_name,
            keep_text=args.keep_text,
            replace=args.replace,
        )
    except (ExportError, IngestError, KeyProblem) as err:
        print(f"ERROR: {err}\nNothing was written.", file=sys.stderr)
        return 2
    print(f"{args.kind}: {Path(args.path).name} -> {done.out}")
    print(done.tally.format())
    for warning in done.warnings:
        print(f"warning: {warning}")
    print(f"OK: {done.out} meets the data contract" + (" (message text kept in private/)" if args.keep_text else ""))
    return 0


def add_parser(commands) -> None:
    """The ``ingest`` subcommand's arguments."""
    p = commands.add_parser(
        "ingest",
        help="turn a chat export or mapped tables into a contract dataset",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("kind", choices=KINDS)
    p.add_argument(
        "path",
        type=Path,
        help="result.json (or a tg-archive site folder), the chat .txt, IRC logs, WeChat CSVs or Discord exports (a file or folder), a zulip-archive site folder, a Slack "
        "export (.zip or folder), or the mapping .yml",
    )
    p.add_argument("--out", type=Path, required=True, help="dataset folder to write, e.g. data/processed/mygroups")
    p.add_argument("--settings", type=Path, help="YAML: channel, city, segment, target_size, operators, kinds, groups")
    p.add_argument(
        "--key-file",
        type=Path,
        help="pseudonymisation key (default: $WORKBENCH_HASH_KEY_FILE, then $WORKBENCH_HASH_KEY)",
    )
    p.add_argument("--timezone", help="time zone of times written without one, e.g. Asia/Shanghai")
    p.add_argument(
        "--date-order", choices=("dmy", "mdy", "ymd"), help="WhatsApp, Discord CSV: when every date is ambiguous"
    )
    p.add_argument("--you", help="WhatsApp: the exporter's name as on their own messages (system lines say 'You')")
    p.add_argument(
        "--group-name",
        help="WhatsApp, IRC, WeChat, Discord: the group's name (its id is a keyed hash of it); needed for an iPhone _chat.txt "
        "or an IRC log that does not name its group (WeChat: the file name without _utf8 otherwise)",
    )
    p.add_argument("--keep-text", action="store_true", help="also keep message text, in DIR/private/, local only")
    p.add_argument("--replace", action="store_true", help="replace DIR if it exists")
