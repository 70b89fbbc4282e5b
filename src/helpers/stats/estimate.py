"""The scalar currency of every study: an estimate with its interval and method, or the reason there is none."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import pandas as pd


@dataclass(frozen=True)
class Estimate:
    """One estimated quantity with its 95% (or stated) confidence interval.

    ``reason`` is set when the data cannot support the number (e.g. one group, nothing to
    compare); then ``value`` and the interval are NaN and ``not_estimable`` is True.
    """

    name: str
    value: float
    ci_low: float
    ci_high: float
    method: str
    n: int | None = None
    reason: str | None = None

    @classmethod
    def missing(cls, name: str, reason: str, method: str = "", n: int | None = None) -> Estimate:
        """An estimate the data cannot support, saying why."""
        nan = float("nan")
        return cls(name, nan, nan, nan, method or f"not estimable: {reason}", n=n, reason=reason)

    @classmethod
    def from_row(
        cls, name: str, row: object, columns: tuple[str, str, str], method: str, n: int | None = None
    ) -> Estimate:
        """An estimate from a table row holding its value and interval in ``columns`` (value, low, high)."""
        value, low, high = (float(row[c]) for c in columns)
        return cls(name, value, low, high, method, n=n)

    @property
    def not_estimable(self) -> bool:
        """True when there is no number (a reason is given, or the value is NaN)."""
        return self.reason is not None or not math.isfinite(self.value)

    @property
    def why_not(self) -> str:
        """Why there is no number ('' when there is one)."""
        if not self.not_estimable:
            return ""
        return self.reason or self.method.removeprefix("not estimable: ")

    def as_dict(self) -> dict:
        """Plain values for results.json; a number that is not estimable is written as none, never as a value."""
        out = asdict(self)
        if self.not_estimable:
            out.update(value=float("nan"), ci_low=float("nan"), ci_high=float("nan"))
        return out

    def covers(self, value: float) -> bool:
        """True if ``value`` lies inside the interval."""
        return self.ci_low <= value <= self.ci_high


def plain_fields(result: object) -> dict:
    """A result dataclass as plain values: estimates as dicts, frames as records; fields kept out of repr are left out."""
    out = {}
    for f in fields(result):
        if not f.repr:
            continue
        value = getattr(result, f.name)
        if hasattr(value, "as_dict"):
            value = value.as_dict()
        elif hasattr(value, "columns"):  # a DataFrame: records, its index as a column unless it is a plain range
            frame = value if value.index.equals(pd.RangeIndex(len(value))) else value.reset_index()
            value = frame.rename(columns=str).to_dict("records")
        elif hasattr(value, "to_dict"):  # a Series
            value = {str(k): v for k, v in value.to_dict().items()}
        out[f.name] = value
    return out
