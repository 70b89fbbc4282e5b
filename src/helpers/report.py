"""Batch runs of the notebooks into HTML reports, and the provenance each report carries.

``python -m helpers.report --data DIR`` runs every notebook in ``notebooks/`` with
papermill, then writes ``reports/<notebook>/<notebook>.ipynb`` (executed) and
``<notebook>.html`` (code hidden). A report is built in a temporary folder and moved
into place only when complete, so a failed or interrupted run leaves the previous
report untouched.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

from helpers.jsonio import write_json

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "templates"
PACKAGES = ("pandas", "duckdb", "ibis-framework", "pandera", "statsmodels", "lifelines", "seaborn", "papermill")


@dataclass(frozen=True)
class RunResult:
    """Outcome of one notebook run."""

    notebook: str
    ok: bool
    seconds: float
    html: Path | None
    error: str = ""


def code_version() -> str:
    """The git commit of the workbench code, with '+dirty' when files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("+dirty" if dirty else "")


def provenance(fingerprint: str, parameters: dict) -> dict:
    """Where a report's numbers came from: data fingerprint, parameters, code and package versions."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "data_fingerprint": fingerprint,
        "parameters": parameters,
        "code_version": code_version(),
        "python": platform.python_version(),
        "packages": versions,
    }


def provenance_markdown(info: dict) -> str:
    """Provenance as a short Markdown table for the end of a report."""
    shown = {k: Path(v).name if k.endswith("_dir") and v else v for k, v in info["parameters"].items()}
    params = ", ".join(f"`{k}={v!r}`" for k, v in shown.items()) or "none"  # folder names only: no home paths
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    rows = [("Generated", info["generated_at"]), ("Data fingerprint (SHA-256 of table files)",
                                                  f"`{info['data_fingerprint']}`"),
            ("Parameters", params), ("Code version (git)", f"`{info['code_version']}`"),
            ("Python", info["python"]), ("Packages", packages)]
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def write_results(results: dict, results_dir: str | Path | None, provenance_info: dict) -> Path | None:
    """Write a study's headline estimates with their provenance to ``results_dir/results.json`` atomically.

    Does nothing when ``results_dir`` is None (an interactive run that should leave no files).
    """
    if results_dir is None:
        return None
    return write_json(Path(results_dir) / "results.json", {"results": results, "provenance": provenance_info})


def to_html(executed: Path) -> str:
    """The executed notebook as HTML without code cells or prompts."""
    exporter = HTMLExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="offline",
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    return body


def run_notebook(notebook: Path, reports_dir: Path, parameters: dict, kernel: str) -> RunResult:
    """Execute one notebook and publish its report atomically under ``reports_dir/<stem>/``."""
    start = time.perf_counter()
    reports_dir.mkdir(parents=True, exist_ok=True)
    final = reports_dir / notebook.stem
    with tempfile.TemporaryDirectory(dir=reports_dir, prefix=f".{notebook.stem}-") as tmp:
        work = Path(tmp) / notebook.stem
        work.mkdir()
        executed = work / notebook.name
        try:
            parameters = {**parameters, "results_dir": os.path.relpath(work, notebook.parent.resolve())}
            papermill.execute_notebook(str(notebook), str(executed), parameters=parameters, kernel_name=kernel,
                                       language="python", cwd=str(notebook.parent), progress_bar=False)
        except Exception as err:  # noqa: BLE001  (any failure of the notebook is reported, not raised)
            return RunResult(notebook.name, False, time.perf_counter() - start, None, _first_line(err))
        html = work / f"{notebook.stem}.html"
        html.write_text(to_html(executed), encoding="utf-8")
        old = reports_dir / f".{notebook.stem}-previous"
        if final.exists():
            final.rename(old)
        work.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    return RunResult(notebook.name, True, time.perf_counter() - start, final / html.name)


def _first_line(err: Exception) -> str:
    """A one-line description of a notebook failure (papermill's exception name and value)."""
    if isinstance(err, papermill.PapermillExecutionError):
        return f"{err.ename}: {err.evalue} (cell {err.exec_count})"
    lines = [line for line in str(err).splitlines() if line.strip()]
    return next((line for line in lines if "Error" in line), lines[0] if lines else type(err).__name__)


def main(argv: list[str] | None = None) -> int:
    """Run every notebook against a dataset; exit 1 if any failed."""
    parser = argparse.ArgumentParser(prog="python -m helpers.report", description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="dataset directory passed to each notebook as data_dir")
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks"))
    parser.add_argument("--out", default=str(ROOT / "reports"))
    parser.add_argument("--kernel", default="community-workbench")
    args = parser.parse_args(argv)
    data_dir = Path(args.data).resolve()
    if not data_dir.is_dir():
        print(f"error: dataset directory {args.data} does not exist (run `make data`)", file=sys.stderr)
        return 2
    notebooks = sorted(p for p in Path(args.notebooks).glob("[0-9]*.ipynb"))
    results = []
    for notebook in notebooks:
        print(f"running {notebook.name} ...", flush=True)
        relative = os.path.relpath(data_dir, notebook.parent.resolve())  # no home paths in reports
        result = run_notebook(notebook, Path(args.out), {"data_dir": relative}, args.kernel)
        status = f"ok  {result.html}" if result.ok else \
            f"FAILED  {result.error}"
        print(f"  {result.seconds:5.1f}s  {status}", flush=True)
        results.append(result)
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} reports built")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
