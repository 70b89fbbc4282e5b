"""The reports in a real browser: headless Chromium (Debian's) driven by Playwright opens the index and each
report, with no console errors and no network requests at all, and saves screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from helpers.reporting import batch, slides
from helpers.reporting.proofread import problems

from conftest import CHROMIUM, FLAGS, ROOT

pytestmark = pytest.mark.browser  # the built reports opened in headless Chromium


def _open(p, requests: list, errors: list):
    """Debian's Chromium, headless, with a page that records console errors and every non-file request."""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda msg: errors.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("request", lambda req: requests.append(req.url) if not req.url.startswith(("file:", "data:")) else None)
    return browser, page


@pytest.fixture(scope="module")
def built_reports(planted_world, tmp_path_factory) -> Path:
    """A batch of three reports (overview, size study, experiment) on the planted dataset, with its index."""
    base = tmp_path_factory.mktemp("browser")
    config = base / "reports.yml"
    config.write_text(f"""workers: 2
out: out
parameters:
  data_dir: {planted_world.path}
runs:
  - notebook: {ROOT / "notebooks" / "00_data_overview.ipynb"}
  - notebook: {ROOT / "notebooks" / "02_group_size_activity.ipynb"}
    parameters: {{bootstrap_reps: 100}}
  - notebook: {ROOT / "notebooks" / "04_content_ratio_experiment.ipynb"}
""")
    assert batch.main(["--config", str(config)]) == 0
    assert len(slides.build_slides(base / "out")) == 4  # three study decks and the review deck
    return base / "out"


def test_index_and_reports_open_offline_without_errors(built_reports: Path, tmp_path: Path):
    assert Path(CHROMIUM).exists(), (
        "Debian's chromium-headless-shell is missing: `make test` installs it (apt-get install chromium-headless-shell)"
    )
    pages = [built_reports / "index.html"] + sorted(built_reports.glob("[0-9]*/*.html"))
    assert len(pages) == 4
    requests, errors = [], []
    with sync_playwright() as p:
        browser, page = _open(p, requests, errors)
        for html in pages:
            page.goto(html.as_uri(), wait_until="load")
            assert page.locator("h1, h2").count() > 0, html.name
            if html.name != "index.html":
                images = page.locator("img")
                assert images.count() >= 2
                assert all(
                    images.nth(i).evaluate("i => i.complete && i.naturalWidth > 0") for i in range(images.count())
                ), f"{html.name}: an image did not render"
            page.screenshot(path=str(tmp_path / f"{html.stem}.png"), full_page=False)
        index = built_reports / "index.html"
        page.goto(index.as_uri())
        page.get_by_role("link", name="02_group_size_activity").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("02_group_size_activity.html") and "Findings" in page.content()
        browser.close()
    assert requests == [], f"network requests: {requests[:5]}"
    assert errors == [], errors
    assert len(list(tmp_path.glob("*.png"))) == 4


OUTSIDE = """() => {
  const s = Reveal.getCurrentSlide(), box = s.getBoundingClientRect(), bad = [];
  for (const el of s.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.bottom > box.bottom + 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.left < box.left - 1)
      bad.push(el.tagName + ': ' + (el.textContent || '').slice(0, 60));
  }
  if (s.scrollHeight > s.clientHeight + 1) bad.push('the slide scrolls');
  return bad;
}"""
"""Every element of the current slide that reaches outside the slide's box (empty when nothing overflows)."""


def test_every_page_and_slide_reads_as_prose(built_reports: Path):
    pages = [built_reports / "index.html", *sorted(built_reports.glob("[0-9]*/*.html"))]
    pages += sorted((built_reports / "slides").glob("*.slides.html"))
    assert len(pages) == 8
    for page in pages:
        assert problems(page.read_text(encoding="utf-8")) == [], page.name


def test_no_slide_of_any_deck_overflows_and_the_review_deck_has_every_claim(built_reports: Path, tmp_path: Path):
    decks = sorted((built_reports / "slides").glob("*.slides.html"))
    requests, errors, headings, figures = [], [], {}, {}
    with sync_playwright() as p:
        browser, page = _open(p, requests, errors)
        page.set_viewport_size({"width": 1280, "height": 720})
        for deck in decks:
            page.goto(deck.as_uri(), wait_until="load")
            page.wait_for_function("typeof Reveal !== 'undefined' && Reveal.isReady()")
            headings[deck.stem], figures[deck.stem] = [], 0
            for i in range(page.evaluate("Reveal.getTotalSlides()")):
                page.evaluate(f"Reveal.slide({i})")
                assert page.evaluate(OUTSIDE) == [], f"{deck.name}: slide {i + 1} overflows"
                headings[deck.stem].append(
                    page.evaluate("Reveal.getCurrentSlide().querySelector('h1, h2').textContent")
                )
                images = page.locator(".present img")
                figures[deck.stem] += images.count()
                for k in range(images.count()):  # figures at slide resolution: never upscaled
                    natural, shown = images.nth(k).evaluate("i => [i.naturalWidth, i.getBoundingClientRect().width]")
                    assert natural >= shown, f"{deck.name}: slide {i + 1}: a figure is upscaled"
                page.screenshot(path=str(tmp_path / f"{deck.stem}-{i + 1:02d}.png"))
        browser.close()
    assert requests == [] and errors == [], (requests[:5], errors)
    review = headings["review.slides"]
    assert review[0].startswith("Community research workbench") and review[1].startswith("Scorecard")
    claims = [h for h in review if h.startswith("Claim ")]
    assert len(claims) == 6 and figures["review.slides"] == 6  # size study: 4 claims, experiment: 2, each a figure
    assert len(list(tmp_path.glob("*.png"))) == sum(len(h) for h in headings.values())


def test_slides_open_offline_and_advance(built_reports: Path, tmp_path: Path):
    decks = sorted((built_reports / "slides").glob("*.slides.html"))
    assert len(decks) == 4
    requests, errors = [], []
    with sync_playwright() as p:
        browser, page = _open(p, requests, errors)
        for deck in decks:
            page.goto(deck.as_uri(), wait_until="load")
            page.wait_for_function("typeof Reveal !== 'undefined' && Reveal.isReady()")
            assert page.evaluate("Reveal.getTotalSlides()") >= 3, deck.name  # title, findings, a figure
            page.keyboard.press("ArrowRight")
            page.wait_for_function("Reveal.getIndices().h === 1")
            page.screenshot(path=str(tmp_path / f"{deck.stem}.png"))
        browser.close()
    assert requests == [] and errors == [], (requests[:5], errors)
