"""Member-week talk: one pass over the messages, kept where the data lives and shared by every measure of talk.

The messages table is by far the largest (100 million rows for a brand with 10,000
groups), so the measures that need talk per member and week (the group-week panel,
lifecycle layers, activity retention, the member table) read this aggregate instead
of the messages: about a quarter of their rows on the default data. It is computed on
first use and kept on the backend (a temporary table of DuckDB's connection, gone with
it; a persisted frame on Spark), held by the dataset's ``Tables``.
"""

from __future__ import annotations

import ibis

from helpers.data.engine import Tables, kept, week_start


def talk(tables: Tables) -> ibis.Table:
    """Messages a member wrote: a sender named, and not a system row (a join line that names its member is not talk)."""
    msg = tables.messages
    return msg.filter(msg.member_id.notnull() & (msg.kind != "system"))


def member_weeks(tables: Tables) -> ibis.Table:
    """One row per sender in a group and Monday week (UTC) she wrote in; system rows left out, with a sender or not.

    Columns: ``group_id``, ``member_id``, ``week``; ``messages``; ``first_at`` / ``last_at``,
    her first and last message of the week. (Two more counts here would double the time to
    keep it: operators' posts are counted per group and week where needed, see ``group_week``.) A week overlaps at
    most two periods of 7 days or more, so each such period that holds some of the week's
    messages holds its first or its last: who talked in which period follows exactly.
    """

    def build() -> ibis.Table:
        msg = talk(tables)
        return msg.group_by(["group_id", "member_id", week_start(msg.sent_at).name("week")]).aggregate(
            messages=msg.count(), first_at=msg.sent_at.min(), last_at=msg.sent_at.max()
        )

    return kept(tables, "member_weeks", build)
