"""What a chat export says, in one shape, and how it becomes the contract's tables.

The Telegram and WhatsApp adapters read their files into ``ChatLog``s: messages (time,
sender as the export names them, form, text) and membership events (joined, left,
removed). ``build_tables`` turns logs into groups, memberships and messages with every
identity replaced by a keyed hash (``privacy``), text dropped (its length kept), kinds
from the analyst's rules and operator roles from their settings.

Stays come from the events, in time order per person: a join opens a stay, a leave or
removal closes it. Someone seen (a message, a leave) without an earlier join was already
a member when the export begins, so their stay starts at the group's start: its
creation if the export shows it, else the export's first record (left-truncated; said in
the tally), and ``observed_from`` marks the join as unknown, so survival leaves the stay
out. A message from someone whose stay has closed opens a new stay at that message.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from helpers.data.schema import CHANNELS, GROUPS, MESSAGE_KINDS, OPERATOR_ROLES, ROLES
from helpers.data.settings import problems
from helpers.ingest.identity import person_key
from helpers.ingest.privacy import Pseudonyms

URL = re.compile(r"https?://|www\.", re.IGNORECASE)


UNKNOWN = "unknown"


class ExportError(Exception):
    """A file that cannot be read as the export it claims to be; says where and what."""

    def __init__(self, file: str, where: str, problem: str):
        super().__init__(f"{file}: {where}: {problem}" if where else f"{file}: {problem}")


@dataclass
class ChatMessage:
    """One message of an export: when, who (as the export names them; None for service lines), what form."""

    at: pd.Timestamp
    sender: str | None
    form: str  # text | media | link | service
    text: str
    ref: str  # where it stands in the file, e.g. 'message id 512' or 'line 88'
    sender_name: str | None = None


@dataclass
class MemberEvent:
    """A person joined, left or was removed at a time (from a service line)."""

    at: pd.Timestamp
    person: str
    action: str  # join | leave | removed


@dataclass
class ChatLog:
    """One group's export: its identity, creation (if shown), messages and membership events."""

    platform: str
    chat_key: str  # the platform's chat id, or the chat's name when there is none
    title: str  # for matching settings only; never written
    messages: list[ChatMessage] = field(default_factory=list)
    events: list[MemberEvent] = field(default_factory=list)
    created_at: pd.Timestamp | None = None
    creator: str | None = None
    own_export: bool = False  # an export of this group alone (or an archived channel): it is seen to its last record


@dataclass
class Tally:
    """What was read, what was skipped and why, with counts: the adapter's account of a file."""

    read: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    unrecognised: Counter = field(default_factory=Counter)  # masked shapes of lines no phrasing matched

    def format(self) -> str:
        """The tally as lines for the terminal."""
        lines = ["read:"] + [f"  {name:<40} {n:>10,}" for name, n in self.read.items()]
        if self.skipped:
            lines += ["skipped:"] + [f"  {why:<40} {n:>10,}" for why, n in self.skipped.most_common()]
        lines += [f"note: {note}" for note in self.notes]
        if self.unrecognised:
            lines += [
                "system-like lines no known phrasing matched (kept as service lines, not talk; names and numbers "
                "masked) - if one is a join or leave, please report its phrasing:"
            ] + [f"  {n:>6,} x {shape}" for shape, n in self.unrecognised.most_common(20)]
        return "\n".join(lines)


@dataclass(frozen=True)
class KindRule:
    """Messages whose text matches ``pattern`` (from senders with one of ``roles``) are of ``kind``."""

    kind: str
    pattern: re.Pattern
    roles: tuple[str, ...]


def known_zone(name: object) -> bool:
    """Whether ``name`` is an IANA time zone (Asia/Shanghai, UTC) this machine knows."""
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class KindRuleShape(BaseModel):
    """One entry of ``kinds``: a message kind, the pattern that picks it, and the roles it applies to."""

    model_config = ConfigDict(extra="forbid", strict=True)
    kind: str
    pattern: str
    roles: list[str] | None = None


class SettingsShape(BaseModel):
    """The shape of an ingest settings file (what ``Settings.from_dict`` reads); values are checked there."""

    model_config = ConfigDict(extra="forbid", strict=True)
    channel: str = "other"
    city: str = UNKNOWN
    segment: str = UNKNOWN
    target_size: int | None = Field(None, ge=1)
    operators: dict[str, list[str | int]] = Field(default_factory=dict)
    kinds: list[KindRuleShape] = Field(default_factory=list)
    groups: dict[str, dict[str, str | int | None]] = Field(default_factory=dict)


@dataclass
class Settings:
    """The analyst's knowledge an export lacks: group attributes, operators, how to classify messages."""

    channel: str = "other"
    city: str = UNKNOWN
    segment: str = UNKNOWN
    target_size: int | None = None
    operators: dict[str, str] = field(default_factory=dict)  # identity, name or phone -> role
    kind_rules: list[KindRule] = field(default_factory=list)
    groups: dict[str, dict] = field(default_factory=dict)  # chat title or id -> attribute overrides

    @classmethod
    def from_dict(cls, config: dict, source: str = "settings") -> Settings:
        """Settings from a parsed YAML document; unknown keys and bad values are errors naming them."""
        if not isinstance(config, dict):
            raise ValueError(
                f"{source}: settings are a mapping (channel: ..., operators: ...), not {type(config).__name__}"
            )
        known = {"channel", "city", "segment", "target_size", "operators", "kinds", "groups"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"{source}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        try:
            SettingsShape.model_validate(config)
        except ValidationError as err:
            raise ValueError("\n  ".join(problems(err, source))) from None
        operators = {}
        for role, people in (config.get("operators") or {}).items():
            if role not in OPERATOR_ROLES:
                raise ValueError(f"{source}: operators: role {role!r} is not one of {', '.join(OPERATOR_ROLES)}")
            for person in people or []:
                operators[person_key(str(person))] = role
        rules = []
        for k, rule in enumerate(config.get("kinds") or [], 1):
            if rule.get("kind") not in MESSAGE_KINDS:
                raise ValueError(
                    f"{source}: kinds rule {k}: kind {rule.get('kind')!r} is not one of {', '.join(MESSAGE_KINDS)}"
                )
            try:
                pattern = re.compile(str(rule["pattern"]), re.IGNORECASE)
            except (KeyError, re.error) as err:
                raise ValueError(
                    f"{source}: kinds rule {k}: pattern missing or not a regular expression ({err})"
                ) from None
            roles = tuple(rule.get("roles") or ROLES)
            rules.append(KindRule(rule["kind"], pattern, roles))
        settings = cls(
            channel=config.get("channel", "other"),
            city=config.get("city", UNKNOWN),
            segment=config.get("segment", UNKNOWN),
            target_size=config.get("target_size"),
            operators=operators,
            kind_rules=rules,
            groups=config.get("groups") or {},
        )
        for attributes in [vars(settings), *settings.groups.values()]:
            if attributes.get("channel", "other") not in CHANNELS:
                raise ValueError(f"{source}: channel {attributes['channel']!r} is not one of {', '.join(CHANNELS)}")
        return settings

    def attributes(self, log: ChatLog) -> dict:
        """Channel, city, segment and target size of one chat (per-group overrides by title or chat id)."""
        base = {"channel": self.channel, "city": self.city, "segment": self.segment, "target_size": self.target_size}
        return {**base, **self.groups.get(log.title, {}), **self.groups.get(log.chat_key, {})}

    def kind_of(self, text: str, role: str, form: str) -> str:
        """The first rule matching the text wins; service lines are 'system', everything else 'chat'."""
        if form == "service":
            return "system"
        for rule in self.kind_rules:
            if role in rule.roles and rule.pattern.search(text):
                return rule.kind
        return "chat"


EVENT_COUNTS = {"join": "joins", "leave": "leaves", "removed": "removals"}
"""The tally's name for each membership event."""


def count_events(logs: list[ChatLog], tally: Tally, names: dict[str, str] = EVENT_COUNTS) -> None:
    """Add the logs' joins, leaves and removals to the tally (under ``names``)."""
    for log in logs:
        for event in log.events:
            tally.read[names[event.action]] += 1


def read_text(path: Path, what: str) -> str:
    """A file's text (UTF-8, with or without a byte-order mark), or an ExportError naming the line of a bad byte."""
    data = path.read_bytes()
    if not data.strip():
        raise ExportError(path.name, "", "file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ExportError(path.name, f"line {line}", f"not UTF-8 text; not {what}") from None


def form_of_text(text: str) -> str:
    """'link' if the text holds a URL, else 'text'."""
    return "link" if URL.search(text) else "text"


def stays_from_log(
    log: ChatLog, start: pd.Timestamp, tally: Tally
) -> list[tuple[str, pd.Timestamp, pd.Timestamp | None, str | None, pd.Timestamp | None]]:
    """(person, joined, left, reason, observed_from) for every stay, from events and messages in time order.

    A stay begun before the export (no join seen) has ``observed_from`` equal to its
    ``joined``, the export's start: the contract's mark of a join that is not known.
    """
    happenings = [(e.at, 0 if e.action == "join" else 2, e.person, e.action) for e in log.events]
    happenings += [(m.at, 1, m.sender, "message") for m in log.messages if m.sender is not None]
    happenings.sort(key=lambda h: (h[0], h[1]))
    open_since: dict[str, pd.Timestamp] = {}
    before_export: set[str] = set()  # open stays whose join the export does not show
    seen: set[str] = set()
    stays = []
    for at, _, person, action in happenings:
        if action == "join":
            if person not in open_since:
                open_since[person] = at
            else:
                tally.skipped["join of someone already a member"] += 1
        elif action in ("leave", "removed"):
            if person not in open_since:
                if person in seen:
                    tally.skipped["leave of someone not a member"] += 1
                    continue
                open_since[person] = start
                before_export.add(person)
                tally.read["stays begun before the export"] += 1
            unseen = start if person in before_export else None
            before_export.discard(person)
            stays.append((person, open_since.pop(person), at, "quit" if action == "leave" else "removed", unseen))
        elif person not in open_since:
            if person in seen:
                tally.read["stays reopened by a message after leaving"] += 1
                open_since[person] = at
            else:
                open_since[person] = start
                before_export.add(person)
                tally.read["stays begun before the export"] += 1
        seen.add(person)
    stays += [(p, since, None, None, start if p in before_export else None) for p, since in open_since.items()]
    return stays


def one_form(log: ChatLog) -> None:
    """Write every person in the log in their one form, so a sender and her join line name one member."""
    for message in log.messages:
        if message.sender is not None:
            message.sender = person_key(message.sender)
        if message.sender_name:
            message.sender_name = person_key(message.sender_name)
    for event in log.events:
        event.person = person_key(event.person)
    log.creator = person_key(log.creator) if log.creator else log.creator


def _group_row(log: ChatLog, group_id: str, data_last: pd.Timestamp, settings: Settings, tally: Tally) -> tuple:
    """The log's group as a contract row, and when the data begins to see its members (None: an empty log).

    An export can begin with the group's creation line long before its history does
    (WhatsApp writes 'X created group' at the top even when the exporter joined years
    later): members whose join the export does not show are present from its first other
    record, not from the creation. A group exported on its own whose export ends before
    the others' is not seen after its last record (``observed_until``).
    """
    times = [m.at for m in log.messages] + [e.at for e in log.events]
    if not times:
        tally.skipped["chats with no messages or events"] += 1
        return None, None
    start = min([log.created_at] if log.created_at is not None else times)
    if log.created_at is None:
        tally.read["chats whose creation is not in the export"] += 1
    seen_from = min([t for t in times if t != log.created_at] or [start])
    until = max(times) if log.own_export and max(times) < data_last else None
    if until is not None:
        tally.read["groups seen only until their own export ends"] += 1
    row = {"group_id": group_id, "created_at": start, **settings.attributes(log), "platform": log.platform}
    return {**row, "observed_until": until}, seen_from


def build_tables(
    logs: list[ChatLog], pseudonyms: Pseudonyms, settings: Settings, tally: Tally, keep_text: bool = False
) -> dict[str, pd.DataFrame]:
    """The contract's groups, memberships and messages (and, only if asked, message text) from chat logs."""
    groups, stays, messages, texts, sources = [], [], [], [], []
    data_last = max(
        (t for log in logs for t in [*(m.at for m in log.messages), *(e.at for e in log.events)]), default=None
    )
    for log in logs:
        one_form(log)
        group_id = pseudonyms.group(f"{log.platform}:{log.chat_key}")
        group, seen_from = _group_row(log, group_id, data_last, settings, tally)
        if group is None:
            continue
        groups.append(group)
        names = {m.sender: m.sender_name for m in log.messages if m.sender_name}

        def role_of(person: str, log: ChatLog = log, names: dict = names) -> str:
            if person == log.creator:
                return settings.operators.get(person, "owner")
            return settings.operators.get(person) or settings.operators.get(names.get(person, ""), "member")

        for person, joined, left, reason, unseen in stays_from_log(log, seen_from, tally):
            stays.append(
                {
                    "group_id": group_id,
                    "member_id": pseudonyms.member(person),
                    "joined_at": joined,
                    "left_at": left,
                    "role": role_of(person),
                    "leave_reason": reason,
                    "observed_from": unseen,
                }
            )
        for message in log.messages:
            role = role_of(message.sender) if message.sender is not None else "member"
            message_id = pseudonyms.message(group_id, message.ref)
            messages.append(
                {
                    "message_id": message_id,
                    "group_id": group_id,
                    "member_id": None if message.sender is None else pseudonyms.member(message.sender),
                    "sent_at": message.at,
                    "kind": settings.kind_of(message.text, role, message.form),
                    "text_length": len(message.text),
                    "form": message.form,
                }
            )
            sources.append(message.ref)
            if keep_text:
                texts.append({"message_id": message_id, "text": message.text})
        tally.read["groups"] += 1
    tables = _frames(groups, stays, messages, texts if keep_text else None)
    tables["row_sources"] = {"messages.parquet": sources}  # where each message stands in its export
    _account(tables, tally)
    return tables


def _frames(groups: list, stays: list, messages: list, texts: list | None) -> dict[str, pd.DataFrame]:
    """The rows as the contract's tables, times in UTC (and the private text table when ``texts`` is given)."""
    tables = {
        "groups": pd.DataFrame(groups, columns=GROUPS.column_names).astype({"target_size": "Int64"}),
        "memberships": pd.DataFrame(
            stays, columns=["group_id", "member_id", "joined_at", "left_at", "role", "leave_reason", "observed_from"]
        ),
        "messages": pd.DataFrame(
            messages, columns=["message_id", "group_id", "member_id", "sent_at", "kind", "text_length", "form"]
        ),
    }
    for name, column in (
        ("memberships", "joined_at"),
        ("memberships", "left_at"),
        ("memberships", "observed_from"),
        ("messages", "sent_at"),
        ("groups", "created_at"),
        ("groups", "observed_until"),
    ):
        tables[name][column] = pd.to_datetime(tables[name][column], utc=True)
    if texts is not None:
        tables["private_text"] = pd.DataFrame(texts, columns=["message_id", "text"])
    return tables


def _account(tables: dict, tally: Tally) -> None:
    """The tally's notes on left-truncated stays and its counts of members, stays and messages written."""
    if tally.read["chats whose creation is not in the export"]:
        tally.notes.append(
            "where a chat's creation is not in its export, its start is its first record, and "
            "members present then have stays that began earlier than shown (left-truncated)"
        )
    if tally.read["stays begun before the export"]:
        tally.notes.append(
            "stays begun before the export have no known join (observed_from = joined_at): survival, median "
            "membership and N-day retention leave them out; headcounts and activity count them"
        )
    tally.read["members"] = tables["memberships"][["group_id", "member_id"]].drop_duplicates().shape[0]
    tally.read["stays"] = len(tables["memberships"])
    tally.read["messages kept"] = len(tables["messages"])
