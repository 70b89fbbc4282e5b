"""WhatsApp exported chats (``.txt``, "Export chat" without media) read into chat logs.

Each message starts a line with its date and time, in the phone's locale:

    31/12/2023, 21:41 - Alice: text                 Android, day first, 24 h
    12/31/23, 9:41 PM - Alice: text                 Android, US
    [31/12/2023, 21:41:05] Alice: text              iPhone
    31.12.23, 21:41 - Alice: text                   German
    2023-12-31 21:41 - Alice: text                  ISO (Sweden and others)
    2023/12/31 下午9:41 - Alice: text               Chinese (上午 / 下午 = AM / PM)

Lines that do not start that way continue the message before them (multi-line
messages). Whether 01/02 is 1 February or 2 January is decided from the file (a first
field above 12 means day first, a second above 12 month first) or by ``date_order``.
System lines (``whatsapp_lines``: seven languages, Android and iPhone forms) give joins,
adds, removals, leaves and number changes; other system lines are kept as service
messages, and lines that look like system lines but match no known phrasing are counted
and shown (masked), never taken for talk. Times are the phone's local time: give
``timezone``. The group is named by ``title`` (``--group-name``), else by the file's
name ("WhatsApp Chat with NAME.txt") or its folder's ("WhatsApp Chat - NAME/_chat.txt"),
else by what the export says (the iPhone's notices are written in the group's name, the
creation line quotes its title); its id is a keyed hash of that name.
"""

from __future__ import annotations

import re
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
from helpers.ingest.identity import person_key
from helpers.ingest.whatsapp_lines import DELETED, MARKS, MEDIA, YOU, SystemLine, masked, system_line

SPACE = r"[ \u00a0\u202f]"


DATE = r"(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"


TIME = (
    rf"(?P<pre>上午|下午)?(?P<time>\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?)"
    rf"(?:{SPACE}?(?P<ampm>[AaPp]\.?{SPACE}?[Mm]\.?|上午|下午))?"
)


HEADER = re.compile(
    rf"^\[{DATE},?{SPACE}{TIME}\]{SPACE}(?P<rest>.*)$|^{DATE.replace('date', 'date2')},?{SPACE}"
    rf"{TIME.replace('pre', 'pre2').replace('time', 'time2').replace('ampm', 'ampm2')}"
    rf"{SPACE}[-–]{SPACE}(?P<rest2>.*)$"
)


LRM = "\u200e"
"""The left-to-right mark an iPhone puts before system lines (phone numbers come inside U+202A ... U+202C)."""


QUOTES = re.compile('["“„«]')
"""A quote: only a line with one can be a creation line whose quoted title holds ': ' (talk is not matched)."""


EDITED = re.compile(r"\s*<This message was edited>$")


def _lines(path: Path) -> list[str]:
    """The file's lines, or an ExportError if it is not UTF-8 text."""
    return read_text(path, "a WhatsApp chat export").splitlines()


def _header(line: str) -> dict | None:
    """Date, time, AM/PM marker and the rest of a line that starts a message; None for a continuation."""
    match = HEADER.match(line.lstrip(MARKS))
    if match is None:
        return None
    g = match.groupdict()
    first = g["date"] is not None
    return {
        "date": g["date"] if first else g["date2"],
        "time": g["time"] if first else g["time2"],
        "ampm": (g["ampm"] or g["pre"]) if first else (g["ampm2"] or g["pre2"]),
        "rest": (g["rest"] if first else g["rest2"]).strip(MARKS),
        "marked": (g["rest"] if first else g["rest2"]).startswith(LRM),
    }


def _date_order(dates: list[tuple[str, int]], given: str | None, file: str) -> str:
    """'ymd', 'dmy' or 'mdy' for the file's dates (each with its line number)."""
    fields = [(re.split(r"[./-]", d), n) for d, n in dates]
    if all(len(f[0]) == 4 for f, _ in fields):
        return "ymd"
    day_first = next(((d, n) for (f, n), (d, _) in zip(fields, dates) if int(f[0]) > 12), None)
    month_first = next(((d, n) for (f, n), (d, _) in zip(fields, dates) if int(f[1]) > 12), None)
    if day_first and month_first:
        raise ExportError(
            file,
            f"line {month_first[1]}",
            f"date {month_first[0]!r} is month-first but line "
            f"{day_first[1]} ({day_first[0]!r}) is day-first: "
            "mixed date formats",
        )
    found = "dmy" if day_first else "mdy" if month_first else None
    if given and found and given != found:
        raise ExportError(
            file,
            f"line {(day_first or month_first)[1]}",
            f"date {(day_first or month_first)[0]!r} contradicts --date-order {given}",
        )
    if found or given:
        return found or given
    example = dates[0]
    raise ExportError(
        file,
        f"line {example[1]}",
        f"dates are ambiguous (day and month are 12 or less in every "
        f"line, e.g. {example[0]!r}): give --date-order dmy or mdy",
    )


BUDDHIST_ERA = 543
THAI_YEARS = (2500, 2700)
"""Years a phone set to the Thai (Buddhist) calendar writes: 2567 is 2024; converted by subtracting 543."""


def _instant(date: str, clock: str, ampm: str | None, order: str, file: str, line: int) -> pd.Timestamp:
    """A naive local timestamp from a header's date and time."""
    parts = [int(p) for p in re.split(r"[./-]", date)]
    year, month, day = {"ymd": parts, "dmy": parts[::-1], "mdy": [parts[2], parts[0], parts[1]]}[order]
    year += 2000 if year < 100 else 0
    year -= BUDDHIST_ERA if THAI_YEARS[0] <= year <= THAI_YEARS[1] else 0  # a phone set to the Thai calendar
    hms = [int(p) for p in re.split(r"[:.]", clock)] + [0]
    hour = hms[0]
    if ampm:
        pm = (
            ampm in ("下午",)
            or ampm.lower().replace(".", "").replace(" ", "").replace("\u202f", "").replace("\u00a0", "") == "pm"
        )
        if not 1 <= hour <= 12:
            raise ExportError(file, f"line {line}", f"time {clock} {ampm} is not a 12-hour time")
        hour = hour % 12 + (12 if pm else 0)
    try:
        return pd.Timestamp(year=year, month=month, day=day, hour=hour, minute=hms[1], second=hms[2])
    except ValueError as err:
        raise ExportError(file, f"line {line}", f"unknown date format: {date} {clock} ({err})") from None


EXPORT_NAMES = (
    re.compile(r"^WhatsApp Chat (?:with |- )(?P<name>.+)$"),
    re.compile(r"^与(?P<name>.+)的 ?WhatsApp ?聊天$"),
)
"""How the phone names an export after its group ("WhatsApp Chat with NAME.txt", "WhatsApp Chat - NAME/")."""


def _name_from_path(path: Path) -> str | None:
    """The group's name from the file's or its folder's name; None for the iPhone's fixed '_chat.txt'."""
    for stem in (path.stem, path.parent.name):
        found = next((m for pattern in EXPORT_NAMES if (m := pattern.match(stem))), None)
        if found:
            return found["name"].strip()
    return None if path.stem == "_chat" else path.stem


def read_whatsapp(
    path: Path,
    tally: Tally,
    timezone: str | None = None,
    date_order: str | None = None,
    you: str | None = None,
    title: str | None = None,
) -> list[ChatLog]:
    """One WhatsApp chat export; ``you`` is how the exporter appears on their own messages ('You' otherwise)."""
    path = Path(path)
    lines = _lines(path)
    headers = [(n, _header(line)) for n, line in enumerate(lines, 1)]
    first = next((n for n, line in enumerate(lines, 1) if line.strip(MARKS + " ")), None)
    if first is None or headers[first - 1][1] is None:
        shown = lines[first - 1][:60] if first else ""
        raise ExportError(
            path.name,
            f"line {first or 1}",
            f"not a WhatsApp chat export: {shown!r} does not start with a date and time such as '31/12/2023, 21:41 - '",
        )
    starts = [(n, h) for n, h in headers if h is not None]
    order = _date_order([(h["date"], n) for n, h in starts], date_order, path.name)
    if timezone is None:
        tally.notes.append(
            "times are the phone's local time and were read as UTC; give --timezone (e.g. "
            "Asia/Shanghai) to place them correctly"
        )
    log = ChatLog("whatsapp", "", "", own_export=True)  # one chat per file: files may end at different times
    aliases: dict[str, str] = {}  # a new phone number -> the person who changed to it
    unrecognised: list[str] = []
    named_by: list[str] = []  # who wrote the notices (iPhone: the group itself)
    titles: list[str] = []

    def who(person: str) -> str:
        person = person_key(person)
        person = aliases.get(person, person)
        return you if (you and person in YOU) else person

    entries: list[tuple[int, dict, list[str]]] = []
    for n, h in headers:
        if h is not None:
            entries.append((n, h, [h["rest"]]))
        elif entries:
            entries[-1][2].append(lines[n - 1])
            tally.read["continuation lines (multi-line messages)"] += 1
    for n, h, body in entries:
        local = _instant(h["date"], h["time"], h["ampm"], order, path.name, n)
        if local.year + BUDDHIST_ERA >= THAI_YEARS[0] and re.search(r"25[0-9]{2}|26[0-9]{2}", h["date"]):
            tally.read["dates in Thai Buddhist-calendar years (converted: year - 543)"] += 1
        at = local.tz_localize(timezone or "UTC", ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
        first_line = body[0]
        sender, colon, text = first_line.partition(": ")
        # iPhone from 2023 writes system lines as 'Name: <U+200E>left'; a creation line may quote a title with ': '
        content = text.strip(MARKS + " ")
        spoken = (
            bool(colon) and text.lstrip(" ").startswith(LRM) and not (MEDIA.match(content) or DELETED.match(content))
        )
        system = None
        if spoken:  # iPhone from 2023: 'Name: <U+200E>left'
            system = system_line(text, speaker=sender.strip())
            if system is not None and system.action == "notice":
                named_by.append(sender.strip())
        elif not colon or h["marked"] or QUOTES.search(first_line):  # a creation line may quote a title with ': '
            system = system_line(first_line)
            system = system if not colon or h["marked"] or (system and system.action == "create") else None
        if system is None and (spoken or not colon):
            unrecognised.append(text if spoken else first_line)
            tally.read["system-like lines not recognised (kept as service lines)"] += 1
        if system is not None or spoken or not colon:
            log.messages.append(ChatMessage(at, None, "service", "", f"line {n}"))
            if system is not None:
                _apply(system, at, log, who, aliases, titles, tally)
            continue
        text = EDITED.sub("", "\n".join([text, *body[1:]]))
        if MEDIA.match(re.sub(f"[{MARKS}]", "", text).strip()):
            form, text = "media", ""
        elif DELETED.match(text.strip(MARKS + " ")):
            form, text = "text", ""
            tally.read["deleted messages (kept, no text)"] += 1
        else:
            form = form_of_text(text)
        log.messages.append(
            ChatMessage(at, who(sender), form, text, f"line {n}", sender_name=sender.strip(MARKS + " "))
        )
        tally.read[f"{form} messages"] += 1
    count_events([log], tally)
    tally.read["lines"] = len(lines)
    people = {m.sender_name for m in log.messages if m.sender_name} | {e.person for e in log.events} | set(aliases)
    for line in unrecognised:
        tally.unrecognised[masked(line, people)] += 1
    name = title or _name_from_path(path) or next(iter(named_by), None) or next(iter(titles), None)
    if not name:
        raise ExportError(
            path.name,
            "",
            "the group's name is not in the file's name or in the export; give it with --group-name "
            "(it names the group's id, so two exports of the same group must be given the same name)",
        )
    log.chat_key = log.title = name
    return [log]


def _apply(system: SystemLine, at: pd.Timestamp, log: ChatLog, who, aliases: dict, titles: list, tally: Tally) -> None:
    """Record what a recognised system line says: creation, joins, adds, removals, leaves, number changes."""
    action = system.action
    tally.read["system lines" if action not in ("notice", "other") else "notices without membership meaning"] += 1
    if action == "create":
        log.created_at, log.creator = at, who(system.subject)
        log.events.append(MemberEvent(at, who(system.subject), "join"))
        if system.title:
            titles.append(system.title)
    elif action in ("join", "leave"):
        log.events.append(MemberEvent(at, who(system.subject), action))
    elif action in ("add", "remove"):
        kind = "join" if action == "add" else "removed"
        log.events += [MemberEvent(at, who(p), kind) for p in system.objects]
    elif action == "number":
        tally.read["phone number changes"] += 1
        if system.new:
            aliases[person_key(system.new)] = who(system.subject)
