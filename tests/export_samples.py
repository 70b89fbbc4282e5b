"""Sample chat exports built to the published formats, with made-up names and phone numbers.

``chat_history`` plans one group's life (creation, joins by link and by invitation, leaves,
removals, a rejoin, messages of every form); ``write_telegram`` and ``write_whatsapp``
write it as Telegram Desktop's ``result.json`` and as WhatsApp's exported ``.txt`` in
several phone locales. Every person has a distinctive name and phone number, and some
messages quote them, so a test can search outputs for any trace of them.
"""

from __future__ import annotations

import csv
import html
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

LOCAL = pd.Timedelta(hours=8)  # the exporting phone / computer is on UTC+8
TITLE = "Maple Bay Mums Club 2025"


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    user_id: int
    saved: bool = True  # WhatsApp shows unsaved contacts by phone number

    @property
    def whatsapp(self) -> str:
        return self.name if self.saved else self.phone


@dataclass
class History:
    """One group's planted life, in UTC."""

    owner: Person
    monitors: list[Person]
    members: list[Person]
    created: pd.Timestamp
    events: list[tuple] = field(default_factory=list)  # (time, action, actor, person) action: link|invite|leave|remove
    messages: list[tuple] = field(default_factory=list)  # (time, person, form, text)

    @property
    def people(self) -> list[Person]:
        return [self.owner, *self.monitors, *self.members]

    def count(self, action: str) -> int:
        return sum(e[1] == action for e in self.events)


def people(n: int) -> list[Person]:
    """Distinctive made-up people: 'Qiuyue Lindqvist03', +86 139 5550 0103, user 7000103."""
    first = [
        "Qiuyue",
        "Marisol",
        "Henrike",
        "Oyelaran",
        "Tsvetana",
        "Wenjing",
        "Ilse",
        "Sunniva",
        "Chiamaka",
        "Yevgenia",
    ]
    last = ["Lindqvist", "Abernathy", "Okonkwo", "Vasquez", "Thornbury", "Haraldsen", "Pemberton"]
    return [
        Person(
            f"{first[k % len(first)]} {last[k % len(last)]}{k:02d}",
            f"+86 139 5550 {100 + k:04d}",
            7_000_100 + k,
            saved=k % 5 != 3,
        )
        for k in range(n)
    ]


def chat_history(seed: int = 7, n_members: int = 60, weeks: int = 16) -> History:
    """A group created on 3 Mar 2025: members join over six weeks, some leave or are removed, one rejoins."""
    rng = np.random.default_rng(seed)
    everyone = people(n_members + 3)
    h = History(everyone[0], everyone[1:3], everyone[3:], pd.Timestamp("2025-03-03 01:00", tz="UTC"))
    end = h.created + pd.Timedelta(weeks=weeks)
    stays = {p: [(h.created, None)] for p in [h.owner, *h.monitors]}
    for k, p in enumerate(h.members):
        joined = h.created + pd.Timedelta(hours=2 + float(rng.uniform(0, 42 * 24)))
        how = "link" if k % 3 else "invite"
        h.events.append((joined, how, h.monitors[k % 2] if how == "invite" else p, p))
        left = None
        if k % 5 == 1 or k % 11 == 4:
            left = joined + pd.Timedelta(days=float(rng.uniform(3, 60)))
            if left < end - pd.Timedelta(days=1):
                action = "remove" if k % 11 == 4 else "leave"
                h.events.append((left, action, h.owner if action == "remove" else p, p))
            else:
                left = None
        stays[p] = [(joined, left)]
        if k == 1 and left is not None:  # comes back a week later
            back = left + pd.Timedelta(days=7)
            h.events.append((back, "link", p, p))
            stays[p].append((back, None))
    forms = ["text"] * 15 + ["link", "media", "media", "sticker", "multiline"]
    for p, spans in stays.items():
        rate = 1.5 if p in (h.owner, *h.monitors) else float(rng.uniform(0.05, 0.6))
        for joined, left in spans:
            stop = left or end
            n = rng.poisson(rate * (stop - joined).total_seconds() / 86_400)
            for offset in np.sort(rng.uniform(60, (stop - joined).total_seconds() - 60, n)):
                at = (joined + pd.Timedelta(seconds=float(offset))).floor("s")
                form = forms[int(rng.integers(len(forms)))]
                other = h.people[int(rng.integers(len(h.people)))]
                text = {
                    "text": f"Thanks {other.name}, my number is {p.phone}"
                    if rng.random() < 0.1
                    else "Morning everyone, how did the night go?",
                    "link": "Look at https://example.com/tips/sleep please",
                    "media": "",
                    "sticker": "",
                    "multiline": "First line of a long one\nsecond line\nthird line with coupon code SAVE10",
                }[form]
                if p in (h.owner, *h.monitors) and form == "text" and rng.random() < 0.3:
                    text = "Coupon today only: 20% off diapers"
                h.messages.append((at, p, form, text))
    h.events.sort(key=lambda e: e[0])
    h.messages.sort(key=lambda m: m[0])
    return h


# ------------------------------------------------------------------------------------------- Telegram


def _telegram_messages(h: History) -> list[dict]:
    """The chat's messages list in Telegram Desktop's format, in time order."""
    rows = [
        (
            h.created,
            {
                "type": "service",
                "actor": h.owner.name,
                "actor_id": f"user{h.owner.user_id}",
                "action": "create_group",
                "title": TITLE,
                "members": [m.name for m in h.monitors],
            },
        )
    ]
    for at, action, actor, person in h.events:
        entry = {"type": "service", "actor": actor.name, "actor_id": f"user{actor.user_id}"}
        if action == "link":
            entry["action"] = "join_group_by_link"
            entry["inviter"] = "Group"
        elif action == "invite":
            entry.update(action="invite_members", members=[person.name])
        else:
            entry.update(action="remove_members", members=[person.name])
        rows.append((at, entry))
    for at, p, form, text in h.messages:
        entry = {"type": "message", "from": p.name, "from_id": f"user{p.user_id}"}
        if form == "link":
            entry["text"] = ["Look at ", {"type": "link", "text": "https://example.com/tips/sleep"}, " please"]
        elif form == "media":
            entry.update(
                photo="(File not included. Change data exporting settings to download.)",
                width=1280,
                height=960,
                text="",
            )
        elif form == "sticker":
            entry.update(
                file="(File not included. Change data exporting settings to download.)",
                media_type="sticker",
                sticker_emoji="\U0001f44d",
                text="",
            )
        else:
            entry["text"] = text
        rows.append((at, entry))
    rows.sort(key=lambda r: r[0])
    out = []
    for k, (at, entry) in enumerate(rows, 1):
        stamp = {
            "id": k,
            "type": entry.pop("type"),
            "date": (at + LOCAL).strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(int(at.timestamp())),
        }
        entry.setdefault("text", "")
        out.append({**stamp, **entry, "text_entities": []})
    return out


def write_telegram(h: History, path: Path, full_account: bool = False) -> Path:
    """``result.json`` of the group alone, or of a whole account (with a personal chat and contacts)."""
    chat = {"name": TITLE, "type": "private_supergroup", "id": 1987654321, "messages": _telegram_messages(h)}
    if full_account:
        friend = h.members[0]
        personal = {
            "name": friend.name,
            "type": "personal_chat",
            "id": friend.user_id,
            "messages": [
                {
                    "id": 1,
                    "type": "message",
                    "date": "2025-03-04T10:00:00",
                    "date_unixtime": "1741053600",
                    "from": friend.name,
                    "from_id": f"user{friend.user_id}",
                    "text": f"call me on {friend.phone}",
                    "text_entities": [{"type": "phone", "text": friend.phone}],
                }
            ],
        }
        document = {
            "about": "Here is the data you requested.",
            "personal_information": {
                "user_id": h.owner.user_id,
                "first_name": h.owner.name.split()[0],
                "last_name": h.owner.name.split()[1],
                "phone_number": h.owner.phone,
                "username": "@maplebayowner",
                "bio": "",
            },
            "contacts": {
                "about": "contacts",
                "list": [
                    {
                        "user_id": p.user_id,
                        "first_name": p.name.split()[0],
                        "last_name": p.name.split()[1],
                        "phone_number": p.phone,
                        "date": "2025-01-01T00:00:00",
                    }
                    for p in h.people[:10]
                ],
            },
            "chats": {"about": "chats", "list": [personal, chat]},
            "left_chats": {"about": "left chats", "list": []},
        }
    else:
        document = chat
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- WhatsApp

LOCALES = {
    # name: (header format for a time, media placeholder)
    "android_us": (
        lambda t: f"{t.month}/{t.day}/{t:%y}, {t.hour % 12 or 12}:{t:%M}\u202f{'AM' if t.hour < 12 else 'PM'} - ",
        "<Media omitted>",
    ),
    "android_gb": (lambda t: f"{t:%d/%m/%Y}, {t:%H:%M} - ", "<Media omitted>"),
    "iphone": (lambda t: f"[{t:%d/%m/%Y}, {t:%H:%M:%S}] ", "\u200eimage omitted"),
    "iphone_2023": (
        lambda t: f"[{t.month}/{t.day}/{t:%y}, {t.hour % 12 or 12}:{t:%M:%S}\u202f{'AM' if t.hour < 12 else 'PM'}] ",
        "\u200eimage omitted",
    ),
    "german": (lambda t: f"{t:%d.%m.%y}, {t:%H:%M} - ", "<Medien ausgeschlossen>"),
    "chinese": (
        lambda t: f"{t:%Y/%m/%d} {'上午' if t.hour < 12 else '下午'}{t.hour % 12 or 12}:{t:%M} - ",
        "<Media omitted>",
    ),
}


SYSTEM_PHRASINGS = {
    # language: what each system line says, as (someone else did it, you did it); {a} actor, {p} person, {t} title
    "en": {
        "notice": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can "
        "read or listen to them.",
        "create": ('{a} created group "{t}"', 'You created group "{t}"'),
        "link": ("{p} joined using this group's invite link", "You joined using this group's invite link"),
        "invite": ("{a} added {p}", "You added {p}"),
        "leave": ("{p} left", "You left"),
        "remove": ("{a} removed {p}", "You removed {p}"),
    },
    "zh": {
        "notice": "消息和通话已进行端到端加密。对话之外的任何人，甚至包括 WhatsApp 都无法读取或收听。",
        "create": ("{a}创建了群组“{t}”", "你创建了群组“{t}”"),
        "link": ("{p}通过此群组的邀请链接加入", "你通过此群组的邀请链接加入"),
        "invite": ("{a}添加了{p}", "你添加了{p}"),
        "leave": ("{p}退出了", "你退出了"),
        "remove": ("{a}移除了{p}", "你移除了{p}"),
    },
    "es": {
        "notice": "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni "
        "siquiera WhatsApp, puede leerlos ni escucharlos.",
        "create": ('{a} creó el grupo "{t}"', 'Creaste el grupo "{t}"'),
        "link": (
            "{p} se unió usando el enlace de invitación de este grupo",
            "Te uniste usando el enlace de invitación de este grupo",
        ),
        "invite": ("{a} añadió a {p}", "Añadiste a {p}"),
        "leave": ("{p} salió del grupo", "Saliste del grupo"),
        "remove": ("{a} eliminó a {p}", "Eliminaste a {p}"),
    },
    "pt": {
        "notice": "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta. Ninguém fora "
        "desta conversa, nem mesmo o WhatsApp, pode ler ou ouvi-las.",
        "create": ('{a} criou o grupo "{t}"', 'Você criou o grupo "{t}"'),
        "link": ("{p} entrou usando o link de convite deste grupo", "Você entrou usando o link de convite deste grupo"),
        "invite": ("{a} adicionou {p}", "Você adicionou {p}"),
        "leave": ("{p} saiu", "Você saiu"),
        "remove": ("{a} removeu {p}", "Você removeu {p}"),
    },
    "de": {
        "notice": "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats kann sie "
        "lesen oder anhören, nicht einmal WhatsApp.",
        "create": ("{a} hat die Gruppe „{t}“ erstellt", "Du hast die Gruppe „{t}“ erstellt"),
        "link": (
            "{p} ist über den Einladungslink dieser Gruppe beigetreten",
            "Du bist über den Einladungslink dieser Gruppe beigetreten",
        ),
        "invite": ("{a} hat {p} hinzugefügt", "Du hast {p} hinzugefügt"),
        "leave": ("{p} hat die Gruppe verlassen", "Du hast die Gruppe verlassen"),
        "remove": ("{a} hat {p} entfernt", "Du hast {p} entfernt"),
    },
    "fr": {
        "notice": "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut "
        "les lire ou les écouter.",
        "create": ("{a} a créé le groupe « {t} »", "Vous avez créé le groupe « {t} »"),
        "link": (
            "{p} a rejoint ce groupe via le lien d’invitation",
            "Vous avez rejoint ce groupe via le lien d’invitation",
        ),
        "invite": ("{a} a ajouté {p}", "Vous avez ajouté {p}"),
        "leave": ("{p} est parti(e)", "Vous êtes parti(e)"),
        "remove": ("{a} a retiré {p}", "Vous avez retiré {p}"),
    },
    "id": {
        "notice": "Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk "
        "WhatsApp, yang dapat membaca atau mendengarkannya.",
        "create": ('{a} membuat grup "{t}"', 'Anda membuat grup "{t}"'),
        "link": (
            "{p} bergabung menggunakan tautan undangan grup ini",
            "Anda bergabung menggunakan tautan undangan grup ini",
        ),
        "invite": ("{a} menambahkan {p}", "Anda menambahkan {p}"),
        "leave": ("{p} keluar", "Anda keluar"),
        "remove": ("{a} mengeluarkan {p}", "Anda mengeluarkan {p}"),
    },
}


VERB_FIRST = {"link": "joined using this group's invite link", "invite": "added {p}", "leave": "left"}
VERB_FIRST["remove"] = "removed {p}"
"""iPhone 2023 on, English: the subject before the colon, the verb after the mark ('Ann: \u200eleft')."""


def iphone_name(p: Person) -> str:
    """How an iPhone writes a person: a contact by name; others as '~<NNBSP>Name' or '<LRE>+86<NBSP>139...<PDF>'."""
    if p.saved:
        return p.name
    if p.user_id % 2:
        return f"~\u202f{p.name}"
    return "\u202a" + p.phone.replace(" ", "\u00a0") + "\u202c"


def write_whatsapp(
    h: History,
    path: Path,
    locale: str = "android_gb",
    language: str = "en",
    title: str = TITLE,
    iphone_names: bool = False,
) -> Path:
    """The chat as WhatsApp's 'Export chat' (without media) writes it in ``locale``; the owner exported it.

    ``iphone`` writes system lines after a U+200E mark; ``iphone_2023`` writes them as a sender's
    lines: notices and the creation in the group's name, membership events as 'Name: \u200everb ...'.
    ``iphone_names`` writes people not in the contacts as real iPhone exports do (``iphone_name``).
    """
    stamp, media = LOCALES[locale]
    iphone = locale.startswith("iphone")
    new_form = locale == "iphone_2023"
    mark = "\u200e" if iphone else ""
    words = SYSTEM_PHRASINGS[language]

    def shown(p: Person) -> str:
        return iphone_name(p) if iphone_names else p.whatsapp

    def name(p: Person) -> str:
        return "You" if p is h.owner else shown(p)

    def said(action: str, actor: Person | None, person: Person | None) -> str:
        doer = person if action in ("link", "leave") else actor
        other, yours = words[action]
        if new_form and action in VERB_FIRST:
            return f"{name(doer)}: {mark}" + VERB_FIRST[action].format(p=name(person) if person else "")
        template = yours if doer is h.owner else other
        text = template.format(a=name(actor) if actor else "", p=name(person) if person else "", t=title)
        return f"{title}: {mark}{text}" if new_form else mark + text

    lines = [(h.created, f"{title}: {mark}{words['notice']}" if new_form else mark + words["notice"])]
    lines.append((h.created, said("create", h.owner, None)))
    lines += [(h.created, said("invite", h.owner, m)) for m in h.monitors]
    for at, action, actor, person in h.events:
        lines.append((at, said(action, actor, person)))
    for at, p, form, text in h.messages:
        body = media if form in ("media", "sticker") else text
        lines.append((at, f"{shown(p)}: {body}"))
    lines.sort(key=lambda item: item[0])
    text = "\n".join((mark if iphone else "") + stamp(at + LOCAL) + line for at, line in lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def write_irc(h: History, folder: Path, channel: str = "#maple-bay") -> Path:
    """The chat as an IRC logger writes it: one file per UTC day named by its date, '[HH:MM] <nick> text' lines.

    Joins and parts carry the host in brackets; removals are kicks; the first monitor changes
    nick half-way, so a reader must keep the two nicks as one person.
    """
    folder.mkdir(parents=True, exist_ok=True)
    renamed = h.monitors[0]
    switch = h.created + (max(at for at, *_ in h.messages) - h.created) / 2

    def nick(p: Person, at: pd.Timestamp) -> str:
        base = p.name.replace(" ", "_")
        return base + "_away" if p is renamed and at >= switch else base

    lines = [
        (h.created, f"=== {nick(p, h.created)} [~u@host-{p.user_id}.example]  has joined {channel}")
        for p in [h.owner, *h.monitors]
    ]
    lines.append(
        (switch, f"=== {nick(renamed, switch - pd.Timedelta(seconds=1))} is now known as {nick(renamed, switch)}")
    )
    for at, action, actor, person in h.events:
        who = nick(person, at)
        lines.append(
            (
                at,
                {
                    "link": f"=== {who} [~u@host-{person.user_id}.example]  has joined {channel}",
                    "invite": f"=== {who} [~u@host-{person.user_id}.example]  has joined {channel}",
                    "leave": f"=== {who} [~u@host-{person.user_id}.example]  has left {channel} [bye]",
                    "remove": f"=== {who} was kicked by {nick(actor, at)} (rules)",
                }[action],
            )
        )
    for at, p, form, text in h.messages:
        body = "sent a photo" if form in ("media", "sticker") else text.split("\n")[0]
        lines.append((at, f"<{nick(p, at)}> {body}"))
    lines.sort(key=lambda item: item[0])
    days: dict[str, list[str]] = {}
    for at, line in lines:
        days.setdefault(f"{at:%Y-%m-%d}", []).append(f"[{at:%H:%M}] {line}")
    for day, day_lines in days.items():
        (folder / f"maple-bay_{day}.log.txt").write_text("\n".join(day_lines) + "\n", encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------- company tables


def write_company_tables(h: History, folder: Path) -> Path:
    """Messages, members and groups as a company's warehouse might dump them, and their mapping.yml."""
    folder.mkdir(parents=True, exist_ok=True)
    local = "%Y-%m-%d %H:%M:%S"
    pd.DataFrame(
        [
            {
                "msg_id": f"wx{k:06d}",
                "chat": "grp-maple",
                "sender": p.phone,
                "ts": (at + LOCAL).strftime(local),
                "msg_type": {"media": "image", "sticker": "emoji"}.get(form, "text"),
                "body": text,
            }
            for k, (at, p, form, text) in enumerate(h.messages)
        ]
    ).to_csv(folder / "messages.tsv", sep="\t", index=False)
    stays = []
    for p in [h.owner, *h.monitors]:
        stays.append(
            {
                "chat": "grp-maple",
                "user": p.phone,
                "join_time": (h.created + LOCAL).strftime(local),
                "leave_time": "",
                "role": "owner" if p is h.owner else "admin",
                "how": "",
            }
        )
    open_stays = {}
    for at, action, _actor, person in h.events:
        if action in ("link", "invite"):
            open_stays[person] = at
        else:
            stays.append(
                {
                    "chat": "grp-maple",
                    "user": person.phone,
                    "join_time": (open_stays.pop(person) + LOCAL).strftime(local),
                    "leave_time": (at + LOCAL).strftime(local),
                    "role": "normal",
                    "how": "kicked" if action == "remove" else "quit",
                }
            )
    stays += [
        {
            "chat": "grp-maple",
            "user": p.phone,
            "join_time": (at + LOCAL).strftime(local),
            "leave_time": "",
            "role": "normal",
            "how": "",
        }
        for p, at in open_stays.items()
    ]
    pd.DataFrame(stays).to_csv(folder / "members.csv", index=False)
    pd.DataFrame(
        [
            {
                "chat": "grp-maple",
                "created": (h.created + LOCAL).strftime(local),
                "source": "parcel_card",
                "city": "Wuhan",
                "stage": "baby_0_3m",
                "plan": 200,
            }
        ]
    ).to_csv(folder / "groups.csv", index=False)
    (folder / "mapping.yml").write_text("""\
time_format: "%Y-%m-%d %H:%M:%S"
time_zone: Asia/Shanghai
platform: wechat
tables:
  messages:
    file: messages.tsv
    columns: {message_id: msg_id, group_id: chat, member_id: sender, sent_at: ts, text: body}
    defaults: {kind: chat}
  memberships:
    file: members.csv
    columns: {group_id: chat, member_id: user, joined_at: join_time, left_at: leave_time, role: role,
               leave_reason: how}
    values: {role: {admin: monitor, normal: member}, leave_reason: {kicked: removed}}
  groups:
    file: groups.csv
    columns: {group_id: chat, created_at: created, channel: source, city: city, segment: stage, target_size: plan}
""")
    return folder / "mapping.yml"


def write_message_log(h: History, folder: Path) -> Path:
    """One row per message, no joins or leaves (the shape of public WhatsApp-groups research data), and its mapping."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {
                "group": "G017",
                "sender": p.phone,
                "timestamp": int(at.timestamp()),
                "length": len(text),
                "language": "en",
            }
            for at, p, form, text in h.messages
        ]
    ).to_csv(folder / "messages.tsv", sep="\t", index=False)
    (folder / "mapping.yml").write_text("""\
time_format: unix
platform: whatsapp
tables:
  messages:
    file: messages.tsv
    columns: {group_id: group, member_id: sender, sent_at: timestamp, text_length: length}
""")
    return folder / "mapping.yml"


# ------------------------------------------------------------------------------------------- WeChat


WECHAT_COLUMNS = [
    "localId",
    "TalkerId",
    "Type",
    "SubType",
    "IsSender",
    "CreateTime",
    "Status",
    "StrContent",
    "StrTime",
    "Remark",
    "NickName",
    "Sender",
]


def write_wechat(h: History, path: Path, wall_time_only: bool = False) -> Path:
    """The chat as MemoTrace writes a group: ``<name>_utf8.csv``, UTF-8 with a BOM, Chinese system lines (Type 10000).

    The owner exports it (IsSender 1, and "你" in the system lines, which is how the owner's
    removals read); joins by link are QR-code joins shared by the first monitor; one recall,
    one pat and one notice of an unknown phrasing are added. ``wall_time_only`` blanks
    CreateTime, leaving StrTime (UTC+8 wall time).
    """
    rows: list[tuple] = []
    sharer = h.monitors[0]
    monitors = "、".join(m.name for m in h.monitors)
    rows.append((h.created, 10000, 0, None, f'你邀请"{monitors}"加入了群聊'))
    for at, action, actor, p in h.events:
        text = {
            "link": f'"{p.name}"通过扫描"{sharer.name}"分享的二维码加入群聊',
            "invite": f'"{actor.name}"邀请"{p.name}"加入了群聊',
            "leave": f'"{p.name}"退出了群聊',
            "remove": f'你将"{p.name}"移出了群聊',
        }[action]
        rows.append((at, 10000, 0, None, text))
    kinds = {"text": (1, 0), "multiline": (1, 0), "link": (49, 5), "media": (3, 0), "sticker": (47, 0)}
    for at, p, form, text in h.messages:
        kind, sub = kinds[form]
        rows.append((at, kind, sub, p, text if kind in (1, 49) else ""))
    late = max(r[0] for r in rows)
    rows += [
        (late + pd.Timedelta(minutes=1), 10000, 0, None, f'"{h.members[0].name}"撤回了一条消息'),
        (late + pd.Timedelta(minutes=2), 10000, 0, None, f'"{sharer.name}"拍了拍"{h.members[0].name}"'),
        (late + pd.Timedelta(minutes=3), 10000, 0, None, f'"{sharer.name}"设置了新的入群验证方式'),
    ]
    rows.sort(key=lambda r: r[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(WECHAT_COLUMNS)
        for k, (at, kind, sub, p, text) in enumerate(rows, 1):
            wall = f"{at + LOCAL:%Y-%m-%d %H:%M:%S}"
            who = [p.name, p.name, f"wxid_{p.user_id}"] if p else ["", "", ""]
            unix = "" if wall_time_only else int(at.timestamp())
            writer.writerow([k, 4, kind, sub, int(p is h.owner), unix, 2, text, wall, *who])
    return path


# ------------------------------------------------------------------------------------------- Discord

GUILD_ID, GENERAL_ID, WELCOME_ID = "812345678901234567", "812345678901234570", "812345678901234571"


def _discord_author(p: Person, bot: bool = False) -> dict:
    return {
        "id": str(p.user_id),
        "name": p.name.replace(" ", "").lower(),
        "discriminator": "0000",
        "nickname": p.name,
        "color": None,
        "isBot": bot,
        "roles": [],
        "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png",
    }


def _discord_message(k: int, at: pd.Timestamp, kind: str, p: Person, content: str, **extra) -> dict:
    return {
        "id": str(900_000_000_000_000_000 + k),
        "type": kind,
        "timestamp": at.isoformat(timespec="milliseconds"),
        "timestampEdited": None,
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": content,
        "author": _discord_author(p, extra.pop("bot", False)),
        "attachments": extra.pop("attachments", []),
        "embeds": [],
        "stickers": extra.pop("stickers", []),
        "reactions": [],
        "mentions": extra.pop("mentions", []),
    }


def _old_csv_row(fields: list) -> str:
    """A row as DiscordChatExporter before 2.14 wrote it: every field quoted and closed by ';'."""
    return "".join('"' + str(f).replace('"', '""') + '";' for f in fields) + "\n"


def write_discord(h: History, folder: Path, as_csv: bool = False, old_csv: bool = False) -> Path:
    """The server as DiscordChatExporter writes it: #welcome (join lines) and #general (talk), plus a bot line.

    Joins by link and by invitation are both "Joined the server." (GuildMemberJoin); Discord
    writes nothing when someone leaves a server. CSV files write UTC+8 wall time as
    MM/dd/yyyy h:mm tt, DiscordChatExporter's default date format.
    """
    folder.mkdir(parents=True, exist_ok=True)
    welcome = [
        (at, "GuildMemberJoin", p, "Joined the server.", {})
        for at, action, _, p in h.events
        if action in ("link", "invite")
    ]
    general = []
    for at, p, form, text in h.messages:
        extra = {
            "media": {
                "attachments": [
                    {"id": "1", "url": "https://cdn.example/a.jpg", "fileName": "a.jpg", "fileSizeBytes": 1}
                ]
            },
            "sticker": {
                "stickers": [{"id": "2", "name": "wave", "format": "Png", "sourceUrl": "https://cdn.example/s.png"}]
            },
        }.get(form, {})
        general.append((at, "Default", p, text, extra))
    late = max(at for at, *_ in general) + pd.Timedelta(minutes=5)
    general.append((late, "Default", h.monitors[0], "Reminder: event tonight", {"bot": True}))
    general.append((late + pd.Timedelta(minutes=1), "ChannelPinnedMessage", h.owner, "Pinned a message.", {}))
    files = {
        f"welcome [{WELCOME_ID}]": (WELCOME_ID, "welcome", welcome),
        f"general [{GENERAL_ID}]": (GENERAL_ID, "general", general),
    }
    for stem, (channel_id, name, rows) in files.items():
        path = folder / f"Maple Bay - Text Channels - {stem}"
        if old_csv:  # 'AuthorID;Author;Date;Content;Attachments;Reactions;' and quoted fields, each closed by ';'
            lines = ["AuthorID;Author;Date;Content;Attachments;Reactions;\n"]
            for at, _, p, text, extra in rows:
                urls = ",".join(a["url"] for a in extra.get("attachments", []))
                stamp = f"{at + LOCAL:%d-%b-%y %I:%M %p}"  # its default date format, dd-MMM-yy hh:mm tt
                lines.append(_old_csv_row([p.user_id, p.name, stamp, text, urls, ""]))
            path.with_suffix(".csv").write_text("".join(lines), encoding="utf-8")
            continue
        if as_csv:
            with path.with_suffix(".csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
                writer.writerow(["AuthorID", "Author", "Date", "Content", "Attachments", "Reactions"])
                for at, _, p, text, extra in rows:
                    urls = ",".join(a["url"] for a in extra.get("attachments", []))
                    writer.writerow(
                        [p.user_id, p.name.replace(" ", "").lower(), f"{at + LOCAL:%m/%d/%Y %I:%M %p}", text, urls, ""]
                    )
            continue
        document = {
            "guild": {"id": GUILD_ID, "name": "Maple Bay", "iconUrl": "https://cdn.example/icon.png"},
            "channel": {
                "id": channel_id,
                "type": "GuildTextChat",
                "categoryId": "1",
                "category": "Text Channels",
                "name": name,
                "topic": None,
            },
            "dateRange": {"after": None, "before": None},
            "exportedAt": "2025-07-01T00:00:00.000+00:00",
            "messages": [
                _discord_message(k + 10_000 * (name == "general"), at, kind, p, text, **extra)
                for k, (at, kind, p, text, extra) in enumerate(rows)
            ],
            "messageCount": len(rows),
        }
        path.with_suffix(".json").write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------- Slack


def write_slack(h: History, target: Path, as_zip: bool = False) -> Path:
    """The group as one channel of a Slack workspace export: channels.json, users.json, a JSON file per UTC day.

    Joins (by link or invitation) are channel_join lines, leaves and removals channel_leave
    (Slack writes a removal as the member leaving); a bot posts once; a private channel
    listed in groups.json has no messages; dms.json lists one conversation, never read.
    """
    bot = Person("Reminder Bot", "", 6_999_999)
    users = [
        {"id": f"U{p.user_id}", "name": p.name.lower().replace(" ", "."), "real_name": p.name, "is_bot": False}
        for p in h.people
    ]
    users.append({"id": f"U{bot.user_id}", "name": "reminders", "real_name": bot.name, "is_bot": True})
    day_files: dict[str, list[dict]] = {}

    def add(at: pd.Timestamp, user: Person, text: str, **extra) -> None:
        message = {"type": "message", "user": f"U{user.user_id}", "text": text, "ts": f"{at.timestamp():.6f}", **extra}
        day_files.setdefault(f"{at:%Y-%m-%d}", []).append(message)

    for p in [h.owner, *h.monitors]:
        add(h.created, p, f"<@U{p.user_id}> has joined the channel", subtype="channel_join")
    for at, action, _, p in h.events:
        joined = action in ("link", "invite")
        add(
            at,
            p,
            f"<@U{p.user_id}> has {'joined' if joined else 'left'} the channel",
            subtype="channel_join" if joined else "channel_leave",
        )
    for at, p, form, text in h.messages:
        files = [{"id": "F1", "name": "photo.jpg", "mimetype": "image/jpeg"}] if form in ("media", "sticker") else None
        add(at, p, text, **({"files": files, "subtype": "file_share"} if files else {}))
    late = max(at for at, *_ in h.messages) + pd.Timedelta(minutes=5)
    add(late, bot, "Reminder: live session at 8pm")
    add(late + pd.Timedelta(minutes=1), h.owner, "set the channel topic: sleep tips", subtype="channel_topic")
    documents = {
        "channels.json": [
            {
                "id": "C0MAPLE",
                "name": "maple-bay",
                "created": int(h.created.timestamp()),
                "creator": f"U{h.owner.user_id}",
            }
        ],
        "groups.json": [
            {
                "id": "G0QUIET",
                "name": "quiet-room",
                "created": int(h.created.timestamp()),
                "creator": f"U{h.owner.user_id}",
            }
        ],
        "users.json": users,
        "dms.json": [{"id": "D01", "members": [f"U{h.owner.user_id}", f"U{h.monitors[0].user_id}"]}],
        **{f"maple-bay/{day}.json": sorted(rows, key=lambda m: float(m["ts"])) for day, rows in day_files.items()},
    }
    if as_zip:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w") as archive:
            for name, document in documents.items():
                archive.writestr(f"Maple Bay Slack export/{name}", json.dumps(document))
        return target
    for name, document in documents.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(json.dumps(document), encoding="utf-8")
    return target


# ------------------------------------------------------------------------------------------- Telegram HTML


def _html_message(k: int, at: pd.Timestamp, p: Person, form: str, text: str, joined: bool) -> str:
    """One talk block as Telegram Desktop's HTML export writes it (UTC+8 computer)."""
    local = at + LOCAL
    body = {
        "link": 'Look at <a href="https://example.com/tips/sleep">https://example.com/tips/sleep</a> please',
        "media": "",
        "sticker": "",
    }.get(form, html.escape(text).replace("\n", "<br>"))
    media = (
        '<div class="media_wrap clearfix"><a class="photo_wrap clearfix pull_left" href="photos/photo_1.jpg">'
        '<img class="photo" src="photos/photo_1_thumb.jpg" style="width: 260px; height: 195px"/></a></div>'
        if form in ("media", "sticker")
        else ""
    )
    sender = "" if joined else f'<div class="from_name">\n{html.escape(p.name)}\n</div>\n'
    userpic = "" if joined else '<div class="pull_left userpic_wrap"><div class="userpic userpic3"></div></div>\n'
    return (
        f'<div class="message default clearfix{" joined" if joined else ""}" id="message{k}">\n{userpic}'
        f'<div class="body">\n<div class="pull_right date details" title="{local:%d.%m.%Y %H:%M:%S} UTC+08:00">\n'
        f"{local:%H:%M}\n</div>\n{sender}{media}"
        + (f'<div class="text">\n{body}\n</div>\n' if body else "")
        + "</div>\n</div>\n"
    )


def write_telegram_html(h: History, folder: Path, page_size: int = 700) -> Path:
    """The chat as Telegram Desktop's HTML export: pages messages.html, messages2.html, … of message blocks.

    Service lines carry no time; day separators ("3 March 2025") mark local (UTC+8) days;
    a sender's follow-up messages are "joined" blocks without a from_name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    items = [
        (
            h.created,
            0,
            "service",
            f"{h.owner.name} created group &laquo;{TITLE}&raquo; with members "
            + " and ".join(m.name for m in h.monitors),
        )
    ]
    for at, action, actor, p in h.events:
        text = {
            "link": f"{p.name} joined group by link from {h.monitors[0].name}",
            "invite": f"{actor.name} invited {p.name}",
            "leave": f"{p.name} removed {p.name}",
            "remove": f"{actor.name} removed {p.name}",
        }[action]
        items.append((at, 0, "service", text))
    items += [(at, 1, (p, form), text) for at, p, form, text in h.messages]
    items.sort(key=lambda item: (item[0], item[1]))
    blocks, day, previous = [], None, None
    for k, (at, _, what, text) in enumerate(items, 1):
        if f"{at + LOCAL:%Y-%m-%d}" != day:
            day = f"{at + LOCAL:%Y-%m-%d}"
            label = f"{(at + LOCAL).day} {at + LOCAL:%B %Y}"
            blocks.append(
                f'<div class="message service" id="message-{k}">\n<div class="body details">\n{label}\n</div>\n</div>\n'
            )
            previous = None
        if what == "service":
            blocks.append(
                f'<div class="message service" id="message{k}">\n<div class="body details">\n{text}\n</div>\n</div>\n'
            )
            previous = None
            continue
        p, form = what
        blocks.append(_html_message(k, at, p, form, text, joined=previous is p))
        previous = p
    head = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n<title>Exported Data</title>\n</head>\n<body>\n'
        f'<div class="page_wrap">\n<div class="page_header">\n<div class="content">\n<div class="text bold">\n{TITLE}\n'
        '</div>\n</div>\n</div>\n<div class="page_body chat_page">\n<div class="history">\n'
    )
    for n, first in enumerate(range(0, len(blocks), page_size), 1):
        name = "messages.html" if n == 1 else f"messages{n}.html"
        page = head + "".join(blocks[first : first + page_size]) + "</div>\n</div>\n</div>\n</body>\n</html>\n"
        (folder / name).write_text(page, encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------- tg-archive


def _archive_item(k: int, at: pd.Timestamp, p: Person, kind: str, text: str, form: str) -> str:
    """One message as tg-archive's template writes it (the sender shown as full name and @username)."""
    handle = p.name.replace(" ", "").lower()
    media = (
        '<div class="media"><a href="media/1.jpg"><img src="media/t.jpg" class="thumb" /></a></div>'
        if form in ("media", "sticker")
        else ""
    )
    words = {"message": text.replace("\n", "\n<br />"), "user_joined": "Joined.", "user_left": "Left."}[kind]
    return (
        f'<li class="message type-{kind}" id="{k}">\n<div class="avatar"></div>\n<div class="body">\n'
        f'<div class="meta">\n<a href="https://t.me/{handle}" class="username" rel="noreferer nopener nofollow">\n'
        f"{p.name} (@{handle})\n</a>\n"
        f'<a class="id" href="#{k}">#{k}</a>\n<span class="date">{at:%I:%M %p, %d %b %Y}</span>\n</div>\n'
        f'<div class="text">\n{words}\n</div>\n{media}</div>\n</li>\n'
    )


def write_tg_archive(h: History, folder: Path, per_page: int = 150) -> Path:
    """The group as tg-archive publishes it: a page per month (split every ``per_page``), index.html the latest."""
    items = [(at, "user_joined" if a in ("link", "invite") else "user_left", p, "", "") for at, a, _, p in h.events]
    items += [(at, "message", p, text, form) for at, p, form, text in h.messages]
    items.sort(key=lambda item: item[0])
    folder.mkdir(parents=True, exist_ok=True)
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head><title>Archive</title></head>\n<body>\n<div class="wrap">'
        '<div class="container">\n<nav class="nav"><a href="./">@maplebay</a></nav>\n<section class="content">\n'
        '<ul class="messages">\n'
    )
    by_month: dict[str, list] = {}
    for k, item in enumerate(items, 1):
        by_month.setdefault(f"{item[0]:%Y-%m}", []).append((k, item))
    page = ""
    for month, rows in by_month.items():
        for start in range(0, len(rows), per_page):
            body = "".join(
                _archive_item(k, at, p, kind, text, form)
                for k, (at, kind, p, text, form) in rows[start : start + per_page]
            )
            number = start // per_page + 1
            page = f"{month}{'_' + str(number) if number > 1 else ''}.html"
            (folder / page).write_text(
                head + body + "</ul>\n</section>\n</div></div>\n</body>\n</html>\n", encoding="utf-8"
            )
    (folder / "index.html").write_text((folder / page).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------- zulip-archive


def write_zulip_archive(h: History, folder: Path, topics: int = 3) -> Path:
    """The group as one stream of a zulip-archive site: messages dealt over topic pages, UTC to the minute."""
    stream = folder / "213222maple-bay"
    stream.mkdir(parents=True, exist_ok=True)
    (stream / "index.md").write_text("## Stream: maple-bay\n", encoding="utf-8")
    pages: dict[int, list[str]] = {k: [] for k in range(topics)}
    for k, (at, p, form, text) in enumerate(h.messages):
        body = {
            "media": '<p><a href="/user_uploads/2/ab/photo.jpg">photo.jpg</a></p>',
            "sticker": '<p><a href="/user_uploads/2/cd/sticker.png">sticker.png</a></p>',
            "link": '<p>Look at <a href="https://example.com/tips/sleep">https://example.com/tips/sleep</a> please</p>',
        }.get(form, "<p>" + text.replace("\n", "<br>\n") + "</p>")
        mid = 179_000_000 + k
        pages[k % topics].append(
            f'<a name="{mid}"></a>\n<h4><a href="https://chat.example/#narrow/near/{mid}" class="zl"><img '
            f'src="assets/img/zulip2.png" alt="view this post on Zulip"></a> <a href="https://archive.example/'
            f'213222maple-bay/topic{k % topics}.html#{mid}">{p.name} ({at:%b %d %Y at %H:%M})</a>:</h4>\n{body}\n\n'
        )
    for k, items in pages.items():
        head = (
            '---\nlayout: archive\n---\n<h2>Stream: <a href="https://archive.example/213222maple-bay/index.html">'
            f'maple-bay</a>\n<h3>Topic: <a href="x">topic {k}</a></h3>\n\n<hr>\n\n<base href="https://chat.example">\n'
            '\n<head><link href="/style.css" rel="stylesheet"></head>\n\n{% raw %}\n'
        )
        tail = "\n{% endraw %}\n\n<hr><p>Last updated: Jul 01 2025 at 00:00 UTC</p>"
        (stream / f"topic{k}.html").write_text(head + "".join(items) + tail, encoding="utf-8")
    return folder
