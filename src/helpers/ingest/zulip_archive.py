"""Zulip streams published by zulip-archive (a static site: a folder per stream, a page per topic) read into logs.

zulip-archive writes, for each stream, a folder named by the stream's id and name
(``213222general/``) holding ``index.md`` (its topics) and one ``TOPIC.html`` page per
topic. A topic page names its stream (``<h2>Stream: <a …>general</a>``) and writes each
message as an anchor, a heading and the message's HTML:

    <a name="179892604"></a>
    <h4><a href="…" class="zl"><img …></a> <a href="…#179892604">Ann Lee (Nov 05 2019 at 02:51)</a>:</h4>
    <p>the message</p>

Times are UTC to the minute. A stream is a group; people are named by full name only (two
people with one name are one). The archive holds messages only: no joins or leaves, so
the studies say what such a log cannot measure (sizes, retention).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from helpers.ingest.chatlog import ChatLog, ChatMessage, ExportError, Tally, form_of_text

MESSAGE = re.compile(
    r'<a name="(?P<id>\d+)"></a>\s*<h4>.*?<a href="[^"]*#(?P=id)">(?P<who>.*?) '
    r"\((?P<date>[A-Z][a-z]{2} \d{2} \d{4} at \d{2}:\d{2})\)</a>:</h4>(?P<body>.*?)(?=<a name=\"\d+\"></a>|<hr>|$)",
    re.S,
)
STREAM = re.compile(r"<h2>Stream: <a [^>]*>(?P<name>.*?)</a>", re.S)
STREAM_FOLDER = re.compile(r"^(?P<id>\d+)")
TAGS = re.compile(r"<[^>]+>")
TIME_FORMAT = "%b %d %Y at %H:%M"


def topic_pages(folder: Path) -> dict[Path, list[Path]]:
    """Each stream folder of the site with its topic pages (``index.html`` of a built site left out)."""
    streams = {}
    for stream in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        topics = sorted(p for p in stream.glob("*.html") if p.name != "index.html")
        if topics:
            streams[stream] = topics
    return streams


def _read_topic(path: Path, log: ChatLog, seen: set[str], tally: Tally) -> str | None:
    """One topic page's messages into its stream's log; returns the stream's name as the page gives it."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    for m in MESSAGE.finditer(text):
        if m["id"] in seen:
            tally.skipped["messages on two pages (same id)"] += 1
            continue
        seen.add(m["id"])
        at = pd.Timestamp(pd.to_datetime(m["date"], format=TIME_FORMAT)).tz_localize("UTC")
        who = " ".join(html.unescape(TAGS.sub("", m["who"])).split())
        body = m["body"]
        words = " ".join(html.unescape(TAGS.sub(" ", body)).split())
        media = "user_uploads" in body or ("<img" in body and not words)
        form = "media" if media else "link" if 'href="http' in body else form_of_text(words)
        log.messages.append(ChatMessage(at, who, form, words, f"message id {m['id']}", sender_name=who))
        tally.read[f"{form} messages"] += 1
    named = STREAM.search(text)
    return html.unescape(TAGS.sub("", named["name"])).strip() if named else None


def read_zulip_archive(folder: Path, tally: Tally) -> list[ChatLog]:
    """Every stream of a zulip-archive site; one chat log per stream."""
    streams = topic_pages(Path(folder))
    if not streams:
        raise ExportError(Path(folder).name + "/", "", "holds no stream folders of topic pages (zulip-archive's)")
    logs = []
    for stream, topics in streams.items():
        numbered = STREAM_FOLDER.match(stream.name)
        log, seen, name = ChatLog("zulip", numbered["id"] if numbered else stream.name, stream.name), set(), None
        for topic in topics:
            name = _read_topic(topic, log, seen, tally) or name
        if not log.messages:
            tally.skipped["streams with no messages"] += 1
            continue
        log.title = name or stream.name
        log.messages.sort(key=lambda m: m.at)
        tally.read["streams"] += 1
        tally.read["topic pages"] += len(topics)
        logs.append(log)
    if not logs:
        raise ExportError(Path(folder).name + "/", "", "holds no message in any topic page (not a zulip-archive site?)")
    tally.notes.append(
        "a zulip-archive site holds messages only, to the minute and by full name: no joins or leaves, so group "
        "sizes and retention are not measured"
    )
    return logs
