"""Telegram Desktop HTML exports (``messages.html``, ``messages2.html``, …) read into one chat log.

Telegram Desktop writes a chat exported as HTML as pages of ``<div class="message …">``
blocks (the format of ``export_output_html.cpp``):

- ``message default``: talk; its ``date details`` div has the instant as a title
  (``14.02.2021 15:04:05 UTC+03:00``; older exports omit the offset: then ``timezone``),
  ``from_name`` the sender's display name (absent on a ``joined`` follow-up from the same
  sender), ``text`` the words (a link inside makes it a link), ``media_wrap`` a photo,
  file or sticker. A ``forwarded`` block's own ``from_name`` is the original author and
  is not the sender.
- ``message service``: a day separator (``14 February 2021``) or a service line, as
  text: "A created group «T» with members B, C", "A invited B and C", "A joined group by
  link from B", "A joined group by request", "A removed B" (a leave when A is B), "A
  converted …", pins, title and photo changes. Service lines carry no time: each takes the
  time of the last message before it (or the start of its day, if a day separator came
  between), and the tally counts them.

The HTML names people only by display name (the JSON export has ids: prefer it), so a
person is their name; two people with one name are one, and a renamed person is two.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from helpers.ingest.chatlog import ChatLog, ChatMessage, ExportError, MemberEvent, Tally, count_events, form_of_text

TITLE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+-]\d{2}):?(\d{2}))?$")
DAY = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$")
PAGE = re.compile(r"^messages(\d*)\.html$")
CREATED = re.compile(r"^(?P<actor>.+?) created group «(?P<title>.*)»(?: with members (?P<people>.+))?$")
INVITED = re.compile(r"^(?P<actor>.+?) invited (?P<people>.+?)(?P<call> to the voice chat)?$")
BY_LINK = re.compile(r"^(?P<actor>.+?) joined group by (?:link from .+|request)$")
REMOVED = re.compile(r"^(?P<actor>.+?) removed (?P<people>.+)$")
NOTICE = re.compile(
    r" (?:converted|pinned|changed group|removed group photo|started voice chat|scheduled a voice chat|"
    r"has set messages|changed chat theme|disabled chat theme|created topic|changed topic|boosted the group)|"
    r" from the poll\.$"
)


class _Page(HTMLParser):
    """Collects each message block of a page: id, classes, time title, sender, text, media, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict] = []
        self.stack: list[tuple[str, str]] = []  # (tag, what it is) for open tags
        self.block: dict | None = None
        self.field: str | None = None
        self.forwarded = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a block, a field of one, or a nested tag."""
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        role = ""
        if tag == "div" and "message" in classes and self.block is None:
            self.block = {"id": a.get("id", ""), "classes": classes, "title": None, "from": None}
            self.block.update(text="", body="", media=False, link=False)
            role = "block"
        elif self.block is not None and tag == "div":
            if "forwarded" in classes:
                self.forwarded += 1
                role = "forwarded"
            elif "date" in classes and "details" in classes and self.block["title"] is None and not self.forwarded:
                self.block["title"] = a.get("title")
            elif "from_name" in classes and not self.forwarded and self.block["from"] is None:
                self.field, role = "from", "field"
            elif "text" in classes and not self.forwarded:
                self.field, role = "text", "field"
            elif "body" in classes and "details" in classes:
                self.field, role = "body", "field"
            elif "media_wrap" in classes:
                self.block["media"] = True
        elif self.block is not None and tag == "a" and self.field == "text" and a.get("href", "").startswith("http"):
            self.block["link"] = True
        if tag not in ("br", "img", "meta", "link", "input", "hr"):
            self.stack.append((tag, role))

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost open tag (and the field or block it opened)."""
        while self.stack:
            opened, role = self.stack.pop()
            if role == "field":
                self.field = None
            elif role == "forwarded":
                self.forwarded -= 1
            elif role == "block" and self.block is not None:
                self.blocks.append(self.block)
                self.block = None
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        """Text inside the open field."""
        if self.block is not None and self.field is not None:
            key = self.field
            self.block[key] = (self.block[key] or "") + data


def _instant(title: str | None, timezone: str | None, file: str, where: str) -> pd.Timestamp:
    """The instant of a message's time title, in UTC."""
    found = TITLE.match((title or "").strip())
    if not found:
        raise ExportError(file, where, f"time {str(title)[:30]!r} is not Telegram's 'dd.mm.yyyy hh:mm:ss UTC+hh:mm'")
    day, month, year, hour, minute, second, off_h, off_m = found.groups()
    wall = pd.Timestamp(f"{year}-{month}-{day} {hour}:{minute}:{second}")
    if off_h is not None:
        sign = -1 if off_h.startswith("-") else 1
        offset = pd.Timedelta(hours=int(off_h), minutes=sign * int(off_m))
        return (wall - offset).tz_localize("UTC")
    return wall.tz_localize(timezone or "UTC", ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")


def _names(listed: str) -> list[str]:
    """'A, B and C' -> ['A', 'B', 'C']."""
    return [n.strip() for n in re.split(r", | and ", listed) if n.strip()]


def pages(folder: Path) -> list[Path]:
    """The export's message pages in order: messages.html, messages2.html, …"""
    found = [(int(m.group(1) or 1), p) for p in folder.iterdir() if (m := PAGE.match(p.name))]
    return [p for _, p in sorted(found)]


def read_telegram_html(
    paths: list[Path], tally: Tally, timezone: str | None = None, group_name: str | None = None
) -> list[ChatLog]:
    """A chat's HTML pages (in order) into one chat log."""
    title = group_name
    log = ChatLog("telegram", "", "")
    last: pd.Timestamp | None = None
    day_start: pd.Timestamp | None = None
    sender: str | None = None
    offset_zone = timezone
    _check_sequence(paths)
    for path in paths:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        if title is None:
            heading = re.search(r'<div class="text bold">\s*(.*?)\s*</div>', text, re.S)
            title = html.unescape(heading.group(1)).strip() if heading else None
        parser = _Page()
        parser.feed(text)
        _check_whole(path, text, parser)
        for block in parser.blocks:
            where = f"{block['id'] or 'a message'}"
            ref = f"{path.name} {block['id']}"
            if "service" in block["classes"]:
                body = " ".join((block["body"] or "").split())
                if DAY.match(body):
                    day_start = pd.Timestamp(body).tz_localize(offset_zone or "UTC")
                    continue
                at = last if last is not None and (day_start is None or last >= day_start) else day_start
                if at is None:
                    tally.skipped["service lines before any dated message"] += 1
                    continue
                log.messages.append(ChatMessage(at, None, "service", "", ref))
                tally.read["service lines (timed by their neighbours)"] += 1
                _service(body, at, log, tally)
                continue
            if "default" not in block["classes"]:
                tally.skipped["blocks of no known kind"] += 1
                continue
            at = _instant(block["title"], timezone, path.name, where)
            if offset_zone is None and re.search(r"UTC[+-]", block["title"] or ""):
                offset_zone = _fixed_zone(block["title"])
            name = " ".join((block["from"] or "").split()) or None
            if name is None and "joined" not in block["classes"]:
                tally.skipped["messages without a sender"] += 1
                continue
            sender = name or sender
            words = (block["text"] or "").strip()
            form = "media" if block["media"] else "link" if block["link"] else form_of_text(words)
            log.messages.append(ChatMessage(at, f"name:{sender}", form, words, ref, sender_name=sender))
            tally.read[f"{form} messages"] += 1
            last = at
    if not log.messages:
        raise ExportError(paths[0].name, "", "holds no messages (not a Telegram HTML export?)")
    log.chat_key = log.title = title or paths[0].parent.name
    count_events([log], tally)
    tally.read["pages"] = len(paths)
    tally.notes.append("a Telegram HTML export names people by display name only; the JSON export has their ids")
    return [log]


def _check_sequence(paths: list[Path]) -> None:
    """Every page from messages.html to the last one is there: a missing page would lose its messages silently."""
    numbers = [int(m.group(1) or 1) for p in paths if (m := PAGE.match(p.name))]
    if len(numbers) == len(paths) and len(paths) > 1:
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            name = "messages.html" if missing[0] == 1 else f"messages{missing[0]}.html"
            raise ExportError(
                paths[0].parent.name + "/", name, "is missing from the export: copy the export folder whole"
            )


def _check_whole(path: Path, text: str, parser: _Page) -> None:
    """A page that stops before its end (a cut-off copy or download) is an error, not fewer messages."""
    if text.rstrip().lower().endswith("</html>"):
        return
    last = parser.blocks[-1]["id"] if parser.blocks else "its first message"
    raise ExportError(
        path.name,
        "",
        f"the page stops before its end (no closing </html>; the last whole message is {last}): the file is "
        "truncated, and the messages after it would be lost; export or copy it again",
    )


def _fixed_zone(title: str) -> str:
    """'Etc/GMT-3' for a title at UTC+03:00 (whole hours; else UTC)."""
    found = re.search(r"UTC([+-])(\d{2}):?(\d{2})", title)
    if not found or found.group(3) != "00":
        return "UTC"
    hours = int(found.group(2))
    return "UTC" if hours == 0 else f"Etc/GMT{'-' if found.group(1) == '+' else '+'}{hours}"


def _service(body: str, at: pd.Timestamp, log: ChatLog, tally: Tally) -> None:
    """The membership events of one service line."""

    def person(name: str) -> str:
        return f"name:{name}"

    if created := CREATED.match(body):
        if log.created_at is None:
            log.created_at, log.creator = at, person(created["actor"])
        people = [created["actor"], *(_names(created["people"]) if created["people"] else [])]
        log.events += [MemberEvent(at, person(p), "join") for p in dict.fromkeys(people)]
    elif (invited := INVITED.match(body)) and not invited["call"]:
        log.events += [MemberEvent(at, person(p), "join") for p in _names(invited["people"])]
    elif joined := BY_LINK.match(body):
        log.events.append(MemberEvent(at, person(joined["actor"]), "join"))
    elif (removed := REMOVED.match(body)) and not NOTICE.search(body):
        for p in _names(removed["people"]):
            log.events.append(MemberEvent(at, person(p), "leave" if p == removed["actor"] else "removed"))
    elif not NOTICE.search(body):
        tally.read["other service lines"] += 1
