"""Shared fixtures: the small hand-written datasets under tests/data."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from helpers.synth import generate

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
