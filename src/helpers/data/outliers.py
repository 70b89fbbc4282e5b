"""Implausible times: the rule that keeps a handful of outlying late events from setting the data's end.

A chat export's end is the last thing that happened in it. One message stamped a year
late (a phone with a wrong clock, a test row, a typo in a company table) would stretch
every member's observed time, make every open stay look long and every week after the
real end look dead. The rule, applied to every join, leave and message time:

    Take the latest ``MAX_OUTLIERS + 1`` event times. A gap between two of them is an
    outlier gap when it is longer than 90 days and longer than the rest of the data
    (from the first event to the event before the gap). The events after the earliest
    outlier gap are set aside, and the data ends at the event just before it.

So at most ``MAX_OUTLIERS`` events can be set aside, and only when they lie further
beyond everything else than the data itself is long (a 2099 date; a message a year after
a three-month export). A quiet spell shorter than that is taken as real: groups do go
quiet, and a rule that set aside their last message would cut real data. Datasets of
fewer than ``MAX_OUTLIERS + 2`` events are left as they are (there is no "rest of the
data" to compare with).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

MAX_OUTLIERS = 5
"""The most late events the rule will set aside: more than a handful is the data, not an accident."""

MIN_GAP = pd.Timedelta(days=90)
EARLIEST_PLAUSIBLE = pd.Timestamp("2000-01-01", tz="UTC")
"""Chat groups of the kind studied here did not exist before; earlier times are default dates (1970-01-01)."""


@dataclass(frozen=True)
class RobustEnd:
    """The data's end by the rule above, and how many late events lie beyond it (0: the latest event is the end)."""

    end: pd.Timestamp
    outliers: int


def robust_end(latest: list[pd.Timestamp], earliest: pd.Timestamp) -> RobustEnd:
    """The end of the data from its latest event times (any order; the latest ``MAX_OUTLIERS + 2`` are enough)."""
    times = sorted((pd.Timestamp(t) for t in latest if pd.notna(t)), reverse=True)
    if not times:
        return RobustEnd(pd.NaT, 0)
    if len(times) < MAX_OUTLIERS + 2:
        return RobustEnd(times[0], 0)
    times = times[: MAX_OUTLIERS + 1]
    first = pd.Timestamp(earliest)
    beyond = [i + 1 for i in range(len(times) - 1) if times[i] - times[i + 1] > max(MIN_GAP, times[i + 1] - first)]
    if not beyond:
        return RobustEnd(times[0], 0)
    cut = max(beyond)  # the earliest qualifying gap: every event above it is set aside
    return RobustEnd(times[cut], cut)
