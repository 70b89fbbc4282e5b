"""Telegram groups published by tg-archive (a static site: ``2021-03.html``, ``2021-03_2.html``, …) read into a log.

tg-archive, the common public archive of Telegram groups, writes one page per month (and
``_2``, ``_3``, … when a month holds more than a page's messages), plus ``index.html``, a
copy of the latest page. Each message is an element of class ``message type-TYPE`` whose
``id`` is the Telegram message id, with:

- ``username``: the sender, as ``@username`` or ``First Last (@username)``;
- ``date``: the time in UTC to the minute, as ``09:41 PM, 31 Dec 2023``;
- ``text``: the words; ``media``: a photo, file, poll or link preview.

Types are ``message`` (talk), ``user_joined`` (the sender joined: by link or added) and
``user_left`` (the sender left or was removed: the archive does not tell which). A person
is her username (the archive has no numeric ids; a renamed username is a new person). The
group is the ``@name`` in the page's navigation, or ``--group-name``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from helpers.ingest.chatlog import ChatLog, ChatMessage, ExportError, MemberEvent, Tally, count_events, form_of_text

PAGE = re.compile(r"^(?P<month>\d{4}-\d{2})(?:_(?P<page>\d+))?\.html$")
HANDLE = re.compile(r"\(@(?P<handle>[^)\s]+)\)\s*$|^@(?P<bare>\S+)$")
TIME_FORMAT = "%I:%M %p, %d %b %Y"
EVENTS = {"user_joined": "join", "user_left": "leave"}


def archive_pages(folder: Path) -> list[Path]:
    """The archive's month pages in time order (``index.html``, a copy of the latest, left out)."""
    found = [(m["month"], int(m["page"] or 1), p) for p in folder.iterdir() if (m := PAGE.match(p.name))]
    return [p for *_, p in sorted(found)]


class _Page(HTMLParser):
    """Collects each message element of a page: id, type, username, date, text and whether it has media."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.messages: list[dict] = []
        self.group: str | None = None
        self.depth = 0  # open elements inside the current message
        self.field: str | None = None
        self.field_depth = 0
        self.in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a message, one of its fields, or the navigation that names the group."""
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "nav":
            self.in_nav = True
        if "message" in classes and any(c.startswith("type-") for c in classes) and not self.depth:
            kind = next(c for c in classes if c.startswith("type-"))[5:]
            self.messages.append({"id": a.get("id", ""), "type": kind, "username": "", "date": "", "text": ""})
            self.messages[-1]["media"] = False
            self.depth = 1
            return
        if self.depth and tag not in ("br", "img", "input", "meta", "link", "hr"):
            self.depth += 1
            for name in ("username", "date", "text"):
                if name in classes and self.field is None:
                    self.field, self.field_depth = name, self.depth
            if "media" in classes:
                self.messages[-1]["media"] = True

    def handle_endtag(self, tag: str) -> None:
        """Close an element: a field, a message, or the navigation."""
        if tag == "nav":
            self.in_nav = False
        if not self.depth:
            return
        if self.field is not None and self.depth == self.field_depth:
            self.field = None
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        """Text of the open field, or the group's ``@name`` in the navigation."""
        if self.in_nav and self.group is None and data.strip().startswith("@"):
            self.group = data.strip()[1:]
        if self.depth and self.field is not None:
            self.messages[-1][self.field] += data


def _person(shown: str) -> str | None:
    """The username in '@alice' or 'Alice Smith (@alice)'; the shown name when the archive has no username."""
    text = " ".join(shown.split())
    found = HANDLE.search(text)
    handle = (found["handle"] or found["bare"]) if found else None
    if handle and handle.lower() != "none":
        return handle
    name = re.sub(r"\s*\(@[^)]*\)\s*$", "", text).strip()
    return name or None


def _read_page(path: Path, log: ChatLog, seen: set[str], tally: Tally) -> str | None:
    """One month page into the log; returns the group's name as the page gives it."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    if not text.rstrip().lower().endswith("</html>"):
        raise ExportError(path.name, "", "the page stops before its end (no closing </html>): the file is truncated")
    parser = _Page()
    parser.feed(text)
    for m in parser.messages:
        if m["id"] in seen:
            tally.skipped["messages on two pages (same id)"] += 1
            continue
        seen.add(m["id"])
        when = " ".join(m["date"].split())
        try:
            at = pd.Timestamp(pd.to_datetime(when, format=TIME_FORMAT)).tz_localize("UTC")
        except ValueError:
            raise ExportError(path.name, f"message {m['id']}", f"time {when[:30]!r} is not tg-archive's") from None
        person, ref = _person(m["username"]), f"message id {m['id']}"
        if person is None:
            tally.skipped["messages without a sender"] += 1
            continue
        if m["type"] in EVENTS:
            log.messages.append(ChatMessage(at, None, "service", "", ref))
            log.events.append(MemberEvent(at, person, EVENTS[m["type"]]))
            continue
        words = " ".join(m["text"].split())
        form = "media" if m["media"] and not words else form_of_text(words)
        log.messages.append(ChatMessage(at, person, form, words, ref, sender_name=person))
        tally.read[f"{form} messages"] += 1
    return parser.group


def read_tg_archive(folder: Path, tally: Tally, group_name: str | None = None) -> list[ChatLog]:
    """A tg-archive site's month pages into one chat log."""
    pages = archive_pages(Path(folder))
    if not pages:
        raise ExportError(Path(folder).name + "/", "", "holds no tg-archive month pages (2021-03.html, ...)")
    log, seen, named = ChatLog("telegram", "", ""), set(), None
    for path in pages:
        named = _read_page(path, log, seen, tally) or named
    if not log.messages:
        raise ExportError(pages[0].name, "", "holds no messages (not a tg-archive page?)")
    log.chat_key = log.title = group_name or named or Path(folder).name
    log.messages.sort(key=lambda m: m.at)
    count_events([log], tally)
    tally.read["pages"] = len(pages)
    tally.notes.append(
        "tg-archive gives times to the minute and names people by username; a leave and a removal look alike"
    )
    return [log]
