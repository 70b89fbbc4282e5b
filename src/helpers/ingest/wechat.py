"""WeChat group chats as the common export tools write them (CSV: MemoTrace / WeChatMsg) read into chat logs.

MemoTrace (留痕, formerly WeChatMsg) writes one ``<group>_utf8.csv`` per chat, UTF-8 with a
byte-order mark, with the columns ``localId, TalkerId, Type, SubType, IsSender,
CreateTime, Status, StrContent, StrTime, Remark, NickName, Sender``: ``CreateTime`` is a
Unix time (UTC), ``StrTime`` the same instant as local wall time, ``Sender`` the member's
wxid, ``IsSender`` 1 on the exporter's own messages. ``Type`` 10000 (and 10002) are
system lines, written in the phone's language::

    "张三"邀请"李四、王五"加入了群聊                 an invitation: each invitee joins
    "李四"通过扫描"张三"分享的二维码加入群聊          a join by QR code
    你将"李四"移出了群聊 / "李四"被"张三"移出群聊      a removal
    "李四"退出了群聊                                 a leave (shown to owners only)
    "张三" invited "李四" to the group chat         the English interface's forms

"你" / "You" is the exporter. System lines name people by display name, so a name is
matched to the one wxid seen with it (as nickname or remark); a name never seen speaking is
used as it is and counted. System lines of no known phrasing are counted, masked, and
never taken for talk. WeChat tells members nothing when someone leaves, so a member's
export records few exits: the tally says so, and the studies refuse to invent churn.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

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
from helpers.ingest.whatsapp_lines import masked

COLUMNS = ("Type", "StrContent", "IsSender", "NickName", "Sender")
SYSTEM_TYPES = {10000, 10002}
APP_LINK_SUBTYPES = {4, 5, 33, 36}  # shared links and mini programs
APP_TEXT_SUBTYPES = {57}  # a quoted reply: the member's own words

Q = "[\"“”'‘’「」]"
NAME = rf"{Q}?(?P<{{}}>[^\"“”「」]+?){Q}?"
YOU = ("你", "You", "you")
JOINS = [
    re.compile(rf"^{NAME.format('actor')}邀请{NAME.format('people')}加入了群聊"),
    re.compile(rf"^{NAME.format('people')}通过扫描{NAME.format('actor')}分享的二维码加入群聊"),
    re.compile(rf"^{NAME.format('people')}通过.*?加入了?群聊"),
    re.compile(rf"^{NAME.format('people')}加入了群聊"),
    re.compile(rf"^{NAME.format('actor')} invited {NAME.format('people')} to (?:the|join the) group chat", re.I),
    re.compile(rf"^{NAME.format('people')} joined the group chat", re.I),
]
REMOVALS = [
    re.compile(rf"^{NAME.format('actor')}将{NAME.format('people')}移出了?群聊"),
    re.compile(rf"^你被{NAME.format('actor')}移出群聊"),
    re.compile(rf"^{NAME.format('people')}被{NAME.format('actor')}移出了?群聊"),
    re.compile(rf"^{NAME.format('actor')} removed {NAME.format('people')} from the group chat", re.I),
]
LEAVES = [
    re.compile(rf"^{NAME.format('people')}(?:已)?退出了?群聊"),
    re.compile(rf"^{NAME.format('people')} (?:has )?(?:left|quit) the group chat", re.I),
]
DELETED = re.compile(r"撤回了一条消息|recalled a message", re.I)
OTHER_NOTICES = re.compile(
    r"拍了拍|修改群名为|群公告|成为新群主|群主|群聊名称|红包|与群里其他人都不是|不是朋友关系|以上是打招呼|"
    r"现在可以开始聊天|开启了|关闭了|群管理员|修改了群|tickled|patted|changed the group name|red packet|"
    r"group owner|group admin",
    re.I,
)


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The CSV's header and rows (UTF-8, with or without a byte-order mark)."""
    text = read_text(path, "a WeChat CSV export (export the chat as CSV, UTF-8)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header, *rows = list(reader)
    except csv.Error as err:
        raise ExportError(path.name, f"line {reader.line_num}", f"not a CSV file ({err})") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing or not ({"CreateTime", "StrTime"} & set(header)):
        need = ", ".join(missing + ([] if {"CreateTime", "StrTime"} & set(header) else ["CreateTime or StrTime"]))
        raise ExportError(
            path.name,
            "line 1",
            f"not a WeChat chat export (MemoTrace CSV): no column {need} (found {', '.join(header[:12])})",
        )
    return header, rows


def _names(people: str) -> list[str]:
    """'李四、王五' and '"李四"、"王五"' -> ['李四', '王五']."""
    return [p.strip().strip("\"“”'‘’「」 ") for p in re.split(r"[、，,]|\s+and\s+|和", people) if p.strip()]


def system_event(text: str) -> tuple[str, str | None, list[str]] | None:
    """(action, actor, people) of a membership line; ('deleted' | 'notice', None, []) of another; None if unknown."""
    text = text.replace("\u200e", "").strip()
    for action, patterns in (("removed", REMOVALS), ("join", JOINS), ("leave", LEAVES)):
        for pattern in patterns:
            if found := pattern.match(text):
                groups = found.groupdict()
                people = _names(groups["people"]) if groups.get("people") else ["你"]
                return action, groups.get("actor"), people
    if DELETED.search(text) or "revokemsg" in text:
        return "deleted", None, []
    if text.startswith("<"):  # Type 10002: an XML system message (pats, group notes, ...)
        return "notice", None, []
    if OTHER_NOTICES.search(text):
        return "notice", None, []
    return None


def _form(kind: int, subtype: int, text: str) -> str:
    """text | link | media for an ordinary message of WeChat type ``kind``."""
    if kind == 1:
        return form_of_text(text)
    if kind == 49:
        return "link" if subtype in APP_LINK_SUBTYPES else "text" if subtype in APP_TEXT_SUBTYPES else "media"
    return "media"


def _int(value: str, file: str, line: int, column: str) -> int:
    """A whole number from a cell, or an error naming the cell."""
    try:
        return int(float(value or 0))
    except ValueError:
        raise ExportError(file, f"line {line}, column {column}", f"{value[:20]!r} is not a number") from None


def read_wechat(
    paths: list[Path], tally: Tally, timezone: str | None = None, group_name: str | None = None
) -> list[ChatLog]:
    """MemoTrace CSV exports (one file per group chat); one chat log per file."""
    if group_name and len(paths) > 1:
        raise ExportError(paths[0].parent.name, "", "--group-name names one group; give one file with it")
    logs = [_read_file(Path(p), tally, timezone, group_name) for p in sorted(paths)]
    for log in logs:
        log.own_export = True  # one chat per file: several files may end at different times
    count_events(logs, tally)
    if not tally.read["leaves"]:
        tally.notes.append(
            "WeChat shows leaves to the group's owner only: an export from a member's phone records few exits"
        )
    if timezone is None and tally.read["times from local wall time"]:
        tally.notes.append("times without CreateTime were read as Asia/Shanghai; give --timezone if not")
    tally.read["files"] = len(paths)
    return logs


def _read_file(path: Path, tally: Tally, timezone: str | None, group_name: str | None) -> ChatLog:
    """One chat's CSV into a chat log."""
    header, rows = _rows(path)
    col = {name: k for k, name in enumerate(header)}
    title = group_name or re.sub(r"_utf8$", "", path.stem)
    log = ChatLog("wechat", title, title)
    ids: dict[str, set[str]] = defaultdict(set)
    exporter = None
    for row in rows:
        if len(row) == len(header) and row[col["Sender"]]:
            for column in ("NickName", "Remark"):
                if column in col and row[col[column]]:
                    ids[row[col[column]]].add(row[col["Sender"]])
            if row[col["IsSender"]] == "1":
                exporter = row[col["Sender"]]
    by_name = {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}

    def person(name: str | None) -> str:
        if name is None or name.strip() in YOU:
            if exporter is None:
                tally.read["people known by display name only"] += 1
                return "name:you"
            return exporter
        if name in by_name:
            return by_name[name]
        tally.read["people known by display name only"] += 1
        return f"name:{name}"

    for line, row in enumerate(rows, 2):
        if not any(row):
            continue
        if len(row) != len(header):
            raise ExportError(path.name, f"line {line}", f"{len(row)} fields where the header has {len(header)}")
        at = _time(row, col, path.name, line, timezone, tally)
        kind = _int(row[col["Type"]], path.name, line, "Type")
        subtype = _int(row[col["SubType"]], path.name, line, "SubType") if "SubType" in col else 0
        text = row[col["StrContent"]]
        ref = f"{path.name} line {line}"
        if kind in SYSTEM_TYPES:
            log.messages.append(ChatMessage(at, None, "service", "", ref))
            tally.read["service lines"] += 1
            found = system_event(text)
            if found is None:
                tally.unrecognised[masked(text, set(ids))] += 1
            elif found[0] == "deleted":
                tally.read["deleted messages (service lines)"] += 1
            elif found[0] != "notice":
                action, _, people = found
                log.events += [MemberEvent(at, person(who), action) for who in people]
            continue
        sender = row[col["Sender"]] or None
        if sender is None:
            tally.skipped["messages without a sender"] += 1
            continue
        form = _form(kind, subtype, text)
        name = row[col["NickName"]] or None
        log.messages.append(ChatMessage(at, sender, form, text if kind in (1, 49) else "", ref, sender_name=name))
        tally.read[f"{form} messages"] += 1
    if not log.messages:
        raise ExportError(path.name, "", "holds no messages")
    return log


def _time(
    row: list[str], col: dict[str, int], file: str, line: int, timezone: str | None, tally: Tally
) -> pd.Timestamp:
    """The row's instant in UTC: CreateTime (Unix seconds), else StrTime in ``timezone`` (Asia/Shanghai)."""
    if "CreateTime" in col and row[col["CreateTime"]].strip():
        seconds = _int(row[col["CreateTime"]], file, line, "CreateTime")
        if seconds > 10**11:  # milliseconds
            seconds //= 1000
        return pd.Timestamp(seconds, unit="s", tz="UTC")
    value = row[col["StrTime"]] if "StrTime" in col else ""
    try:
        wall = pd.Timestamp(value)
    except ValueError:
        wall = pd.NaT
    if pd.isna(wall):
        raise ExportError(file, f"line {line}, column StrTime", f"{value[:25]!r} is not a time (2023-05-01 12:00:00)")
    tally.read["times from local wall time"] += 1
    zone = timezone or "Asia/Shanghai"
    return wall.tz_localize(zone, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
