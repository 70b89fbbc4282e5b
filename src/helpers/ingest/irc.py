"""IRC channel logs (plain text, one file per day or per excerpt) read into chat logs.

Lines the common loggers write (irssi, the Ubuntu logs, ``-!-`` / ``***`` styles)::

    [12:18] <alice> text                                    a message
    [12:18]  * alice waves                                  an action (/me): a message
    [12:19] === bob [~bob@host]  has joined #ubuntu         joins, parts and quits
    [12:20] === bob [~bob@host]  has left #ubuntu [bye]
    [12:21] === bob is now known as bobby                   a nick change: the same person
    [12:22] === bobby was kicked by op (spam)               a removal
    rust 2018-05-29 [21:20:37] <carol> text                 channel and date on every line

Where lines carry no date it comes from the file's name (``…2004-11-15…``); a time
earlier than the line before it is the next day. The channel is the one joins name
(``#ubuntu``, case ignored), the one written on each line, or ``group_name``. A quit
leaves every channel, so it ends the stay like a part. Each file is a window of the log:
a person seen talking without a join in that window was already there (a stay begun
before the log, said in the tally). Lines of no known form are counted, never taken for talk.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.ingest.chatlog import ChatLog, ChatMessage, ExportError, MemberEvent, Tally, count_events, form_of_text

LINE = re.compile(
    r"^(?:(?P<chan>[#&]?[\w.-]+) (?P<date>\d{4}-\d{2}-\d{2}) )?(?:\[(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\]\s?|(?==== ))"
    r"(?P<rest>.*)$"
)
"""A timed line; a dated join or part line may lack its time (it then takes the time of the line before)."""
SAY = re.compile(r"^<[@+%&~]?(?P<nick>[^>\s]+)>\s?(?P<text>.*)$")
ACTION = re.compile(r"^\s*\*\s+(?P<nick>\S+)(?:\s(?P<text>.*))?$")
EVENT = r"^(?:===|-!-|\*\*\*)\s+(?P<nick>.+?)(?:\s+\[[^\]]*@[^\]]*\]|\s+\([^)]*@[^)]*\))?\s+has\s+"
JOIN = re.compile(EVENT + r"joined\s+(?P<chan>[#&]\S+)")
PART = re.compile(EVENT + r"(?:left|parted)(?:\s+(?P<chan>[#&]\S+))?")
QUIT = re.compile(EVENT + r"quit")
KICK = re.compile(r"^(?:===|-!-|\*\*\*)\s+(?P<nick>.+?) was kicked (?:from [#&]\S+ )?by ")
NICK = re.compile(r"^(?:===|-!-|\*\*\*)\s+(?P<old>.+?) is now known as (?P<new>.+?)\s*$")
NOTICE = re.compile(r"^(?:===|-!-|\*\*\*)\s")
FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _read_lines(path: Path) -> list[str]:
    """The file's lines (UTF-8, or Latin-1 as old IRC logs often are)."""
    data = path.read_bytes()
    if not data.strip():
        raise ExportError(path.name, "", "file is empty")
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        return data.decode("latin-1").splitlines()


def _channel(name: str) -> str:
    """'#ubuntu' for 'ubuntu', '#Ubuntu' and '#ubuntu' (channel names ignore case)."""
    return "#" + name.lstrip("#&").lower()


def _file_day(path: Path) -> pd.Timestamp | None:
    """The date written in the file's name, if any."""
    found = FILE_DATE.search(path.name)
    return pd.Timestamp(found.group(1)) if found else None


def read_irc(
    paths: list[Path], tally: Tally, timezone: str | None = None, group_name: str | None = None
) -> list[ChatLog]:
    """IRC log files (one channel or several); one chat log per channel."""
    logs: dict[str, ChatLog] = {}
    nicks: dict[str, dict[str, str]] = {}  # channel -> new nick -> the person
    files = {Path(p): _parse(Path(p)) for p in sorted(paths)}
    named = {channel for _, _, channels in files.values() for channel in channels}
    for path, (lines, parsed, channels) in files.items():
        # a day without a join names no channel: it is the folder's, if the folder names one
        fallback = next(iter(named)) if len(named) == 1 else None
        name = group_name or (next(iter(channels)) if len(channels) == 1 else None if channels else fallback)
        if name is None:
            why = (
                f"it names several channels ({', '.join(sorted(channels))})"
                if channels
                else "no line names its channel"
            )
            raise ExportError(path.name, "", f"{why}: give the channel with --group-name")
        _read_file(path, lines, parsed, name, tally, timezone, logs, nicks)
    count_events(list(logs.values()), tally, {"join": "joins", "leave": "parts and quits", "removed": "kicks"})
    if timezone is None:
        tally.notes.append("IRC times were read as UTC (most loggers write UTC); give --timezone if yours did not")
    tally.read["files"] = len(paths)
    for log in logs.values():
        log.own_export = True  # a channel's logs end where its logging stopped
    return list(logs.values())


def _parse(path: Path) -> tuple[list[str], list, set[str]]:
    """A file's lines, each line's match (None for lines without a time) and the channels it names."""
    lines = _read_lines(path)
    parsed = [(n, LINE.match(line)) for n, line in enumerate(lines, 1)]
    if not any(m for _, m in parsed):
        raise ExportError(path.name, "line 1", "not an IRC log: no line starts with a time such as '[12:18]'")
    channels = {_channel(m["chan"]) for _, m in parsed if m and (m["chan"] or "").strip()}
    channels |= {_channel(j["chan"]) for _, m in parsed if m and (j := JOIN.match(m["rest"]))}
    return lines, parsed, channels


def _read_file(
    path: Path, lines: list[str], parsed: list, name: str, tally: Tally, timezone: str | None, logs: dict, nicks: dict
) -> None:
    """One log file's lines into the chat log of its channel."""
    day = _file_day(path)
    log = logs.setdefault(name, ChatLog("irc", name, name))
    aliases = nicks.setdefault(name, {})  # a nick change holds in the channel's later files too
    previous: pd.Timestamp | None = None
    for n, match in parsed:
        if match is None:
            tally.skipped["lines without a time (not read)"] += bool(lines[n - 1].strip())
            continue
        date = pd.Timestamp(match["date"]) if match["date"] else day
        if date is None:
            raise ExportError(path.name, f"line {n}", "no date on the line or in the file's name (e.g. 2004-11-15)")
        if match["time"] is None:  # '=== bob has joined' without a time: the time of the line before
            at = previous if previous is not None and (match["date"] is None or previous.normalize() == date) else date
        else:
            at = date + pd.Timedelta(match["time"] + (":00" if match["time"].count(":") == 1 else ""))
        if previous is not None and not match["date"] and at < previous:
            at += pd.Timedelta(days=1)  # past midnight
            day = date + pd.Timedelta(days=1)
        previous = at
        at = at.tz_localize(timezone or "UTC", ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
        _line(match["rest"], at, f"{path.name} line {n}", log, aliases, tally)


def _line(rest: str, at: pd.Timestamp, ref: str, log: ChatLog, aliases: dict, tally: Tally) -> None:
    """One timed line: a message, an action, a join, part or quit, a nick change, or another notice."""

    def who(nick: str) -> str:
        return aliases.get(nick, nick)

    if said := SAY.match(rest) or ACTION.match(rest):
        text = said["text"] or ""
        form = form_of_text(text)
        log.messages.append(ChatMessage(at, who(said["nick"]), form, text, ref, sender_name=said["nick"]))
        tally.read[f"{form} messages"] += 1
    elif joined := JOIN.match(rest):
        log.events.append(MemberEvent(at, who(joined["nick"]), "join"))
    elif left := PART.match(rest) or QUIT.match(rest):
        log.events.append(MemberEvent(at, who(left["nick"]), "leave"))
    elif kicked := KICK.match(rest):
        log.events.append(MemberEvent(at, who(kicked["nick"]), "removed"))
    elif renamed := NICK.match(rest):
        aliases[renamed["new"]] = who(renamed["old"])
        tally.read["nick changes (the same person)"] += 1
    elif NOTICE.match(rest):
        tally.read["other notices (topic, modes)"] += 1
    else:
        tally.skipped["timed lines of no known form (not talk)"] += 1
