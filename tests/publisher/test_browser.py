"""The rendered pages in a real browser: layout at phone and desktop widths, tabs, copy, search.

Serves the sample site from a temp dir with http.server and drives Debian's Chromium through
Playwright. Screenshots land in the test's temp dir and, for people to look at, in
/tmp/faircat-screens/.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, SCREENS
from tests.publisher import pagefixtures

pytestmark = pytest.mark.browser


if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """(base URL, page paths) of the sample site served on a free port of 127.0.0.1."""
    root = tmp_path_factory.mktemp("site")
    paths = pagefixtures.write_site(root)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page_at(browser: Any, site: tuple[str, dict[str, str]]) -> Iterator[Any]:
    """``page_at(name, viewport)``: a fresh page (own context) showing sample page ``name``."""
    base, paths = site
    contexts = []

    def open_page(name: str, viewport: dict[str, int] = DESKTOP, query: str = "") -> Any:
        context = browser.new_context(viewport=viewport, base_url=base)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(paths[name] + query)
        page.wait_for_load_state("networkidle")
        page.js_errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


def _screenshot(page: Any, tmp_path: Path, name: str) -> None:
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, SCREENS / target.name)


def _overflow(page: Any) -> int:
    """How far the page is wider than the viewport (0 when nothing sticks out)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("name", ["open", "embargoed", "withdrawn", "selection", "unicode"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_horizontal_overflow(page_at: Any, tmp_path: Path, name: str, size: str) -> None:
    page = page_at(name, DESKTOP if size == "desktop" else PHONE)
    assert _overflow(page) <= 0
    assert page.js_errors == []
    _screenshot(page, tmp_path, f"{name}-{size}")


@pytest.mark.parametrize("name", ["listing-home", "listing-years", "search", "hostile"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_other_pages_fit(page_at: Any, tmp_path: Path, name: str, size: str) -> None:
    page = page_at(name, DESKTOP if size == "desktop" else PHONE)
    assert _overflow(page) <= 0
    _screenshot(page, tmp_path, f"{name}-{size}")


def test_file_table_scrolls_inside_its_box_on_a_phone(page_at: Any) -> None:
    page = page_at("open", PHONE)
    box = page.locator(".files").locator("xpath=..")
    assert box.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert _overflow(page) <= 0


def test_preview_image_loads(page_at: Any) -> None:
    page = page_at("open")
    image = page.locator(".preview img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.preview img').complete")
    assert image.evaluate("img => img.naturalWidth") > 0
    assert image.get_attribute("alt")


def test_citation_tabs_switch_with_the_keyboard(page_at: Any) -> None:
    page = page_at("open")
    tabs = page.get_by_role("tab")
    assert tabs.count() == 4
    first = page.get_by_role("tab", name="DataCite")
    assert first.get_attribute("aria-selected") == "true"
    first.focus()
    page.keyboard.press("ArrowRight")
    apa = page.get_by_role("tab", name="APA")
    assert apa.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.textContent") == "APA"
    assert page.locator("#cite-panel-2").is_visible()
    assert not page.locator("#cite-panel-1").is_visible()
    page.keyboard.press("End")
    assert page.get_by_role("tab", name="RIS").get_attribute("aria-selected") == "true"
    assert "TY  - DATA" in page.get_by_role("tabpanel").inner_text()
    page.keyboard.press("ArrowRight")  # wraps around to the first style
    assert first.get_attribute("aria-selected") == "true"
    # Tab leaves the tab list for the panel: one tab stop per widget, as the pattern wants.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "cite-panel-1"


def test_copy_button_copies_the_citation(page_at: Any) -> None:
    page = page_at("open")
    page.get_by_role("tab", name="BibTeX").click()
    button = page.locator('button[data-copy="cite-text-3"]')
    assert button.inner_text() == "Copy BibTeX citation"
    button.click()
    page.wait_for_selector('button[data-copy="cite-text-3"][data-state]')
    assert button.get_attribute("data-state") in ("copied", "selected")
    if button.get_attribute("data-state") == "copied":
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("@misc{")
    assert page.locator("[data-copy-status]").inner_text()


def test_tabs_and_copy_buttons_without_javascript(browser: Any, site: tuple[str, Any]) -> None:
    base, paths = site
    context = browser.new_context(java_script_enabled=False, base_url=base)
    try:
        page = context.new_page()
        page.goto(paths["open"])
        # Every style readable, no dead buttons.
        assert page.locator(".cite__text").count() == 4
        assert all(panel.is_visible() for panel in page.locator(".cite__text").all())
        assert page.locator("button[data-copy]:visible").count() == 0
    finally:
        context.close()


def _search(page: Any, text: str) -> str:
    field = page.get_by_label("Search terms")
    field.fill(text)
    field.press("Enter")  # submitting searches at once, without the typing pause
    return page.locator("#search-count").inner_text()


def test_search_finds_records_regardless_of_accents(page_at: Any, tmp_path: Path) -> None:
    page = page_at("search")
    assert "Type to search 5 records" in page.locator("#search-count").inner_text()
    # The unicode record's title holds "résonance": typed with and without the accent.
    for term in ("resonance", "RÉSONANCE"):
        assert _search(page, term) == "1 record found."
        assert page.locator("#search-results a").first.inner_text().startswith("Étude")
    # AND of terms: both words must match, anywhere in title, description or keywords.
    assert _search(page, "lysozyme xaloc") == "3 records found."
    assert _search(page, "lysozyme nothing-like-this") == "0 records found."
    assert page.locator("#search-count").get_attribute("aria-live") == "polite"
    assert "q=lysozyme" in page.url
    # Typing alone searches too, after a short pause (the live region is not spammed).
    page.get_by_label("Search terms").fill("lysozyme")
    page.wait_for_function(
        "document.getElementById('search-count').textContent === '4 records found.'"
    )
    _screenshot(page, tmp_path, "search-results-desktop")


def test_search_reads_the_query_from_the_url(page_at: Any, tmp_path: Path) -> None:
    page = page_at("search", PHONE, query="?q=Lysozyme%20XALOC")
    page.wait_for_function("document.getElementById('search-count').textContent.includes('found')")
    assert page.get_by_label("Search terms").input_value() == "Lysozyme XALOC"
    assert page.locator("#search-count").inner_text() == "3 records found."
    assert _overflow(page) <= 0
    _screenshot(page, tmp_path, "search-results-phone")


def test_skip_link_is_first_and_moves_focus(page_at: Any) -> None:
    page = page_at("open")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
