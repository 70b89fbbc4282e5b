"""No name, phone number, account id or message text from an export reaches a dataset or a report.

Samples with known personal data go through every adapter; the overview and retention
notebooks then run on each result. Every file written (Parquet decoded value by value,
HTML, notebooks, JSON, figures) is searched for every planted identifier.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers.ingest.run import ingest
from helpers.reporting.runner import run_notebook

from conftest import ROOT
from export_samples import (
    TITLE,
    chat_history,
    write_company_tables,
    write_message_log,
    write_telegram,
    write_wechat,
    write_whatsapp,
)

pytestmark = pytest.mark.slow  # every adapter's output run through two notebooks

KERNEL = "community-workbench"


def _secrets(h, variants: bool = True) -> set[str]:
    """Every string that identifies a person or carries message content in the samples (and respellings)."""
    found = {
        TITLE,
        "1987654321",
        "grp-maple",
        "G017",
        "wx000001",
        "Morning everyone",
        "Coupon today only",
        "SAVE10",
        "example.com/tips",
        "maplebayowner",
    }
    for p in h.people:
        found |= {p.name, *p.name.split(), p.phone, f"user{p.user_id}", str(p.user_id)}
        if variants:
            found |= {re.sub(r"\D", "", p.phone), p.phone.replace(" ", "")}
    return found


def _texts(path: Path) -> list[str]:
    """What a file says: its bytes as text, and for Parquet every value of every column."""
    raw = path.read_bytes()
    texts = [raw.decode("utf-8", errors="ignore")]
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        texts += [" ".join(map(str, column.to_pylist())) for column in table.columns]
    return texts


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    monkey = pytest.MonkeyPatch()
    monkey.setenv("WORKBENCH_HASH_KEY", "privacy-test-key-0123456789")
    root = tmp_path_factory.mktemp("privacy")
    h = chat_history(seed=11)
    sources = {
        "telegram": ("telegram", write_telegram(h, root / "result.json", full_account=True), {}),
        "whatsapp": (
            "whatsapp",
            write_whatsapp(h, root / "WhatsApp Chat with Maple Bay.txt", "iphone"),
            {"time_zone": "Asia/Shanghai", "you": h.owner.name},
        ),
        "wechat": ("wechat", write_wechat(h, root / "wechat" / f"{TITLE}_utf8.csv"), {}),
        "company": ("tables", write_company_tables(h, root / "company"), {}),
        "log": ("tables", write_message_log(h, root / "log"), {}),
    }
    datasets = {
        name: ingest(kind, path, root / "data" / name, **options).out for name, (kind, path, options) in sources.items()
    }
    runs = [(notebook, name) for name in datasets for notebook in ("00_data_overview", "01_cohort_retention")]

    def run(job):
        notebook, name = job
        parameters = {"data_dir": str(datasets[name])}
        if notebook.startswith("01"):
            parameters["min_cohort_size"] = 5
        return run_notebook(
            ROOT / "notebooks" / f"{notebook}.ipynb", root / "reports", parameters, KERNEL, name=f"{notebook}-{name}"
        )

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, runs))
    monkey.undo()
    return {"history": h, "root": root, "results": results}


def test_overview_and_retention_run_on_every_adapters_output(outputs):
    failed = [(r.notebook, r.error) for r in outputs["results"] if not r.ok]
    assert failed == []
    assert len(outputs["results"]) == 10


def test_no_personal_data_in_any_output_file(outputs):
    secrets = _secrets(outputs["history"])
    written = [p for folder in ("data", "reports") for p in (outputs["root"] / folder).rglob("*") if p.is_file()]
    assert len(written) > 30 and any(p.suffix == ".html" for p in written)
    leaks = []
    for path in written:
        for text in _texts(path):
            leaks += [(path.name, s) for s in secrets if s in text]
    assert leaks == []


def test_the_samples_do_hold_the_personal_data_searched_for(outputs):
    """The search would find them: each secret occurs in some input file."""
    inputs = [
        p for p in outputs["root"].rglob("*") if p.is_file() and "data" not in p.parts and "reports" not in p.parts
    ]
    text = " ".join(t for p in inputs for t in _texts(p))
    missing = [s for s in _secrets(outputs["history"], variants=False) if s not in text]
    assert missing == []
