"""What a WhatsApp line says: a membership event, a deleted message, a notice, or talk, in seven languages.

System lines come in these forms (<LRM> is the invisible U+200E mark):

    31/12/2023, 21:41 - Alice left                          Android: no 'Name: ' part
    [31/12/2023, 21:41:05] <LRM>Alice left                      iPhone before 2023: a U+200E mark first
    [31/12/2023, 21:41:05] Alice: <LRM>left                     iPhone 2023 on: 'Name: ', then the mark
    [31/12/2023, 21:41:05] Maple Bay: <LRM>Alice left           ... or the group's name, then the whole line

So a text after 'Name: ' that begins with the mark is read as a system line: first with
its own subject ("Alice left"), then with the name before the colon as the subject
("left"). Phrasings are those of current Android and iPhone exports in English, Chinese,
Spanish, Portuguese, German, French and Indonesian (including the 'You' forms). A line
that looks like a system line but matches none is counted as *unrecognised* and kept as
a service line, never as a member talking; its masked shape is shown, so a new phrasing
is visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKS = "\u200e\u200f\u202a\u202c\ufeff"


YOU = ("You", "you", "Tú", "tú", "Tu", "Você", "Du", "Vous", "Anda", "Kamu", "你", "您")
"""How exports name the exporter as a subject."""


Q = r"[\"“”„«»‘’]\s?"  # quotes around a group's title, in any locale
LIST = r"(?P<list>.+?)"
TITLE = rf"{Q}(?P<title>.*?)\s?{Q}"

# (action, phrasing after the subject); create | join | add | remove | leave | number | other
PHRASES: tuple[tuple[str, str], ...] = (
    # notices that change no membership, with a subject (first: "added this group to the community")
    (
        "other",
        r"(?:changed|deleted) (?:the |this )?(?:group'?s? )?(?:subject|name|icon|description|settings|group name)"
        r".*|changed this group's (?:icon|settings).*|changed the (?:group )?settings.*|pinned a message"
        r"|turned (?:on|off) disappearing messages.*|(?:is|are) now an admin|(?:is|are) no longer an admin"
        r"|reset this group's invite link|requested to join|changed the group (?:name|description).*"
        r"|created (?:the )?community.*|added this group to the community.*|started a call|started a video call",
    ),
    (
        "other",
        r"(?:修改|更改|更换)(?:了)?(?:群组|此群组)?(?:名称|图标|描述|设置|说明).*|(?:现在是|已成为)(?:群)?管理员",
    ),
    ("other", r"(?:cambió|cambiaste) (?:el asunto|el nombre|la descripción|el ícono|la imagen|los ajustes).*"),
    ("other", r"(?:mudou|alterou) (?:o nome|a descrição|a imagem|as configurações|o assunto).*"),
    ("other", r"(?:hat|hast) (?:den Betreff|das Gruppenbild|die Gruppenbeschreibung|die Einstellungen).*"),
    ("other", r"(?:a|avez) (?:modifié|changé) (?:le sujet|le nom|la description|l'icône|les paramètres).*"),
    ("other", r"(?:mengubah|mengganti) (?:subjek|nama|deskripsi|ikon|setelan|pengaturan).*"),
    # English
    ("create", rf"created (?:the )?group {TITLE}"),
    ("create", r"created this group"),
    ("join", r"joined using (?:this|a) (?:group|community)'s invite link"),
    ("join", r"joined using (?:an? |this )?(?:group |invite )?link"),
    ("join", r"joined (?:from|via) the community"),
    ("join", r"joined"),
    ("join", r"(?:was|were) added"),
    ("add", rf"added {LIST}"),
    ("remove", rf"removed {LIST}"),
    ("leave", r"left"),
    ("number", r"changed (?:their|your) phone number to a new number\..*"),
    ("number", r"changed to (?P<new>.+)"),
    # Chinese
    ("create", rf"(?:已)?创建(?:了)?(?:群组|群聊|此群组)\s*{TITLE}"),
    ("create", r"(?:已)?创建(?:了)?此群组"),
    ("join", r"(?:已)?(?:通过|使用)此(?:群组|社群)的邀请链接加入(?:了)?(?:此群组|群组)?"),
    ("join", r"(?:已)?加入(?:了)?(?:此群组|群组|群聊)?"),
    ("add", rf"(?:已)?添加(?:了)?\s*{LIST}"),
    ("remove", rf"(?:已)?(?:移除|移出)(?:了)?\s*{LIST}"),
    ("leave", r"(?:已)?退出(?:了)?(?:此群组|群组|群聊)?"),
    ("number", r"(?:已)?(?:更改|更换)(?:了)?(?:其|你的|您的)?电话号码.*"),
    ("number", r"(?:已)?(?:更改|更换)为\s*(?P<new>.+)"),
    # Spanish
    ("create", rf"(?:creó|creaste) el grupo {TITLE}"),
    ("create", r"(?:creó|creaste) este grupo"),
    ("join", r"(?:se unió|te uniste) (?:usando|mediante|con|a través de) el enlace de invitación(?: de este grupo)?"),
    ("join", r"(?:se unió|te uniste)(?: al grupo)?"),
    ("add", rf"(?:añadió|agregó|añadiste|agregaste)(?: a)? {LIST}"),
    ("remove", rf"(?:eliminó|eliminaste|expulsó)(?: a)? {LIST}"),
    ("leave", r"(?:salió|saliste)(?: del grupo)?"),
    ("number", r"cambió su número de teléfono a uno nuevo.*|cambió su número de teléfono.*"),
    ("number", r"cambió a (?P<new>.+)"),
    # Portuguese
    ("create", rf"criou o grupo {TITLE}"),
    ("create", r"criou este grupo"),
    ("join", r"entrou (?:usando o|pelo|através do|com o) link de convite(?: deste grupo)?"),
    ("join", r"entrou(?: no grupo)?"),
    ("add", rf"adicionou {LIST}"),
    ("remove", rf"removeu {LIST}"),
    ("leave", r"saiu(?: do grupo)?"),
    ("number", r"mudou (?:seu|o) número de telefone.*"),
    ("number", r"mudou para (?P<new>.+)"),
    # German
    ("create", rf"(?:hat|hast) die Gruppe {TITLE} erstellt"),
    ("create", r"(?:hat|hast) diese Gruppe erstellt"),
    ("join", r"(?:ist|bist) (?:der Gruppe )?über den Einladungslink(?: dieser Gruppe)? beigetreten"),
    ("join", r"(?:ist|bist) (?:der Gruppe )?beigetreten"),
    ("add", rf"(?:hat|hast) {LIST} hinzugefügt"),
    ("remove", rf"(?:hat|hast) {LIST} entfernt"),
    ("leave", r"(?:hat|hast) die Gruppe verlassen|(?:ist|bist) ausgetreten"),
    ("number", r"(?:hat|hast) (?:die|seine|ihre|deine) Telefonnummer.* geändert.*"),
    ("number", r"(?:hat|hast) zu (?P<new>.+) gewechselt"),
    # French
    ("create", rf"(?:a|avez) créé le groupe {TITLE}"),
    ("create", r"(?:a|avez) créé ce groupe"),
    ("join", r"(?:a|avez) rejoint (?:ce|le) groupe (?:via|avec|à l'aide d)(?:u|e)? ?(?:le )?lien d'invitation.*"),
    ("join", r"s'est joint(?:\(e\)|e)? (?:à ce groupe )?(?:via|avec) le lien d'invitation.*"),
    ("join", r"(?:a|avez) rejoint(?: ce groupe| le groupe)?"),
    ("add", rf"(?:a|avez) ajouté {LIST}"),
    ("remove", rf"(?:a|avez) (?:retiré|supprimé|exclu) {LIST}"),
    ("leave", r"(?:est|êtes) parti(?:\(e\)|e)?|(?:a|avez) quitté(?: le groupe| ce groupe)?"),
    ("number", r"(?:a|avez) changé (?:son|votre) numéro de téléphone.*"),
    ("number", r"(?:est|êtes) passé(?:\(e\)|e)? (?:au|à) (?P<new>.+)"),
    # Indonesian
    ("create", rf"membuat grup {TITLE}"),
    ("create", r"membuat grup ini"),
    ("join", r"bergabung (?:menggunakan|melalui|lewat|dengan) tautan undangan(?: grup ini)?"),
    ("join", r"(?:telah )?bergabung(?: ke grup ini)?"),
    ("add", rf"(?:telah )?menambahkan {LIST}"),
    ("remove", rf"(?:telah )?mengeluarkan {LIST}"),
    ("leave", r"(?:telah )?keluar(?: dari grup)?"),
    ("number", r"(?:telah )?mengganti nomor telepon.*"),
    ("number", r"(?:telah )?(?:mengganti|berganti) ke (?P<new>.+)"),
)


NOTICES = (  # whole lines, no subject
    r"Messages and calls are end-to-end encrypted.*",
    r"Messages to this (?:group|chat) (?:and calls )?are now secured with end-to-end encryption.*",
    r"Security code changed.*|Your security code with .* changed.*|This group has over .*",
    r"This message was deleted\.?|You deleted this message\.?|Waiting for this message.*",
    r"Missed (?:voice|video) call.*|This group was added to the community.*",
    r"消息和通话已进行端到端加密.*|发送到此群组的消息现已受端到端加密保护.*|此消息已删除|你删除了此消息|您删除了此消息",
    r"Los mensajes y las llamadas están cifrados de extremo a extremo.*|Los mensajes .* cifrad.*",
    r"Se eliminó este mensaje\.?|Eliminaste este mensaje\.?|Este mensaje fue eliminado\.?",
    r"As mensagens e (?:as )?(?:chamadas|ligações) são protegidas com a criptografia de ponta a ponta.*",
    r"Mensagem apagada|Esta mensagem foi apagada\.?|Você apagou esta mensagem\.?",
    r"Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt.*",
    r"Diese Nachricht wurde gelöscht\.?|Du hast diese Nachricht gelöscht\.?",
    r"Les messages et les appels sont chiffrés de bout en bout.*",
    r"Ce message a été supprimé\.?|Vous avez supprimé ce message\.?",
    r"Pesan dan panggilan terenkripsi secara end-to-end.*",
    r"Pesan ini telah dihapus\.?|Anda menghapus pesan ini\.?",
)


DELETED = re.compile(
    r"^(?:This message was deleted|You deleted this message|此消息已删除|你删除了此消息|您删除了此消息"
    r"|Se eliminó este mensaje|Eliminaste este mensaje|Este mensaje fue eliminado|Mensagem apagada"
    r"|Esta mensagem foi apagada|Você apagou esta mensagem|Diese Nachricht wurde gelöscht"
    r"|Du hast diese Nachricht gelöscht|Ce message a été supprimé|Vous avez supprimé ce message"
    r"|Pesan ini telah dihapus|Anda menghapus pesan ini)\.?$"
)
"""A deleted message: the member did write something (kept, no text)."""


MEDIA = re.compile(
    r"^(?:.*\s)?(?:<Media omitted>|<Medien ausgeschlossen>|<Multimedia omitido>|<Mídia oculta>|<Médias omis>"
    r"|<Media tidak disertakan>|<省略影音内容>|<attached: [^>]*>"
    r"|(?:image|video|audio|sticker|GIF|document|Contact card) omitted"
    r"|(?:imagen|video|audio|sticker|documento|GIF) omitid[oa]|(?:imagem|vídeo|áudio|figurinha) ocultad?[oa]"
    r"|(?:Bild|Video|Audio|Sticker|Dokument|GIF) weggelassen|(?:image|vidéo|audio|autocollant|document) absente?"
    r"|(?:gambar|video|audio|stiker|dokumen) tidak disertakan|(?:图片|视频|音频|贴纸|文档)已省略)$",
    re.IGNORECASE,
)
"""A media placeholder, alone or after the file's name (iPhone: 'IMG_1.jpg <LRM><attached: ...>')."""


@dataclass(frozen=True)
class SystemLine:
    """A recognised system line: what happened, who did it, to whom, and a title or new number if given."""

    action: str  # create | join | add | remove | leave | number | other | notice
    subject: str | None
    objects: tuple[str, ...] = ()
    title: str | None = None
    new: str | None = None


def _compile() -> tuple[list[tuple[str, re.Pattern, re.Pattern]], re.Pattern]:
    """Each phrasing with its subject ('Alice left') and without ('left'); the notices as one pattern."""
    rules = [
        (action, re.compile(rf"^(?P<who>.+?)\s*{phrase}\.?$"), re.compile(rf"^{phrase}\.?$", re.IGNORECASE))
        for action, phrase in PHRASES
    ]
    return rules, re.compile("^(?:" + "|".join(NOTICES) + ")$")


RULES, NOTICE = _compile()


LIST_SPLIT = re.compile(r",\s*|\s+(?:and|y|e|und|et|dan)\s+|、|和|，")


def names(listed: str) -> tuple[str, ...]:
    """'Bob, Carol and Dan' (or 'Bob y Carol', 'Bob、Carol') -> ('Bob', 'Carol', 'Dan')."""
    return tuple(n.strip(MARKS + " ") for n in LIST_SPLIT.split(listed) if n.strip(MARKS + " "))


def _normal(text: str) -> str:
    """The text with marks removed, curly apostrophes straight and spaces single."""
    text = re.sub(f"[{MARKS}]", "", text).replace("’", "'")
    return re.sub(r"[ \u00a0\u202f]+", " ", text).strip()


def system_line(text: str, speaker: str | None = None) -> SystemLine | None:
    """The system line ``text`` is, or None; ``speaker`` is the name before ': ' (iPhone 2023 on), if any."""
    text = _normal(text)
    if NOTICE.match(text):
        return SystemLine("notice", None)
    for action, with_subject, verb_first in RULES:
        # 'Alice: left' (the speaker is the subject) before 'Group: Alice left'; no speaker: 'Saliste' is You
        match = verb_first.match(text) if speaker is not None else None
        subject = speaker
        if match is None:
            match = with_subject.match(text)
            subject = match["who"].strip() if match else None
        if match is None and speaker is None:
            match, subject = verb_first.match(text), "You"
        if match is None:
            continue
        found = match.groupdict()
        return SystemLine(
            action,
            subject,
            names(found["list"]) if found.get("list") else (),
            found.get("title"),
            (found.get("new") or "").strip() or None,
        )
    return None


PHONE = re.compile(r"\+?\d[\d \u00a0\u202a\u202c()./-]{5,}\d")


def masked(text: str, people: set[str]) -> str:
    """The line's shape with known names and phone numbers replaced, for showing an unrecognised phrasing."""
    text = _normal(text)
    for person in sorted(people, key=len, reverse=True):
        if len(person) >= 2:
            text = text.replace(person, "NAME")
    text = PHONE.sub("NUMBER", text)
    text = re.sub(rf"{Q}.*?{Q}", '"…"', text)
    return text[:80]
