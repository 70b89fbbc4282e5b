"""Atomic writes: JSON documents (truth.json, results.json), text files, and whole folders.

Readers see the old file or folder or the new one, never half of either.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import time
from pathlib import Path


def json_default(value: object) -> object:
    """The JSON form of values ``json`` does not know: result dataclasses, numpy scalars and arrays, timestamps."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def finite(value: object) -> object:
    """``value`` with every NaN or infinite float (at any depth) replaced by None: valid JSON."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def strict_json(document: object, indent: int | None = 2) -> str:
    """``document`` as strict JSON text: result objects and numpy values converted, NaN and infinities as null."""
    plain = json.loads(json.dumps(document, default=json_default))
    return json.dumps(finite(plain), indent=indent, allow_nan=False)


def write_json(path: Path, document: dict) -> Path:
    """Write ``document`` to ``path`` atomically as strict JSON (no bare NaN), via a temporary file and a rename."""
    return write_text_atomic(path, strict_json(document) + "\n")


def usual_mode(folder: bool = False) -> int:
    """The permissions a new file (or folder) gets by the user's umask: temporary files are made 0600 / 0700."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


def write_text_atomic(path: Path, text: str, private: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, then a rename.

    The file is readable like any other the user writes (pages, index and results.json
    alike), or only by the user (0600) when ``private``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    os.chmod(tmp.name, 0o600 if private else usual_mode())
    os.replace(tmp.name, path)
    return path


class TargetTaken(Exception):
    """The folder a command would write already holds the user's files, and ``--replace`` was not given."""


def check_target(out: Path, replace: bool, what: str = "dataset") -> None:
    """Refuse to write ``out`` over a file, or over a folder that is not empty, unless ``replace``."""
    if out.exists() and not out.is_dir():
        raise TargetTaken(f"{out} is a file; --out names the folder the {what} is written to (it is never a file)")
    if out.is_dir() and any(out.iterdir()) and not replace:
        raise TargetTaken(
            f"{out} exists and is not empty; pass --replace to overwrite it (the old one stays until the new one "
            "is complete)"
        )


WORK = re.compile(r"^\.(?P<name>.+)\.(?:work-(?P<pid>\d+)-.*|previous-\d+)$")
"""A work folder (``.NAME.work-PID-XXXX``) or a replaced folder awaiting removal (``.NAME.previous-NS``)."""


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_leftovers(final: Path) -> list[Path]:
    """Remove the work folders an interrupted run for ``final`` left behind (their process is gone)."""
    removed = []
    for path in final.parent.glob(f".{final.name}.*") if final.parent.is_dir() else []:
        match = WORK.match(path.name)
        if not match or match["name"] != final.name or not path.is_dir():
            continue
        if match["pid"] is None or not _alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def new_work_folder(final: Path) -> Path:
    """A temporary folder beside ``final`` to build it in, with the permissions ``final`` should end up with.

    Work folders of earlier runs for ``final`` that were interrupted (their process is gone)
    are removed first, so an interrupted run never leaves its partial output for good.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(final)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.work-{os.getpid()}-", dir=final.parent))
    os.chmod(work, usual_mode(folder=True))
    return work


def publish_folder(work: Path, final: Path) -> None:
    """Move the finished folder ``work`` to ``final``; a previous ``final`` is removed only after the move."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.previous-{time.time_ns()}")
        final.rename(old)
    work.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
