"""The dataset page in Debian's Chromium: a PI steps through preview frames (slider, buttons,
keyboard), explores the HDF5 tree, downloads one file and a zip of three and checks the zip's
manifest; at phone width no table cell is off-screen. No CSP violation or script error anywhere.
Screenshots land in /tmp/faircat-screens/portal-dataset-*.png."""

from __future__ import annotations

import hashlib
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, SCREENS
from tests.portal.conftest import PASSWORD
from tests.portal.dataworld import DataWorld, build_dataworld, data_app
from tests.portal.test_csp_browser import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def served(catalogue: Any, tmp_path: Path) -> Iterator[tuple[str, DataWorld]]:
    world = build_dataworld(catalogue, tmp_path / "data")
    app = data_app(catalogue, world.root)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        app.extensions["faircat"].close()


def _page(browser: Any, base: str, viewport: dict[str, int], problems: list[str]) -> Any:
    context = browser.new_context(viewport=viewport, base_url=base, accept_downloads=True)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    # Failed loads are reported by URL below (a "console" line would not say which).
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.goto("/portal/login")
    page.fill("#username", "pia")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def _shown_frame(page: Any, src: str) -> bool:
    """Waits until the preview shows ``src``, loaded (the slider asks after a short pause)."""
    page.wait_for_function(
        "(src) => { const i = document.querySelector('.frame-viewer img');"
        " return i.getAttribute('src') === src && i.complete && i.naturalWidth > 0"
        " && !i.closest('[aria-busy]'); }",
        arg=src,
        timeout=5000,
    )
    return True


def _off_screen(page: Any, width: int) -> list[str]:
    return page.evaluate(
        """(width) => Array.from(document.querySelectorAll('main td, main th'))
             .filter(c => c.offsetParent !== null)
             .map(c => [c.textContent.trim().slice(0, 40), c.getBoundingClientRect()])
             .filter(([, r]) => r.left < -1 || r.right > width + 1)
             .map(([t, r]) => `${t}: ${Math.round(r.left)}..${Math.round(r.right)}`)""",
        width,
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_pi_previews_explores_and_downloads(served: tuple[str, DataWorld], tmp_path: Path):
    base, world = served
    experiment = world.experiments["active"]
    frames = f"/data/datasets/{experiment.raw}/preview/"
    problems: list[str] = []
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _page(browser, base, DESKTOP, problems)
            page.goto(f"/portal/datasets/{experiment.raw}")
            assert page.locator("h1").inner_text().startswith("scan_0001 · ")
            assert _shown_frame(page, f"{frames}0.png")
            # the keyboard: arrows on the slider, End for the last frame, Home for the first
            slider = page.locator("#frame")
            slider.focus()
            page.keyboard.press("ArrowRight")
            assert _shown_frame(page, f"{frames}1.png")
            assert page.locator(".frame-picker__value").inner_text() == "2 / 5"
            assert slider.get_attribute("aria-valuetext") == "Frame 2 of 5"
            page.keyboard.press("End")
            assert _shown_frame(page, f"{frames}4.png")
            page.get_by_role("button", name="Previous frame").click()
            assert _shown_frame(page, f"{frames}3.png")
            page.get_by_role("button", name="Next frame").press("Enter")
            assert _shown_frame(page, f"{frames}4.png")
            assert "frame=5" in page.url
            page.keyboard.press("Tab")  # focus moves on, nothing traps it

            # the HDF5 explorer: open /entry, then the NXdata group and its signal
            page.locator(".h5-node__toggle", has_text="entry/").first.click()
            page.locator(".h5-node__toggle", has_text="data/").first.click()
            signal = page.locator(".h5-node__toggle", has_text="5 × 48 × 64")
            signal.first.click()
            page.wait_for_selector(".h5-facts >> text=<u2")
            assert page.locator(".h5-attributes").first.inner_text().count("operator_note") == 1
            page.screenshot(path=str(SCREENS / "portal-dataset-desktop.png"), full_page=True)

            # one file
            with page.expect_download() as info:
                page.locator(".file-link", has_text="scan_0001.nxs").click()
            download = info.value
            assert download.suggested_filename == "scan_0001.nxs"
            source = world.root / experiment.label / "scan_0001.nxs"
            assert Path(download.path()).read_bytes() == source.read_bytes()

            # a zip of the three files, through "select all"
            page.locator(".select-all").check()
            with page.expect_download() as info:
                page.get_by_role("button", name="Download selected as zip").click()
            target = tmp_path / "selection.zip"
            info.value.save_as(target)
            with zipfile.ZipFile(target) as archive:
                manifest = archive.read("SHA256SUMS").decode().splitlines()
                assert len(manifest) == 3
                for line in manifest:
                    digest, name = line.split("  ", 1)
                    assert hashlib.sha256(archive.read(name)).hexdigest() == digest
            problems.extend(page.evaluate("window.__csp"))

            # a phone: every table cell on screen, the explorer's attributes too
            phone = _page(browser, base, PHONE, problems)
            phone.goto(f"/portal/datasets/{experiment.raw}")
            _shown_frame(phone, f"{frames}0.png")
            phone.locator(".h5-node__toggle", has_text="entry/").first.click()
            phone.wait_for_selector(".h5-attributes td")
            assert _off_screen(phone, PHONE["width"]) == []
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            phone.screenshot(path=str(SCREENS / "portal-dataset-phone.png"), full_page=True)
            phone.goto(f"/portal/datasets/{experiment.processed}")
            phone.wait_for_load_state("networkidle")
            assert _off_screen(phone, PHONE["width"]) == []
            problems.extend(phone.evaluate("window.__csp"))
        finally:
            browser.close()
    assert problems == []
