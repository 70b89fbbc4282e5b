"""The metric suite in Polars (lazy frames, the streaming engine): the rival a Polars user would write.

Not part of the package. Each metric is one lazy query over the Parquet files following the
definitions in the package's docstrings (the same as ``pandas_reference.py``), collected with
Polars' streaming engine; weeks are integer epoch arithmetic, talk is aggregated per sender
before the role lookup is joined. ``tests/measures/test_reference.py`` holds it equal to the
engine on a small dataset; ``bench.py`` races it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import polars as pl
from pandas_reference import finish_triangle, parquet_source, suite_of

G, M = "group_id", "member_id"
KEY = [G, M]


@dataclass
class Frames:
    """The contract tables as lazy Polars frames over the files."""

    groups: pl.LazyFrame
    memberships: pl.LazyFrame
    messages: pl.LazyFrame
    assignments: pl.LazyFrame


def load(data_dir: str | Path) -> Frames:
    """Lazy scans of every table (Parquet files or folders of parts)."""
    data_dir = Path(data_dir)

    def scan(name: str) -> pl.LazyFrame:
        return pl.scan_parquet(parquet_source(data_dir, name))

    return Frames(scan("groups"), scan("memberships"), scan("messages"), scan("assignments"))


def _collect(frame: pl.LazyFrame) -> pl.DataFrame:
    return frame.collect(engine="streaming")


def seconds(column: str) -> pl.Expr:
    """Seconds since 1970 of an instant column, as a float."""
    return pl.col(column).dt.epoch("us") / 1e6


def week(expr: pl.Expr) -> pl.Expr:
    """The integer Monday week of epoch seconds (1970-01-01 was a Thursday)."""
    return ((expr + 259_200) / 604_800).floor().cast(pl.Int64)


def monday(expr: pl.Expr) -> pl.Expr:
    """The Monday 00:00 UTC of an integer week."""
    return pl.from_epoch(expr * 604_800 - 259_200, time_unit="s").dt.replace_time_zone("UTC")


def data_end(f: Frames) -> pd.Timestamp:
    """The latest join, leave or message."""
    times = _collect(f.memberships.select(pl.col("joined_at").max(), pl.col("left_at").max())).row(0)
    sent = _collect(f.messages.select(pl.col("sent_at").max())).item()
    return max(pd.Timestamp(t) for t in (*times, sent) if t is not None).tz_convert("UTC")


def _pandas(frame: pl.DataFrame) -> pd.DataFrame:
    return frame.to_pandas()


def member_table(f: Frames, end: pd.Timestamp) -> pd.DataFrame:
    """Per member (role member) in a group: first stay, stays, final leave, duration, messages; group peak size."""
    end_s = end.timestamp()
    m = f.memberships.filter(pl.col("role") == "member").select(G, M, "joined_at", "left_at")
    per = m.group_by(KEY).agg(
        first_joined=pl.col("joined_at").min(),
        stays=pl.len(),
        still_in=pl.col("left_at").is_null().any(),
        last_left=pl.col("left_at").max(),
    )
    first = per.join(m, left_on=[G, M, "first_joined"], right_on=[G, M, "joined_at"])
    talk = f.messages.group_by(KEY).agg(
        messages=pl.len(), first_message_at=pl.col("sent_at").min(), last_message_at=pl.col("sent_at").max()
    )
    moves = pl.concat(
        [
            f.memberships.select(G, moved_at=pl.col("joined_at"), step=pl.lit(1)),
            f.memberships.filter(pl.col("left_at").is_not_null()).select(
                G, moved_at=pl.col("left_at"), step=pl.lit(-1)
            ),
        ]
    )
    peak = (
        moves.sort([G, "moved_at", "step"])
        .with_columns(n=pl.col("step").cum_sum().over(G))
        .group_by(G)
        .agg(peak_members=pl.col("n").max())
    )
    out = first.join(talk, on=KEY, how="left").with_columns(
        joined_at=pl.col("first_joined"),
        final_left_at=pl.when(pl.col("still_in")).then(None).otherwise(pl.col("last_left")),
        left=pl.col("left_at").is_not_null(),
        messages=pl.col("messages").fill_null(0),
    )
    out = out.with_columns(
        duration_days=(pl.coalesce(seconds("left_at"), pl.lit(end_s)) - seconds("joined_at")) / 86_400,
        messages_per_week=pl.col("messages")
        * 7
        / pl.max_horizontal(
            (pl.coalesce(seconds("final_left_at"), pl.lit(end_s)) - seconds("joined_at")) / 86_400, 7.0
        ),
    ).join(peak, on=G, how="left")
    columns = [G, M, "joined_at", "left_at", "stays", "final_left_at", "left", "duration_days", "messages"]
    columns += ["messages_per_week", "first_message_at", "last_message_at", "peak_members"]
    return _pandas(_collect(out.select(columns)))


def retention_counts(f: Frames, kind: str, end: pd.Timestamp, max_periods: int = 12, length: int = 7) -> pd.DataFrame:
    """Members of each weekly join cohort retained in period k (a stay covers part of it / a message in it)."""
    end_s, span = end.timestamp(), length * 86_400
    m = f.memberships.filter(pl.col("role") == "member")
    first = m.group_by(KEY).agg(fj=seconds("joined_at").min())
    first = first.with_columns(cohort=monday(week(pl.col("fj"))))
    if kind == "membership":
        s = m.join(first, on=KEY).with_columns(
            k_from=((seconds("joined_at") - pl.col("fj")) / span).floor().cast(pl.Int64),
            k_to=((pl.coalesce(seconds("left_at"), pl.lit(end_s)) - pl.col("fj")) / span).ceil().cast(pl.Int64) - 1,
        )
        top = pl.min_horizontal(pl.max_horizontal("k_to", "k_from"), pl.lit(max_periods))
        periods = s.select(G, M, "cohort", k=pl.int_ranges("k_from", top + 1)).explode("k").drop_nulls("k")
    else:
        s = f.messages.select(G, M, "sent_at").join(first, on=KEY)
        periods = s.select(G, M, "cohort", k=((seconds("sent_at") - pl.col("fj")) / span).floor().cast(pl.Int64))
        periods = periods.filter(pl.col("k").is_between(0, max_periods))
    pairs = periods.unique([G, M, "k"]).group_by(["cohort", "k"]).agg(n=pl.len())
    sizes = _pandas(_collect(first.group_by("cohort").agg(n=pl.len()))).set_index("cohort")["n"]
    return finish_triangle(_pandas(_collect(pairs)), sizes, end, max_periods, length)


def group_week_panel(f: Frames, end: pd.Timestamp, koc_threshold: int = 10) -> pd.DataFrame:
    """Per group and week from creation to the data's end: members, joins, exits, talk, KOCs, operator posts."""
    last = int((end.timestamp() + 259_200) // 604_800)
    grid = f.groups.select(G, w0=week(seconds("created_at")))
    grid = (
        grid.with_columns(w=pl.int_ranges("w0", last + 1))
        .explode("w")
        .with_columns(age_weeks=pl.col("w") - pl.col("w0"))
    )
    m = f.memberships.filter(pl.col("role") == "member").with_columns(joined_s=seconds("joined_at"))
    joins = m.group_by(G, w=week(seconds("joined_at"))).agg(joins=pl.len(), joined_s_in=pl.col("joined_s").sum())
    left = m.filter(pl.col("left_at").is_not_null())
    exits = left.group_by(G, w=week(seconds("left_at"))).agg(exits=pl.len(), joined_s_out=pl.col("joined_s").sum())
    ops = f.memberships.filter(pl.col("role") != "member").group_by(KEY).agg(role=pl.col("role").max())
    per_sender = (
        f.messages.filter(pl.col(M).is_not_null())
        .group_by(G, M, w=week(seconds("sent_at")))
        .agg(
            n=pl.len(),
            operator_posts=pl.col("kind").is_in(["dry", "wet", "promo", "activity"]).sum(),
            promo_posts=(pl.col("kind") == "promo").sum(),
        )
    )
    member = pl.col("role").is_null()
    talk = (
        per_sender.join(ops, on=KEY, how="left")
        .group_by(G, "w")
        .agg(
            member_messages=pl.col("n").filter(member).sum(),
            speakers=member.sum(),
            kocs=(member & (pl.col("n") >= koc_threshold)).sum(),
            monitor_messages=pl.col("n").filter(pl.col("role") == "monitor").sum(),
            operator_posts=pl.col("operator_posts").sum(),
            promo_posts=pl.col("promo_posts").sum(),
        )
    )
    counts = ["joins", "exits", "member_messages", "speakers", "kocs", "monitor_messages", "operator_posts"]
    counts += ["promo_posts"]
    panel = (
        grid.join(joins, on=[G, "w"], how="left")
        .join(exits, on=[G, "w"], how="left")
        .join(talk, on=[G, "w"], how="left")
        .with_columns(pl.col(counts).fill_null(0).cast(pl.Int64))
        .sort([G, "w"])
    )
    net = pl.col("joins") - pl.col("exits")
    flow = pl.col("joined_s_in").fill_null(0) - pl.col("joined_s_out").fill_null(0)
    panel = panel.with_columns(members=net.cum_sum().over(G) - net, present_s=flow.cum_sum().over(G) - flow)
    has = pl.when(pl.col("members_in_week") > 0).then(pl.col("members_in_week"))
    talk_total = pl.col("member_messages") + pl.col("monitor_messages")
    panel = panel.with_columns(members_in_week=pl.col("members") + pl.col("joins")).with_columns(
        week=monday(pl.col("w")),
        mean_tenure_days=(
            (pl.col("w") * 604_800 - 259_200)
            - pl.col("present_s") / pl.when(pl.col("members") > 0).then(pl.col("members"))
        )
        / 86_400,
        interaction_rate=pl.col("speakers") / has,
        messages_per_member=pl.col("member_messages") / has,
        monitor_share=pl.col("monitor_messages") / pl.when(talk_total > 0).then(talk_total),
        promo_share=pl.col("promo_posts") / pl.when(pl.col("operator_posts") > 0).then(pl.col("operator_posts")),
    )
    columns = [G, "week", "age_weeks", "members", "members_in_week", *counts[:2], "mean_tenure_days"]
    columns += ["member_messages", "speakers", "interaction_rate", "messages_per_member", "kocs", "monitor_messages"]
    columns += ["monitor_share", "operator_posts", "promo_posts", "promo_share"]
    return _pandas(_collect(panel.select(columns)))


def recruitment_windows(f: Frames, end: pd.Timestamp, target_size: int = 150) -> pd.DataFrame:
    """Per group: days from creation to its n-th distinct joiner (n = min(target, own target)), joiners so far."""
    joiners = f.memberships.group_by(KEY).agg(joined_at=pl.col("joined_at").min()).sort([G, "joined_at"])
    joiners = joiners.with_columns(rank=pl.int_range(1, pl.len() + 1).over(G))
    g = f.groups.with_columns(
        fill_size=pl.min_horizontal(pl.lit(target_size), pl.col("target_size").fill_null(target_size))
    )
    nth = joiners.join(g.select(G, "fill_size"), on=G).filter(pl.col("rank") == pl.col("fill_size"))
    out = (
        g.join(nth.select(G, filled_at=pl.col("joined_at")), on=G, how="left")
        .join(joiners.group_by(G).agg(joiners=pl.len()), on=G, how="left")
        .with_columns(
            joiners=pl.col("joiners").fill_null(0),
            window_days=(seconds("filled_at") - seconds("created_at")) / 86_400,
            observed_days=(pl.lit(end.timestamp()) - seconds("created_at")) / 86_400,
        )
        .with_columns(filled=pl.col("window_days").is_not_null())
        .sort(G)
    )
    return _pandas(_collect(out))


def experiment_outcomes(
    f: Frames, experiment: str, end: pd.Timestamp, horizon_days: int = 30, pre_days: int = 90
) -> pd.DataFrame:
    """Per randomised group: post exits by stage, pre exits, member-days and member messages after / before."""
    end_s, h, pre = end.timestamp(), horizon_days * 86_400.0, pre_days * 86_400.0
    a = (
        f.assignments.filter(pl.col("experiment") == experiment)
        .join(f.groups.select(G, "created_at"), on=G)
        .with_columns(a_s=seconds("assigned_at"), c_s=seconds("created_at"))
    )
    m = f.memberships.filter(pl.col("role") == "member").join(a.select(G, "a_s", "c_s"), on=G)
    m = m.with_columns(j_s=seconds("joined_at"), l_s=seconds("left_at"))
    m = m.with_columns(stop=pl.col("l_s").fill_null(end_s), start=pl.max_horizontal("j_s", "a_s"))
    post = m.filter((pl.col("stop") > pl.col("a_s")) & (pl.col("start") + h <= end_s))
    age = (pl.col("start") - pl.col("c_s")) / 86_400
    post = post.with_columns(
        exited=pl.col("l_s").is_not_null() & (pl.col("l_s") < pl.col("start") + h),
        stage=pl.when(age < 28)
        .then(pl.lit("launch"))
        .when(age < 84)
        .then(pl.lit("growth"))
        .otherwise(pl.lit("mature")),
    )
    stages = post.group_by(G).agg(
        *(
            expr
            for stage in ("launch", "growth", "mature")
            for expr in (
                (pl.col("stage") == stage).sum().alias(f"members_{stage}"),
                ((pl.col("stage") == stage) & pl.col("exited")).sum().alias(f"exits_{stage}"),
            )
        )
    )
    pre_rows = m.filter((pl.col("j_s") < pl.col("a_s") - h) & (pl.col("j_s") >= pl.col("a_s") - pre))
    pre_part = pre_rows.group_by(G).agg(
        pre_members=pl.len(), pre_exits=(pl.col("l_s").is_not_null() & (pl.col("l_s") < pl.col("j_s") + h)).sum()
    )
    days = m.group_by(G).agg(
        post_member_days=(pl.col("stop") - pl.col("start")).clip(lower_bound=0).sum() / 86_400,
        pre_member_days=(pl.min_horizontal("stop", "a_s") - pl.max_horizontal(pl.col("j_s"), pl.col("a_s") - pre))
        .clip(lower_bound=0)
        .sum()
        / 86_400,
    )
    ops = f.memberships.filter(pl.col("role") != "member").select(KEY).unique()
    msg = (
        f.messages.filter(pl.col(M).is_not_null())
        .join(ops, on=KEY, how="anti")
        .join(a.select(G, "assigned_at", "a_s"), on=G)
    )
    talk = msg.group_by(G).agg(
        post_messages=(pl.col("sent_at") >= pl.col("assigned_at")).sum(),
        pre_messages=((pl.col("sent_at") < pl.col("assigned_at")) & (seconds("sent_at") >= pl.col("a_s") - pre)).sum(),
    )
    out = a.select(G, "arm", "assigned_at")
    for part in (stages, pre_part, days, talk):
        out = out.join(part, on=G, how="left")
    frame = _pandas(_collect(out.sort(G)))
    frame = frame.fillna({c: 0 for c in frame.columns if c not in (G, "arm", "assigned_at")})
    frame["members"] = frame[[f"members_{s}" for s in ("launch", "growth", "mature")]].sum(axis=1)
    frame["exits"] = frame[[f"exits_{s}" for s in ("launch", "growth", "mature")]].sum(axis=1)
    return frame


def suite(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every metric of the suite, from opening the files on (what the benchmark times)."""
    return suite_of(sys.modules[__name__], data_dir)
