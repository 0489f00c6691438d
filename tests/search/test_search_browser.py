"""The search page in Debian's Chromium: a PI searches by a wavelength range in nm, ticks a
facet, pages on, with no CSP violation; at phone width no value is off-screen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from faircat.web.security import PORTAL_CSP
from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE
from tests.portal.conftest import PASSWORD, portal_app
from tests.search.world import build

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


SEARCH = ".search-form button[type=submit]"  # not the header's "Sign out"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def served(catalogue: Any) -> Iterator[str]:
    build(catalogue)
    app = portal_app(catalogue)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        app.extensions["faircat"].close()


def _sign_in(page: Any, who: str) -> None:
    page.goto("/portal/login")
    page.fill("#username", who)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_pi_searches_by_a_wavelength_range_in_nm(served: str, viewport: dict[str, int]):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=viewport, base_url=served)
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            _sign_in(page, "pia")
            response = page.goto("/portal/search")
            assert response is not None and response.headers["content-security-policy"] == (
                PORTAL_CSP
            )
            page.fill("#s-param", "wavelength")
            page.fill("#s-min", "0.09")
            page.fill("#s-max", "0.1")
            page.fill("#s-unit", "nm")
            page.click(SEARCH)
            page.wait_for_load_state("networkidle")
            rows = page.locator(".search-table tbody tr")
            # Pia's embargoed 0.95 angstrom scan and the two public ones in range
            assert rows.count() == 3
            assert "3 datasets." in page.inner_text("main")
            page.check("input[name=type][value=raw]")
            page.click(SEARCH)
            page.wait_for_load_state("networkidle")
            assert page.locator(".search-table tbody tr").count() == 3
            page.check("input[name=beamline][value=XALOC]")
            page.select_option("#s-sort", "name")
            page.click(SEARCH)
            page.wait_for_load_state("networkidle")
            names = page.locator(".search-table tbody tr td:first-child a").all_inner_texts()
            assert [n.split(" ·")[0] for n in names] == ["emb_0001", "scan_0001", "scan_0002"]
            # nothing wider than the screen: the table stacks into cards on a phone
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0
            for cell in page.locator(".search-table td").all():
                box = cell.bounding_box()
                assert box is None or box["x"] + box["width"] <= viewport["width"] + 1
            assert page.evaluate("window.__csp") == [] and errors == []
        finally:
            browser.close()
