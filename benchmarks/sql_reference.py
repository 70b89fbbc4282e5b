"""The metric suite as hand-written DuckDB SQL over the Parquet files: the rival an engineer would write.

Not part of the package. Each metric is one SQL statement following the definitions in
the package's docstrings (the same as ``pandas_reference.py``), with what a careful hand
would do for speed: weeks as integer epoch arithmetic (no time-zone calendar), talk
aggregated per sender before the role lookup is joined. ``tests/measures/test_reference.py``
holds it equal to the engine on a small dataset; ``bench.py`` races it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd
from pandas_reference import finish_triangle, parquet_source, suite_of

WEEK = "floor((epoch({t}) + 259200) / 604800)::BIGINT"  # Monday weeks since 1970 (1970-01-01 was a Thursday)
MONDAY = "to_timestamp({w} * 604800 - 259200)"  # the Monday 00:00 UTC of week number w
DAYS = "((epoch({a}) - epoch({b})) / 86400.0)"


def week(t: str) -> str:
    """SQL: the integer Monday week of instant ``t``."""
    return WEEK.format(t=t)


def days(a: str, b: str) -> str:
    """SQL: days from ``b`` to ``a`` as a double."""
    return DAYS.format(a=a, b=b)


def load(data_dir: str | Path, memory: str = "2GB") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per contract table over its Parquet file(s)."""
    data_dir = Path(data_dir)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute("SET preserve_insertion_order = false")
    for name in ("groups", "memberships", "messages", "assignments"):
        source = parquet_source(data_dir, name)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{source}')")
    return con


def data_end(con: duckdb.DuckDBPyConnection) -> pd.Timestamp:
    """The latest join, leave or message."""
    row = con.execute(
        "SELECT greatest((SELECT max(joined_at) FROM memberships), (SELECT max(left_at) FROM memberships), "
        "(SELECT max(sent_at) FROM messages))"
    ).fetchone()
    return pd.Timestamp(row[0]).tz_convert("UTC")


def _end(end: pd.Timestamp) -> str:
    return f"TIMESTAMPTZ '{end.isoformat()}'"


def member_table(con: duckdb.DuckDBPyConnection, end: pd.Timestamp) -> pd.DataFrame:
    """Per member (role member) in a group: first stay, stays, final leave, duration, messages; group peak size."""
    e = _end(end)
    return con.execute(f"""
        WITH m AS (SELECT group_id, member_id, joined_at, left_at FROM memberships WHERE role = 'member'),
        per AS (
            SELECT group_id, member_id, min(joined_at) AS first_joined, count(*) AS stays,
                   bool_or(left_at IS NULL) AS still_in, max(left_at) AS last_left
            FROM m GROUP BY ALL),
        first AS (
            SELECT per.*, m.left_at FROM per JOIN m
            ON m.group_id = per.group_id AND m.member_id = per.member_id AND m.joined_at = per.first_joined),
        talk AS (
            SELECT group_id, member_id, count(*) AS messages, min(sent_at) AS first_message_at,
                   max(sent_at) AS last_message_at
            FROM messages GROUP BY ALL),
        moves AS (
            SELECT group_id, joined_at AS moved_at, 1 AS step FROM memberships
            UNION ALL SELECT group_id, left_at, -1 FROM memberships WHERE left_at IS NOT NULL),
        peak AS (
            SELECT group_id, max(n) AS peak_members FROM (
                SELECT group_id, sum(step) OVER (PARTITION BY group_id ORDER BY moved_at, step ROWS UNBOUNDED PRECEDING) AS n
                FROM moves) GROUP BY ALL),
        out AS (
            SELECT f.group_id, f.member_id, f.first_joined AS joined_at, f.left_at, f.stays,
                   CASE WHEN f.still_in THEN NULL ELSE f.last_left END AS final_left_at,
                   f.left_at IS NOT NULL AS "left",
                   {days(f"coalesce(f.left_at, {e})", "f.first_joined")} AS duration_days,
                   coalesce(t.messages, 0) AS messages, t.first_message_at, t.last_message_at
            FROM first f LEFT JOIN talk t ON t.group_id = f.group_id AND t.member_id = f.member_id)
        SELECT out.*,
               messages * 7 / greatest({days(f"coalesce(final_left_at, {e})", "joined_at")}, 7.0) AS messages_per_week,
               p.peak_members
        FROM out LEFT JOIN peak p USING (group_id)
    """).df()


def retention_counts(
    con: duckdb.DuckDBPyConnection, kind: str, end: pd.Timestamp, max_periods: int = 12, length: int = 7
) -> pd.DataFrame:
    """Members of each weekly join cohort retained in period k (a stay covers part of it / a message in it)."""
    e = _end(end)
    first = f"""first AS (
        SELECT group_id, member_id, min(joined_at) AS fj, {MONDAY.format(w=week("min(joined_at)"))} AS cohort
        FROM memberships WHERE role = 'member' GROUP BY ALL)"""
    if kind == "membership":
        periods = f"""
            SELECT DISTINCT s.group_id, s.member_id, f.cohort, unnest(generate_series(k_from,
                   least(greatest(k_to, k_from), {max_periods}))) AS k
            FROM (SELECT m.group_id, m.member_id,
                         floor({days("m.joined_at", "f.fj")} / {length})::BIGINT AS k_from,
                         (ceil({days(f"coalesce(m.left_at, {e})", "f.fj")} / {length}) - 1)::BIGINT AS k_to
                  FROM memberships m JOIN first f USING (group_id, member_id) WHERE m.role = 'member') s
            JOIN first f USING (group_id, member_id)"""
    else:
        periods = f"""
            SELECT DISTINCT group_id, member_id, cohort, k FROM (
                SELECT s.group_id, s.member_id, f.cohort, floor({days("s.sent_at", "f.fj")} / {length})::BIGINT AS k
                FROM messages s JOIN first f USING (group_id, member_id))
            WHERE k BETWEEN 0 AND {max_periods}"""
    pairs = con.execute(f"""
        WITH {first}, p AS ({periods})
        SELECT cohort, k, count(*) AS n FROM p WHERE k <= {max_periods} GROUP BY ALL""").df()
    sizes = con.execute(f"WITH {first} SELECT cohort, count(*) AS n FROM first GROUP BY ALL").df()
    return finish_triangle(pairs, sizes.set_index("cohort")["n"], end, max_periods, length)


def group_week_panel(con: duckdb.DuckDBPyConnection, end: pd.Timestamp, koc_threshold: int = 10) -> pd.DataFrame:
    """Per group and week from creation to the data's end: members, joins, exits, talk, KOCs, operator posts."""
    last = week(_end(end))
    return con.execute(f"""
        WITH grid AS (
            SELECT group_id, unnest(range({week("created_at")}, {last} + 1)) AS w, {week("created_at")} AS w0
            FROM groups),
        m AS (SELECT group_id, joined_at, left_at, epoch(joined_at) AS joined_s FROM memberships WHERE role = 'member'),
        joins AS (SELECT group_id, {week("joined_at")} AS w, count(*) AS joins, sum(joined_s) AS joined_s_in
                  FROM m GROUP BY ALL),
        exits AS (SELECT group_id, {week("left_at")} AS w, count(*) AS exits, sum(joined_s) AS joined_s_out
                  FROM m WHERE left_at IS NOT NULL GROUP BY ALL),
        ops AS (SELECT group_id, member_id, max(role) AS role FROM memberships WHERE role <> 'member' GROUP BY ALL),
        per_sender AS (
            SELECT group_id, member_id, {week("sent_at")} AS w, count(*) AS n,
                   count(*) FILTER (WHERE kind IN ('dry', 'wet', 'promo', 'activity')) AS operator_posts,
                   count(*) FILTER (WHERE kind = 'promo') AS promo_posts
            FROM messages WHERE member_id IS NOT NULL GROUP BY ALL),
        talk AS (
            SELECT s.group_id, s.w,
                   sum(n) FILTER (WHERE o.role IS NULL) AS member_messages,
                   count(*) FILTER (WHERE o.role IS NULL) AS speakers,
                   count(*) FILTER (WHERE o.role IS NULL AND n >= {koc_threshold}) AS kocs,
                   sum(n) FILTER (WHERE o.role = 'monitor') AS monitor_messages,
                   sum(operator_posts) AS operator_posts, sum(promo_posts) AS promo_posts
            FROM per_sender s LEFT JOIN ops o USING (group_id, member_id) GROUP BY ALL),
        panel AS (
            SELECT g.group_id, g.w, g.w - g.w0 AS age_weeks,
                   coalesce(joins, 0) AS joins, coalesce(exits, 0) AS exits,
                   coalesce(joined_s_in, 0) - coalesce(joined_s_out, 0) AS flow,
                   coalesce(member_messages, 0) AS member_messages, coalesce(speakers, 0) AS speakers,
                   coalesce(kocs, 0) AS kocs, coalesce(monitor_messages, 0) AS monitor_messages,
                   coalesce(operator_posts, 0) AS operator_posts, coalesce(promo_posts, 0) AS promo_posts
            FROM grid g LEFT JOIN joins USING (group_id, w) LEFT JOIN exits USING (group_id, w)
            LEFT JOIN talk USING (group_id, w)),
        running AS (
            SELECT *,
                   sum(joins - exits) OVER run - (joins - exits) AS members,
                   sum(flow) OVER run - flow AS present_s
            FROM panel WINDOW run AS (PARTITION BY group_id ORDER BY w ROWS UNBOUNDED PRECEDING))
        SELECT group_id, {MONDAY.format(w="w")} AS week, age_weeks, members, members + joins AS members_in_week,
               joins, exits,
               (w * 604800 - 259200 - present_s / nullif(members, 0)) / 86400.0 AS mean_tenure_days,
               member_messages, speakers, speakers / nullif(members + joins, 0) AS interaction_rate,
               member_messages / nullif(members + joins, 0) AS messages_per_member, kocs, monitor_messages,
               monitor_messages / nullif(member_messages + monitor_messages, 0) AS monitor_share,
               operator_posts, promo_posts, promo_posts / nullif(operator_posts, 0) AS promo_share
        FROM running ORDER BY group_id, w
    """).df()


def recruitment_windows(con: duckdb.DuckDBPyConnection, end: pd.Timestamp, target_size: int = 150) -> pd.DataFrame:
    """Per group: days from creation to its n-th distinct joiner (n = min(target, own target)), joiners so far."""
    return con.execute(f"""
        WITH joiners AS (
            SELECT group_id, member_id, min(joined_at) AS joined_at FROM memberships GROUP BY ALL),
        ranked AS (SELECT *, row_number() OVER (PARTITION BY group_id ORDER BY joined_at) AS rank FROM joiners),
        g AS (SELECT *, least({target_size}, coalesce(target_size, {target_size}))::BIGINT AS fill_size FROM groups),
        nth AS (SELECT r.group_id, r.joined_at AS filled_at FROM ranked r JOIN g USING (group_id)
                WHERE r.rank = g.fill_size),
        counts AS (SELECT group_id, count(*) AS joiners FROM joiners GROUP BY ALL)
        SELECT g.*, nth.filled_at, coalesce(counts.joiners, 0) AS joiners,
               {days("nth.filled_at", "g.created_at")} AS window_days,
               {days(_end(end), "g.created_at")} AS observed_days, nth.filled_at IS NOT NULL AS filled
        FROM g LEFT JOIN nth USING (group_id) LEFT JOIN counts USING (group_id) ORDER BY group_id
    """).df()


def experiment_outcomes(
    con: duckdb.DuckDBPyConnection, experiment: str, end: pd.Timestamp, horizon_days: int = 30, pre_days: int = 90
) -> pd.DataFrame:
    """Per randomised group: post exits by stage, pre exits, member-days and member messages after / before."""
    e, h, pre = f"epoch({_end(end)})", horizon_days * 86400.0, pre_days * 86400.0
    frame = con.execute(f"""
        WITH a AS (
            SELECT a.group_id, a.arm, a.assigned_at, epoch(a.assigned_at) AS a_s, epoch(g.created_at) AS c_s
            FROM assignments a JOIN groups g USING (group_id) WHERE a.experiment = '{experiment}'),
        m AS (
            SELECT m.group_id, epoch(m.joined_at) AS j_s, epoch(m.left_at) AS l_s, coalesce(epoch(m.left_at), {e}) AS stop,
                   greatest(epoch(m.joined_at), a.a_s) AS start, a.a_s, a.c_s
            FROM memberships m JOIN a USING (group_id) WHERE m.role = 'member'),
        post AS (
            SELECT group_id, (l_s IS NOT NULL AND l_s < start + {h})::INT AS exited,
                   CASE WHEN (start - c_s) / 86400.0 < 28 THEN 'launch'
                        WHEN (start - c_s) / 86400.0 < 84 THEN 'growth' ELSE 'mature' END AS stage
            FROM m WHERE stop > a_s AND start + {h} <= {e}),
        stages AS (
            SELECT group_id,
                   count(*) FILTER (WHERE stage = 'launch') AS members_launch,
                   sum(exited) FILTER (WHERE stage = 'launch') AS exits_launch,
                   count(*) FILTER (WHERE stage = 'growth') AS members_growth,
                   sum(exited) FILTER (WHERE stage = 'growth') AS exits_growth,
                   count(*) FILTER (WHERE stage = 'mature') AS members_mature,
                   sum(exited) FILTER (WHERE stage = 'mature') AS exits_mature
            FROM post GROUP BY ALL),
        pre AS (
            SELECT group_id, count(*) AS pre_members, sum((l_s IS NOT NULL AND l_s < j_s + {h})::INT) AS pre_exits
            FROM m WHERE j_s < a_s - {h} AND j_s >= a_s - {pre} GROUP BY ALL),
        days AS (
            SELECT group_id, sum(greatest(stop - start, 0)) / 86400.0 AS post_member_days,
                   sum(greatest(least(stop, a_s) - greatest(j_s, a_s - {pre}), 0)) / 86400.0 AS pre_member_days
            FROM m GROUP BY ALL),
        ops AS (SELECT DISTINCT group_id, member_id FROM memberships WHERE role <> 'member'),
        talk AS (
            SELECT s.group_id, count(*) FILTER (WHERE s.sent_at >= a.assigned_at) AS post_messages,
                   count(*) FILTER (WHERE s.sent_at < a.assigned_at
                                    AND epoch(s.sent_at) >= a.a_s - {pre}) AS pre_messages
            FROM messages s JOIN a USING (group_id) ANTI JOIN ops USING (group_id, member_id)
            WHERE s.member_id IS NOT NULL GROUP BY ALL)
        SELECT a.group_id, a.arm, a.assigned_at, stages.* EXCLUDE (group_id), pre.* EXCLUDE (group_id),
               days.* EXCLUDE (group_id), talk.* EXCLUDE (group_id)
        FROM a LEFT JOIN stages USING (group_id) LEFT JOIN pre USING (group_id) LEFT JOIN days USING (group_id)
        LEFT JOIN talk USING (group_id) ORDER BY a.group_id
    """).df()
    frame = frame.fillna({c: 0 for c in frame.columns if c not in ("group_id", "arm", "assigned_at")})
    frame["members"] = frame[[f"members_{s}" for s in ("launch", "growth", "mature")]].sum(axis=1)
    frame["exits"] = frame[[f"exits_{s}" for s in ("launch", "growth", "mature")]].sum(axis=1)
    return frame


def suite(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every metric of the suite, from opening the files on (what the benchmark times)."""
    return suite_of(sys.modules[__name__], data_dir)
