"""Real public exports in ../shared/data/real: each adapter's counts match the file, and no study invents a number.

The counts are those the shared README documents for each file (joins by link and by
adding, leaves, removals; rows and rooms), checked independently of the adapters. The
files are read where they lie and never copied; without the folder these tests skip.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path

import pytest

from helpers import open_dataset
from helpers.ingest.run import ingest
from helpers.studies.experiment.summary import summarise as experiment
from helpers.studies.overview.summary import summarise as overview
from helpers.studies.recruitment.summary import summarise as recruitment
from helpers.studies.retention.summary import summarise as retention
from helpers.studies.size_activity.summary import summarise as size_activity

from conftest import ROOT

REAL = Path(os.environ.get("WORKBENCH_REAL_DATA", ROOT.parent / "shared" / "data" / "real"))
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"no real exports at {REAL} (set WORKBENCH_REAL_DATA)")
KEY = "test-key-0123456789abcdef-not-secret"
WHATSAPP = REAL / "whatsapp_codechefvit"


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.delenv("WORKBENCH_HASH_KEY_FILE", raising=False)
    monkeypatch.setenv("WORKBENCH_HASH_KEY", KEY)


def _gitter_mapping(folder: Path) -> Path:
    """A mapping over the Gitter archive as published: one header-less TSV per room, read by a glob."""
    (folder / "mapping.yml").write_text(
        f"""\
platform: gitter
tables:
  messages:
    file: {REAL / "gitter_freecodecamp" / "archives"}/*.tsv
    header: false
    names: [room_id, room, sent, user_id, username, message_id, text]
    dedupe: true
    columns: {{message_id: message_id, group_id: room, member_id: user_id, sent_at: sent, text: text}}
""",
        encoding="utf-8",
    )
    return folder / "mapping.yml"


def _zulip_mapping(folder: Path) -> Path:
    """A mapping over the Zulip archive as published: one gzip-compressed CSV."""
    (folder / "mapping.yml").write_text(
        f"""\
platform: zulip
time_format: "%Y-%m-%dT%H:%M"
tables:
  messages:
    file: {REAL / "zulip_ncar" / "messages.csv.gz"}
    columns: {{message_id: message_id, group_id: stream_id, member_id: sender, sent_at: timestamp_utc_minute}}
""",
        encoding="utf-8",
    )
    return folder / "mapping.yml"


# file, joins (creation + by link + added), leaves, removals: the shared README's counts
WHATSAPP_COUNTS = {
    "WhatsApp Chat with CodeChef-VIT Technical.txt": (1 + 40 + 6, 0, 4),
    "WhatsApp Chat with CodeChef-VIT Informal!.txt": (1 + 11 + 4, 13, 2),
    "ioschat_CodeChef-VIT_Core_2019-20.txt": (0, 1, 5),
}


@pytest.mark.parametrize("name", list(WHATSAPP_COUNTS))
def test_whatsapp_real_exports_give_the_joins_leaves_and_removals_the_files_hold(tmp_path, name):
    done = ingest("whatsapp", WHATSAPP / name, tmp_path / "out", time_zone="Asia/Kolkata")
    joins, leaves, removals = WHATSAPP_COUNTS[name]
    read = done.tally.read
    assert (read["joins"], read["leaves"], read["removals"]) == (joins, leaves, removals)
    assert not done.tally.unrecognised
    messages = open_dataset(done.out).tables.messages.to_pandas()
    assert messages["member_id"].notna().sum() == sum(read[f"{f} messages"] for f in ("text", "link", "media"))


def test_gitter_archive_through_a_glob_of_headerless_files_with_duplicates_dropped(tmp_path):
    done = ingest("tables", _gitter_mapping(tmp_path), tmp_path / "out")
    assert done.tally.read["messages rows (" + str(REAL / "gitter_freecodecamp" / "archives") + "/*.tsv (53 files))"]
    assert done.tally.skipped["messages: rows repeating another row exactly (dedupe)"] > 0
    assert done.tally.skipped["messages: empty files"] == 1
    tables = open_dataset(done.out).tables
    assert tables.groups.count().execute() == 52  # 53 rooms, one of them an empty file


def test_zulip_archive_from_a_compressed_csv(tmp_path):
    done = ingest("tables", _zulip_mapping(tmp_path), tmp_path / "out")
    tables = open_dataset(done.out).tables
    assert tables.messages.count().execute() == 6555
    assert tables.groups.count().execute() == 32


def test_irc_logs_give_every_join_part_and_nick_change(tmp_path):
    raw = ingest("irc", REAL / "irc_ubuntu" / "ubuntu_raw", tmp_path / "raw", group_name="#ubuntu")
    assert (raw.tally.read["joins"], raw.tally.read["parts and quits"]) == (2322, 368)
    assert raw.tally.read["nick changes (the same person)"] == 644
    channels = ingest("irc", REAL / "irc_ubuntu" / "new_domains", tmp_path / "channels")
    assert channels.tally.read["groups"] == 4 and channels.tally.read["joins"] == 152


def _datasets(tmp: Path) -> dict[str, Path]:
    """Every real sample, ingested the way its README says."""
    out = {}
    for k, name in enumerate(WHATSAPP_COUNTS):
        out[f"whatsapp{k}"] = ingest("whatsapp", WHATSAPP / name, tmp / f"whatsapp{k}", time_zone="Asia/Kolkata").out
    out["gitter"] = ingest("tables", _gitter_mapping(tmp), tmp / "gitter").out
    (tmp / "z").mkdir()
    out["zulip"] = ingest("tables", _zulip_mapping(tmp / "z"), tmp / "zulip").out
    out["irc"] = ingest("irc", REAL / "irc_ubuntu" / "new_domains", tmp / "irc").out
    return out


INVENTED = re.compile(r"\bnan\b|\binf\b|100\.0% \(95% CI 100\.0%–100\.0%\)|\b0\.0% \(95% CI 0\.0%–0\.0%\)", re.I)


@pytest.mark.slow
def test_no_study_invents_a_headline_on_any_real_export(tmp_path):
    """Every study on every sample: no zero-width CI at 0% or 100%, no 'nan' in a finding."""
    for label, folder in _datasets(tmp_path).items():
        ds = open_dataset(folder)
        for summarise in (overview, retention, size_activity, recruitment, experiment):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = summarise(ds)
            for key, e in result.headline.items():
                if not e.not_estimable and e.value in (0.0, 1.0) and math.isfinite(e.ci_low):
                    assert e.ci_low < e.ci_high, f"{label}: {result.study}.{key} has a zero-width CI at {e.value}"
            text = " ".join([*(f.text for f in result.findings), *(v.reason for v in result.verdicts)])
            invented = INVENTED.search(text)
            assert invented is None, f"{label}: {result.study} says {invented and invented.group(0)!r}"
        if not ds.tables.memberships.left_at.notnull().any().execute():
            assert retention(ds).headline["retention_30d"].not_estimable, label


def test_stays_begun_before_a_whatsapp_export_are_marked_and_left_out_of_survival(tmp_path):
    """The Core chat's export starts mid-life: no join is in it, so every stay's join is unknown (observed_from)."""
    done = ingest("whatsapp", WHATSAPP / "ioschat_CodeChef-VIT_Core_2019-20.txt", tmp_path / "out", time_zone="UTC")
    ds = open_dataset(done.out)
    stays = ds.tables.memberships.to_pandas()
    marked = stays["observed_from"].notna()
    assert marked.sum() == done.tally.read["stays begun before the export"] > 0
    assert (stays.loc[marked, "observed_from"] == stays.loc[marked, "joined_at"]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = retention(ds)
    # counted from the export's start these members would show 94% retained at 30 days; their tenure is unknown
    assert result.headline["retention_30d"].not_estimable
    assert "already in the group when the data begins" in result.headline["retention_30d"].why_not


def test_iphone_leavers_written_with_marks_are_the_senders_they_were(tmp_path):
    """The Core chat (iPhone): its leave and removal lines name numbers inside U+202A..U+202C and no-break spaces,
    as its senders do; each leaver who wrote is one member with her messages, not a second, silent one."""
    done = ingest("whatsapp", WHATSAPP / "ioschat_CodeChef-VIT_Core_2019-20.txt", tmp_path / "out", time_zone="UTC")
    tables = open_dataset(done.out).tables
    stays, messages = tables.memberships.to_pandas(), tables.messages.to_pandas()
    leavers = set(stays.loc[stays["left_at"].notna(), "member_id"])
    speakers = set(messages.loc[messages["kind"] != "system", "member_id"].dropna())
    silent = leavers - speakers
    assert len(leavers) == done.tally.read["leaves"] + done.tally.read["removals"]
    assert len(silent) <= 1  # at most one leaver never wrote; before one normalisation, none was linked


def test_gitter_rooms_get_no_size_verdict(tmp_path):
    """A message log (no joins or leaves): every size estimate is not estimable because no size ever changed."""
    done = ingest("tables", _gitter_mapping(tmp_path), tmp_path / "out")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = size_activity(open_dataset(done.out))
    for key in ("size_peak", "size_band_low", "size_band_high", "size_peak_within_groups", "koc_above_150"):
        assert result.headline[key].not_estimable and "size ever changed" in result.headline[key].why_not, key
    verdicts = {v.claim_id: v.verdict for v in result.verdicts}
    assert verdicts["size_band"] == verdicts["koc_above_150"] == "inconclusive"
    assert "LinAlgError" not in " ".join(f.text for f in result.findings)
