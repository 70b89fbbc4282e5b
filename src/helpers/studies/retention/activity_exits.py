"""Ways out of activity: does a member who talks stop talking while she stays, or leave while still talking?

For members with one stay who spoke at least once, from the join: **fell silent** at her
last message when the stay went on ``silence_days`` or more without another; **left while
active** when she left within ``silence_days`` of her last message. Silence can only be told
``silence_days`` after it begins, so a member still talking near the data's end is censored
``silence_days`` before it. Members who rejoined (whose last message may belong to a later
stay) and members who never spoke are left out, and counted.
"""

from __future__ import annotations

import pandas as pd

SILENCE_DAYS = 28
WAYS = {1: "fell silent", 2: "left while active"}


def activity_exits(members: pd.DataFrame, end: pd.Timestamp, silence_days: int = SILENCE_DAYS) -> pd.DataFrame:
    """One row per member who spoke, with one stay: ``duration_days``, ``cause`` (0 still active, 1, 2), group."""
    spoke = members[members["first_message_at"].notna() & (members["stays"] == 1)]
    if "entry_days" in spoke:
        spoke = spoke[spoke["entry_days"] == 0]  # the join seen: time since it is known
    day = pd.Timedelta(days=1)
    last, joined = spoke["last_message_at"], spoke["joined_at"]
    stay_end = spoke["left_at"].fillna(end)
    quiet = (stay_end - last) / day
    silent = quiet >= silence_days
    left_active = spoke["left"].astype(bool) & ~silent
    horizon = end - pd.Timedelta(days=silence_days)  # after this, silence cannot be told yet
    censored_at = (horizon - joined) / day
    duration = ((last - joined) / day).where(
        silent, ((spoke["left_at"] - joined) / day).where(left_active, censored_at)
    )
    cause = silent.astype(int) + 2 * left_active.astype(int)
    out = pd.DataFrame({"group_id": spoke["group_id"], "duration_days": duration.clip(lower=0.0), "cause": cause})
    keep = (out["cause"] > 0) | (out["duration_days"] > 0)  # a still-active member joined too late to be followed
    return out[keep].reset_index(drop=True)
