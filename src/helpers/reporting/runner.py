"""One notebook run into a report, and the provenance each report carries.

``run_notebook`` executes a notebook with papermill and writes ``reports/<name>/``: the
executed ``<name>.ipynb``, ``<name>.html`` (code hidden, opens offline), and what the
notebook's last cell publishes: ``results.json``, its ``pages.json`` sidecar and ``figures/``. A report is built in a temporary folder and moved into
place only when complete, so a failed or interrupted run leaves the previous report
untouched. ``helpers.reporting.batch`` runs many of them from a config.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape as html_escape
from importlib import metadata
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from traitlets import default

from helpers.data.atomic import publish_folder, write_json
from helpers.reporting.tables import parameter_value, words

ROOT = Path(__file__).resolve().parents[3]


TEMPLATES = Path(__file__).resolve().parent / "templates"


PACKAGES = ("pandas", "duckdb", "ibis-framework", "statsmodels", "lifelines", "seaborn", "papermill")


class LocalKernelManager(AsyncKernelManager):
    """Kernels reached over local sockets in a private temporary folder: no TCP ports, no eavesdropping warning."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        return str(Path(tempfile.mkdtemp(prefix="workbench-kernel-")) / "kernel")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        """Remove the sockets' folder with the connection files once the kernel is gone."""
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(Path(self.ip).parent, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources

    async def _async_interrupt_kernel(self) -> None:
        """Interrupt a running cell, but not a kernel being shut down after its run (no 'KeyboardInterrupt caught')."""
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel


@dataclass(frozen=True)
class RunResult:
    """Outcome of one notebook run."""

    notebook: str
    ok: bool
    seconds: float
    html: Path | None
    error: str = ""
    reused: bool = False


RUN_KEY = "run_key.txt"
"""A report's key: what it was built from (see ``run_key``); an unchanged run reuses the report."""


def code_digest() -> str:
    """A SHA-256 over the workbench package's source files (changes with any edit, committed or not)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_key(notebook: Path, parameters: dict, data_fingerprint: str) -> str:
    """What a report is built from: the notebook, its parameters, the data's fingerprint, the code and packages."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    digest = hashlib.sha256()
    for part in (
        notebook.read_bytes(),
        json.dumps(parameters, sort_keys=True, default=str).encode(),
        data_fingerprint.encode(),
        code_digest().encode(),
        json.dumps(versions, sort_keys=True).encode(),
        platform.python_version().encode(),
    ):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def reusable(reports_dir: Path, name: str, key: str) -> bool:
    """True when ``reports_dir/<name>/`` is a complete report built from exactly ``key``."""
    folder = reports_dir / name
    try:
        return (folder / f"{name}.html").exists() and (folder / RUN_KEY).read_text(encoding="utf-8").strip() == key
    except OSError:
        return False


def code_version() -> str:
    """The git commit of the workbench code, with '+dirty' when files differ from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("+dirty" if dirty else "")


def shown_path(key: str, value: object) -> object:
    """A path parameter as a report may show it: its folder name only (no home or machine paths), else as is."""
    if key.endswith("_dir") and isinstance(value, str) and value:
        return Path(value).name
    return value


def provenance(fingerprint: str, parameters: dict) -> dict:
    """Where a report's numbers came from: data fingerprint, parameters, code and package versions."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "data_fingerprint": fingerprint,
        "parameters": {k: shown_path(k, v) for k, v in parameters.items()},
        "code_version": code_version(),
        "python": platform.python_version(),
        "packages": versions,
    }


def provenance_markdown(info: dict) -> str:
    """Provenance as a short Markdown table for the end of a report."""
    shown = {k: Path(v).name if k.endswith("_dir") and v else v for k, v in info["parameters"].items()}
    # in words, folder names only (no home paths); results.json keeps the names a rerun needs
    params = "; ".join(f"{words(k)}: {parameter_value(v)}" for k, v in shown.items()) or "none"
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    rows = [
        ("Generated", info["generated_at"]),
        ("Data fingerprint (SHA-256 of table files)", f"`{info['data_fingerprint']}`"),
        ("Parameters", params),
        ("Code version (git)", f"`{info['code_version']}`"),
        ("Python", info["python"]),
        ("Packages", packages),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def write_results(
    results: dict, results_dir: str | Path | None, provenance_info: dict, pages: str | None = None
) -> Path | None:
    """Write a study's headline estimates with their provenance to ``results_dir/results.json`` atomically.

    ``pages`` names the sidecar with the report's question, methods and captions, when there is
    one. Does nothing when ``results_dir`` is None (an interactive run that should leave no files).
    """
    if results_dir is None:
        return None
    document = {"results": results, "provenance": provenance_info, **({"pages": pages} if pages else {})}
    return write_json(Path(results_dir) / "results.json", document)


def without_code(template_name: str) -> dict:
    """nbconvert exporter settings for a report: the workbench's offline template, no code cells, no prompts."""
    return {
        "extra_template_basedirs": [str(TEMPLATES)],
        "template_name": template_name,
        "exclude_input": True,
        "exclude_input_prompt": True,
        "exclude_output_prompt": True,
    }


def without_stderr(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with every stderr stream output removed: library warnings, with paths into the environment.

    The studies turn what such a warning means (a fit that did not converge) into "not
    estimable" with its reason; the raw text stays in the executed notebook for whoever debugs.
    """
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    return notebook


def to_html(executed: Path) -> str:
    """The executed notebook as HTML without code cells, prompts or warnings printed by libraries."""
    exporter = HTMLExporter(**without_code("offline"), anchor_link_text="")
    notebook = without_stderr(nbformat.read(executed, as_version=4))
    notebook.metadata["title"] = report_title(notebook)
    body, _ = exporter.from_notebook_node(notebook)
    return body


def report_title(notebook: nbformat.NotebookNode) -> str:
    """The report's title for the browser tab: the notebook's first heading, else 'Report'."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Report"


def notebook_parameters(notebook: Path) -> dict[str, object]:
    """The names and default values assigned in a notebook's ``parameters`` cell ({} without one)."""
    cells = nbformat.read(notebook, as_version=4).cells
    cell = next((c for c in cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return {}
    return {
        target.id: ast.literal_eval(node.value)
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
    }


def run_notebook(
    notebook: Path, reports_dir: Path, parameters: dict, kernel: str, name: str | None = None, key: str | None = None
) -> RunResult:
    """Execute one notebook and publish its report atomically under ``reports_dir/<name>/``.

    ``name`` defaults to the notebook's stem. A failed run leaves the last good report
    as it was; its executed notebook and an HTML page with the error at the top go to
    ``reports_dir/_failed/<name>/`` (also replaced atomically). ``key`` (``run_key``) is
    stored with a good report so an unchanged run can reuse it.
    """
    start = time.perf_counter()
    name = name or notebook.stem
    reports_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=reports_dir, prefix=f".{name}-") as tmp:
        work = Path(tmp) / name
        work.mkdir()
        executed = work / f"{name}.ipynb"
        html = work / f"{name}.html"
        try:
            parameters = {**parameters, "results_dir": os.path.relpath(work, notebook.parent.resolve())}
            if "interactive" in notebook_parameters(notebook):  # a report never waits on a widget
                parameters.setdefault("interactive", False)
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=parameters,
                kernel_name=kernel,
                language="python",
                progress_bar=False,
                kernel_manager_class=LocalKernelManager,
                # the kernel starts in the notebook's folder; papermill's cwd= would chdir the whole process,
                # which two batch workers (threads) undo under each other's feet
                resources={"metadata": {"path": str(notebook.parent)}},
            )
        except Exception as err:  # noqa: BLE001  (any failure of the notebook is reported, not raised)
            error = _first_line(err)
            if executed.exists():
                scrub_paths(executed)
                html.write_text(_error_banner(to_html(executed), name, error), encoding="utf-8")
                (work / "results.json").unlink(missing_ok=True)  # numbers of a failed run are not published
                publish_folder(work, reports_dir / "_failed" / name)
                return RunResult(
                    name, False, time.perf_counter() - start, reports_dir / "_failed" / name / html.name, error
                )
            return RunResult(name, False, time.perf_counter() - start, None, error)
        scrub_paths(executed)
        html.write_text(to_html(executed), encoding="utf-8")
        if key is not None:
            (work / RUN_KEY).write_text(key + "\n", encoding="utf-8")
        publish_folder(work, reports_dir / name)
        shutil.rmtree(reports_dir / "_failed" / name, ignore_errors=True)  # the failure is superseded
    return RunResult(name, True, time.perf_counter() - start, reports_dir / name / html.name)


def remove_stale_work(reports_dir: Path, name: str) -> list[Path]:
    """Remove the hidden work folders an interrupted run of ``name`` left under ``reports_dir``; return them."""
    if not reports_dir.is_dir():
        return []
    stale = [d for pattern in (f".{name}-*", f".{name}.previous-*") for d in reports_dir.glob(pattern) if d.is_dir()]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return stale


def scrub_paths(executed: Path) -> None:
    """Replace the machine paths papermill records in an executed notebook (input, output, parameters) by names."""
    nb = nbformat.read(executed, as_version=4)
    record = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if record.get(key):
            record[key] = Path(record[key]).name
    if isinstance(record.get("parameters"), dict):
        record["parameters"] = {k: shown_path(k, v) for k, v in record["parameters"].items()}
        for cell in nb.cells:  # the cell papermill wrote the parameters into, with the same names only
            if "injected-parameters" in cell.metadata.get("tags", []):
                lines = [f"{k} = {v!r}" for k, v in record["parameters"].items()]
                cell.source = "# Parameters (folders by name only)\n" + "\n".join(lines) + "\n"
    nbformat.write(nb, executed)


def _error_banner(page: str, name: str, error: str) -> str:
    """The report page with a red box at the top of its body saying the run failed and why."""
    box = (
        f'<div style="background:#fde8e8;border:2px solid #c0392b;padding:1em;margin:1em;font-family:sans-serif">'
        f"<strong>This run failed</strong> ({html_escape(name)}): <code>{html_escape(error)}</code>. "
        "Its figures and numbers below are incomplete; the last good report, if any, is unchanged.</div>"
    )
    at = page.find(">", page.find("<body")) + 1
    return page[:at] + box + page[at:]


def _first_line(err: Exception) -> str:
    """A one-line description of a notebook failure (papermill's exception name and value)."""
    if isinstance(err, papermill.PapermillExecutionError):
        return f"{err.ename}: {err.evalue} (cell {err.exec_count})"
    lines = [line for line in str(err).splitlines() if line.strip()]
    return next((line for line in lines if "Error" in line), lines[0] if lines else type(err).__name__)
