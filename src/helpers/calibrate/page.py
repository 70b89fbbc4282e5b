"""The calibration page: per-claim error rates and power, CI coverage and bias per estimate, one coverage plot.

A single self-contained HTML file (inline CSS, the plot as an inline PNG), written atomically.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from matplotlib.figure import Figure

from helpers import fmt
from helpers.calibrate.run import COMPARISON
from helpers.calibrate.worlds import OPERATIONS_BOOKS, THRESHOLD_HR
from helpers.claims.registry import CLAIMS
from helpers.data.atomic import write_text_atomic

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.35em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}small{color:#555}.bad{background:#fde8e8}
"""


def share(r: dict, digits: int = 0) -> str:
    """'12% (3/25; 4–30%)': a rate with its count and 95% Wilson interval."""
    if r["share"] is None:
        return "—"
    low, high = r["ci"]
    return f"{fmt.pct(r['share'], digits)} ({r['k']}/{r['n']}; {fmt.pct(low, digits)}–{fmt.pct(high, digits)})"


def _coverage_png(estimates: dict) -> str:
    """Coverage of each estimate's 95% CI with its Wilson interval, as a base64 PNG."""
    rows = [(k, e["coverage"]) for k, e in estimates.items() if e["coverage"]["share"] is not None]
    fig = Figure(figsize=(9.5, 0.42 * len(rows) + 1.3))
    ax = fig.subplots()
    for y, (_, r) in enumerate(rows):
        ax.plot(r["ci"], [y, y], color="0.4")
        ax.plot(r["share"], y, "o", color="#1f5fa8")
    ax.axvline(0.95, color="#b03a2e", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)), [k for k, _ in rows])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of worlds whose 95% CI covers the truth, with its 95% interval (dashed: 95%)")
    ax.invert_yaxis()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode()


def _scale(claim_id: str) -> str:
    """The scale on which a claim's effect size (and its terciles) is given."""
    claim = CLAIMS.get(claim_id)
    if claim is None:
        return "unknown"
    logged = " (|ln|: ratios on the log scale)" if claim.smallest_effect > 1 else ""
    matters = f"; matters from {claim.smallest_effect:g}" if claim.smallest_effect else ""
    return f"{claim.effect}{logged}{matters}"


def _claims_table(claims: dict) -> str:
    head = (
        "<tr><th>claim</th><th>truth: supported / contradicted / no effect / untestable</th>"
        "<th>false supported</th><th>false contradicted</th><th>power</th><th>power by effect size (terciles)</th>"
        "<th>correct</th><th>errors</th></tr>"
    )
    body = []
    for c in claims.values():
        t = c["truth_counts"]
        terciles = "<br>".join(
            f"{b['effect_from']:.3g}–{b['effect_to']:.3g}: {share(b['power'])}" for b in c["power_by_effect"]
        )
        flag = ' class="bad"' if (c["false_supported"]["share"] or 0) > 0.05 else ""
        body.append(
            f"<tr><td>{escape(c['label'])}<br><small>effect size: {escape(_scale(c['claim']))}</small></td>"
            f"<td>{t['supported']} / {t['contradicted']} / {t['no effect']} / "
            f"{t['untestable']}</td><td{flag}>{share(c['false_supported'])}</td><td>{share(c['false_contradicted'])}</td>"
            f"<td>{share(c['power'])}</td><td><small>{terciles or '—'}</small></td><td>{share(c['correct'])}</td>"
            f"<td>{share(c['errors'])}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _matrices(claims: dict) -> str:
    parts = []
    for c in claims.values():
        verdicts = list(next(iter(c["matrix"].values())))
        rows = "".join(
            f"<tr><td>{escape(t)}</td>{''.join(f'<td>{n}</td>' for n in row.values())}</tr>"
            for t, row in c["matrix"].items()
        )
        parts.append(
            f"<h3>{escape(c['label'])}</h3><table><tr><th>truth \\ verdict</th>"
            f"{''.join(f'<th>{escape(v)}</th>' for v in verdicts)}</tr>{rows}</table>"
        )
    return "".join(parts)


def _role(key: str, e: dict) -> str:
    """'a verdict rests on it' or 'comparison only: why'."""
    return "a verdict rests on it" if e.get("role", "verdict") == "verdict" else f"comparison only: {COMPARISON[key]}"


def _estimates_table(estimates: dict) -> str:
    head = (
        "<tr><th>estimate</th><th>role</th><th>worlds with a known truth</th><th>not estimable</th><th>95% CI coverage</th>"
        "<th>CIs open above</th><th>mean bias</th><th>median relative bias</th><th>RMSE</th></tr>"
    )

    body = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(_role(k, e))}</td><td>{e['truth_known']}</td><td>{e['not_estimable']}</td>"
        f"<td>{share(e['coverage'])}</td><td>{e.get('open_above', 0)}</td><td>{fmt.num(e['mean_bias'], '+.3g')}</td>"
        f"<td>{fmt.num(e['median_relative_bias'], '+.1%')}</td><td>{fmt.num(e['rmse'], '.3g')}</td></tr>"
        for k, e in estimates.items()
    )
    return f"<table>{head}{body}</table>"


def _threshold_section(check: dict | None) -> str:
    """The threshold check: the recruitment threshold's CI coverage on worlds with a strong threshold planted."""
    if not check:
        return ""
    s, e, c = check["settings"], check["estimate"], check["claim"]
    return (
        f"<h2>Threshold check: the recruitment threshold's CI where a threshold is there to find</h2>"
        f"<p>On drawn worlds the threshold is placed only where waiting's extra exits stand out from exits' "
        f"noise, so its coverage above rests on part of the worlds. {s['worlds']} more worlds ({s['groups']} groups, "
        f"{s['months']} months, seeds {s['seed']}–{s['seed'] + s['worlds'] - 1}; {check['seconds']:.0f} s) were "
        f"drawn like the others but with the effect always on, strong (early members' hazard × "
        f"{THRESHOLD_HR[0]:g}–{THRESHOLD_HR[1]:g} while a late "
        f"group is short) and planted where about half the groups are still filling; only the recruitment study "
        f"ran. The threshold was placed in {e['truth_known'] - e['not_estimable']} of {e['truth_known']}; its 95% "
        f"CI covered the planted threshold in {share(e['coverage'])} of those (mean bias "
        f"{fmt.num(e['mean_bias'], '+.3g')} days, RMSE {fmt.num(e['rmse'], '.3g')}). The claim's verdicts there: "
        f"false supported {share(c['false_supported'])}, false contradicted {share(c['false_contradicted'])}, "
        f"power {share(c['power'])}.</p>{_matrices({'recruitment': c})}"
    )


def _operations_section(check: dict | None) -> str:
    """The operations check: claims 7-9 on bigger worlds whose service agents can pass 10,000 members."""
    if not check:
        return ""
    s = check["settings"]
    return (
        f"<h2>Operations check: claims 7-9 where agents can pass 10,000 members</h2>"
        f"<p>On the small drawn worlds no service agent serves 10,000 members, so the staffing claim cannot be "
        f"tested there. {s['worlds']} more worlds ({s['groups']} groups, {s['months']} months, seeds "
        f"{s['seed']}–{s['seed'] + s['worlds'] - 1}; {check['seconds']:.0f} s) were drawn like the others but with "
        f"agents' books of {OPERATIONS_BOOKS[0]:g}–{OPERATIONS_BOOKS[1]:g} groups (median); only the operations "
        f"study ran.</p>{_matrices(check['claims'])}{_estimates_table(check['estimates'])}"
    )


def _koc_line(koc: dict | None) -> str:
    """How well the study's KOCs match the members each world planted as KOCs."""
    if not koc or not koc.get("precision") or not koc.get("recall"):
        return ""
    p, r = koc["precision"], koc["recall"]
    return (
        f"<p><small><strong>KOCs found vs planted</strong> ({koc['worlds']} worlds): median precision "
        f"{p['median']:.2f} (quartiles {p['quartiles'][0]:.2f}–{p['quartiles'][1]:.2f}), median recall "
        f"{r['median']:.2f} ({r['quartiles'][0]:.2f}–{r['quartiles'][1]:.2f}).</small></p>"
    )


def _null_line(null: dict | None, rerandomised: dict | None = None) -> str:
    """The experiment's A/A rate: CIs excluding 0 where no content effect was planted on the outcome."""
    if not null or not any(r["n"] for r in null.values()):
        return ""
    parts = ", ".join(f"{escape(outcome)} {share(r, 1)}" for outcome, r in null.items() if r["n"])
    redrawn = ", ".join(
        f"{escape(outcome)} {fmt.pct(r['share'], 1)} ({r['k']}/{r['n']} tests in {r['worlds']} worlds, "
        f"95% CI {fmt.pct(r['ci'][0], 1)}–{fmt.pct(r['ci'][1], 1)})"
        for outcome, r in (rerandomised or {}).items()
        if r.get("n")
    )
    more = (
        f" Each such world's groups re-randomised within their strata many times, every assignment an A/A test: "
        f"{redrawn}."
        if redrawn
        else ""
    )
    return (
        f"<p><small><strong>Experiment A/A</strong>: arms' 95% CIs that exclude 0 where the world planted no content "
        f"effect on the outcome (about 5% is right): {parts}.{more}</small></p>"
    )


def write_page(document: dict, path: Path) -> Path:
    """Write the calibration page for a calibration document (drawn worlds or worlds like a dataset)."""
    s = document["settings"]
    like = document.get("like")
    about = (
        f"{s['worlds']} worlds shaped like the dataset <code>{escape(like['data'])}</code> "
        f"({s['groups']} groups, {s['months']} months), every planted effect drawn at random"
        if like
        else f"{s['worlds']} worlds drawn at random ({s['groups']} groups, {s['months']} months each, seeds "
        f"{s['seed']}–{s['seed'] + s['worlds'] - 1})"
    )
    failed = document["worlds_failed"]
    failures = (
        "<ul>"
        + "".join(f"<li>world {f['index']} (seed {f['seed']}): {escape(f['error'])}</li>" for f in failed)
        + "</ul>"
        if failed
        else "<p>No world failed.</p>"
    )
    study_errors = document["study_errors"]
    study_failures = (
        "<ul>"
        + "".join(
            f"<li>world {f['index']} (seed {f['seed']}), {escape(f['study'])}: {escape(f['error'])}</li>"
            for f in study_errors[:50]
        )
        + "</ul>"
        if study_errors
        else "<p>No study failed on any world.</p>"
    )
    off = ", ".join(f"{k} {v}" for k, v in document["effects_switched_off"].items())
    png = _coverage_png(document["estimates"]) if document["estimates"] else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Calibration: how often the verdicts are right</title>
<style>{STYLE}</style></head><body>
<h1>Calibration: how often the verdicts are right</h1>
<p>{about}; {document["seconds"]:.0f} s. Every study ran on each world with its default parameters, and each
verdict was set beside the world's truth for that claim. Effects switched off (worlds): {escape(off) or "none"}.</p>
<p><small><strong>False supported</strong>: "supported" where the claim does not hold (contradicted, no effect, or
untestable), as a share of those worlds. <strong>False contradicted</strong>: "contradicted" where the claim holds, as a
share of those worlds. <strong>Power</strong>: the verdict equals the truth where the claim's effect is there (supported
or contradicted). <strong>Correct</strong>: the verdict equals the truth, is inconclusive where there is no effect or
nothing to test, or is contradicted where there is no effect (a claim that an effect exists is false without one). An
effect smaller than the claim's smallest effect that matters counts as no effect. Intervals are 95% Wilson intervals
over worlds.</small></p>{_koc_line(document.get("koc_classification"))}{
        _null_line(document.get("experiment_null"), document.get("experiment_null_rerandomised"))
    }
<h2>Verdicts</h2>{_claims_table(document["claims"])}
<h2>Estimates: do the 95% intervals cover the truth?</h2>
{f'<img alt="CI coverage per estimate" src="data:image/png;base64,{png}">' if png else ""}
{_estimates_table(document["estimates"])}
<p><small>An optimum's CI is open above where more than 2.5% of the resampled curves peak at the edge of the
observed range (the data cannot rule out a peak beyond it); it covers every truth above its lower end. The KOC
share's truth is measured on 20 times as many fresh groups of the same world (at least 1,000), not on the dataset's
own groups: a CI clustered by group is an interval for the world the groups came from.</small></p>
{_threshold_section(document.get("threshold_check"))}
{_operations_section(document.get("operations_check"))}
<h2>Verdict against truth, claim by claim</h2>{_matrices(document["claims"])}
<h2>Failures</h2>{failures}{study_failures}
</body></html>"""
    return write_text_atomic(path, page)
