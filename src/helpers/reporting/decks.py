"""Slide decks for reviews: one deck across studies, and one per study, all fixed-size reveal.js slides.

The review deck: title, the scorecard, one slide per claim (the claim in full with its
source, the verdict and its reason, the figure the study names as that claim's evidence
with its caption), then methods and caveats per study. A study's deck: its title and
question, its findings and verdicts, and each figure the study marks for slides with its
caption. Built from the reports on disk (each ``results.json`` and the pages sidecar and
figures it names; never a notebook's cells); slides have a fixed size and long lists are
split, so nothing overflows (the browser test checks every element's bounds).
"""

from __future__ import annotations

import base64
import json
import re
from html import escape
from pathlib import Path

from helpers import fmt
from helpers.claims.registry import CLAIMS, Claim
from helpers.claims.verdict import Verdict
from helpers.data.atomic import write_text_atomic
from helpers.reporting.index_page import markdown_inline, reports_on_disk
from helpers.reporting.pages import read_pages
from helpers.reporting.scorecard import scorecard

DECK = "review.slides.html"
WIDTH, HEIGHT = 1280, 720
SCORECARD_ROWS = 6  # rows per scorecard slide
METHOD_CHARS = 700  # characters of methods per slide
FINDING_CHARS = 1300  # characters of findings per slide

STYLE = f"""
.reveal .slides > section {{ width: {WIDTH}px; height: {HEIGHT}px; box-sizing: border-box; padding: 28px 44px;
  overflow: hidden; text-align: left; font-size: 26px; line-height: 1.3; }}
.reveal h1 {{ font-size: 44px; text-transform: none; }} .reveal h2 {{ font-size: 32px; text-transform: none;
  margin: 0 0 10px; }}
.reveal p, .reveal li {{ margin: 4px 0; }} .reveal small {{ font-size: 18px; color: #444; }}
.reveal table {{ font-size: 21px; border-collapse: collapse; width: 100%; }}
.reveal td, .reveal th {{ padding: 4px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }}
.reveal figure {{ margin: 6px 0 0; text-align: center; }}
.reveal figure img {{ max-width: 100%; max-height: 480px; margin: 0; }}
.claim figure img {{ max-height: 370px; }}
.reveal figcaption {{ font-size: 16px; color: #444; text-align: left; max-height: 60px; overflow: hidden; }}
.verdict {{ font-weight: bold; padding: 1px 8px; border-radius: 4px; color: white; }}
.supported {{ background: #1b7837; }} .contradicted {{ background: #b2182b; }}
.inconclusive {{ background: #777; }}
.methods li {{ font-size: 20px; }} .findings li {{ font-size: 21px; margin: 6px 0; }}
"""


def build_review_deck(reports: Path) -> Path | None:
    """Write ``reports/slides/review.slides.html`` from the reports on disk; None when no report has results."""
    documents = {name: _results(reports / name) for name in reports_on_disk(reports)}
    documents = {k: v for k, v in documents.items() if v}
    if not documents:
        return None
    pages = {name: read_pages(reports / name) for name in documents}
    cards = scorecard(documents)
    slides = [_title(documents, cards)]
    slides += [_scorecard(cards[i : i + SCORECARD_ROWS], i) for i in range(0, max(len(cards), 1), SCORECARD_ROWS)]
    for run, verdict in cards:
        claim = CLAIMS[verdict.claim_id]
        slides.append(_claim_slide(claim, verdict, run, _claim_figure(reports / run, pages.get(run, {}), claim.id)))
    for name in documents:
        title = documents[name]["results"].get("title", name)
        slides += _methods_slides(title, pages[name].get("methods", []))
    return write_text_atomic(reports / "slides" / DECK, _page(slides))


def _results(folder: Path) -> dict:
    """A report's results.json with a ``results`` part ({} otherwise)."""
    try:
        doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc.get("results"), dict) else {}


def _title(documents: dict[str, dict], cards: list[tuple[str, Verdict]]) -> str:
    """The title slide: what was reviewed, on which data, and the verdicts at a glance."""
    provenance = next(iter(documents.values())).get("provenance", {})
    counts = {v: sum(1 for _, c in cards if c.verdict == v) for v in ("supported", "contradicted", "inconclusive")}
    studies = "".join(f"<li>{escape(d['results'].get('title', n))}</li>" for n, d in documents.items())
    return (
        "<h1>Community research workbench: review</h1>"
        f"<p>{len(cards)} practitioners' claims tested: <strong>{counts['supported']} supported</strong>, "
        f"{counts['contradicted']} contradicted, {counts['inconclusive']} inconclusive.</p>"
        f"<ul>{studies}</ul>"
        f"<p><small>Data {escape(str(provenance.get('data_fingerprint', '?')))} · code "
        f"{escape(str(provenance.get('code_version', '?')))} · {escape(str(provenance.get('generated_at', '')))}"
        "</small></p>"
    )


def _scorecard(cards: list[tuple[str, Verdict]], start: int) -> str:
    """One scorecard slide: claim, estimate with its CI, verdict."""
    if not cards:
        return "<h2>Scorecard</h2><p>No report judged a claim.</p>"
    rows = "".join(
        f"<tr><td>{escape(fmt.prose(v.claim))}</td>"
        f"<td>{escape(CLAIMS[v.claim_id].show(v.estimate)) if v.estimate else ''}</td>"
        f'<td><span class="verdict {v.verdict}">{v.verdict}</span></td></tr>'
        for _, v in cards
    )
    part = f" ({start // SCORECARD_ROWS + 1})" if start or len(cards) == SCORECARD_ROWS else ""
    return f"<h2>Scorecard{part}</h2><table><tr><th>Claim</th><th>Estimate</th><th>Verdict</th></tr>{rows}</table>"


def _claim_slide(claim: Claim, verdict: Verdict, run: str, figure: str) -> str:
    """One claim: its words and source, the verdict and why, the figure behind it."""
    heading = re.sub(r"\s*\(claim \d+\)$", "", fmt.prose(verdict.claim))
    return (
        '<div class="claim">'
        f"<h2>Claim {claim.number}: {escape(heading)}</h2>"
        f"<p><small>“{escape(claim.wording)}” ({escape(claim.citation)})</small></p>"
        f'<p><span class="verdict {verdict.verdict}">{verdict.verdict}</span> '
        f"{escape(fmt.prose(verdict.reason))}.</p>"
        + (figure or f"<p><small>No figure for this claim in {escape(run)}.</small></p>")
        + "</div>"
    )


def _claim_figure(folder: Path, pages: dict, claim_id: str) -> str:
    """The figure a report names as a claim's evidence, with its caption, or ''."""
    figures = pages.get("figures", {})
    entry = next((f for f in figures.values() if f.get("claim") == claim_id and f.get("file")), None)
    return _figure(folder, entry, heading=False) if entry else ""


def _figure(folder: Path, entry: dict, heading: bool = True) -> str:
    """A report's figure inline with its caption ('' when its file is missing); a title above it if ``heading``."""
    try:
        png = base64.b64encode((folder / entry["file"]).read_bytes()).decode("ascii")
    except (OSError, KeyError, TypeError):
        return ""
    title = f"<h2>Figure {entry['number']}</h2>" if heading else ""
    return (
        f'{title}<figure><img alt="figure" src="data:image/png;base64,{png}">'
        f"<figcaption>{escape(_shorten(_plain(entry.get('caption', '')), 330))}</figcaption></figure>"
    )


def _methods_slides(title: str, lines: list[str]) -> list[str]:
    """Methods and caveats of one study, split into slides of at most ``METHOD_CHARS`` characters."""
    if not lines:
        return []
    pages, page, size = [], [], 0
    for line in lines:
        line = _shorten(_plain(line), METHOD_CHARS // 2)
        if page and size + len(line) > METHOD_CHARS:
            pages.append(page)
            page, size = [], 0
        page.append(line)
        size += len(line)
    pages.append(page)
    return [
        f"<h2>Methods and caveats: {escape(title)}{f' ({n + 1})' if len(pages) > 1 else ''}</h2>"
        f'<ul class="methods">{"".join(f"<li>{escape(line)}</li>" for line in page)}</ul>'
        for n, page in enumerate(pages)
    ]


def build_study_deck(folder: Path) -> Path | None:
    """Write ``<reports>/slides/<name>.slides.html`` for one report; None when it has no results or pages."""
    doc, pages = _results(folder), read_pages(folder)
    if not doc or not pages:
        return None
    results = doc["results"]
    intro_text = _shorten(_plain(pages.get("question", "")), 700)
    slides = [f"<h1>{escape(results.get('title', folder.name))}</h1><p>{escape(intro_text)}</p>"]
    slides += _text_slides("Findings", [f["text"] for f in results.get("findings", [])], FINDING_CHARS)
    verdicts = [f"**{v['claim']}**: {v['verdict']} ({v['reason']})" for v in results.get("verdicts", [])]
    slides += _text_slides("Verdicts on the practitioners' claims", verdicts, FINDING_CHARS)
    shown = sorted((f for f in pages.get("figures", {}).values() if f.get("slide")), key=lambda f: f["number"])
    slides += [figure for figure in (_figure(folder, entry) for entry in shown) if figure]
    return write_text_atomic(folder.parent / "slides" / f"{folder.name}.slides.html", _page(slides))


def _text_slides(title: str, items: list[str], limit: int) -> list[str]:
    """Markdown items as bullet slides of at most ``limit`` characters each (an item longer than that alone)."""
    pages, page, size = [], [], 0
    for item in items:
        item = _shorten(item, 2 * limit)
        if page and size + len(item) > limit:
            pages.append(page)
            page, size = [], 0
        page.append(item)
        size += len(item)
    if page:
        pages.append(page)
    return [
        f"<h2>{escape(title)}{f' ({n + 1})' if len(pages) > 1 else ''}</h2>"
        f'<ul class="findings">{"".join(f"<li>{markdown_inline(item)}</li>" for item in page)}</ul>'
        for n, page in enumerate(pages)
    ]


def _plain(markdown: str) -> str:
    """Markdown emphasis and code marks removed, names put in words."""
    return fmt.prose(re.sub(r"\*\*|__|`|\*", "", markdown))


def _shorten(text: str, limit: int) -> str:
    """Text cut at a word boundary to ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit)].rstrip(",;:") + " …"


def _page(slides: list[str]) -> str:
    """The deck as one HTML page reading reveal.js from the folder beside it."""
    sections = "\n".join(f"<section>{s}</section>" for s in slides)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Review: community research workbench</title>
<link rel="stylesheet" href="reveal.js/dist/reveal.css"><link rel="stylesheet" href="reveal.js/dist/theme/white.css">
<style>{STYLE}</style></head>
<body><div class="reveal"><div class="slides">
{sections}
</div></div>
<script src="reveal.js/dist/reveal.js"></script>
<script>Reveal.initialize({{width: {WIDTH}, height: {HEIGHT}, margin: 0.02, center: false, hash: true,
  controls: true, progress: true, slideNumber: "c/t", transition: "none"}});</script>
</body></html>
"""
