"""Settings files (YAML) checked by pydantic schemas: every problem named with the file, the key path and the shape.

Used by the batch config and the ingest mappings, so their messages read alike:
``reports.yml: runs[2].sweep.segment_by: should be a list (lines starting with '- '), got 'channel'``.
"""

from __future__ import annotations

from pydantic import ValidationError

EXPECTED = {
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "list_type": "a list (lines starting with '- ')",
    "int_type": "a whole number",
    "string_type": "text",
    "greater_than_equal": "a whole number of at least {ge}",
    "too_long": "at most {max_length} entries",
    "too_short": "at least {min_length} entries",
}


def _where(loc: tuple) -> str:
    """A pydantic error location as a key path: runs[2].sweep.segment_by (runs counted from 1)."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if i else "") + str(part)
    return out or "the file"


def problems(error: ValidationError, file: str) -> list[str]:
    """One line per broken rule: the file, the key path, what was found and what is expected."""
    lines = []
    for e in error.errors():
        loc = e["loc"]
        where = f"{file}: {_where(loc)}"
        if e["type"] == "missing":
            lines.append(f"{where}: is missing")
        elif e["type"] == "extra_forbidden":
            lines.append(f"{where}: is not a setting here (a typo?)")
        else:
            expected = (
                EXPECTED.get(e["type"], e["msg"]).format(**(e.get("ctx") or {})).replace(" 1 entries", " 1 entry")
            )
            lines.append(f"{where}: should be {expected}, got {e['input']!r}")
    return lines
