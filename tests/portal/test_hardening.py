"""Regressions found from outside (issue 12): malformed ids and parameters are 4xx, never 5xx;
every response carries the security headers; an unexpected error is a page that tells nothing."""

from __future__ import annotations

import pytest
from flask import Flask

from faircat.web.security import HTML_HEADERS, MAX_ID32, PORTAL_CSP, parse_id
from tests.portal.conftest import login, portal_app, post_form, text_of


@pytest.mark.parametrize(
    "request_id", [str(2**31), str(2**63), str(2**64 + 1), "9" * 40, "0", "-1", "1e3", "%C2%B2"]
)
def test_request_ids_a_key_cannot_hold_are_404(client, world, request_id):
    login(client, "cure")
    for url in (f"/portal/requests/{request_id}", f"/portal/requests/{request_id}/decision"):
        response = client.get(url) if "decision" not in url else client.post(url)
        assert response.status_code in (404, 405, 400), url
        if response.status_code == 404:
            assert "Not found" in text_of(response)


def test_the_largest_valid_id_is_an_ordinary_unknown_request(client, world):
    # requests have 32-bit keys (an INTEGER column on PostgreSQL)
    login(client, "cure")
    assert client.get(f"/portal/requests/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize(
    "next_url",
    [
        "/portal/\r\nSet-Cookie: stolen=1",
        "/portal/%0d%0aLocation: https://evil.example",
        "/portal/\nx",
        "/portal/\x00",
        "/\\evil.example",
        "/portal/ spaced",
        "/portal/" + "a" * 5000,
    ],
)
def test_login_with_a_hostile_next_goes_home(client, world, next_url):
    page = client.get("/portal/login", query_string={"next": next_url})
    assert page.status_code == 200
    response = login_with_next(client, next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"
    assert "stolen" not in str(response.headers)


def login_with_next(client, next_url):  # type: ignore[no-untyped-def]
    from tests.portal.conftest import PASSWORD, csrf_token

    page = client.get("/portal/login").get_data(as_text=True)
    return client.post(
        "/portal/login",
        query_string={"next": next_url},
        data={"username": "pia", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )


def test_a_legitimate_next_with_a_query_still_works(client, world):
    target = f"/portal/experiments/{world.embargoed}?tab=requests#requests"
    assert login_with_next(client, target).headers["Location"] == target


@pytest.mark.parametrize("value", ["²", "-1", str(2**70), "1 OR 1=1", "٣"])
def test_marking_a_malformed_notification_read_changes_nothing(client, world, value):
    login(client, "pia")
    response = post_form(client, "/portal/", "/portal/notifications/read", {"notification": value})
    assert response.status_code == 302


def test_parse_id():
    assert parse_id("42") == 42
    assert parse_id(str(2**63 - 1)) == 2**63 - 1
    assert parse_id(str(2**31), MAX_ID32) is None and parse_id(str(2**31 - 1), MAX_ID32)
    for bad in (None, "", "0", "-1", "+1", " 1", "²", "١", str(2**63), "9" * 30, "1.0"):
        assert parse_id(bad) is None, bad


def test_every_response_says_nosniff_and_html_pages_carry_the_policy(client, world):
    login(client, "pia")
    for url in ("/portal/", "/portal/login", f"/portal/experiments/{world.embargoed}",
                "/portal/account/", "/portal/no-such-page", "/no-such-site-page"):
        response = client.get(url)
        assert response.mimetype == "text/html", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        for name, value in HTML_HEADERS.items():
            assert response.headers[name] == value, (url, name)
    health = client.get("/healthz")
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in health.headers
    assert "frame-ancestors 'none'" in PORTAL_CSP and "unsafe-inline" not in PORTAL_CSP


def test_an_unknown_site_page_is_a_styled_404(client, world):
    response = client.get("/doi/10.80100/nope/")
    assert response.status_code == 404
    page = text_of(response)
    assert "Not found" in page and "Back to the portal" in page


@pytest.fixture
def fragile_app(catalogue, world) -> Flask:
    """The real app as deployed (errors not propagated), with one view that fails."""
    app = portal_app(catalogue, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def explode() -> str:
        raise RuntimeError("SECRET-DETAIL /srv/data/embargoed/otto.h5")

    app.add_url_rule("/portal/explode", "explode", explode)
    yield app
    app.extensions["faircat"].close()


def test_an_unexpected_error_is_a_styled_500_that_reveals_nothing(fragile_app, caplog):
    client = fragile_app.test_client()
    login(client, "pia")
    response = client.get("/portal/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "SECRET-DETAIL" not in page and "RuntimeError" not in page
    assert response.headers["Content-Security-Policy"] == PORTAL_CSP
    assert any("SECRET-DETAIL" in r.getMessage() or r.exc_info for r in caplog.records)


def test_site_paths_the_filesystem_cannot_hold_are_404(client, world):
    for path in ("/" + "a" * 300, "/" + "a" * 300 + "/" + "b" * 300, "/x%00y"):
        assert client.get(path).status_code == 404, path[:20]


def test_one_brand_from_the_site_to_the_portal_and_back(client, world):
    from faircat.publisher import render
    from tests.publisher import pagefixtures

    landing = render.render_landing(pagefixtures.open_dataset())
    assert '<a href="/portal/" class="site-nav__portal">Your experiments</a>' in landing
    portal = client.get("/portal/login").get_data(as_text=True)
    assert '<a class="site-name" href="/">TLS open data</a>' in portal
