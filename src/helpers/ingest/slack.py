"""Slack workspace exports (the .zip, or the folder it unpacks to) read into chat logs, one per channel.

The export holds ``channels.json`` (public channels: ``id``, ``name``, ``created`` as Unix
time, ``creator``), ``groups.json`` (private channels, in exports that include them),
``users.json`` (``id``, ``is_bot``) and a folder per channel with one JSON file per day
(``general/2021-03-04.json``), each a list of messages: ``ts`` (Unix time with
microseconds, UTC), ``user``, ``text``, ``files`` and an optional ``subtype``:

- no subtype, ``thread_broadcast``, ``me_message``, ``file_share``: a member's talk (media
  with files, link if the text holds a URL);
- ``channel_join`` / ``group_join``: the user joins the channel; ``channel_leave`` /
  ``group_leave``: the user leaves;
- ``bot_message`` and messages by users marked ``is_bot``: service lines, not talk;
- topics, purposes, renames, archives, pins and the other subtypes: service lines.

Direct messages (``dms.json``, ``mpims.json``) are not community channels and are skipped.
A channel export without ``channels.json`` (one channel's folder of day files, or a folder
of such folders) is read too: each folder is a channel named by the folder.
A channel is a group: joins and leaves are per channel, and its creation and creator
come from ``channels.json``.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path, PurePosixPath

import pandas as pd

from helpers.ingest.chatlog import ChatLog, ChatMessage, ExportError, MemberEvent, Tally, count_events, form_of_text

TALK_SUBTYPES = (None, "thread_broadcast", "me_message", "file_share")
JOINS = ("channel_join", "group_join")
LEAVES = ("channel_leave", "group_leave")
DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")


def _files(path: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every JSON file in the export (a zip or its unpacked folder)."""
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*.json") if p.is_file()}
    try:
        with zipfile.ZipFile(path) as archive:
            return {
                name: archive.read(name)
                for name in archive.namelist()
                if name.endswith(".json") and not name.startswith("__MACOSX/")
            }
    except zipfile.BadZipFile:
        raise ExportError(
            path.name, "", "not a zip file; give the Slack export's .zip or the folder it unpacks to"
        ) from None


def _json(name: str, data: bytes) -> object:
    """A parsed JSON file of the export, or an ExportError naming it, the line and the column."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ExportError(name, f"byte {err.start}", "not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise ExportError(name, f"line {err.lineno}, column {err.colno}", f"{err.msg}: malformed JSON") from None


def _root(files: dict[str, bytes], source: str) -> str:
    """The folder inside the export that holds channels.json, or the channel folders ('' or 'Workspace export/')."""
    found = sorted((name for name in files if PurePosixPath(name).name == "channels.json"), key=len)
    if not found:
        found = sorted(str(PurePosixPath(name).parent) for name in files if DAY_FILE.match(PurePosixPath(name).name))
        if not found:
            raise ExportError(source, "", "not a Slack export: no channels.json and no day files (2021-03-04.json)")
        found = [str(PurePosixPath(found[0]).parent) + "/x"]  # the folder that holds the first channel folder
    parent = str(PurePosixPath(found[0]).parent)
    return "" if parent == "." else parent + "/"


def _unlisted(files: dict[str, bytes], root: str, tally: Tally) -> list[dict]:
    """Channels of an export without channels.json: every folder of day files under ``root``, by its name."""
    names = sorted(
        {
            PurePosixPath(f).parent.name
            for f in files
            if f.startswith(root) and DAY_FILE.match(PurePosixPath(f).name) and PurePosixPath(f).parent.name
        }
    )
    tally.notes.append(
        "the export has no channels.json: each folder of day files is a channel, named by the folder; its "
        "creation is its first message (left-truncated)"
    )
    return [{"name": name} for name in names]


def read_slack(path: Path, tally: Tally) -> list[ChatLog]:
    """Every public (and exported private) channel of a Slack workspace export; one chat log per channel."""
    path = Path(path)
    files = _files(path)
    if path.is_dir() and any(DAY_FILE.match(name) for name in files):  # one channel's folder of day files
        files = {f"{path.name}/{name}": data for name, data in files.items()}
    root = _root(files, path.name)
    users = _json(root + "users.json", files[root + "users.json"]) if root + "users.json" in files else []
    bots = {str(u.get("id")) for u in users if isinstance(u, dict) and u.get("is_bot")}
    channels = []
    for listing in ("channels.json", "groups.json"):
        if root + listing in files:
            listed = _json(root + listing, files[root + listing])
            if not isinstance(listed, list):
                raise ExportError(root + listing, "top level", "expected a list of channels")
            channels += [c for c in listed if isinstance(c, dict)]
    if not any(root + listing in files for listing in ("channels.json", "groups.json")):
        channels = _unlisted(files, root, tally)
    for listing in ("dms.json", "mpims.json"):
        if root + listing in files:
            tally.skipped["direct-message conversations (not channels)"] += len(
                _json(root + listing, files[root + listing])
            )
    logs = []
    for channel in channels:
        name = str(channel.get("name") or "")
        days = sorted(f for f in files if f.startswith(f"{root}{name}/") and DAY_FILE.match(PurePosixPath(f).name))
        if not name or not days:
            tally.skipped["channels with no messages in the export"] += 1
            continue
        log = ChatLog("slack", str(channel.get("id") or name), name)
        log.own_export = bool(channel.get("is_archived"))  # an archived channel is seen to its last message
        if channel.get("created"):
            log.created_at = pd.Timestamp(int(channel["created"]), unit="s", tz="UTC")
            log.creator = str(channel.get("creator") or "") or None
        for day in days:
            _read_day(day, _json(day, files[day]), log, bots, tally)
        count_events([log], tally)
        tally.read["channels"] += 1
        tally.read["day files"] += len(days)
        logs.append(log)
    if not logs:
        raise ExportError(path.name, "", "holds no channel with messages")
    return logs


def _read_day(name: str, messages: object, log: ChatLog, bots: set[str], tally: Tally) -> None:
    """One channel-day file's messages into the channel's chat log."""
    if not isinstance(messages, list):
        raise ExportError(name, "top level", "expected a list of messages")
    for position, m in enumerate(messages, 1):
        if not isinstance(m, dict) or m.get("type") != "message":
            tally.skipped["entries that are not messages"] += 1
            continue
        try:
            seconds, _, fraction = str(m["ts"]).partition(".")
            at = pd.Timestamp(int(seconds) * 1_000_000 + int((fraction + "000000")[:6]), unit="us", tz="UTC")
        except (KeyError, TypeError, ValueError):
            raise ExportError(name, f"message {position}", f"ts {str(m.get('ts'))[:20]!r} is not a Unix time") from None
        subtype, user = m.get("subtype"), str(m.get("user") or "") or None
        ref = f"{name} message {position} ts {m.get('ts')}"
        if subtype in TALK_SUBTYPES and user is not None and user not in bots and not m.get("bot_id"):
            text = str(m.get("text") or "")
            form = "media" if m.get("files") else form_of_text(text)
            log.messages.append(ChatMessage(at, user, form, text, ref))
            tally.read[f"{form} messages"] += 1
            continue
        log.messages.append(ChatMessage(at, None, "service", "", ref))
        if subtype in JOINS and user:
            log.events.append(MemberEvent(at, user, "join"))
        elif subtype in LEAVES and user:
            log.events.append(MemberEvent(at, user, "leave"))
        elif subtype in TALK_SUBTYPES or subtype == "bot_message":
            tally.read["bot messages (kept as service lines)"] += 1
        else:
            tally.read[f"service lines ({subtype})"] += 1
