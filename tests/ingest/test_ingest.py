"""Real data in: each adapter recovers a planted chat history, keeps personal data out, and refuses bad input."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import open_dataset
from helpers.data.atomic import usual_mode
from helpers.data.event_time import data_end
from helpers.ingest.chatlog import ExportError, Settings
from helpers.ingest.identity import person_key
from helpers.ingest.privacy import PROJECT_ROOT, KeyProblem, Pseudonyms, load_key
from helpers.ingest.run import IngestError, ingest
from helpers.ingest.telegram_html import pages
from helpers.measures.group_week import group_week_panel
from helpers.studies.retention.summary import summarise as retention

from conftest import ROOT
from export_samples import (
    LOCALES,
    SYSTEM_PHRASINGS,
    TITLE,
    _discord_author,
    _discord_message,
    chat_history,
    write_company_tables,
    write_discord,
    write_irc,
    write_message_log,
    write_slack,
    write_telegram,
    write_telegram_html,
    write_tg_archive,
    write_wechat,
    write_whatsapp,
    write_zulip_archive,
)

KEY = "test-key-0123456789abcdef-not-secret"


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.delenv("WORKBENCH_HASH_KEY_FILE", raising=False)
    monkeypatch.setenv("WORKBENCH_HASH_KEY", KEY)


@pytest.fixture(scope="module")
def history():
    return chat_history()


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    ds = open_dataset(out)
    names = ("groups", "memberships", "messages", "conversions", "activities", "activity_participants")
    return {name: getattr(ds.tables, name).to_pandas() for name in names if getattr(ds.tables, name) is not None}


def _planted_forms(h) -> dict[str, int]:
    forms = {"text": 0, "link": 0, "media": 0}
    for _, _, form, _ in h.messages:
        forms[{"sticker": "media", "multiline": "text"}.get(form, form)] += 1
    return forms


def _check_recovers(tables: dict[str, pd.DataFrame], h, *, service_lines: int) -> None:
    """Stays, exits, owner and message forms as planted."""
    m, msgs = tables["memberships"], tables["messages"]
    assert m["member_id"].nunique() == len(h.people)
    assert len(m) == len(h.people) + h.count("link") + h.count("invite") - len(h.members)  # one rejoin
    reasons = m["leave_reason"].value_counts().to_dict()
    assert reasons == {"quit": h.count("leave"), "removed": h.count("remove")}
    assert (m["role"] == "owner").sum() == 1
    forms = msgs["form"].value_counts().to_dict()
    assert forms == {**_planted_forms(h), "service": service_lines}
    assert msgs.loc[msgs["form"] == "service", "member_id"].isna().all()
    assert (msgs["kind"] == "system").sum() == service_lines


def test_telegram_single_chat_recovers_the_planted_history(tmp_path, history):
    done = ingest("telegram", write_telegram(history, tmp_path / "result.json"), tmp_path / "out")
    tables = _tables(done.out)
    _check_recovers(tables, history, service_lines=1 + len(history.events))
    sent = tables["messages"].loc[tables["messages"]["form"] != "service", "sent_at"].sort_values()
    assert list(sent.dt.tz_convert("UTC")) == [at for at, *_ in history.messages]  # date_unixtime is UTC
    group = tables["groups"].iloc[0]
    assert group["created_at"] == history.created and group["platform"] == "telegram"
    assert done.tally.read["removals"] == history.count("remove")


def test_telegram_full_account_export_keeps_groups_only(tmp_path, history):
    done = ingest("telegram", write_telegram(history, tmp_path / "result.json", full_account=True), tmp_path / "out")
    assert done.tally.skipped["chats of type personal_chat (not a group)"] == 1
    single = ingest("telegram", write_telegram(history, tmp_path / "single.json"), tmp_path / "single")
    full, alone = _tables(done.out), _tables(single.out)
    for name in full:
        assert (
            full[name]
            .sort_values(full[name].columns[0])
            .reset_index(drop=True)
            .equals(alone[name].sort_values(alone[name].columns[0]).reset_index(drop=True))
        ), name


@pytest.mark.parametrize("locale", list(LOCALES))
def test_whatsapp_locales_recover_the_planted_history(tmp_path, history, locale):
    path = write_whatsapp(history, tmp_path / f"WhatsApp Chat with {locale}.txt", locale)
    done = ingest("whatsapp", path, tmp_path / "out", time_zone="Asia/Shanghai", you=history.owner.name)
    tables = _tables(done.out)
    # encryption notice, creation, two adds of monitors, then one line per event
    _check_recovers(tables, history, service_lines=4 + len(history.events))
    seconds = locale.startswith("iphone")
    planted = [at if seconds else at.floor("min") for at, *_ in history.messages]
    sent = tables["messages"].loc[tables["messages"]["form"] != "service", "sent_at"].sort_values()
    assert list(sent.dt.tz_convert("UTC")) == planted  # phone-local times moved to UTC
    multi = [t for *_, f, t in history.messages if f == "multiline"][0]
    assert len(multi) in set(tables["messages"]["text_length"])  # continuation lines joined to their message
    assert done.tally.read["continuation lines (multi-line messages)"] == 2 * sum(
        f == "multiline" for *_, f, _ in history.messages
    )


@pytest.mark.parametrize(
    "locale, language",
    [(locale, language) for locale in ("android_gb", "iphone") for language in SYSTEM_PHRASINGS]
    + [("iphone_2023", "en")],  # the sample writer writes the 2023 verb-first form in English only
)
def test_whatsapp_system_lines_in_seven_languages_and_both_iphone_forms(tmp_path, history, locale, language):
    """Joins by link and by adding, leaves and removals are read in every language and form, never as talk."""
    path = write_whatsapp(history, tmp_path / f"WhatsApp Chat with {language}.txt", locale, language)
    done = ingest("whatsapp", path, tmp_path / "out", time_zone="Asia/Shanghai", you=history.owner.name)
    _check_recovers(_tables(done.out), history, service_lines=4 + len(history.events))
    assert done.tally.read["joins"] == 1 + len(history.monitors) + history.count("link") + history.count("invite")
    assert done.tally.read["leaves"] == history.count("leave")
    assert done.tally.read["removals"] == history.count("remove")
    assert not done.tally.unrecognised


@pytest.mark.parametrize("locale", ["iphone", "iphone_2023"])
def test_iphone_non_contacts_written_two_ways_are_one_member_each(tmp_path, history, locale):
    """'~<NNBSP>Name' and '<LRE>+86<NBSP>139 ...<PDF>' senders are linked to their own join lines."""
    path = write_whatsapp(history, tmp_path / "WhatsApp Chat with raw.txt", locale, iphone_names=True)
    done = ingest("whatsapp", path, tmp_path / "out", time_zone="Asia/Shanghai", you=history.owner.name)
    tables = _tables(done.out)
    _check_recovers(tables, history, service_lines=4 + len(history.events))
    assert done.tally.read["stays begun before the export"] == 0  # every speaker's join is in the file
    assert tables["memberships"]["observed_from"].isna().all()


def test_person_key_writes_every_form_of_a_name_or_number_one_way():
    """The iPhone's marks, no-break spaces and '~', and a number's separators, give one form (a closed list)."""
    forms = {
        "+86 139 5550 0103": [
            "\u202a+86\u00a0139\u00a05550\u00a00103\u202c",
            "+86-139-5550-0103",
            "+86 (139) 55500103",
        ],
        "Qiuyue Lindqvist": ["~\u202fQiuyue Lindqvist", "\u200eQiuyue\u00a0 Lindqvist ", "Ｑｉｕｙｕｅ Lindqvist"],
    }
    for one, written in forms.items():
        assert {person_key(w) for w in written} == {person_key(one)}
    assert person_key("+86 139 5550 0103") == "+8613955500103"
    assert person_key("Ana") != person_key("ana")  # case is kept: two accounts
    assert person_key("👩\u200d👧 Mum") == "👩\u200d👧 Mum"  # the joiner inside an emoji is kept


def test_whatsapp_group_names_come_from_the_option_the_folder_or_the_export_never_the_file_name(tmp_path, history):
    """Two iPhone exports both called _chat.txt are two groups; --group-name names one; the id is a hash of it."""
    first, second = tmp_path / "a", tmp_path / "WhatsApp Chat - Harbour Walkers"
    first.mkdir(), second.mkdir()
    one = write_whatsapp(history, first / "_chat.txt", "iphone_2023", title="Maple Bay Mums Club 2025")
    two = write_whatsapp(history, second / "_chat.txt", "iphone")  # no notice in the group's name: the folder names it
    ids = {}
    for label, path, name in (("one", one, None), ("two", two, None), ("named", one, "Maple Bay Mums Club 2025")):
        done = ingest("whatsapp", path, tmp_path / label, time_zone="Asia/Shanghai", group_name=name)
        ids[label] = _tables(done.out)["groups"]["group_id"].item()
    assert ids["one"] != ids["two"]
    assert ids["one"] == ids["named"]  # the same name gives the same id, whichever way it was found
    (tmp_path / "bare").mkdir()
    bare = tmp_path / "bare" / "_chat.txt"
    bare.write_text("[1/2/25, 10:00:00\u202fAM] Ann: hello\n[1/3/25, 11:00:00\u202fAM] Ben: hi\n", encoding="utf-8")
    with pytest.raises(ExportError, match="_chat.txt: the group's name .* --group-name"):
        ingest("whatsapp", bare, tmp_path / "bare_out", date_order="mdy")
    assert not (tmp_path / "bare_out").exists()


def test_whatsapp_unrecognised_system_lines_are_counted_masked_and_never_talk(tmp_path):
    """A phrasing the reader does not know is a service line, shown with names and numbers masked."""
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "[12/03/2024, 10:00:00] Ann Quillfeather: hello\n"
        "[12/03/2024, 10:01:00] Ann Quillfeather: \u200ewas teleported into the group by \u202a+44 7700 900123\u202c\n"
        "[13/03/2024, 10:01:00] \u200eAnn Quillfeather zoomed off\n"
        "[13/03/2024, 10:02:00] Ann Quillfeather: \u200eThis message was deleted.\n"
        "[13/03/2024, 10:03:00] Ann Quillfeather: holiday.jpg \u200e<attached: 00000012-PHOTO-2024-03-13.jpg>\n",
        encoding="utf-8",
    )
    done = ingest("whatsapp", chat, tmp_path / "out", date_order="dmy")
    messages = _tables(done.out)["messages"]
    assert messages["form"].value_counts().to_dict() == {"text": 2, "service": 2, "media": 1}
    assert done.tally.read["deleted messages (kept, no text)"] == 1
    assert done.tally.read["system-like lines not recognised (kept as service lines)"] == 2
    shown = done.tally.format()
    assert "NAME zoomed off" in shown and "NUMBER" in shown
    assert "Quillfeather" not in shown and "7700" not in shown


def test_whatsapp_number_changes_keep_one_person(tmp_path):
    """'X changed to +NUMBER': later lines from the new number are the same member's, in one stay."""
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "12/03/2024, 10:00 - Ann added Bob\n12/03/2024, 10:05 - Bob: hello\n"
        "14/03/2024, 09:00 - Bob changed to +44 7700 900456\n14/03/2024, 09:30 - +44 7700 900456: still me\n"
        "15/03/2024, 09:00 - +44 7700 900456 left\n",
        encoding="utf-8",
    )
    done = ingest("whatsapp", chat, tmp_path / "out", date_order="dmy")
    stays = _tables(done.out)["memberships"]
    bob = stays[stays["leave_reason"] == "quit"]
    assert len(bob) == 1 and len(stays) == 1  # Bob's one stay, under both numbers
    assert done.tally.read["phone number changes"] == 1


def test_whatsapp_ambiguous_dates_need_a_date_order(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("01/02/2025, 10:00 - Ana: hello\n02/03/2025, 11:00 - Ben: hi\n", encoding="utf-8")
    with pytest.raises(ExportError, match=r"chat.txt: line 1: dates are ambiguous .*--date-order"):
        ingest("whatsapp", path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    done = ingest("whatsapp", path, tmp_path / "out", date_order="mdy")
    assert _tables(done.out)["messages"]["sent_at"].min() == pd.Timestamp("2025-01-02 10:00", tz="UTC")


def test_settings_give_operators_and_message_kinds(tmp_path, history):
    settings = Settings.from_dict(
        {
            "channel": "parcel_card",
            "segment": "baby_0_3m",
            "city": "Wuhan",
            "target_size": 200,
            "operators": {"monitor": [m.name for m in history.monitors]},
            "kinds": [{"kind": "promo", "pattern": "coupon|% off", "roles": ["owner", "monitor"]}],
        }
    )
    done = ingest("telegram", write_telegram(history, tmp_path / "result.json"), tmp_path / "out", settings=settings)
    tables = _tables(done.out)
    assert tables["memberships"]["role"].value_counts()["monitor"] == 2
    operators = {history.owner, *history.monitors}
    planted = sum(p in operators and ("Coupon" in t or "coupon" in t) for _, p, _, t in history.messages)
    assert (tables["messages"]["kind"] == "promo").sum() == planted > 0
    assert tables["groups"].iloc[0][["channel", "segment", "city", "target_size"]].tolist() == [
        "parcel_card",
        "baby_0_3m",
        "Wuhan",
        200,
    ]
    with pytest.raises(ValueError, match="operators: role 'boss'"):
        Settings.from_dict({"operators": {"boss": ["x"]}})


def test_company_tables_through_a_mapping(tmp_path, history):
    done = ingest("tables", write_company_tables(history, tmp_path / "company"), tmp_path / "out")
    tables = _tables(done.out)
    m = tables["memberships"]
    assert m["member_id"].nunique() == len(history.people)
    assert m["leave_reason"].value_counts().to_dict() == {
        "quit": history.count("leave"),
        "removed": history.count("remove"),
    }
    assert (m["role"] == "monitor").sum() == 2
    assert tables["groups"].iloc[0]["target_size"] == 200
    first = tables["messages"]["sent_at"].min()
    assert first == history.messages[0][0]  # Asia/Shanghai local times moved to UTC


def test_message_log_without_joins_is_flagged(tmp_path, history):
    done = ingest("tables", write_message_log(history, tmp_path / "log"), tmp_path / "out")
    tables = _tables(done.out)
    assert len(tables["memberships"]) == len({p for _, p, *_ in history.messages})
    assert tables["memberships"]["left_at"].isna().all()
    assert any("retention and churn cannot be measured" in note for note in done.tally.notes)


def test_a_message_log_never_yields_a_retention_figure(tmp_path, history):
    """No exits recorded: no retention, median or hazard ratio is shown, and no figure draws 100% retention."""
    folder = tmp_path / "log"
    write_message_log(history, folder)
    log = pd.read_csv(folder / "messages.tsv", sep="\t")
    second = log.assign(group=log["group"] + "-b")
    pd.concat([log, second]).to_csv(folder / "messages.tsv", sep="\t", index=False)
    done = ingest("tables", folder / "mapping.yml", tmp_path / "out")
    result = retention(open_dataset(done.out))
    exits = {k: e for k, e in result.headline.items() if k != "paid_conversion_30d"}  # conversions: no table
    assert all(e.not_estimable and "no member's leaving is recorded" in e.why_not for e in exits.values())
    text = " ".join(f.text for f in result.findings)
    assert "not measurable" in text and "100.0%" not in text and "nan" not in text
    assert set(result.figures) == {"layers"} and "Not measurable" in result.notes["curves"]
    assert result.verdicts[0].verdict == "inconclusive"


def test_mapping_errors_name_file_column_row_and_value(tmp_path, history):
    mapping = write_company_tables(history, tmp_path / "company")
    members = pd.read_csv(tmp_path / "company" / "members.csv", dtype=str)
    members.loc[2, "join_time"] = "yesterday at noon"
    members.to_csv(tmp_path / "company" / "members.csv", index=False)
    with pytest.raises(
        ExportError,
        match=r"members.csv: column 'join_time': 1 row do not match the time format "
        r".*row 3: 'yesterday at noon'",
    ):
        ingest("tables", mapping, tmp_path / "out")
    members.loc[2, "join_time"] = members.loc[1, "join_time"]
    members.loc[4, "role"] = "superadmin"
    members.to_csv(tmp_path / "company" / "members.csv", index=False)
    with pytest.raises(ExportError, match=r"column 'role': 1 row are not one of owner, monitor.*row 5: 'superadmin'"):
        ingest("tables", mapping, tmp_path / "out")
    mapping.write_text(mapping.read_text().replace("sent_at: ts", "sent_at: timestamp"))
    with pytest.raises(ExportError, match=r"messages.tsv: header: column\(s\) not found: timestamp \(for sent_at\)"):
        ingest("tables", mapping, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bad_exports_give_clear_errors_and_write_nothing(tmp_path, history):
    good = write_telegram(history, tmp_path / "result.json")
    out = tmp_path / "out"
    ingest("telegram", good, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(good.read_bytes()[:40_000])
    with pytest.raises(ExportError, match=r"truncated.json: line \d+, column \d+: .*truncated export"):
        ingest("telegram", truncated, out, replace=True)
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x", "type": "private_group", "messages": [{"id": 1,, }]}')
    with pytest.raises(ExportError, match=r"broken.json: line 1, column 62: Expecting property name.*malformed JSON"):
        ingest("telegram", broken, out, replace=True)
    other = tmp_path / "package.json"
    other.write_text('{"name": "left-pad", "version": "1.3.0"}')
    with pytest.raises(ExportError, match="not a Telegram Desktop export.*found name, version"):
        ingest("telegram", other, out, replace=True)
    dated = json.loads(good.read_text())
    del dated["messages"][5]["date_unixtime"]
    dated["messages"][5]["date"] = "5 March 2025, 10h"
    (tmp_path / "dated.json").write_text(json.dumps(dated))
    with pytest.raises(ExportError, match=r"message id 6 \(entry 6 .*unknown date format '5 March 2025, 10h'"):
        ingest("telegram", tmp_path / "dated.json", out, replace=True)
    table = tmp_path / "export.txt"
    table.write_text("group,sender,time\nG1,+86 139,2025-01-01\n")
    with pytest.raises(ExportError, match=r"export.txt: line 1: not a WhatsApp chat export: 'group,sender,time'"):
        ingest("whatsapp", table, out, replace=True)
    with pytest.raises(IngestError, match="exists and is not empty; pass --replace"):
        ingest("telegram", good, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no half-built folders


def test_pseudonyms_need_a_key_kept_outside_the_repository(tmp_path, monkeypatch):
    assert Pseudonyms(load_key()).member("user1") == Pseudonyms(KEY.encode()).member("user1")
    assert Pseudonyms(b"another-key-0123456789").member("user1") != Pseudonyms(KEY.encode()).member("user1")
    monkeypatch.delenv("WORKBENCH_HASH_KEY")
    with pytest.raises(KeyProblem, match="no pseudonymisation key"):
        load_key()
    with pytest.raises(KeyProblem, match="inside the project folder"):
        load_key(PROJECT_ROOT / "hash.key")
    key_file = tmp_path / "keys" / "hash.key"
    result = subprocess.run([sys.executable, "-m", "helpers", "keygen", str(key_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert oct(key_file.stat().st_mode & 0o777) == "0o600" and len(load_key(key_file)) == 64
    again = subprocess.run([sys.executable, "-m", "helpers", "keygen", str(key_file)], capture_output=True, text=True)
    assert again.returncode == 2 and "exists" in again.stderr


def test_cli_reports_counts_and_exits_2_on_bad_input(tmp_path, history):
    path = write_whatsapp(history, tmp_path / "chat.txt", "android_gb")
    command = [
        sys.executable,
        "-m",
        "helpers",
        "ingest",
        "whatsapp",
        str(path),
        "--out",
        str(tmp_path / "out"),
        "--timezone",
        "Asia/Shanghai",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "removals" in result.stdout and f"{history.count('remove')}" in result.stdout
    assert "meets the data contract" in result.stdout
    bad = subprocess.run(
        command[:7] + [str(tmp_path / "bad"), "--timezone", "Mars/Olympus"], capture_output=True, text=True, cwd=ROOT
    )
    assert bad.returncode == 2 and "unknown time zone 'Mars/Olympus'" in bad.stderr
    assert "Nothing was written" in bad.stderr and not (tmp_path / "bad").exists()


def test_keep_text_is_opt_in_and_private(tmp_path, history):
    path = write_telegram(history, tmp_path / "result.json")
    plain = ingest("telegram", path, tmp_path / "plain")
    assert not (plain.out / "private").exists()
    kept = ingest("telegram", path, tmp_path / "kept", keep_text=True)
    text = pd.read_parquet(kept.out / "private" / "message_text.parquet")
    assert "Morning everyone, how did the night go?" in set(text["text"])
    assert json.loads((kept.out / "ingest.json").read_text())["text_kept"] is True
    assert stat.S_IMODE((kept.out / "private").stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in (kept.out / "private").iterdir()} == {0o600}
    assert stat.S_IMODE(kept.out.stat().st_mode) == usual_mode(folder=True)  # the dataset itself: as any folder


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("time_zone: Asia/Shanghai", "time_zone: Mars/Olympus", "time_zone: unknown time zone 'Mars/Olympus'"),
        ('time_format: "%Y-%m-%d %H:%M:%S"', "time_format: yyyy-mm-dd", "'yyyy-mm-dd' is not a time format"),
        ("platform: wechat", "platform: [wechat]", "platform: should be text, got ['wechat']"),
        (
            "    defaults: {kind: chat}",
            "    defaults: [kind, chat]",
            "tables.messages.defaults: should be a mapping (key: value lines), got ['kind', 'chat']",
        ),
        ("    file: messages.tsv", "    file: [messages.tsv]", "tables.messages.file: should be text"),
        ("platform: wechat", "platform: wechat\nworkers: 2", "workers: is not a setting here (a typo?)"),
    ],
)
def test_a_mapping_that_does_not_fit_its_schema_names_the_key_path(tmp_path, history, old, new, message):
    mapping = write_company_tables(history, tmp_path / "company")
    assert old in mapping.read_text()
    mapping.write_text(mapping.read_text().replace(old, new))
    with pytest.raises(ExportError, match=re.escape(message)):
        ingest("tables", mapping, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "zone, wall", [("Europe/Berlin", "2025-03-30 02:30:00"), ("Europe/Berlin", "2025-10-26 02:30:00")]
)
def test_times_in_a_daylight_saving_gap_or_fold_are_named_not_shifted(tmp_path, history, zone, wall):
    mapping = write_company_tables(history, tmp_path / "company")
    mapping.write_text(mapping.read_text().replace("time_zone: Asia/Shanghai", f"time_zone: {zone}"))
    members = pd.read_csv(tmp_path / "company" / "members.csv", dtype=str)
    members.loc[3, "join_time"] = wall
    members.to_csv(tmp_path / "company" / "members.csv", index=False)
    with pytest.raises(
        ExportError, match=rf"column 'join_time': 1 row fall in a daylight-saving change of {zone}.*row 4"
    ):
        ingest("tables", mapping, tmp_path / "out")


def test_a_telegram_export_folder_is_read_through_its_result_json(tmp_path, history):
    folder = tmp_path / "ChatExport_2025-03-01"
    folder.mkdir()
    write_telegram(history, folder / "result.json")
    done = ingest("telegram", folder, tmp_path / "out")
    assert len(_tables(done.out)["messages"]) > 0


@pytest.mark.parametrize("as_folder", [True, False])
def test_an_html_page_that_is_no_telegram_export_is_named(tmp_path, as_folder):
    folder = tmp_path / "ChatExport"
    folder.mkdir()
    (folder / "messages.html").write_text("<!DOCTYPE html>\n<html><body>hi</body></html>")
    with pytest.raises(ExportError, match=r"messages.html: holds no messages \(not a Telegram HTML export\?\)"):
        ingest("telegram", folder if as_folder else folder / "messages.html", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_and_a_key_that_is_a_folder_are_named(tmp_path, history, monkeypatch):
    export = write_telegram(history, tmp_path / "result.json")
    (tmp_path / "out.txt").write_text("notes")
    with pytest.raises(IngestError, match="out.txt is a file; --out names the folder"):
        ingest("telegram", export, tmp_path / "out.txt", replace=True)
    assert (tmp_path / "out.txt").read_text() == "notes"
    keys = tmp_path / "keys"
    keys.mkdir()
    with pytest.raises(KeyProblem, match="is a folder; point at the key file itself"):
        ingest("telegram", export, tmp_path / "out", key_file=keys)


def test_thai_buddhist_calendar_years_are_converted_and_counted(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text(
        '12/03/2567, 10:01 - Ann created group "Mums"\n12/03/2567, 10:02 - Ann added Bob\n'
        "13/03/2567, 11:00 - Bob: hello\n15/03/2567, 09:06 - Bob left\n",
        encoding="utf-8",
    )
    done = ingest("whatsapp", chat, tmp_path / "out", date_order="dmy")
    sent = _tables(done.out)["messages"]["sent_at"]
    assert sent.dt.year.unique().tolist() == [2024]
    assert done.tally.read["dates in Thai Buddhist-calendar years (converted: year - 543)"] == 4


def test_whatsapp_notices_in_other_phrasings_are_system_lines_not_members_talking(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "12/03/2024, 10:00 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
        "WhatsApp, can read or listen to them. Tap to learn more.\n"
        '12/03/2024, 10:01 - Ann created group "Mums"\n12/03/2024, 10:02 - Ann added Bob\n'
        "13/03/2024, 11:00 - Bob: hello\n14/03/2024, 09:00 - Ann changed the group description\n"
        "14/03/2024, 09:05 - Security code changed. Tap for more info.\n"
        "14/03/2024, 09:06 - Ann changed this group's settings to allow only admins to send messages\n",
        encoding="utf-8",
    )
    done = ingest("whatsapp", chat, tmp_path / "out", date_order="dmy")
    messages = _tables(done.out)["messages"]
    assert (messages["kind"] != "system").sum() == 1  # only Bob's hello is talk
    assert messages.loc[messages["kind"] == "system", "member_id"].isna().all()
    assert done.tally.read["notices without membership meaning"] == 4


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"operators": {"monitor": "u_1001"}},
            "settings: operators.monitor: should be a list (lines starting with '- ')",
        ),
        ({"operators": ["u_1001"]}, "settings: operators: should be a mapping (key: value lines)"),
        ({"target_size": "two hundred"}, "settings: target_size: should be a whole number, got 'two hundred'"),
        ({"kinds": [{"kind": "promo"}]}, "settings: kinds[1].pattern: is missing"),
        (["channel", "kol"], "settings: settings are a mapping"),
    ],
)
def test_settings_of_the_wrong_shape_name_the_key_path(config, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_dict(config)


def test_irc_logs_recover_the_planted_history(tmp_path, history):
    """Joins, parts and kicks become stays; a nick change keeps one person; dates come from the file names."""
    done = ingest("irc", write_irc(history, tmp_path / "logs"), tmp_path / "out")
    tables = _tables(done.out)
    read = done.tally.read
    assert read["joins"] == 1 + len(history.monitors) + history.count("link") + history.count("invite")
    assert (read["parts and quits"], read["kicks"]) == (history.count("leave"), history.count("remove"))
    assert read["nick changes (the same person)"] == 1
    stays = tables["memberships"]
    assert stays["member_id"].nunique() == len(history.people)  # the renamed monitor is one member
    assert stays["leave_reason"].value_counts().to_dict() == {
        "quit": history.count("leave"),
        "removed": history.count("remove"),
    }
    sent = tables["messages"]["sent_at"].sort_values().dt.tz_convert("UTC")
    assert list(sent) == [at.floor("min") for at, *_ in history.messages]
    assert tables["groups"]["platform"].item() == "irc"


def test_irc_logs_without_a_date_or_a_channel_are_named(tmp_path):
    log = tmp_path / "channel.log"
    log.write_text("[10:00] <ann> hello\n[10:01] <ben> hi\n", encoding="utf-8")
    with pytest.raises(ExportError, match="no line names its channel: give the channel with --group-name"):
        ingest("irc", log, tmp_path / "out")
    with pytest.raises(ExportError, match=r"channel.log: line 1: no date on the line or in the file's name"):
        ingest("irc", log, tmp_path / "out", group_name="#maple")
    assert not (tmp_path / "out").exists()


def test_membership_events_become_the_same_stays_as_the_stay_table(tmp_path, history):
    """Join / leave / kick rows in a log give one stay per join-leave pair, rejoins included, as the stays table does."""
    folder = tmp_path / "company"
    mapping = write_company_tables(history, folder)
    stays = pd.read_csv(folder / "members.csv", dtype=str)
    rows = [(r.chat, r.user, r.join_time, "enter") for r in stays.itertuples()]
    rows += [(r.chat, r.user, r.leave_time, r.how) for r in stays.itertuples() if isinstance(r.leave_time, str)]
    log = pd.DataFrame(rows, columns=["chat", "user", "time", "action"]).sample(frac=1, random_state=3)
    log = pd.concat([log, log.iloc[:2]])  # two repeated joins / leaves: counted and skipped, not new stays
    log.to_csv(folder / "member_log.csv", index=False)
    text = mapping.read_text()
    start = text.index("  memberships:")
    end = text.index("  groups:")
    events = (
        "  events:\n    file: member_log.csv\n    columns: {group_id: chat, member_id: user, at: time, event: action}\n"
        "    values: {event: {enter: join, quit: leave, kicked: remove}}\n"
    )
    (folder / "events.yml").write_text(text[:start] + events + text[end:])
    from_stays = _tables(ingest("tables", mapping, tmp_path / "stays").out)["memberships"]
    done = ingest("tables", folder / "events.yml", tmp_path / "events")
    from_events = _tables(done.out)["memberships"]
    columns = ["member_id", "joined_at", "left_at", "leave_reason"]
    expected = from_stays[columns].sort_values(columns[:2]).reset_index(drop=True)
    assert from_events[columns].sort_values(columns[:2]).reset_index(drop=True).equals(expected)
    skipped = done.tally.skipped
    assert skipped["join of someone already a member"] + skipped["leave of someone not a member"] == 2
    (folder / "both.yml").write_text(text[:end] + events + text[end:])
    with pytest.raises(ExportError, match="give memberships .* or events .*, not both"):
        ingest("tables", folder / "both.yml", tmp_path / "both")


def test_wechat_memotrace_csv_recovers_the_planted_history(tmp_path, history):
    """Chinese system lines: invitations, QR-code joins, leaves and the exporter's removals ("你将…移出了群聊")."""
    path = write_wechat(history, tmp_path / "export" / f"{TITLE}_utf8.csv")
    done = ingest("wechat", path.parent, tmp_path / "out")
    read = done.tally.read
    assert read["joins"] == len(history.monitors) + history.count("link") + history.count("invite")
    assert (read["leaves"], read["removals"]) == (history.count("leave"), history.count("remove"))
    assert read["deleted messages (service lines)"] == 1
    tables = _tables(done.out)
    stays = tables["memberships"]
    assert stays["member_id"].nunique() == len(history.people)  # names in notices matched to the senders' wxids
    assert len(stays) == len(history.people) + history.count("link") + history.count("invite") - len(history.members)
    assert stays["leave_reason"].value_counts().to_dict() == {
        "quit": history.count("leave"),
        "removed": history.count("remove"),
    }
    forms = tables["messages"]["form"].value_counts().to_dict()
    assert forms == {**_planted_forms(history), "service": 1 + len(history.events) + 3}
    assert list(done.tally.unrecognised.values()) == [1]  # the unknown notice: counted, masked, not talk
    shape = next(iter(done.tally.unrecognised))
    assert all(p.name not in shape for p in history.people) and "入群验证" in shape
    sent = tables["messages"].loc[lambda m: m["form"] != "service", "sent_at"].sort_values().dt.tz_convert("UTC")
    assert list(sent) == [at for at, *_ in history.messages]
    again = ingest("wechat", path, tmp_path / "again")
    assert _tables(again.out)["groups"]["group_id"].item() == tables["groups"]["group_id"].item()  # name, not file
    renamed = ingest("wechat", path, tmp_path / "renamed", group_name="Maple Bay (WeChat)")
    assert _tables(renamed.out)["groups"]["group_id"].item() != tables["groups"]["group_id"].item()


def test_wechat_wall_times_are_read_in_the_given_zone_and_bad_cells_are_named(tmp_path, history):
    path = write_wechat(history, tmp_path / f"{TITLE}_utf8.csv", wall_time_only=True)
    done = ingest("wechat", path, tmp_path / "out")  # UTC+8 wall time, read as Asia/Shanghai by default
    sent = _tables(done.out)["messages"].loc[lambda m: m["form"] != "service", "sent_at"].sort_values()
    assert list(sent.dt.tz_convert("UTC")) == [at for at, *_ in history.messages]
    assert any("Asia/Shanghai" in note for note in done.tally.notes)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    broken = tmp_path / "broken_utf8.csv"
    broken.write_text("\n".join([lines[0], lines[1].replace("2025-03-03", "someday"), *lines[2:]]), encoding="utf-8")
    with pytest.raises(ExportError, match=r"broken_utf8.csv: line 2, column StrTime: 'someday"):
        ingest("wechat", broken, tmp_path / "bad")
    other = tmp_path / "other.csv"
    other.write_text("time,who,text\n1,a,b\n", encoding="utf-8")
    with pytest.raises(ExportError, match=r"other.csv: line 1: not a WeChat chat export .*no column Type"):
        ingest("wechat", other, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_discord_json_export_recovers_joins_and_talk_of_every_channel_as_one_server(tmp_path, history):
    """GuildMemberJoin lines are joins; two channel files are one group; a bot's message is not a member's talk."""
    done = ingest("discord", write_discord(history, tmp_path / "dce"), tmp_path / "out")
    read = done.tally.read
    assert read["channel files"] == 2 and read["groups"] == 1
    assert read["joins"] == history.count("link") + history.count("invite")
    assert read["leaves"] == read["removals"] == 0 and any(
        "no line when a member leaves" in n for n in done.tally.notes
    )
    assert read["bot messages (kept as service lines)"] == 1 and read["service lines"] == 1
    tables = _tables(done.out)
    stays = tables["memberships"]
    assert stays["member_id"].nunique() == len(history.people) and stays["left_at"].isna().all()
    forms = tables["messages"]["form"].value_counts().to_dict()
    assert forms == {**_planted_forms(history), "service": history.count("link") + history.count("invite") + 2}
    sent = tables["messages"].loc[lambda m: m["form"] != "service", "sent_at"].sort_values().dt.tz_convert("UTC")
    assert list(sent) == [at for at, *_ in history.messages]
    assert tables["groups"]["platform"].item() == "discord"


def test_discord_csv_export_reads_wall_times_and_join_lines(tmp_path, history):
    done = ingest(
        "discord", write_discord(history, tmp_path / "dce", as_csv=True), tmp_path / "out", time_zone="Asia/Shanghai"
    )
    read = done.tally.read
    assert read["joins"] == history.count("link") + history.count("invite") and read["groups"] == 1
    tables = _tables(done.out)
    sent = tables["messages"].loc[lambda m: m["form"] != "service", "sent_at"].sort_values().dt.tz_convert("UTC")
    assert len(sent) == len(history.messages) + 1  # the CSV does not say which author is a bot
    assert sent.iloc[0] == history.messages[0][0].floor("min")
    media = sum(form in ("media", "sticker") for _, _, form, _ in history.messages)
    assert tables["messages"]["form"].value_counts()["media"] == media - sum(
        f == "sticker" for _, _, f, _ in history.messages
    )


def test_older_semicolon_discord_csv_in_subfolders_reads_like_the_current_one(tmp_path, history):
    """DiscordChatExporter before 2.14: ';' between quoted fields; channels exported into category subfolders."""
    current = ingest(
        "discord", write_discord(history, tmp_path / "dce", as_csv=True), tmp_path / "out", time_zone="Asia/Shanghai"
    )
    folder = write_discord(history, tmp_path / "old", old_csv=True)
    for k, path in enumerate(sorted(folder.glob("*.csv"))):
        (folder / f"category {k}").mkdir()
        path.rename(folder / f"category {k}" / path.name)
    old = ingest("discord", folder, tmp_path / "old_out", time_zone="Asia/Shanghai")
    assert old.tally.read == current.tally.read
    columns = ["sent_at", "form", "text_length"]
    first, second = (
        _tables(d.out)["messages"][columns].sort_values(columns, ignore_index=True) for d in (current, old)
    )
    assert second.equals(first)


def test_discord_group_dm_adds_and_removals_and_bad_files_are_named(tmp_path, history):
    owner, guest, other = history.owner, history.members[0], history.members[1]
    start = pd.Timestamp("2025-05-01 10:00", tz="UTC")
    rows = [
        _discord_message(1, start, "RecipientAdd", owner, "Added x to the group.", mentions=[_discord_author(guest)]),
        _discord_message(2, start + pd.Timedelta(hours=1), "Default", guest, "hello"),
        _discord_message(
            3, start + pd.Timedelta(hours=2), "RecipientAdd", owner, "Added y.", mentions=[_discord_author(other)]
        ),
        _discord_message(
            4, start + pd.Timedelta(days=3), "RecipientRemove", owner, "Removed.", mentions=[_discord_author(other)]
        ),
        _discord_message(
            5, start + pd.Timedelta(days=4), "RecipientRemove", guest, "Left.", mentions=[_discord_author(guest)]
        ),
    ]
    dm = {
        "guild": {"id": "0", "name": "Direct Messages"},
        "channel": {"id": "55", "type": "DirectGroupTextChat", "name": "trio"},
        "messages": rows,
    }
    (tmp_path / "dm.json").write_text(json.dumps(dm), encoding="utf-8")
    stays = _tables(ingest("discord", tmp_path / "dm.json", tmp_path / "out").out)["memberships"]
    assert sorted(stays["leave_reason"].dropna()) == ["quit", "removed"]
    (tmp_path / "bad.json").write_text(
        json.dumps({**dm, "messages": [{**rows[1], "timestamp": "yesterday"}]}), encoding="utf-8"
    )
    with pytest.raises(ExportError, match=r"bad.json: message id 900000000000000002 .*'yesterday' is not an ISO 8601"):
        ingest("discord", tmp_path / "bad.json", tmp_path / "bad")
    (tmp_path / "other.json").write_text('{"chats": []}', encoding="utf-8")
    with pytest.raises(ExportError, match=r"other.json: top level: not a DiscordChatExporter JSON export"):
        ingest("discord", tmp_path / "other.json", tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("as_zip", [False, True])
def test_slack_workspace_export_recovers_the_planted_history(tmp_path, history, as_zip):
    """channel_join / channel_leave are stays; the creator is the owner; a bot is not a member; DMs are not read."""
    source = write_slack(history, tmp_path / ("export.zip" if as_zip else "export"), as_zip=as_zip)
    done = ingest("slack", source, tmp_path / "out")
    read, skipped = done.tally.read, done.tally.skipped
    assert read["channels"] == 1 and skipped["channels with no messages in the export"] == 1
    assert skipped["direct-message conversations (not channels)"] == 1
    assert read["joins"] == 1 + len(history.monitors) + history.count("link") + history.count("invite")
    assert read["leaves"] == history.count("leave") + history.count("remove")
    assert read["bot messages (kept as service lines)"] == 1 and read["service lines (channel_topic)"] == 1
    tables = _tables(done.out)
    stays = tables["memberships"]
    assert stays["member_id"].nunique() == len(history.people)
    assert len(stays) == len(history.people) + 1  # the one rejoin
    assert stays["leave_reason"].value_counts().to_dict() == {"quit": history.count("leave") + history.count("remove")}
    assert (stays["role"] == "owner").sum() == 1
    assert tables["groups"]["created_at"].item() == history.created
    forms = tables["messages"]["form"].value_counts().to_dict()
    assert forms == {**_planted_forms(history), "service": read["joins"] + read["leaves"] + 2}
    sent = tables["messages"].loc[lambda m: m["form"] != "service", "sent_at"].sort_values().dt.tz_convert("UTC")
    assert list(sent) == [at for at, *_ in history.messages]


def test_slack_export_faults_are_named(tmp_path, history):
    source = write_slack(history, tmp_path / "export")
    day = sorted((source / "maple-bay").iterdir())[3]
    day.write_text(day.read_text(encoding="utf-8")[:-30], encoding="utf-8")
    with pytest.raises(ExportError, match=rf"maple-bay/{day.name}: line 1, column \d+: .*malformed JSON"):
        ingest("slack", source, tmp_path / "out")
    (tmp_path / "not.zip").write_text("hello", encoding="utf-8")
    with pytest.raises(ExportError, match="not.zip: not a zip file"):
        ingest("slack", tmp_path / "not.zip", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match="not a Slack export: no channels.json and no day files"):
        ingest("slack", tmp_path / "empty", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_telegram_html_export_recovers_the_planted_history(tmp_path, history):
    """Pages in order, follow-up ('joined') blocks keep their sender, service lines take their neighbours' time."""
    folder = write_telegram_html(history, tmp_path / "ChatExport_2025-07-01")
    assert len(pages(folder)) >= 3
    done = ingest("telegram", folder, tmp_path / "out")
    tables = _tables(done.out)
    _check_recovers(tables, history, service_lines=1 + len(history.events))
    assert done.tally.read["pages"] == len(pages(folder))
    sent = tables["messages"].loc[lambda m: m["form"] != "service", "sent_at"].sort_values().dt.tz_convert("UTC")
    assert list(sent) == [at for at, *_ in history.messages]
    planted = sorted(at for at, action, *_ in history.events if action in ("link", "invite"))
    stays = tables["memberships"].sort_values("joined_at")
    read = sorted(stays.loc[stays["role"] == "member", "joined_at"].dt.tz_convert("UTC"))[len(history.monitors) :]
    lags = [p - r for p, r in zip(planted, read, strict=True)]
    assert min(lags) >= pd.Timedelta(0) and pd.Series(lags).median() < pd.Timedelta(hours=6)
    assert tables["groups"]["platform"].item() == "telegram"


@pytest.mark.parametrize("shape", ["channel folders", "one channel's folder"])
def test_slack_channels_without_channels_json_are_their_folders(tmp_path, history, shape):
    """No channels.json (a channel export, or a folder of them): the day files' folder is the channel, talk read."""
    source = write_slack(history, tmp_path / "export")
    for listing in ("channels.json", "groups.json", "users.json", "dms.json"):
        (source / listing).unlink()
    given = source if shape == "channel folders" else source / "maple-bay"
    done = ingest("slack", given, tmp_path / "out")
    assert done.tally.read["channels"] == 1 and any("no channels.json" in n for n in done.tally.notes)
    assert done.tally.read["joins"] == 1 + len(history.monitors) + history.count("link") + history.count("invite")
    stays = _tables(done.out)["memberships"]
    assert stays["member_id"].nunique() == len(history.people) + 1  # users.json gone: the bot counts as a member


def test_a_truncated_or_missing_telegram_html_page_is_named_not_read_short(tmp_path, history):
    """A page cut off mid-way, or a page missing from the sequence: an error naming it, nothing written."""
    folder = write_telegram_html(history, tmp_path / "ChatExport_2025-07-01")
    second = pages(folder)[1]
    text = second.read_text(encoding="utf-8")
    second.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(
        ExportError, match=r"messages2.html: the page stops before its end .*message\d+\): the file is truncated"
    ):
        ingest("telegram", folder, tmp_path / "out")
    second.unlink()
    with pytest.raises(ExportError, match=r"messages2.html: is missing from the export"):
        ingest("telegram", folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_tg_archive_site_recovers_the_planted_history(tmp_path, history):
    """tg-archive's month pages (split, with index.html a copy of the latest): joins, leaves and talk as planted."""
    folder = write_tg_archive(history, tmp_path / "site")
    done = ingest("telegram", folder, tmp_path / "out", group_name="Maple Bay")
    read, tables = done.tally.read, _tables(done.out)
    assert read["joins"] == history.count("link") + history.count("invite")
    assert read["leaves"] == history.count("leave") + history.count("remove")  # the archive cannot tell them apart
    talk = tables["messages"].loc[lambda m: m["form"] != "service"]
    assert len(talk) == len(history.messages)
    assert talk["sent_at"].min() == history.messages[0][0].floor("min")
    assert tables["memberships"]["member_id"].nunique() == len(
        {p for _, p, *_ in history.messages} | {p for *_, p in history.events}
    )
    assert done.tally.skipped.get("messages on two pages (same id)", 0) == 0  # index.html is not read twice


def test_a_zulip_archive_site_gives_its_stream_as_a_message_log(tmp_path, history):
    """zulip-archive's topic pages of one stream: one group, every message, its form, time to the minute."""
    done = ingest("zulip", write_zulip_archive(history, tmp_path / "site"), tmp_path / "out")
    tables = _tables(done.out)
    assert done.tally.read["streams"] == 1 and done.tally.read["topic pages"] == 3
    messages = tables["messages"]
    assert len(messages) == len(history.messages)
    assert list(messages["sent_at"].sort_values()) == [at.floor("min") for at, *_ in history.messages]
    planted = pd.Series([f if f != "sticker" else "media" for *_, f, _ in history.messages])
    planted = planted.replace({"multiline": "text"})
    assert messages["form"].value_counts().to_dict() == planted.value_counts().to_dict()
    assert tables["memberships"]["member_id"].nunique() == len({p for _, p, *_ in history.messages})
    assert tables["groups"]["platform"].item() == "zulip"


def test_telegram_html_forwarded_blocks_are_the_forwarders_and_bad_times_are_named(tmp_path):
    page = (
        '<div class="page_header"><div class="content"><div class="text bold">Club</div></div></div>'
        '<div class="message service" id="message-1"><div class="body details">3 March 2025</div></div>'
        '<div class="message default clearfix" id="message5"><div class="body">'
        '<div class="pull_right date details" title="03.03.2025 09:00:00 UTC+08:00">09:00</div>'
        '<div class="from_name">Ann</div><div class="forwarded body"><div class="from_name">Bea '
        '<span class="date details" title="01.03.2025 08:00:00">01.03.2025</span></div>'
        '<div class="text">forwarded words</div></div></div></div>'
        '<div class="message service" id="message6"><div class="body details">Ann invited Cai and Dee</div></div>'
    )
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "messages.html").write_text(f"<!DOCTYPE html><html><body>{page}</body></html>", encoding="utf-8")
    done = ingest("telegram", tmp_path / "ok", tmp_path / "out")
    tables = _tables(done.out)
    assert done.tally.read["joins"] == 2 and tables["memberships"]["member_id"].nunique() == 3  # Ann, Cai, Dee
    assert tables["messages"]["sent_at"].min() == pd.Timestamp("2025-03-03 01:00", tz="UTC")
    (tmp_path / "bad").mkdir()
    broken = page.replace("03.03.2025 09:00:00 UTC+08:00", "tomorrow")
    (tmp_path / "bad" / "messages.html").write_text(f"<html><body>{broken}</body></html>", encoding="utf-8")
    with pytest.raises(ExportError, match=r"messages.html: message5: time 'tomorrow' is not Telegram's"):
        ingest("telegram", tmp_path / "bad", tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_a_chat_without_monitors_or_large_groups_gets_no_monitor_or_koc_headline(tmp_path, history):
    """A WeChat export names no operators and its group never reaches 150: both measures say why, no number."""
    from helpers.studies.size_activity.summary import summarise as size_activity

    done = ingest("wechat", write_wechat(history, tmp_path / f"{TITLE}_utf8.csv"), tmp_path / "out")
    result = size_activity(open_dataset(done.out))
    koc, monitor = result.findings[1].text, result.findings[2].text
    assert "not measurable on this data" in koc and "150+ members" in koc and "n/a" not in koc
    assert "not measurable on this data**: no message in the data is by a monitor" in monitor
    verdict = next(v for v in result.verdicts if v.claim_id == "monitor_share")
    assert verdict.verdict == "inconclusive" and "monitor role" in verdict.reason


def test_a_contract_error_from_an_export_names_where_the_rows_stand_in_it_not_their_hashes(tmp_path, history):
    """A Telegram export holding one message twice: the error names the message id, never the hashed key."""
    path = write_telegram(history, tmp_path / "result.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    twice = next(m for m in document["messages"] if m["type"] == "message")
    document["messages"].append(dict(twice))
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest("telegram", path, tmp_path / "out")
    text = str(caught.value)
    assert "repeat a key" in text and text.count(f"message id {twice['id']}") == 2
    assert "msg_" not in text and "row 1" not in text
    assert not (tmp_path / "out").exists()


def test_a_contract_error_from_mapped_tables_names_the_source_file_and_row(tmp_path, history):
    mapping = write_company_tables(history, tmp_path / "company")
    messages = tmp_path / "company" / "messages.tsv"
    lines = messages.read_text(encoding="utf-8").splitlines()
    messages.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest("tables", mapping, tmp_path / "out")
    text = str(caught.value)
    assert (
        re.search(r"messages.tsv row 1\n", text)
        and f"messages.tsv row {len(history.messages) + 1}" in text
        and "msg_" not in text
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "line, expected",
    [
        ('"张三"邀请"李四、王五"加入了群聊', ("join", ["李四", "王五"])),
        ("“张三”邀请你加入了群聊", ("join", ["你"])),
        ('"李四"通过扫描"张三"分享的二维码加入群聊', ("join", ["李四"])),
        ('你将"李四"移出了群聊', ("removed", ["李四"])),
        ('你被"张三"移出群聊', ("removed", ["你"])),
        ('"李四"退出了群聊', ("leave", ["李四"])),
        ('"Ann" invited "Bo" to the group chat', ("join", ["Bo"])),
        ('<sysmsg type="revokemsg"><revokemsg>…</revokemsg></sysmsg>', ("deleted", [])),
        ('"张三"拍了拍"李四"', ("notice", [])),
        ("哈哈", None),
    ],
)
def test_wechat_system_lines_are_read_by_their_published_phrasings(line, expected):
    from helpers.ingest.wechat import system_event

    found = system_event(line)
    assert (found if found is None else (found[0], found[2])) == expected


def _add_outcome_tables(history, folder) -> list:
    """Orders, activities and participants beside the company tables, keyed by the same raw phone numbers."""
    local = "%Y-%m-%d %H:%M:%S"
    buyers = [p for p in history.people if p not in (history.owner, *history.monitors)][:3]
    when = (history.created + pd.Timedelta(days=3)).tz_convert("Asia/Shanghai").strftime(local)
    pd.DataFrame(
        {
            "order_no": ["A-1001", "A-1002", "A-1003"],
            "chat": ["grp-maple"] * 3,
            "user": [p.phone for p in buyers],
            "paid": [when] * 3,
            "amount": ["129.5", "0", ""],
            "cur": ["CNY", "", ""],
            "type": ["order", "signup", "coupon"],
        }
    ).to_csv(folder / "orders.csv", index=False)
    pd.DataFrame(
        {"id": ["live-1"], "chat": ["grp-maple"], "start": [when], "end": [""], "type": ["live_session"]}
    ).to_csv(folder / "activities.csv", index=False)
    pd.DataFrame({"activity": ["live-1", "live-1"], "user": [p.phone for p in buyers[:2]]}).to_csv(
        folder / "participants.csv", index=False
    )
    mapping = folder / "mapping.yml"
    mapping.write_text(
        mapping.read_text()
        + """\
  conversions:
    file: orders.csv
    columns: {conversion_id: order_no, group_id: chat, member_id: user, converted_at: paid, value: amount,
              currency: cur, kind: type}
    values: {kind: {order: purchase, coupon: coupon_redeemed, signup: course_signup}}
  activities:
    file: activities.csv
    columns: {activity_id: id, group_id: chat, started_at: start, ended_at: end, kind: type}
  activity_participants:
    file: participants.csv
    columns: {activity_id: activity, member_id: user}
"""
    )
    return buyers


def test_company_conversions_and_activities_map_onto_the_contract(tmp_path, history):
    mapping = write_company_tables(history, tmp_path / "company")
    buyers = _add_outcome_tables(history, tmp_path / "company")
    done = ingest("tables", mapping, tmp_path / "out")
    tables = _tables(done.out)
    c, a, p = tables["conversions"], tables["activities"], tables["activity_participants"]
    members = set(tables["memberships"]["member_id"])
    assert set(c["member_id"]) <= members and set(p["member_id"]) <= members  # hashed like the stays: they link
    assert c["kind"].tolist() == ["purchase", "course_signup", "coupon_redeemed"]
    assert c["value"].iloc[0] == 129.5 and pd.isna(c["value"].iloc[2])
    assert c["converted_at"].iloc[0] == history.created + pd.Timedelta(days=3)  # local time moved to UTC
    assert set(p["activity_id"]) == set(a["activity_id"]) and a["activity_id"].iloc[0].startswith("act_")
    written = "".join(f.read_text(errors="ignore") for f in done.out.rglob("*.json"))
    assert not any(s in written for s in ("A-1001", "live-1", *(b.phone for b in buyers)))  # ids hashed
    assert int(open_dataset(done.out).tables.conversions.count().execute()) == 3

    orders = pd.read_csv(tmp_path / "company" / "orders.csv", dtype=str, keep_default_na=False)
    orders.loc[1, "amount"] = "12,50"
    orders.to_csv(tmp_path / "company" / "orders.csv", index=False)
    with pytest.raises(ExportError, match=r"orders.csv: column 'amount': 1 row are not numbers .*row 2: '12,50'"):
        ingest("tables", mapping, tmp_path / "out2")
    orders.loc[1, "amount"] = "-40"
    orders.to_csv(tmp_path / "company" / "orders.csv", index=False)
    with pytest.raises(IngestError, match=r"conversions.parquet: column 'value': 1 row breaks the rule: value is >= 0"):
        ingest("tables", mapping, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_millisecond_epochs_read_as_seconds_are_named_not_a_crash(tmp_path, history):
    """A message log in milliseconds mapped as 'unix': the error names the column, a row and the unit to give."""
    folder = tmp_path / "log"
    mapping = write_message_log(history, folder)
    log = pd.read_csv(folder / "messages.tsv", sep="\t")
    log.assign(timestamp=log["timestamp"] * 1000).to_csv(folder / "messages.tsv", sep="\t", index=False)
    with pytest.raises(ExportError, match=r"column 'timestamp': .* too large for seconds since 1970 .*unix_ms"):
        ingest("tables", mapping, tmp_path / "out")
    mapping.write_text(mapping.read_text().replace("time_format: unix", "time_format: unix_ms"))
    done = ingest("tables", mapping, tmp_path / "out")
    sent = _tables(done.out)["messages"]["sent_at"]
    assert sent.min() == history.messages[0][0]


def test_a_text_target_size_default_is_named_not_a_crash(tmp_path, history):
    folder = tmp_path / "log"
    mapping = write_message_log(history, folder)
    mapping.write_text(
        mapping.read_text().replace("platform: whatsapp", "platform: whatsapp\ngroup_defaults:\n  target_size: big")
    )
    with pytest.raises(
        ExportError, match=r"mapping.yml: group_defaults: target_size: target_size 'big' is not a whole"
    ):
        ingest("tables", mapping, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_events_take_their_group_from_defaults_as_messages_do(tmp_path, history):
    """One group's event log without a group column: ``defaults: {group_id: ...}`` names it, as for messages."""
    folder = tmp_path / "company"
    mapping = write_company_tables(history, folder)
    stays = pd.read_csv(folder / "members.csv", dtype=str)
    rows = [(r.user, r.join_time, "join") for r in stays.itertuples()]
    pd.DataFrame(rows, columns=["user", "time", "action"]).to_csv(folder / "member_log.csv", index=False)
    text = mapping.read_text()
    chat = stays["chat"].iloc[0]
    events = (
        "  events:\n    file: member_log.csv\n    columns: {member_id: user, at: time, event: action}\n"
        f"    defaults: {{group_id: {chat}}}\n"
    )
    (folder / "events.yml").write_text(text[: text.index("  memberships:")] + events + text[text.index("  groups:") :])
    done = ingest("tables", folder / "events.yml", tmp_path / "events")
    assert done.tally.read["membership events"] == len(stays)
    tables = _tables(done.out)
    assert len(tables["memberships"]) == stays["user"].nunique() and tables["groups"]["group_id"].nunique() == 1


def test_members_before_a_whatsapp_history_start_where_it_does_not_at_the_creation_line(tmp_path):
    """'X created group' two years before the history: a member seen without a join is present from the history."""
    chat = tmp_path / "WhatsApp Chat with Club.txt"
    chat.write_text(
        '01/02/2023, 10:00 - Tsvetana Okonkwo created group "Club"\n'
        "15/03/2025, 09:00 - Messages and calls are end-to-end encrypted. No one outside of this chat can read them.\n"
        "15/03/2025, 09:05 - Ilse Haraldsen: good morning\n"
        "16/03/2025, 09:05 - Ilse Haraldsen: and again\n",
        encoding="utf-8",
    )
    done = ingest("whatsapp", chat, tmp_path / "out", time_zone="UTC")
    tables = _tables(done.out)
    stays = tables["memberships"].set_index("role")
    assert stays.loc["member", "joined_at"] == pd.Timestamp("2025-03-15 09:00", tz="UTC")
    assert stays.loc["member", "observed_from"] == stays.loc["member", "joined_at"]  # a join the export does not show
    assert tables["groups"]["created_at"].iloc[0] == pd.Timestamp("2023-02-01 10:00", tz="UTC")


def test_a_chat_exported_apart_that_ends_earlier_is_seen_only_until_its_end(tmp_path):
    """Two WeChat chats, one ending six weeks before the other: its members are not counted after its last record."""
    folder = tmp_path / "wechat"
    folder.mkdir()
    long_chat, short_chat = chat_history(seed=7, weeks=16), chat_history(seed=8, weeks=10)
    write_wechat(long_chat, folder / "Long club_utf8.csv")
    write_wechat(short_chat, folder / "Short club_utf8.csv")
    done = ingest("wechat", folder, tmp_path / "out")
    groups = _tables(done.out)["groups"]
    until = groups["observed_until"].dropna()
    assert len(until) == 1 and done.tally.read["groups seen only until their own export ends"] == 1
    last_short = max([at for at, *_ in short_chat.messages] + [e[0] for e in short_chat.events])
    assert last_short.floor("s") <= until.iloc[0] <= last_short + pd.Timedelta(hours=1)  # its export's last line
    ds = open_dataset(done.out)
    panel = group_week_panel(ds.tables, end=data_end(ds.tables))
    short_id = groups.loc[groups["observed_until"].notna(), "group_id"].item()
    assert panel.loc[panel["group_id"] == short_id, "week"].max() <= until.iloc[0]
