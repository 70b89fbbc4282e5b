"""The synthetic generator: determinism, contract validity, and marginals that come out as planted."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.data.engine import validate_dataset
from helpers.synth import dataset, generate
from helpers.synth.truth import koc_certain_size
from helpers.synth.world import ARMS, PEAK_HOURS, hour_profile, planted

TABLES = ("groups.parquet", "assignments.parquet", "memberships", "messages")


def _read(path: Path):
    return pq.read_table(path)


def _sql(world_path: Path, query: str):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in ("groups", "assignments"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{world_path / name}.parquet')")
    for name in ("memberships", "messages"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{world_path / name}/*.parquet')")
    return con.execute(query).df()


def test_same_seed_same_tables_other_seed_other_tables(tmp_path):
    first = generate(tmp_path / "a", n_groups=40, seed=7, months=4, progress=False)
    second = generate(tmp_path / "b", n_groups=40, seed=7, months=4, progress=False)
    third = generate(tmp_path / "c", n_groups=40, seed=8, months=4, progress=False)
    assert first == second
    for table in TABLES:
        assert _read(tmp_path / "a" / table).equals(_read(tmp_path / "b" / table)), table
    assert not _read(tmp_path / "a" / "messages").equals(_read(tmp_path / "c" / "messages"))
    assert first != third


@pytest.mark.parametrize("world", ["planted_world", "null_world"])
def test_both_worlds_meet_the_contract_without_warnings(world, request):
    synthetic = request.getfixturevalue(world)
    report, tables = validate_dataset(synthetic.path)
    assert report.ok, report.format()
    assert report.warnings == [], report.format()
    assert set(tables) == {
        "groups",
        "memberships",
        "messages",
        "assignments",
        "conversions",
        "activities",
        "activity_participants",
    }


def test_default_dataset_has_the_promised_size(planted_world):
    """Size only: generation time is measured by make bench (benchmarks/bench_synth.py)."""
    real = planted_world.truth["marginals"]["realised"]
    assert 130_000 <= real["memberships"] <= 190_000
    assert 4_000_000 <= real["messages"] <= 6_500_000


def test_mean_target_size_and_filling_come_out_as_planted(planted_world):
    groups = _sql(planted_world.path, "SELECT target_size FROM groups")
    planted_mean = planted_world.truth["marginals"]["mean_target_size"]
    se = groups["target_size"].std() / np.sqrt(len(groups))
    assert abs(groups["target_size"].mean() - planted_mean) < 3 * se
    joins = _sql(
        planted_world.path,
        """
        SELECT g.group_id, any_value(g.target_size) AS target, count(*) FILTER (WHERE role = 'member') AS joins
        FROM groups g JOIN memberships m USING (group_id) GROUP BY 1""",
    )
    reached = (joins["joins"] >= joins["target"]).mean()
    assert reached == pytest.approx(planted_world.truth["marginals"]["realised"]["groups_reaching_target"] / 800)
    assert 0.75 < reached < 0.97  # most groups fill, some operators give up


@pytest.mark.parametrize("segment_kind", ["prenatal", "postnatal"])
def test_member_talk_follows_the_planted_local_hour_profile(planted_world, segment_kind):
    prefix = "pregnant" if segment_kind == "prenatal" else "baby"
    hours = _sql(
        planted_world.path,
        f"""
        SELECT hour(m.sent_at + INTERVAL 8 HOUR) AS hour, count(*) AS n
        FROM messages m JOIN groups g USING (group_id) JOIN memberships s USING (group_id, member_id)
        WHERE m.kind = 'chat' AND s.role = 'member' AND g.segment LIKE '{prefix}%'
        GROUP BY 1 ORDER BY 1""",
    )
    observed = hours["n"].to_numpy() / hours["n"].sum()
    expected = hour_profile(segment_kind)
    assert np.abs(observed - expected).sum() / 2 < 0.02  # total variation distance
    top = set(np.argsort(observed)[-sum(e - s for s, e in PEAK_HOURS[segment_kind]) :])
    assert top == {h for s, e in PEAK_HOURS[segment_kind] for h in range(s, e)}


def test_operator_promo_share_follows_the_arm(planted_world):
    shares = _sql(
        planted_world.path,
        """
        SELECT a.arm, avg((m.kind = 'promo')::INT) AS promo_share, count(*) AS posts
        FROM messages m JOIN assignments a USING (group_id)
        WHERE m.kind IN ('dry', 'wet', 'promo', 'activity') AND m.sent_at >= a.assigned_at
        GROUP BY 1""",
    ).set_index("arm")
    for arm, share in planted().arm_promo_share.items():
        assert shares.loc[arm, "promo_share"] == pytest.approx(share, abs=0.01)


def test_monitor_writes_about_her_planned_share(planted_world):
    weekly = _sql(
        planted_world.path,
        """
        SELECT avg(monitor / total) AS share FROM (
          SELECT m.group_id, date_trunc('week', m.sent_at) AS week,
                 count(*) FILTER (WHERE s.role = 'monitor') AS monitor, count(*) AS total
          FROM messages m JOIN memberships s USING (group_id, member_id)
          WHERE m.kind = 'chat' GROUP BY 1, 2 HAVING count(*) >= 100)""",
    )
    # planned share ~ U(0, 0.12) per group, so about 0.06 on average
    assert weekly["share"].iloc[0] == pytest.approx(planted().monitor_share_max / 2, abs=0.01)


def test_randomisation_is_balanced_within_strata(planted_world):
    counts = _sql(planted_world.path, "SELECT stratum, arm, count(*) AS n FROM assignments GROUP BY 1, 2")
    table = counts.pivot(index="stratum", columns="arm", values="n").reindex(columns=list(ARMS)).fillna(0)
    assert (table.max(axis=1) - table.min(axis=1)).max() <= 1


def test_mixed_groups_lose_more_members_only_where_planted(planted_world, null_world):
    planted_exits = planted_world.truth["planted_effects"]["homophily"]["emergent"]
    null_exits = null_world.truth["planted_effects"]["homophily"]["emergent"]
    assert planted_exits["exit_30d_mixed"] > 1.2 * planted_exits["exit_30d_homogeneous"]
    assert null_exits["exit_30d_mixed"] == pytest.approx(null_exits["exit_30d_homogeneous"], abs=0.02)


def test_arm_effects_are_emergent_truths_in_planted_world_and_zero_in_null(planted_world, null_world):
    effects = planted_world.truth["planted_effects"]["content_ratio_experiment"]["true_values"]["effects"]
    high, low = effects["promo_high_vs_control"], effects["promo_low_vs_control"]
    assert high["exit_30d_members"] > 0.02 and low["exit_30d_members"] < -0.01
    assert high["messages_per_member_week"] < 0 < low["messages_per_member_week"]
    # planted stage weights: launch > growth > mature
    assert high["exit_30d_members_launch"] > high["exit_30d_members_growth"] > high["exit_30d_members_mature"] > 0
    for effect in null_world.truth["planted_effects"]["content_ratio_experiment"]["true_values"]["effects"].values():
        assert all(v == pytest.approx(0, abs=1e-12) for v in effect.values())


def test_slow_filling_raises_early_churn_only_where_planted(planted_world, null_world):
    slow = planted_world.truth["planted_effects"]["recruitment_window"]["emergent"]["slow_vs_fast"]["60d"]
    assert slow["risk_ratio_slow_filled"] > 1.2
    assert slow["slow_or_never_exit_share"] > slow["slow_or_never_exit_share_without_mechanism"] + 0.05
    bins = null_world.truth["planted_effects"]["recruitment_window"]["emergent"]["by_window_bin"]["60d"]
    for row in bins.values():
        assert row["exit_share"] == row["exit_share_without_mechanism"]


def test_koc_certain_size_is_the_binomial_answer():
    size = koc_certain_size(0.03)
    p_two = lambda n: 1 - (0.97**n + n * 0.03 * 0.97 ** (n - 1))  # noqa: E731
    assert p_two(size) >= 0.95 > p_two(size - 1)
    assert koc_certain_size(0.0) is None


def test_truth_json_is_written_and_names_every_planted_effect(planted_world):
    truth = json.loads((planted_world.path / "truth.json").read_text())
    effects = truth["planted_effects"]
    assert set(effects) == {
        "size_activity",
        "size_exit",
        "recruitment_window",
        "homophily",
        "monitor_share",
        "content_ratio_experiment",
        "conversion",
        "operations",
        "koc",
    }
    assert effects["operations"]["spaced_welcome_exit_hazard_ratio"] == pytest.approx(1 / 1.5)
    assert effects["operations"]["agents"] >= 5 and effects["operations"]["member_days_overloaded_agent"] > 0
    assert effects["size_activity"]["peak_size"] == 229.0
    low, high = effects["size_activity"]["band_90pct_of_peak"]
    assert low == pytest.approx(150, abs=1) and high == pytest.approx(350, abs=1)
    assert effects["recruitment_window"]["threshold_days"] == 28.0
    assert effects["monitor_share"]["optimum"] == 0.05
    assert truth["definitions"]["experiment.exit_30d"]


def test_cli_writes_a_dataset_and_a_failed_run_keeps_the_old_one(tmp_path, monkeypatch):
    out = tmp_path / "data"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.synth",
            "--out",
            str(out),
            "--groups",
            "12",
            "--months",
            "3",
            "--seed",
            "3",
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "12 groups" in done.stderr and (out / "truth.json").exists()
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(dataset, "_messages", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(out, n_groups=12, seed=4, months=3, progress=False)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert json.loads((out / "truth.json").read_text())["seed"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temporary folder left behind


@pytest.mark.parametrize("segment_kind", ["prenatal", "postnatal"])
def test_weekend_lift_per_segment_comes_out_as_planted(planted_world, segment_kind):
    prefix = "pregnant" if segment_kind == "prenatal" else "baby"
    days = _sql(
        planted_world.path,
        f"""
        SELECT isodow(m.sent_at) >= 6 AS weekend, count(*) / count(DISTINCT m.sent_at::DATE) AS per_day
        FROM messages m JOIN groups g USING (group_id)
        WHERE m.kind = 'chat' AND g.segment LIKE '{prefix}%' AND m.sent_at >= TIMESTAMPTZ '2025-03-01'
        GROUP BY 1""",
    ).set_index("weekend")["per_day"]
    assert days[True] / days[False] == pytest.approx(planted().weekend_activity[segment_kind], abs=0.06)


def test_conversions_are_drawn_apart_and_change_no_other_table(tmp_path):
    """Conversions run on a stream of their own: another conversion world leaves every other table as it was."""
    base = planted()
    other = replace(base, conversion_base=0.01, promo_conversion_gamma=0.0, koc_conversion_rr=2.0)
    generate(tmp_path / "a", n_groups=30, seed=5, months=3, progress=False, world=base)
    generate(tmp_path / "b", n_groups=30, seed=5, months=3, progress=False, world=other)
    for name in TABLES:
        assert _read(tmp_path / "a" / name).equals(_read(tmp_path / "b" / name)), name
    a, b = (_read(tmp_path / w / "conversions").to_pandas() for w in "ab")
    assert len(b) > 2 * len(a) > 0
    inside = _sql(
        tmp_path / "a",
        "SELECT count(*) AS n FROM read_parquet('" + str(tmp_path / "a" / "conversions") + "/*.parquet') c "
        "JOIN memberships m ON c.group_id = m.group_id AND c.member_id = m.member_id "
        "AND c.converted_at >= m.joined_at AND (m.left_at IS NULL OR c.converted_at <= m.left_at) "
        "WHERE m.role = 'member'",
    )
    assert inside["n"].iloc[0] == len(a)  # every conversion by a member, within one of her stays
    assert (a["value"] >= 0).all() and (a.loc[a["kind"] == "course_signup", "value"] == 0).all()
    report, _ = validate_dataset(tmp_path / "a")
    assert report.ok and not report.warnings, report.format()


def test_conversion_rates_per_arm_come_out_as_planted(tmp_path):
    """Reference: the generator's own expectation (truth.json, every group under every arm); Poisson noise only."""
    world = replace(planted(), conversion_base=0.004, promo_conversion_gamma=4.0)
    truth = generate(tmp_path / "w", n_groups=150, seed=3, months=6, progress=False, world=world)
    arms = truth["planted_effects"]["content_ratio_experiment"]["true_values"]["arms"]
    path = tmp_path / "w"
    end = f"TIMESTAMPTZ '{(pd.Timestamp('2025-01-01T00:00:00Z') + pd.DateOffset(months=6)).isoformat()}'"
    observed = _sql(
        path,
        f"""
        WITH exposure AS (
            SELECT a.arm, sum(epoch(least(coalesce(m.left_at, {end}), {end})) - epoch(greatest(m.joined_at, a.assigned_at)))
                   / 86400 / 7 AS weeks
            FROM memberships m JOIN assignments a USING (group_id)
            WHERE m.role = 'member' AND coalesce(m.left_at, {end}) > greatest(m.joined_at, a.assigned_at)
            GROUP BY 1),
        sales AS (
            SELECT a.arm, count(*) AS n FROM read_parquet('{path / "conversions"}/*.parquet') c
            JOIN assignments a USING (group_id) WHERE c.converted_at >= a.assigned_at GROUP BY 1)
        SELECT arm, n, weeks FROM exposure JOIN sales USING (arm)
        """,
    ).set_index("arm")
    for arm in ARMS:
        n, weeks = observed.loc[arm, "n"], observed.loc[arm, "weeks"]
        planted_rate = arms[arm]["conversions_per_member_week"]
        assert abs(n / weeks - planted_rate) < 4 * planted_rate / np.sqrt(n), arm
    assert arms["promo_high"]["conversions_per_member_week"] > 1.3 * arms["control"]["conversions_per_member_week"]


def test_operations_tables_welcomes_and_agents_are_as_planted(planted_world):
    """Activities, participants, spaced welcomes and agents, checked on the default world's tables."""
    path = planted_world.path
    acts = _read(path / "activities").to_pandas()
    takers = _read(path / "activity_participants").to_pandas()
    assert acts["activity_id"].is_unique and (acts["ended_at"] > acts["started_at"]).all()
    present = _sql(
        path,
        f"SELECT count(*) AS n FROM read_parquet('{path / 'activity_participants'}/*.parquet') p "
        f"JOIN read_parquet('{path / 'activities'}/*.parquet') a USING (activity_id) "
        "JOIN memberships m ON m.group_id = a.group_id AND m.member_id = p.member_id "
        "AND m.joined_at < a.started_at AND (m.left_at IS NULL OR m.left_at > a.started_at) WHERE m.role = 'member'",
    )
    assert present["n"].iloc[0] == len(takers) > 0  # everyone who took part was in the group at its start
    agents = _sql(
        path,
        "SELECT member_id, count(DISTINCT group_id) AS groups FROM memberships WHERE role = 'assistant' GROUP BY 1",
    )
    assert agents["groups"].sum() == 800 and agents["groups"].max() > 50  # one assistant per group, shared
    assert len(agents) == planted_world.truth["planted_effects"]["operations"]["agents"]
    gaps = _sql(
        path,
        "SELECT group_id, (epoch(sent_at) - epoch(lag(sent_at) OVER (PARTITION BY group_id ORDER BY sent_at))) / 60 "
        "AS minutes FROM messages WHERE kind = 'welcome'",
    ).dropna()
    shortest = gaps.groupby("group_id")["minutes"].min()
    spaced = (shortest >= 15).mean()
    assert 0.3 < spaced < 0.8  # groups spacing their welcomes never send two within 15 minutes
    joins = _sql(path, "SELECT count(*) AS n FROM memberships WHERE role = 'member'")["n"].iloc[0]
    assert len(gaps) + gaps["group_id"].nunique() < joins  # spacing covers several joins with one welcome
