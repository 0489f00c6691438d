"""The portal in a real browser: a selection DOI from request to notification, phone layout.

Serves the real app with werkzeug in a thread and drives Debian's Chromium through Playwright
(never a downloaded browser). Screenshots land in /tmp/faircat-screens/portal-*.png.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, SCREENS
from tests.portal.conftest import PASSWORD, World, build_world, portal_app

pytestmark = pytest.mark.browser


if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def served(catalogue: Any) -> Iterator[tuple[str, World]]:
    """(base URL, world) of the real portal app on a free port of 127.0.0.1."""
    world = build_world(catalogue)
    app = portal_app(catalogue)
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


@pytest.fixture
def open_page(browser: Any, served: tuple[str, World]) -> Iterator[Any]:
    """``open_page(viewport, javascript=True)``: a fresh page in its own context (own cookies)."""
    base, _ = served
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP, javascript: bool = True) -> Any:
        context = browser.new_context(
            viewport=viewport, base_url=base, java_script_enabled=javascript
        )
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def _screenshot(page: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"portal-{name}.png"), full_page=True)


def _overflow(page: Any) -> int:
    """How far the page is wider than the viewport (0 when nothing sticks out)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _sign_in(page: Any, username: str) -> None:
    page.goto("/portal/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/portal/login")


def test_selection_doi_from_request_to_notification(open_page: Any) -> None:
    page = open_page()
    _sign_in(page, "pia")
    page.get_by_role("link", name="Lysozyme soaks under embargo").click()
    page.get_by_text("DOI for a selection", exact=True).click()
    form = page.locator("#request-selection-doi")
    rows = form.locator("[data-creator-row]")
    assert rows.count() == 3
    assert rows.nth(1).get_by_label("Full name").input_value() == "Cora Oduya"

    # Remove Cora, add a newcomer: done in the page, focus following the change.
    form.get_by_role("button", name="Remove creator 2").click()
    assert rows.count() == 2
    assert [r.get_by_label("Full name").input_value() for r in rows.all()] == [
        "Pia Ibáñez",
        "Paul Tran",
    ]
    assert form.get_by_role("button", name="Remove creator 2").count() == 1  # renumbered
    form.get_by_role("button", name="Add a creator").click()
    assert rows.count() == 3
    new = rows.nth(2)
    assert new.get_by_label("Full name").input_value() == ""
    assert page.evaluate("document.activeElement.name").endswith("-full_name")
    new.get_by_label("Full name").fill("Nova Newcomer")
    new.get_by_label("Affiliation").fill("ALBA Synchrotron")
    form.get_by_label("EMB1-native (raw)").uncheck()
    form.get_by_label("Justification").fill("These two soaks are the data behind our paper.")
    _screenshot(page, "selection-form-desktop")
    form.get_by_role("button", name="Request a DOI").click()
    page.wait_for_url("**/portal/requests/1")
    assert "Your request was sent to the curators." in page.inner_text("main")
    request_text = page.inner_text("main")
    assert "Nova Newcomer" in request_text and "Cora Oduya" not in request_text
    assert "EMB1-soak-1" in request_text and "EMB1-native" not in request_text
    _sign_out(page)

    _sign_in(page, "cure")
    page.get_by_role("navigation").get_by_role("link", name="Review queue").click()
    _screenshot(page, "queue-desktop")
    page.get_by_role("link", name="DOI for a selection").click()
    page.get_by_label("Comment to the requester").fill("Approved: the DOI follows shortly.")
    _screenshot(page, "review-desktop")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/portal/curator/")
    assert "Request approved" in page.inner_text("main")
    _sign_out(page)

    _sign_in(page, "pia")
    notes = page.locator("#notifications")
    assert "Request #1 approved" in notes.inner_text()
    assert "Approved: the DOI follows shortly." in notes.inner_text()
    assert notes.locator(".notification--unread").count() == 1
    _screenshot(page, "dashboard-desktop")
    assert page.js_errors == []


def test_creator_rows_work_without_javascript(open_page: Any, served: Any) -> None:
    _, world = served
    page = open_page(javascript=False)
    _sign_in(page, "pia")
    page.goto(f"/portal/experiments/{world.embargoed}")
    page.get_by_text("DOI for a selection", exact=True).click()
    form = page.locator("#request-selection-doi")
    form.get_by_role("button", name="Remove creator 1").click()
    form = page.locator("#request-selection-doi")
    assert form.get_attribute("open") is not None  # the form comes back open
    names = [
        r.get_by_label("Full name").input_value() for r in form.locator("[data-creator-row]").all()
    ]
    assert names == ["Cora Oduya", "Paul Tran"]
    form.get_by_role("button", name="Add a creator").click()
    assert page.locator("#request-selection-doi [data-creator-row]").count() == 3


def _pages(base_world: tuple[str, World]) -> dict[str, str]:
    _, world = base_world
    return {
        "dashboard": "/portal/",
        "experiment": f"/portal/experiments/{world.embargoed}",
        "experiment-public": f"/portal/experiments/{world.public}",
        "request": "/portal/requests/1",
        "queue": "/portal/curator/",
    }


def test_pages_fit_a_phone(open_page: Any, served: Any) -> None:
    page = open_page(PHONE)
    page.goto("/portal/")
    assert _overflow(page) <= 0
    _screenshot(page, "landing-phone")
    page.goto("/portal/login")
    assert _overflow(page) <= 0
    _screenshot(page, "login-phone")
    _sign_in(page, "pia")
    # A refused request first: the form comes back open, scrolled to, the reason in focus.
    page.goto(_pages(served)["experiment"])
    page.get_by_text("Embargo extension", exact=True).click()
    page.get_by_label("New release date").fill("2032-01-01")
    page.locator("#request-extension").get_by_label("Justification").fill("More time needed.")
    page.get_by_role("button", name="Request an extension").click()
    page.wait_for_load_state()
    focused = page.evaluate("document.activeElement.className")
    assert "form-errors" in focused
    assert "retention period" in page.locator("#request-extension .form-errors").inner_text()
    assert _overflow(page) <= 0
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "portal-refused-phone.png"))  # what the eye meets
    # Then one that goes through, made through the page like a person would.
    page.get_by_label("New release date").fill("2030-01-15")
    page.locator("#request-extension").get_by_label("Justification").fill("More time needed.")
    page.get_by_role("button", name="Request an extension").click()
    page.wait_for_url("**/portal/requests/1")

    for name in ("dashboard", "experiment", "experiment-public", "request"):
        page.goto(_pages(served)[name])
        for details in page.locator("details.request-form").all():
            details.evaluate("el => el.open = true")  # every form open: the widest case
        assert _overflow(page) <= 0, name
        _screenshot(page, f"{name}-phone")
    _sign_out(page)
    _sign_in(page, "cure")
    for name in ("queue", "request"):
        page.goto(_pages(served)[name])
        assert _overflow(page) <= 0, name
        _screenshot(page, f"{name}-curator-phone")
    assert page.js_errors == []
