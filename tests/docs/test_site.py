"""The built documentation site works in a real browser, offline.

Headless Chromium (Debian's ``chromium``, driven through Playwright) opens the index, an API
page, a user-guide page and a notebook page from the file system. On each: no console error, no
uncaught script error, no request that leaves the file system (every such request is blocked
and recorded), the page's own content is there, formulas are typeset by the bundled MathJax
where a page has them; and the search page answers a query from the offline index. A screenshot
of each page goes to ``build/docs/screenshots/``.

The site is built by ``make docs``, which runs this module with ``CJMODELS_DOCS_SITE`` set (and
it fails then if the site is missing). In the default suite, without a built site, it skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("CJMODELS_DOCS_SITE", ROOT / "build" / "docs" / "html")).resolve()
SHOTS = SITE.parent / "screenshots"

#: (page, screenshot name, CSS selector that must be on the page, text it must contain)
PAGES = [
    ("index.html", "index", "h1", "cjmodels"),
    ("api/cjmodels.survival.kaplan_meier.html", "api_function", "dt.sig",
     "kaplan_meier"),
    ("api/cjmodels.markov.FittedChain.html", "api_class", "dl.py.class", "FittedChain"),
    ("guide/attribution.html", "guide", "h1", "ttribution"),
    ("notebooks/02_stage_transitions.html", "notebook", "div.cell_output", ""),
]


def _site() -> Path:
    if not (SITE / "index.html").exists():
        if "CJMODELS_DOCS_SITE" in os.environ:
            pytest.fail(f"no built site in {SITE}: make docs builds it")
        pytest.skip("the documentation site is not built (make docs builds and checks it)")
    return SITE


@pytest.fixture(scope="module")
def browser():
    site = _site()
    playwright = pytest.importorskip("playwright.sync_api", reason="install the 'docs' extra")
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)),
                    None)
    if chromium is None:
        pytest.fail("headless Chromium is not installed: run `make browser`")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield site, b
        b.close()


def _open(browser, url: str):
    """Open ``url``; return the page and the lists of problems it collects."""
    b = browser
    page = b.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}")
            if r.url.startswith("file:") else None)

    def _block(route):
        problems.append(f"request to another server: {route.request.url}")
        route.abort()

    page.route("http://**/*", _block)
    page.route("https://**/*", _block)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, problems


@pytest.mark.parametrize(("path", "shot", "selector", "text"), PAGES,
                         ids=[p[1] for p in PAGES])
def test_page_opens_offline_without_errors(browser, path, shot, selector, text):
    site, b = browser
    target = site / path
    assert target.exists(), f"{path} was not built"
    page, problems = _open(b, target.as_uri())
    try:
        element = page.locator(selector).first
        assert element.count() == 1, f"{path}: no {selector}"
        assert text in page.locator("main").inner_text(), f"{path}: {text!r} not shown"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot}.png"))
        assert (SHOTS / f"{shot}.png").stat().st_size > 10_000
        assert not problems, problems
    finally:
        page.close()


def test_formulas_are_typeset_by_the_bundled_mathjax(browser):
    site, b = browser
    page, problems = _open(b, (site / "api" / "cjmodels.synthetic.simulate_experiment.html").as_uri())
    try:
        page.wait_for_selector("mjx-chtml, .MathJax_CHTML", timeout=20_000)
        assert not problems, problems
    finally:
        page.close()


def test_search_answers_offline(browser):
    site, b = browser
    page, problems = _open(b, (site / "search.html").as_uri() + "?q=kaplan")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        hits = page.locator("#search-results ul.search li a").all_inner_texts()
        assert any("kaplan_meier" in h for h in hits), hits[:10]
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "search.png"))
        assert not problems, problems
    finally:
        page.close()
