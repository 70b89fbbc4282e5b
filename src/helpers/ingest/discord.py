"""Discord servers as DiscordChatExporter writes them (JSON or CSV, one file per channel) read into chat logs.

A server is the community, so every channel file of one server goes into one group (a
group DM, server id 0, is its own group). JSON files carry ``guild``, ``channel`` and
``messages``; each message has ``id``, ``type``, ``timestamp`` (ISO 8601 with offset),
``content``, ``author`` (``id``, ``name``, ``nickname``, ``isBot``), ``attachments``,
``stickers`` and ``mentions``. Message types:

- ``Default`` and ``Reply``: talk (media if it carries attachments or stickers, link if its
  text holds a URL);
- ``GuildMemberJoin`` ("Joined the server."): the author joins;
- ``RecipientAdd`` / ``RecipientRemove`` (group DMs): the mentioned user joins, leaves
  (removing oneself) or is removed;
- the other system types (pins, threads, calls, renames, boosts): service lines.

Messages by bots are kept as service lines, not as a member's talk. Discord writes no
line when someone leaves a server, so exits are not in the export; the tally says so and
the studies do not invent retention. CSV files (``AuthorID, Author, Date, Content,
Attachments, Reactions``) carry no message type: system lines are known by their fixed
English text ("Joined the server.", "Added … to the group."), dates are the exporting
computer's wall time in its date format (month first unless ``--date-order dmy``), and
the group is the server named before " - " in DiscordChatExporter's file name. Older
versions wrote the same columns separated by ``;``, every field quoted and closed by ``;``
(``"AuthorID";"Author";...;``): read alike. A folder is searched with its subfolders.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from helpers.ingest.chatlog import (
    ChatLog,
    ChatMessage,
    ExportError,
    MemberEvent,
    Tally,
    count_events,
    form_of_text,
    read_text,
)

TALK = ("Default", "Reply")
SERVICE_TYPES = (
    "Call",
    "ChannelNameChange",
    "ChannelIconChange",
    "ChannelPinnedMessage",
    "ThreadCreated",
    "GuildBoost",
    "GuildBoostTier1",
    "GuildBoostTier2",
    "GuildBoostTier3",
    "ChannelFollowAdd",
    "ThreadStarterMessage",
    "AutoModerationAction",
)
CSV_COLUMNS = ("AuthorID", "Author", "Date", "Content")
CSV_JOIN = "Joined the server."
CSV_LEFT = "Left the group."
CSV_ADDED = re.compile(r"^Added (?P<who>.+) to the group\.$")
CSV_REMOVED = re.compile(r"^Removed (?P<who>.+) from the group\.$")
CSV_SERVICE = re.compile(
    r"^(?:Pinned a message\.|Started a thread\.|Started a call|Changed the channel (?:name|icon)|"
    r"Boosted the server)"
)
PROGRESS_FROM = 20
"""A server of this many channel files or more shows a progress bar while it is read."""


FILE_NAME = re.compile(r"^(?P<guild>.+?) - .*\[(?P<channel>\d+)\]$")


def _load(path: Path) -> dict:
    """The parsed JSON export, or an ExportError with the line and column of the fault."""
    data = path.read_bytes()
    if not data.strip():
        raise ExportError(path.name, "", "file is empty")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ExportError(path.name, f"byte {err.start}", "not UTF-8 text; not a DiscordChatExporter file") from None
    except json.JSONDecodeError as err:
        truncated = not data.rstrip().endswith(b"}")
        why = "the file ends early (truncated export?)" if truncated else "malformed JSON"
        raise ExportError(path.name, f"line {err.lineno}, column {err.colno}", f"{err.msg}: {why}") from None
    if not (isinstance(document, dict) and isinstance(document.get("messages"), list) and "channel" in document):
        keys = ", ".join(sorted(document)[:8]) if isinstance(document, dict) else type(document).__name__
        raise ExportError(
            path.name, "top level", f"not a DiscordChatExporter JSON export (guild, channel, messages); found {keys}"
        )
    return document


def read_discord(
    paths: list[Path],
    tally: Tally,
    timezone: str | None = None,
    group_name: str | None = None,
    date_order: str | None = None,
) -> list[ChatLog]:
    """DiscordChatExporter files (JSON or CSV, one per channel); one chat log per server."""
    logs: dict[str, ChatLog] = {}
    seen_ids: dict[str, set[str]] = {}
    files = sorted(Path(p) for p in paths)
    for path in tqdm(files, desc="channel files", unit="file", disable=len(files) < PROGRESS_FROM, file=sys.stderr):
        if path.suffix.lower() == ".csv":
            _read_csv(path, tally, timezone, group_name, date_order, logs)
        else:
            _read_json(path, tally, group_name, logs, seen_ids)
        tally.read["channel files"] += 1
    count_events(list(logs.values()), tally)
    tally.notes.append(
        "Discord writes no line when a member leaves a server: exits are missing unless the export holds a group DM"
    )
    return list(logs.values())


def _log(logs: dict[str, ChatLog], key: str, title: str) -> ChatLog:
    """The chat log of server ``key`` (made on first use)."""
    return logs.setdefault(key, ChatLog("discord", key, title))


def _read_json(
    path: Path, tally: Tally, group_name: str | None, logs: dict[str, ChatLog], seen_ids: dict[str, set[str]]
) -> None:
    """One channel's JSON export into its server's chat log."""
    document = _load(path)
    guild = document.get("guild") or {}
    channel = document.get("channel") or {}
    direct = str(guild.get("id", "0")) == "0"
    key = group_name or (f"channel:{channel.get('id')}" if direct else f"guild:{guild.get('id')}")
    log = _log(logs, key, group_name or str((channel if direct else guild).get("name") or key))
    seen = seen_ids.setdefault(key, set())  # the server's message ids so far, kept across its channel files
    for position, m in enumerate(document["messages"]):
        where = f"message id {m.get('id', '?')} (entry {position + 1} of messages)" if isinstance(m, dict) else ""
        if not isinstance(m, dict) or not isinstance(m.get("author"), dict):
            tally.skipped["entries that are not messages"] += 1
            continue
        at = _timestamp(m.get("timestamp"), path.name, where)
        author = m["author"]
        who = str(author.get("id") or "") or None
        kind = str(m.get("type") or "Default")
        ref = f"message id {m.get('id', f'{path.name}:{position}')}"
        if ref in seen:  # overlapping exports of one channel
            tally.skipped["messages exported twice (same id)"] += 1
            continue
        seen.add(ref)
        if kind in TALK and who is not None and not author.get("isBot"):
            text = str(m.get("content") or "")
            media = bool(m.get("attachments") or m.get("stickers"))
            form = "media" if media else form_of_text(text)
            name = author.get("nickname") or author.get("name")
            log.messages.append(ChatMessage(at, who, form, text, ref, sender_name=name))
            tally.read[f"{form} messages"] += 1
            continue
        log.messages.append(ChatMessage(at, None, "service", "", ref))
        if kind in TALK:
            tally.read["bot messages (kept as service lines)"] += 1
        elif kind == "GuildMemberJoin" and who and not author.get("isBot"):
            log.events.append(MemberEvent(at, who, "join"))
        elif kind in ("RecipientAdd", "RecipientRemove"):
            mentioned = [str(u.get("id")) for u in m.get("mentions") or [] if isinstance(u, dict) and u.get("id")]
            for person in mentioned:
                action = "join" if kind == "RecipientAdd" else "leave" if person == who else "removed"
                log.events.append(MemberEvent(at, person, action))
        elif kind in SERVICE_TYPES:
            tally.read["service lines"] += 1
        else:
            tally.read[f"service lines of other types ({kind})"] += 1


def _timestamp(value: object, file: str, where: str) -> datetime:
    """An ISO 8601 timestamp with its offset, in UTC (the standard library's: a tenth of pandas' cost per message)."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ExportError(file, where, f"timestamp {str(value)[:30]!r} is not an ISO 8601 time with an offset")
    return parsed.astimezone(UTC)


def _read_csv(
    path: Path,
    tally: Tally,
    timezone: str | None,
    group_name: str | None,
    date_order: str | None,
    logs: dict[str, ChatLog],
) -> None:
    """One channel's CSV export into its server's chat log."""
    text = read_text(path, "a DiscordChatExporter CSV")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","  # versions before 2.14 wrote ';'
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise ExportError(path.name, "", f"not a CSV file ({err})") from None
    header = rows[0]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ExportError(
            path.name,
            "line 1",
            f"not a DiscordChatExporter CSV: no column {', '.join(missing)} (found {', '.join(header[:8])})",
        )
    col = {name: k for k, name in enumerate(header)}
    named = FILE_NAME.match(path.stem)
    guild = group_name or (named["guild"] if named else path.stem)
    log = _log(logs, group_name or f"guild-name:{guild}", guild)
    ids = {row[col["Author"]]: row[col["AuthorID"]] for row in rows[1:] if len(row) == len(header)}
    dayfirst = date_order == "dmy"
    for line, row in enumerate(rows[1:], 2):
        if not any(row):
            continue
        if len(row) != len(header):
            raise ExportError(path.name, f"line {line}", f"{len(row)} fields where the header has {len(header)}")
        at = _wall_time(row[col["Date"]], path.name, line, timezone, dayfirst)
        who, text = row[col["AuthorID"]], row[col["Content"]]
        ref = f"{path.name} line {line}"
        added, removed = CSV_ADDED.match(text), CSV_REMOVED.match(text)
        if text in (CSV_JOIN, CSV_LEFT) or added or removed or CSV_SERVICE.match(text):
            log.messages.append(ChatMessage(at, None, "service", "", ref))
            if text == CSV_JOIN:
                log.events.append(MemberEvent(at, who, "join"))
            elif text == CSV_LEFT:
                log.events.append(MemberEvent(at, who, "leave"))
            elif added or removed:
                name = (added or removed)["who"]
                person = ids.get(name) or f"name:{name}"
                log.events.append(MemberEvent(at, person, "join" if added else "removed"))
            else:
                tally.read["service lines"] += 1
            continue
        attachments = "Attachments" in col and row[col["Attachments"]].strip()
        form = "media" if attachments else form_of_text(text)
        log.messages.append(ChatMessage(at, who, form, text, ref, sender_name=row[col["Author"]]))
        tally.read[f"{form} messages"] += 1
    if timezone is None:
        tally.notes.append("DiscordChatExporter CSV times were read as UTC; give --timezone of the exporting computer")


def _wall_time(value: str, file: str, line: int, timezone: str | None, dayfirst: bool) -> pd.Timestamp:
    """A CSV date: ISO 8601 with an offset as written, else wall time in ``timezone`` (UTC)."""
    try:
        at = pd.Timestamp(value) if re.match(r"^\d{4}-\d{2}-\d{2}", value) else pd.to_datetime(value, dayfirst=dayfirst)
    except (ValueError, TypeError):
        at = pd.NaT
    if pd.isna(at):
        raise ExportError(file, f"line {line}, column Date", f"{value[:30]!r} is not a date and time")
    if at.tzinfo is not None:
        return at.tz_convert("UTC")
    return at.tz_localize(timezone or "UTC", ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
