"""Scale check of chat-export ingestion: a DiscordChatExporter server of 720,000 messages in 113 channels.

Run by ``make bench`` (not by ``make test``). The export is made up (numbered users, fixed
phrases, no personal data) in DiscordChatExporter's JSON shape, written once to a temporary
folder, then ingested in a child process so its wall time and peak memory are its own.
Writes ``benchmarks/ingest.json``; exits 1 if the run takes more than 60 s (the issue's goal).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LIMIT_SECONDS = 60.0


def _channel(number: int, messages: int, authors: list[dict], rng: random.Random) -> dict:
    """One channel's export: talk, links and 1% join lines from numbered authors, a message every 1-120 s."""
    start, rows = pd.Timestamp("2022-01-01", tz="UTC").value // 10**9, []
    for k in range(messages):
        start += rng.randint(1, 120)
        author, join = authors[rng.randrange(len(authors))], rng.random() < 0.01
        text = "Joined the server." if join else "see https://example.com/a" if k % 7 == 0 else "some words here"
        rows.append(
            {
                "id": str(10**18 + number * 10**7 + k),
                "type": "GuildMemberJoin" if join else "Default",
                "timestamp": pd.Timestamp(start, unit="s", tz="UTC").isoformat(),
                "content": text,
                "author": author,
                "attachments": [],
                "stickers": [],
                "mentions": [],
            }
        )
    channel = {"id": str(number), "type": "GuildTextChat", "name": f"channel{number}"}
    return {"guild": {"id": "1", "name": "Bench"}, "channel": channel, "messages": rows}


def write_export(folder: Path, messages: int, channels: int, seed: int = 1) -> Path:
    """The made-up server export, a JSON file per channel."""
    rng = random.Random(seed)
    authors = [{"id": str(10**17 + k), "name": f"user{k}", "isBot": k == 0} for k in range(6000)]
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(channels):
        document = _channel(number, messages // channels, authors, rng)
        (folder / f"Bench - Text - channel{number} [{number}].json").write_text(json.dumps(document))
    return folder


def measure(export: Path, out: Path) -> dict:
    """Ingest ``export`` in a child process: wall time and the child's peak resident memory."""
    env = {**os.environ, "WORKBENCH_HASH_KEY": "bench-key-not-secret-0123456789"}
    command = [sys.executable, "-m", "helpers", "ingest", "discord", str(export), "--out", str(out), "--replace"]
    began = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True)
    seconds = time.perf_counter() - began
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB -> GiB (Linux)
    return {"seconds": round(seconds, 1), "peak_gb": round(peak_gb, 2)}


def main(argv: list[str] | None = None) -> int:
    """Make the export, time its ingestion, write benchmarks/ingest.json; 1 if over the limit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=720_000)
    parser.add_argument("--channels", type=int, default=113)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        export = write_export(Path(tmp) / "export", args.messages, args.channels)
        result = {"messages": args.messages, "channels": args.channels, **measure(export, Path(tmp) / "out")}
    (ROOT / "benchmarks" / "ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"ingest discord: {args.messages:,} messages in {args.channels} channels: {result}")
    return 0 if result["seconds"] <= LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
