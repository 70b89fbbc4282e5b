"""Shared fixtures and constants: the small hand-written datasets under tests/fixtures, generated worlds, the browser."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import open_dataset
from helpers.synth import generate

ROOT = Path(__file__).resolve().parents[1]
"""The repository."""
DATA = Path(__file__).parent / "fixtures"
os.environ["WORKBENCH_CACHE"] = tempfile.mkdtemp(prefix="workbench-cache-")  # no validation remembered from before
TINY = DATA / "tiny"
CHROMIUM = shutil.which("chromium-headless-shell") or "/usr/bin/chromium-headless-shell"
"""Debian's headless Chromium (no desktop packages), driven by Playwright (make test installs it)."""
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TRUTH_KEYS = {"exit_30d": "exit_30d_members", "messages_per_member_week": "messages_per_member_week"}
"""Experiment outcomes and their keys in truth.json."""
GOOD = DATA / "good"
BAD = DATA / "bad"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the full-size generated worlds are slow (about a minute to generate each): mark them so."""
    worlds = {"planted_world", "null_world"}
    for item in items:
        asked = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:  # worlds fetched by name through request.getfixturevalue
            asked |= {v for v in callspec.params.values() if isinstance(v, str)}
        if worlds & asked:
            item.add_marker(pytest.mark.slow)


def overlay_case(case: Path, into: Path) -> dict:
    """Build the dataset of a bad-input case in ``into``: tiny/ with the case's files laid over it."""
    expect = yaml.safe_load((case / "expect.yml").read_text())
    shutil.copytree(TINY, into)
    for name in expect.get("remove", []):
        (into / name).unlink()
    for path in case.iterdir():
        if path.is_dir():  # a folder of Parquet parts
            shutil.copytree(path, into / path.name)
        elif path.name != "expect.yml":
            shutil.copy(path, into / path.name)
    return expect


@pytest.fixture
def good_copy(tmp_path: Path) -> Path:
    """A private copy of the good fixture dataset."""
    return Path(shutil.copytree(GOOD, tmp_path / "good"))


@dataclass(frozen=True)
class SyntheticWorld:
    """A generated dataset, its truth.json and how long it took to write."""

    path: Path
    truth: dict
    seconds: float


def _synthesise(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs) -> SyntheticWorld:
    out = tmp_path_factory.mktemp(name) / "data"
    began = time.perf_counter()
    truth = generate(out, progress=False, **kwargs)
    return SyntheticWorld(out, truth, time.perf_counter() - began)


@pytest.fixture(scope="session")
def planted_world(tmp_path_factory: pytest.TempPathFactory) -> SyntheticWorld:
    """The default dataset: 800 groups, 12 months, planted effects, seed 1 (as `make data`)."""
    return _synthesise(tmp_path_factory, "planted", n_groups=800, seed=1, months=12, world_name="planted")


@pytest.fixture(scope="session")
def null_world(tmp_path_factory: pytest.TempPathFactory) -> SyntheticWorld:
    """The same design with every effect switched off."""
    return _synthesise(tmp_path_factory, "null", n_groups=800, seed=1, months=12, world_name="null")


@pytest.fixture(scope="session")
def hand_built(tmp_path_factory):
    """One group, four members whose every period is worked out by hand in the tests below.

    a joins Wed 1 Jan 10:00, stays, speaks on days 0.5, 8, 30 and on 31 Mar (which ends the data).
    b joins 2 Jan 10:00, speaks on day 1, leaves Sun 12 Jan 10:00 (day 10).
    c joins 3 Jan 10:00, leaves 5 Jan, rejoins Mon 20 Jan 10:00 (day 17) and stays; never speaks.
    d joins Tue 7 Jan 10:00, speaks on day 13, leaves 21 Jan 10:00 (day 14 exactly).
    """
    root = tmp_path_factory.mktemp("hand") / "data"
    root.mkdir()
    pd.DataFrame(
        [["g1", "2025-01-01T09:00:00Z", "shop", "Wuhan", "baby_0_3m", 50, "wechat"]],
        columns=["group_id", "created_at", "channel", "city", "segment", "target_size", "platform"],
    ).to_csv(root / "groups.csv", index=False)
    stays = [
        ("o", "2025-01-01T09:00:00Z", "", "owner", ""),
        ("a", "2025-01-01T10:00:00Z", "", "member", ""),
        ("b", "2025-01-02T10:00:00Z", "2025-01-12T10:00:00Z", "member", "quit"),
        ("c", "2025-01-03T10:00:00Z", "2025-01-05T10:00:00Z", "member", "quit"),
        ("c", "2025-01-20T10:00:00Z", "", "member", ""),
        ("d", "2025-01-07T10:00:00Z", "2025-01-21T10:00:00Z", "member", "removed"),
    ]
    pd.DataFrame(
        [("g1", *s) for s in stays], columns=["group_id", "member_id", "joined_at", "left_at", "role", "leave_reason"]
    ).to_csv(root / "memberships.csv", index=False)
    sent = [
        ("a", "2025-01-01T22:00:00Z"),
        ("b", "2025-01-03T10:00:00Z"),
        ("a", "2025-01-09T10:00:00Z"),
        ("d", "2025-01-20T10:00:00Z"),
        ("a", "2025-01-31T10:00:00Z"),
        ("a", "2025-03-31T10:00:00Z"),
        ("o", "2025-01-08T10:00:00Z"),
    ]
    pd.DataFrame(
        [(f"x{i}", "g1", who, when, "chat", 5) for i, (who, when) in enumerate(sent)],
        columns=["message_id", "group_id", "member_id", "sent_at", "kind", "text_length"],
    ).to_csv(root / "messages.csv", index=False)
    return open_dataset(root).tables
