"""The Content-Security-Policy is one the pages satisfy: every portal and site page, opened and
used in Debian's Chromium, reports no CSP violation and no script error.

The published site is served here by the Flask app (``faircat serve``); nginx sends the same
headers from its generated configuration (tests/publisher/test_nginx.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from faircat.web.security import PORTAL_CSP
from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.portal.conftest import PASSWORD, World, build_world, portal_app
from tests.publisher import pagefixtures

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

# Recorded before any page script runs, so a violation during loading is seen too.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile
                    + ":" + e.lineNumber);
});
"""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def served(catalogue: Any) -> Iterator[tuple[str, World, dict[str, str]]]:
    world = build_world(catalogue)
    paths = pagefixtures.write_site(catalogue.settings.site_dir)
    app = portal_app(catalogue)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world, paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        app.extensions["faircat"].close()


def _visit(page: Any, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, url
    assert response.headers.get("content-security-policy") == PORTAL_CSP, url
    page.wait_for_load_state("networkidle")
    problems.extend(f"{url}: {v}" for v in page.evaluate("window.__csp"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_page_violates_the_content_security_policy(served: Any):
    base, world, paths = served
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=DESKTOP, base_url=base)
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda m: problems.append(f"console: {m.text}")
                if m.type == "error" and "Content Security Policy" in m.text
                else None,
            )
            page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))

            # the published site: landing pages (citation tabs, copy), listings, search
            for name in ("open", "listing-home", "search"):
                _visit(page, paths[name], problems)
            _visit(page, paths["open"], problems)
            tabs = page.locator("[role=tab]")
            if tabs.count() > 1:
                tabs.nth(1).click()
            _visit(page, paths["search"] + "?q=lysozyme", problems)
            page.wait_for_timeout(300)  # search.js fetches its index and renders results

            # the portal, anonymous then as a curator (every area of the navigation)
            _visit(page, "/portal/", problems)
            _visit(page, "/portal/login", problems)
            page.fill("#username", "cure")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            problems.extend(page.evaluate("window.__csp"))
            for url in (
                "/portal/",
                f"/portal/experiments/{world.embargoed}",
                "/portal/curator/",
                "/portal/account/",
                "/portal/no-such-page",
            ):
                if url.endswith("no-such-page"):
                    page.goto(url)
                    problems.extend(page.evaluate("window.__csp"))
                else:
                    _visit(page, url, problems)
            # the request forms' script (add/remove creator rows) runs under the policy too
            page.goto(f"/portal/experiments/{world.public}")
            for summary in page.locator("details > summary").all():
                summary.click()
            problems.extend(page.evaluate("window.__csp"))
        finally:
            browser.close()
    assert problems == []
