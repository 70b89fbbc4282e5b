"""reports/index.html: every report with status, duration, headline findings, provenance, and the scorecard.

Findings and verdicts come from fixed fields of each run's results.json (``studies.result``).

A single self-contained page (inline CSS, no scripts, no external requests), written atomically.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

from helpers import fmt
from helpers.claims.registry import CLAIMS
from helpers.data.atomic import write_text_atomic
from helpers.reporting.calibration import LIKE, PAGE, like_sentence
from helpers.reporting.glance import glance_figure
from helpers.reporting.runner import RunResult
from helpers.reporting.scorecard import scorecard
from helpers.reporting.tables import parameter_value, words

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222;line-height:1.45}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #ccc;padding:.4em .6em;
vertical-align:top;text-align:left}th{background:#f3f3f3}.ok{color:#1e7b34;font-weight:bold}
.failed{color:#b03a2e;font-weight:bold}.supported{background:#e6f4ea}.contradicted{background:#fde8e8}
.inconclusive{background:#fff7e0}small{color:#555}ul{margin:.2em 0;padding-left:1.2em}
"""


def findings(doc: dict, limit: int = 3) -> list[str]:
    """The first findings of a run's results.json, as Markdown strings."""
    return [f["text"] for f in doc.get("results", {}).get("findings", [])][:limit]


def markdown_inline(text: str) -> str:
    """Names in words, escaped, and **bold** and `code` rendered (all the Markdown the findings use)."""
    html = escape(fmt.prose(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", html)


def _provenance(doc: dict) -> str:
    """One small block: code version, data fingerprint, parameters, package versions."""
    info = doc.get("provenance", {})
    if not info:
        return "<small>no results.json in this report (its notebook writes none)</small>"
    shown = {
        k: Path(v).name if k.endswith("_dir") and isinstance(v, str) else v
        for k, v in info.get("parameters", {}).items()
    }
    params = "; ".join(f"{words(k)}: {parameter_value(v)}" for k, v in shown.items())
    packages = ", ".join(f"{k} {v}" for k, v in info.get("packages", {}).items())
    return (
        f"<small>code <code>{escape(info.get('code_version', '?'))}</code> · data "
        f"<code>{escape(info.get('data_fingerprint', '?'))}</code> · {escape(info.get('generated_at', ''))}"
        f"<br>parameters: {escape(params)}<br>{escape(packages)}</small>"
    )


def reports_on_disk(out: Path) -> list[str]:
    """Names of the published reports under ``out``: folders ``<name>/`` holding ``<name>.html`` (not work folders)."""
    if not out.is_dir():
        return []
    return sorted(
        d.name for d in out.iterdir() if d.is_dir() and d.name[0] not in "._" and (d / f"{d.name}.html").exists()
    )


def _read_results(folder: Path) -> dict:
    """A report's results.json ({} when it has none or it cannot be read)."""
    try:
        return json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _row(out: Path, name: str, notebook: str, result: RunResult | None, doc: dict) -> str:
    """One report's row: link, status (this run's, or an earlier run's report kept on disk), time, findings."""
    folder = out / name
    on_disk = (folder / f"{name}.html").exists()
    if result is None:
        link, status, seconds = (
            f"{name}/{name}.html",
            '<span class="ok">ok</span><br><small>an earlier run</small>',
            "—",
        )
    elif result.reused:
        link, seconds = f"{name}/{name}.html", "—"
        status = '<span class="ok">ok</span><br><small>reused: nothing it depends on changed</small>'
    elif result.ok:
        link, status, seconds = f"{name}/{name}.html", '<span class="ok">ok</span>', f"{result.seconds:.0f} s"
    else:
        link = f"_failed/{name}/{name}.html" if result.html else ""
        status = f'<span class="failed">failed</span><br><small>{escape(result.error)}</small>'
        if on_disk:
            status += f'<br><small><a href="{name}/{name}.html">last good report</a></small>'
        seconds = f"{result.seconds:.0f} s"
    bullets = "".join(f"<li>{markdown_inline(b)}</li>" for b in findings(doc))
    title = f'<a href="{link}">{escape(name)}</a>' if link else escape(name)
    source = f"<br><small>{escape(notebook)}</small>" if notebook else ""
    return (
        f"<tr><td>{title}{source}</td><td>{status}</td>"
        f"<td>{seconds}</td><td><ul>{bullets}</ul>{_provenance(doc) if result is None or result.ok else ''}</td></tr>"
    )


def write_index(out: Path, runs: list, results: list[RunResult], baseline: dict | None = None) -> Path:
    """Write ``out/index.html`` for every report on disk, this batch's runs with their status (relative links).

    A run of a subset keeps the other reports already published on the index and in the
    scorecard, each with the provenance of the run that built it. ``baseline`` is the
    calibration document whose page is ``out/calibration.html``, if any.
    """
    this_run = {run.name: (run, result) for run, result in zip(runs, results)}
    documents, rows = {}, []
    for name in sorted(set(this_run) | set(reports_on_disk(out))):
        run, result = this_run.get(name, (None, None))
        doc = _read_results(out / name) if result is None or result.ok else {}
        documents[name] = doc
        notebook = run.notebook.name if run is not None else doc.get("provenance", {}).get("notebook", "")
        rows.append(_row(out, name, notebook, result, doc))
    like = json.loads((out / LIKE).read_text(encoding="utf-8")) if (out / LIKE).exists() else {}
    cards = []
    for run_name, verdict in scorecard(documents):
        e = verdict.estimate
        shown = CLAIMS[verdict.claim_id].show(e) if e and verdict.claim_id in CLAIMS else ""
        if e and not shown:
            shown = f"{fmt.num(e.value, '.3g')} ({fmt.ci(e, '.3g')})"
        value = f"{escape(shown)}<br><small>{escape(fmt.prose(e.name))}</small>" if e else ""
        claim = CLAIMS.get(verdict.claim_id)
        said = (
            (
                f"<br><small>“{escape(claim.wording)}” ({escape(claim.citation)})</small>"
                f"<br><small><em>Rule: {escape(claim.rule)}.</em></small>"
            )
            if claim
            else ""
        )
        cards.append(
            f'<tr class="{verdict.verdict}"><td>{escape(fmt.prose(verdict.claim))}{said}</td><td>{value}</td>'
            f"<td><strong>{verdict.verdict}</strong><br><small>{escape(fmt.prose(verdict.reason))}</small>"
            + (f"<br><small><em>{escape(like_sentence(like, verdict.claim_id))}</em></small>" if like else "")
            + "</td>"
            f"<td><small>{escape(run_name)}</small></td></tr>"
        )
    links = [f'<a href="{PAGE}">on {baseline["worlds"]} worlds drawn at random</a>'] if baseline else []
    if like:
        links.append(f'<a href="calibration_like.html">on {like["worlds"]} worlds shaped like this data</a>')
    calibration = (
        f"<p>How often these verdicts are right, measured on synthetic worlds with known truth: {' and '.join(links)}.</p>"
        if links
        else ""
    )
    studies = {doc.get("results", {}).get("study") for doc in documents.values()}
    glance = (
        f"<h2>Members kept and members who bought</h2>{glance_figure(documents)}"
        if studies & {"retention", "size_activity", "experiment"}
        else ""
    )
    failed = sum(not r.ok for r in results)
    failed_note = f', <span class="failed">{failed} failed</span>' if failed else ""
    reused = sum(r.reused for r in results)
    reused_note = f", {reused} reused unchanged" if reused else ""
    kept = len(rows) - len(results)
    kept_note = f"; {kept} report{'s' if kept != 1 else ''} from earlier runs listed as well" if kept else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Community workbench reports</title>
<style>{STYLE}</style></head><body>
<h1>Community workbench reports</h1>
<p>{len(results) - failed - reused} of {len(results) - reused} reports built in this run{reused_note}{failed_note}{kept_note}.
Each report opens offline; numbers come with 95% confidence intervals that treat groups as the independent units.</p>
{glance}
<h2>Rules of thumb: what this data says</h2>
<p><small>Claims about where something lies (a size band, a share): supported if the estimate's CI lies inside
what the claim allows, contradicted if entirely outside. Claims about an effect: supported only if the CI, at the
study's own multiplicity-corrected level, lies beyond the smallest effect that matters in the claimed direction;
contradicted if it lies inside the region of smaller effects or on the other side. Anything else is inconclusive,
and says what effect the data could have detected. Each claim's rule is under it.</small></p>
<table><tr><th>claim</th><th>estimate</th><th>verdict</th><th>report</th></tr>{"".join(cards)}</table>
{calibration}
<h2>Reports</h2>
<table><tr><th>report</th><th>status</th><th>time</th><th>headline findings and provenance</th></tr>
{"".join(rows)}</table>
</body></html>"""
    return write_text_atomic(out / "index.html", page)
