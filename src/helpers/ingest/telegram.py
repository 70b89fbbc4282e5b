"""Telegram Desktop exports (``result.json``) read into chat logs.

Two shapes: a single chat export (``name``, ``type``, ``id``, ``messages``) and a full
account export (``chats.list`` and ``left_chats.list``, next to personal information and
contacts, which are never read). Only groups are kept (``private_group``,
``private_supergroup``, ``public_supergroup``); personal chats, bots, channels and saved
messages are skipped and counted.

Times come from ``date_unixtime`` (UTC) when present; older exports only have ``date``,
the exporting computer's local time, which needs ``timezone``. Members are identified by
``from_id`` / ``actor_id``; service lines name invited and removed people by display name
only, so names are matched to ids seen elsewhere in the export (a name never seen with an
id, or with several, is used as it is and counted).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pandas as pd

from helpers.ingest.chatlog import ChatLog, ChatMessage, ExportError, MemberEvent, Tally, count_events, form_of_text

GROUP_TYPES = ("private_group", "private_supergroup", "public_supergroup")


MEDIA_FIELDS = (
    "media_type",
    "photo",
    "file",
    "sticker_emoji",
    "location_information",
    "contact_information",
    "poll",
    "game_title",
    "invoice_information",
)


LINK_ENTITIES = ("link", "text_link")


def _load(path: Path) -> object:
    """The parsed JSON document, or an ExportError with the line and column of the fault."""
    data = path.read_bytes()
    if not data.strip():
        raise ExportError(path.name, "", "file is empty")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ExportError(path.name, f"byte {err.start}", "not UTF-8 text; not a Telegram export") from None
    except json.JSONDecodeError as err:
        truncated = not data.rstrip().endswith(b"}")  # an export ends with the closing brace of its object
        why = "the file ends early (truncated export?)" if truncated else "malformed JSON"
        raise ExportError(path.name, f"line {err.lineno}, column {err.colno}", f"{err.msg}: {why}") from None


def _chats(document: object, file: str) -> tuple[list[dict], bool]:
    """The chats of a single-chat or full-account export; whether it is a full-account export."""
    if isinstance(document, dict) and isinstance(document.get("messages"), list) and "type" in document:
        return [document], False
    if isinstance(document, dict) and isinstance(document.get("chats"), dict):
        chats = document["chats"].get("list")
        if isinstance(chats, list):
            left = document.get("left_chats", {})
            return chats + (left.get("list", []) if isinstance(left, dict) else []), True
    keys = ", ".join(sorted(document)[:8]) if isinstance(document, dict) else type(document).__name__
    raise ExportError(
        file,
        "top level",
        "not a Telegram Desktop export: expected a chat (name, type, messages) or "
        f"a full-account export (chats.list); found {keys}",
    )


def _time(message: dict, timezone: str | None, file: str, where: str) -> pd.Timestamp:
    """The message's instant in UTC."""
    if "date_unixtime" in message:
        try:
            return pd.Timestamp(int(message["date_unixtime"]), unit="s", tz="UTC")
        except (TypeError, ValueError):
            raise ExportError(
                file, where, f"date_unixtime {message['date_unixtime']!r} is not a whole number of seconds"
            ) from None
    if "date" not in message:
        raise ExportError(file, where, "has no date")
    try:
        local = pd.Timestamp(datetime.fromisoformat(str(message["date"])))  # strict ISO 8601, as exports write
    except (TypeError, ValueError):
        raise ExportError(
            file, where, f"unknown date format {message['date']!r} (expected e.g. 2025-01-15T10:30:00)"
        ) from None
    if local.tzinfo is not None:
        return local.tz_convert("UTC")
    if timezone is None:
        raise ExportError(
            file,
            where,
            "dates carry no time zone and there is no date_unixtime: give the exporting "
            "computer's time zone (--timezone, e.g. Asia/Shanghai)",
        )
    return local.tz_localize(timezone).tz_convert("UTC")


def _text(value: object) -> tuple[str, bool]:
    """Plain text of a message's ``text`` (a string or a list of strings and entities); whether it has a link."""
    if isinstance(value, str):
        return value, False
    parts, link = [], False
    for item in value or []:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            parts.append(str(item.get("text", "")))
            link |= item.get("type") in LINK_ENTITIES
    return "".join(parts), link


def _identities(messages: list[dict]) -> dict[str, str | None]:
    """Display name -> the one id seen with it (None when several ids share the name)."""
    ids = defaultdict(set)
    for m in messages:
        for name_key, id_key in (("from", "from_id"), ("actor", "actor_id")):
            if m.get(name_key) and m.get(id_key):
                ids[m[name_key]].add(str(m[id_key]))
    return {name: next(iter(found)) if len(found) == 1 else None for name, found in ids.items()}


def read_telegram(path: Path, tally: Tally, timezone: str | None = None) -> list[ChatLog]:
    """Every group chat in a Telegram Desktop ``result.json``."""
    path = Path(path)
    logs = []
    chats, full_account = _chats(_load(path), path.name)
    for k, chat in enumerate(chats):
        kind = chat.get("type", "unknown") if isinstance(chat, dict) else "not an object"
        if kind not in GROUP_TYPES:
            tally.skipped[f"chats of type {kind} (not a group)"] += 1
            continue
        if not isinstance(chat.get("messages"), list):
            raise ExportError(path.name, f"chat {k + 1}", "has no messages list (truncated or edited export?)")
        place = f"chat {k + 1} of the account's chats, " if full_account else ""
        logs.append(_read_chat(chat, path.name, tally, timezone, place))
        tally.read["group chats"] += 1
    if not logs:
        raise ExportError(path.name, "", "holds no group chats (only " + (", ".join(tally.skipped) or "nothing") + ")")
    return logs


def _read_chat(chat: dict, file: str, tally: Tally, timezone: str | None, place: str = "") -> ChatLog:
    """One group chat's messages and membership events (``place`` says which chat, in errors)."""
    title = str(chat.get("name") or "")
    log = ChatLog("telegram", str(chat.get("id", title)), title)
    names = _identities(chat["messages"])

    def person(name: str | None, identity: str | None = None) -> str:
        if identity:
            return str(identity)
        resolved = names.get(name or "")
        if resolved is None:
            tally.read["people known by display name only"] += 1
            return f"name:{name}"
        return resolved

    for position, m in enumerate(chat["messages"]):
        where = f"{place}message id {m.get('id', '?')} (entry {position + 1} of its messages list)"
        if not isinstance(m, dict) or m.get("type") not in ("message", "service"):
            tally.skipped["entries that are not messages"] += 1
            continue
        at = _time(m, timezone, file, where)
        ref = f"message id {m.get('id', position)}"
        text, link = _text(m.get("text"))
        if m["type"] == "message":
            if not (m.get("from_id") or m.get("from")):
                tally.skipped["messages without a sender"] += 1
                continue
            form = "media" if any(m.get(f) for f in MEDIA_FIELDS) else "link" if link else form_of_text(text)
            log.messages.append(
                ChatMessage(at, person(m.get("from"), m.get("from_id")), form, text, ref, sender_name=m.get("from"))
            )
            tally.read[f"{form} messages"] += 1
            continue
        log.messages.append(ChatMessage(at, None, "service", "", ref))
        tally.read["service lines"] += 1
        action, actor = m.get("action"), person(m.get("actor"), m.get("actor_id"))
        listed = [person(name) for name in m.get("members") or [] if name]
        if action in ("create_group", "migrate_from_group") and log.created_at is None:
            log.created_at, log.creator = at, actor
            log.events += [MemberEvent(at, who, "join") for who in dict.fromkeys([actor, *listed])]
        elif action in ("join_group_by_link", "join_group_by_request"):
            log.events.append(MemberEvent(at, actor, "join"))
        elif action == "invite_members":
            log.events += [MemberEvent(at, who, "join") for who in listed]
        elif action == "remove_members":
            log.events += [MemberEvent(at, who, "leave" if who == actor else "removed") for who in listed]
    count_events([log], tally)
    return log
