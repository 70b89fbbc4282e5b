"""Writes tests/data/good/: a small, contract-valid dataset used by the tests.

Six groups over about three months, one experiment; deterministic (seed 7). It is a
fixture for validation and plumbing, not a model of behaviour: the planted-truth
synthetic data lives in ``helpers.synth``. Rerun only if the contract changes:
    python tests/data/make_good_fixture.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "good"
rng = np.random.default_rng(7)
start = pd.Timestamp("2025-01-06T09:00:00Z")
end = pd.Timestamp("2025-04-01T00:00:00Z")

groups = pd.DataFrame(
    {
        "group_id": [f"g_{i:03d}" for i in range(1, 7)],
        "created_at": [start + pd.Timedelta(days=int(d)) for d in (0, 3, 10, 17, 24, 31)],
        "channel": ["parcel_card", "offline", "kol", "shop", "mixed", "ads"],
        "city": ["Hangzhou", "Hangzhou", "Shanghai", "mixed", "Shanghai", "Suzhou"],
        "segment": ["baby_0_3m", "baby_3_6m", "prenatal", "baby_0_3m", "mixed", "baby_3_6m"],
        "target_size": [40, 30, 50, 30, 40, None],
        "platform": ["wechat"] * 5 + ["telegram"],
    }
)
groups["target_size"] = groups["target_size"].astype("Int64")

stays, messages = [], []
for g in groups.itertuples():
    size = int(g.target_size) if pd.notna(g.target_size) else 35
    for j in range(size):
        role = "owner" if j == 0 else "monitor" if j == 1 else "assistant" if j == 2 else "member"
        joined = g.created_at + pd.Timedelta(minutes=int(rng.integers(1, 60 * 24 * (2 + j))))
        left = joined + pd.Timedelta(hours=int(rng.exponential(24 * 40))) if role == "member" else pd.NaT
        if pd.notna(left) and left >= end:
            left = pd.NaT
        stays.append(
            (
                g.group_id,
                f"m_{g.group_id[2:]}_{j:02d}",
                joined,
                left,
                role,
                ("quit" if rng.random() < 0.8 else "removed") if pd.notna(left) else None,
            )
        )
        messages.append((g.group_id, None, joined, "system"))
        if role != "member" and j == 0:
            continue
        stay_end = left if pd.notna(left) else end
        n = int(rng.poisson(12 if role == "member" else 40))
        span = (stay_end - joined).total_seconds()
        for s in np.sort(rng.uniform(60, span, n)):
            kind = "chat" if role == "member" else rng.choice(["chat", "dry", "wet", "promo", "activity"])
            messages.append(
                (g.group_id, f"m_{g.group_id[2:]}_{j:02d}", joined + pd.Timedelta(seconds=float(s)), str(kind))
            )
memberships = pd.DataFrame(stays, columns=["group_id", "member_id", "joined_at", "left_at", "role", "leave_reason"])
msgs = pd.DataFrame(messages, columns=["group_id", "member_id", "sent_at", "kind"]).sort_values("sent_at")
msgs.insert(0, "message_id", [f"msg_{i:05d}" for i in range(1, len(msgs) + 1)])
msgs["text_length"] = np.where(msgs["kind"] == "system", 0, rng.integers(1, 200, len(msgs)))
assignments = pd.DataFrame(
    {
        "experiment": "content_ratio_pilot",
        "group_id": groups["group_id"],
        "arm": ["control", "promo_low", "control", "promo_low", "control", "promo_low"],
        "assigned_at": groups["created_at"] + pd.Timedelta(days=7),
        "stratum": ["a", "a", "b", "b", "c", "c"],
    }
)


def iso(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as ISO 8601 text with a Z."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(out[col].notna(), None)
    return out


OUT.mkdir(exist_ok=True)
for name, frame in [("groups", groups), ("memberships", memberships), ("messages", msgs), ("assignments", assignments)]:
    iso(frame).to_csv(OUT / f"{name}.csv", index=False)
    print(name, len(frame))
