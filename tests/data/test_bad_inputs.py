"""Every file in the bad-input corpus gets the documented error or warning, naming file, column and rows."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from helpers.__main__ import main
from helpers.data.atomic import usual_mode, write_json, write_text_atomic
from helpers.data.crash import guarded
from helpers.data.engine import validate_dataset

from conftest import BAD, overlay_case

CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir())


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file below ``folder``."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


def test_corpus_is_large_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gives_the_documented_finding(case: str, tmp_path: Path):
    data_dir = tmp_path / "data"
    expect = overlay_case(BAD / case, data_dir)
    report, _ = validate_dataset(data_dir)

    matches = [
        f
        for f in report.findings
        if f.level == expect["level"]
        and f.file == expect["file"]
        and ("column" not in expect or f.column == expect["column"])
        and all(s in f.format() for s in expect["says"])
    ]
    assert matches, f"expected {expect} but found:\n{report.format()}"
    finding = matches[0]
    if "rows" in expect:
        assert [e["_row"] for e in finding.examples] == expect["rows"]
        assert finding.n_rows == len(expect["rows"])
    assert report.ok is (expect["level"] == "warning")


@pytest.mark.parametrize("case", CASES)
def test_cli_exit_code_and_nothing_written(case: str, tmp_path: Path, capsys, monkeypatch):
    data_dir = tmp_path / "data"
    expect = overlay_case(BAD / case, data_dir)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)

    code = main(["validate", str(data_dir)])

    out, err = capsys.readouterr()
    assert snapshot(tmp_path) == before
    if expect["level"] == "error":
        assert code == 1
        assert expect["file"] in err and "INVALID" in err
    else:
        assert code == 0
        assert expect["file"] in out and "warnings" in out


def test_an_unexpected_error_is_one_line_and_a_log_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))

    def broken() -> int:
        raise RuntimeError("boom\nsecond line")

    assert guarded(broken, "python -m helpers") == 70
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "RuntimeError: boom" in err and "not of your data" in err
    logs = list((tmp_path / "cache" / "logs").iterdir())
    assert len(logs) == 1 and "Traceback" in logs[0].read_text() and "second line" in logs[0].read_text()


def test_a_file_given_as_the_dataset_folder_is_named(tmp_path, capsys):
    (tmp_path / "groups.csv").write_text("group_id\n")
    assert main(["validate", str(tmp_path / "groups.csv")]) == 1
    assert "groups.csv: is a file; give the folder" in capsys.readouterr().err


def test_atomic_writes_are_readable_like_any_file_unless_private(tmp_path):
    mode = usual_mode()
    assert stat.S_IMODE(write_text_atomic(tmp_path / "page.html", "x").stat().st_mode) == mode
    assert stat.S_IMODE(write_json(tmp_path / "results.json", {"a": 1}).stat().st_mode) == mode
    assert stat.S_IMODE(write_text_atomic(tmp_path / "secret.txt", "x", private=True).stat().st_mode) == 0o600


def test_an_unreadable_file_is_named_not_a_traceback(tmp_path, monkeypatch, capsys):
    """As root every file is readable, so the refusal is simulated where the workbench opens the file."""
    data = tmp_path / "data"
    overlay_case(BAD / "messages_empty", data)
    opened = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == "messages.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert main(["validate", str(data)]) == 1
    err = capsys.readouterr().err
    assert "messages.csv: cannot be opened (Permission denied)" in err and "Traceback" not in err


def test_a_reader_that_stops_early_ends_the_command_quietly(capsys):
    """`validate DIR | head -2` on long output: the closed pipe ends the command (141), no internal error."""

    def writes_into_a_closed_pipe() -> int:
        raise BrokenPipeError(32, "Broken pipe")

    assert guarded(writes_into_a_closed_pipe, "python -m helpers validate") == 141
    assert capsys.readouterr().err == ""
