"""What values a study's parameter may take, declared beside the parameter in each study's ``Params``.

Each ``Params`` class has ``RANGES``: parameter name -> ``Rule`` (a check and the rule in
words). ``problems`` checks values against them; the batch reads the same declarations
to check a run before papermill starts, so a range lives in one place: its study.
Lists and tuples are both accepted where a sequence is expected (a notebook passes lists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import ClassVar


@dataclass(frozen=True)
class Rule:
    """A parameter's valid values: the check, and the rule in words for an error message."""

    check: Callable[[object], bool]
    words: str

    def as_dict(self) -> dict:
        """The rule in words (the check is code)."""
        return {"rule": self.words}


def _number(value: object) -> bool:
    """A real number (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: object) -> bool:
    """A whole number (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def whole_at_least(minimum: int, what: str = "") -> Rule:
    """A whole number of at least ``minimum`` (``what`` names its unit)."""
    unit = f" {what}" if what else ""
    return Rule(lambda v: _whole(v) and v >= minimum, f"a whole number of at least {minimum}{unit}")


def whole_between(low: int, high: int) -> Rule:
    """A whole number from ``low`` to ``high``."""
    return Rule(lambda v: _whole(v) and low <= v <= high, f"a whole number from {low} to {high}")


def positive(words: str) -> Rule:
    """A number above 0."""
    return Rule(lambda v: _number(v) and v > 0, words)


def one_of(values: Iterable[str], words: str | None = None) -> Rule:
    """One of a fixed set of names."""
    allowed = tuple(values)
    return Rule(lambda v: v in allowed, words or " or ".join(allowed))


def flag(words: str) -> Rule:
    """True or False."""
    return Rule(lambda v: isinstance(v, bool), words)


def increasing(words: str) -> Rule:
    """An increasing list of at least two numbers."""
    return Rule(_increasing, words)


def _increasing(value: object) -> bool:
    """An increasing sequence of at least two numbers."""
    return (
        isinstance(value, list | tuple)
        and len(value) >= 2
        and all(_number(x) for x in value)
        and all(b > a for a, b in zip(value, value[1:]))
    )


def brackets_rule() -> Rule:
    """Empty, or an increasing list of whole days from 0."""
    return Rule(
        lambda v: v is None or (_increasing(v) and v[0] == 0 and all(_whole(x) for x in v)),
        "empty, or an increasing list of whole days from 0, e.g. [0, 1, 7, 30, 90]",
    )


def subset_of(values: Iterable[str]) -> Rule:
    """A non-empty list drawn from ``values``."""
    allowed = tuple(values)
    return Rule(
        lambda v: isinstance(v, list | tuple) and len(v) >= 1 and set(v) <= set(allowed),
        f"a non-empty list from {', '.join(allowed)}",
    )


def probability() -> Rule:
    """A probability strictly between 0 and 1."""
    return Rule(lambda v: _number(v) and 0 < v < 1, "a probability strictly between 0 and 1")


def problems(ranges: dict[str, Rule], values: dict) -> list[tuple[str, object, str]]:
    """(name, value, rule in words) for every value outside its declared range; names without a rule pass."""
    return [(k, v, ranges[k].words) for k, v in values.items() if k in ranges and not ranges[k].check(v)]


class StudyParams:
    """What every study's frozen ``Params`` dataclass shares: its declared ranges, their check, plain values."""

    RANGES: ClassVar[dict[str, Rule]] = {}

    def problems(self) -> list[str]:
        """Each field outside its declared range, as 'name is value; it should be rule' ('' list when all hold)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return [f"{name} is {value!r}; it should be {words}" for name, value, words in problems(self.RANGES, values)]

    def as_dict(self) -> dict:
        """Plain values for provenance (sequences as lists, as a notebook gives them)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: object) -> object:
    """A tuple as a list; anything else as it is."""
    return list(value) if isinstance(value, tuple) else value
