"""Shared fixtures: the small hand-written datasets under tests/data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
GOOD = DATA / "good"
BAD = DATA / "bad"


def overlay_case(case: Path, into: Path) -> dict:
    """Build the dataset of a bad-input case in ``into``: tiny/ with the case's files laid over it."""
    expect = yaml.safe_load((case / "expect.yml").read_text())
    shutil.copytree(TINY, into)
    for name in expect.get("remove", []):
        (into / name).unlink()
    for path in case.iterdir():
        if path.name != "expect.yml":
            shutil.copy(path, into / path.name)
    return expect


@pytest.fixture
def good_copy(tmp_path: Path) -> Path:
    """A private copy of the good fixture dataset."""
    return Path(shutil.copytree(GOOD, tmp_path / "good"))
