"""Facility sign-in (OpenID Connect) against a real provider on 127.0.0.1 (tests/oidc_provider.py).

The portal runs in Flask's test client; the provider is served over HTTP, so Authlib's client
makes its real back-channel calls (discovery, token, JWKS, UserInfo). Each test drives the
browser's part by hand: the portal's redirect, the provider's login form, the redirect back.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from werkzeug.serving import WSGIRequestHandler, make_server

from faircat.catalogue.models import LoginSession, User
from faircat.catalogue.store import Catalogue
from faircat.config import load_settings
from faircat.errors import ConfigError
from faircat.web.app import create_app
from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, SCREENS
from tests.catalogue.factories import NOW
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, rsa_key, serve
from tests.portal.conftest import SECRET, World, csrf_token, text_of
from tests.web import httpfuzz

CALLBACK = "http://localhost/portal/login/oidc/callback"
PIA_ORCID = "0000-0002-1825-0097"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with serve([CALLBACK]) as provider:
        provider.add(
            "pia",
            "sub-0001",
            preferred_username="Pia",
            email="Pia.Ibanez@example.org",
            email_verified=True,
            orcid=f"https://orcid.org/{PIA_ORCID}",
            name="Pia Ibáñez",
        )
        provider.add("zoe", "sub-0002", preferred_username="zoe", email="zoe@example.org")
        provider.add("otto", "sub-0003", preferred_username="otto")
        yield provider


def oidc_app(catalogue: Catalogue, **overrides: Any) -> Flask:
    settings = dataclasses.replace(
        catalogue.settings,
        secret_key=SECRET,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        **overrides,
    )
    return create_app(settings, {"TESTING": True, "FAIRCAT_NOW": lambda: NOW})


@pytest.fixture
def make_app(catalogue: Catalogue, world: World, provider: Provider) -> Iterator[Any]:
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        overrides.setdefault("oidc_issuer", provider.issuer)
        app = oidc_app(catalogue, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["faircat"].close()


@pytest.fixture
def client(make_app: Any) -> FlaskClient:
    return make_app().test_client()


def begin(client: FlaskClient, next_page: str | None = None) -> str:
    """Click "Sign in with ...": the provider's authorization URL the portal redirects to."""
    query = f"?next={quote(next_page, safe='')}" if next_page is not None else ""
    answer = client.get(f"/portal/login/oidc{query}")
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back(client: FlaskClient, callback_url: str) -> Any:
    """Follow the provider's redirect back to the portal."""
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client: FlaskClient, provider: Provider, login: str, next_page: str | None = None):  # type: ignore[no-untyped-def]
    return back(client, provider.sign_in(begin(client, next_page), login))


def signed_in_as(client: FlaskClient) -> str | None:
    page = text_of(client.get("/portal/account/"))
    if "Sign out" not in page:
        return None
    return page


def session_rows(catalogue: Catalogue, username: str | None = None) -> int:
    with catalogue.transaction() as db:
        query = select(func.count()).select_from(LoginSession)
        if username is not None:
            query = query.join(User, User.id == LoginSession.user_id).where(
                User.username == username
            )
        return db.scalar(query) or 0


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def set_user(catalogue: Catalogue, who: str, **values: Any) -> None:
    with catalogue.transaction() as db:
        db.execute(update(User).where(User.username == who).values(**values))


# -- the page and the redirect ------------------------------------------------------------------


def test_the_sign_in_page_offers_the_facility_only_when_configured(
    make_app: Any, catalogue: Catalogue
):
    page = make_app(oidc_label="ALBA accounts").test_client().get("/portal/login?next=/portal/x")
    assert page.status_code == 200
    assert "Sign in with ALBA accounts" in page.text
    assert 'href="/portal/login/oidc?next=/portal/x"' in page.text
    # the label defaults to the facility's name
    assert "Sign in with Test Light Source" in make_app().test_client().get("/portal/login").text
    plain = make_app(oidc_issuer="").test_client()
    assert "Sign in with" not in plain.get("/portal/login").text
    assert plain.get("/portal/login/oidc").status_code == 404
    assert plain.get("/portal/login/oidc/callback?code=x&state=y").status_code == 404


def test_the_redirect_carries_state_nonce_and_pkce(client: FlaskClient, provider: Provider):
    url = begin(client)
    assert url.startswith(f"{provider.issuer}/authorize?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert set(query["scope"].split()) == {"openid", "profile", "email"}
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) >= 43 and len(query["state"]) >= 20
    assert len(query["nonce"]) >= 20
    # a second flow gets fresh values
    again = parse_qs(urlsplit(begin(client)).query)
    assert again["state"][0] != query["state"] and again["nonce"][0] != query["nonce"]


def test_a_configured_redirect_uri_is_used_as_is(make_app: Any):
    # behind a proxy terminating HTTPS the request's own URL would say http://
    public = "https://portal.tls.example.org/portal/login/oidc/callback"
    client = make_app(oidc_redirect_uri=public).test_client()
    assert parse_qs(urlsplit(begin(client)).query)["redirect_uri"] == [public]


# -- round trips --------------------------------------------------------------------------------


def test_round_trip_by_username_starts_a_server_side_session(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    answer = sign_in(client, provider, "pia")
    assert answer.status_code == 302 and answer.headers["Location"] == "/portal/"
    assert provider.token_requests == 1
    assert provider.userinfo_requests == 0  # everything needed was in the ID token
    assert "Signed in as Pia Ibáñez." in text_of(client.get("/portal/"))
    page = signed_in_as(client)
    assert page is not None and "Pia Ibáñez" in page
    assert session_rows(catalogue, "pia") == 1


def test_sign_out_ends_the_session_server_side(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    sign_in(client, provider, "pia")
    cookie = client.get_cookie("session")
    assert cookie is not None and session_rows(catalogue, "pia") == 1
    token = csrf_token(client.get("/portal/account/").text)
    assert client.post("/portal/logout", data={"csrf_token": token}).status_code == 302
    assert session_rows(catalogue, "pia") == 0
    assert signed_in_as(client) is None
    # the cookie copied while signed in opens nothing any more
    replay = client.application.test_client()
    replay.set_cookie("session", cookie.value)
    assert signed_in_as(replay) is None


@pytest.mark.parametrize(
    ("claim", "field"),
    [("email", "email"), ("orcid", "orcid"), ("sub", "username")],
)
def test_matching_by_each_supported_field(
    make_app: Any, provider: Provider, catalogue: Catalogue, claim: str, field: str
):
    # e-mail is compared without case; ORCID from its URL form; sub as a username
    set_user(catalogue, "pia", email="pia.ibanez@example.org")
    if claim == "sub":
        set_user(catalogue, "pia", username="sub-0001")
    client = make_app(oidc_match_claim=claim, oidc_match_field=field).test_client()
    answer = sign_in(client, provider, "pia")
    assert answer.status_code == 302, text_of(answer)
    page = signed_in_as(client)
    assert page is not None and "Pia Ibáñez" in page


def test_claims_only_in_userinfo_are_fetched(
    make_app: Any, provider: Provider, catalogue: Catalogue
):
    provider.claims_in_id_token = False  # the ID token holds only sub
    client = make_app(oidc_match_claim="email", oidc_match_field="email").test_client()
    set_user(catalogue, "pia", email="pia.ibanez@example.org")
    assert sign_in(client, provider, "pia").status_code == 302
    assert provider.userinfo_requests == 1
    assert signed_in_as(client) is not None


def test_userinfo_about_someone_else_is_refused(make_app: Any, provider: Provider):
    provider.claims_in_id_token = False
    provider.people["pia"].claims["sub"] = "sub-9999"  # UserInfo names another subject
    client = make_app().test_client()
    answer = sign_in(client, provider, "pia")
    assert answer.status_code == 400
    assert "could not be verified" in text_of(answer)
    assert signed_in_as(client) is None


# -- accounts that may not sign in --------------------------------------------------------------


def test_an_unknown_account_is_told_whom_to_contact(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    answer = sign_in(client, provider, "zoe")
    assert answer.status_code == 403
    page = text_of(answer)
    assert "not registered with the data catalogue" in page
    assert "as zoe" in page and catalogue.settings.oai_admin_email in page
    assert signed_in_as(client) is None
    assert session_rows(catalogue) == 0
    with catalogue.transaction() as db:  # never created on the fly
        assert db.scalar(select(User).where(User.username == "zoe")) is None


def test_a_deactivated_account_is_refused(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    set_user(catalogue, "otto", active=False)
    answer = sign_in(client, provider, "otto")
    assert answer.status_code == 403
    assert "switched off" in text_of(answer)
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_matches_nobody(
    make_app: Any, provider: Provider, catalogue: Catalogue, verified: Any
):
    set_user(catalogue, "pia", email="pia.ibanez@example.org")
    if verified is None:
        del provider.people["pia"].claims["email_verified"]  # not in UserInfo either
    else:
        provider.people["pia"].claims["email_verified"] = verified
    client = make_app(oidc_match_claim="email", oidc_match_field="email").test_client()
    answer = sign_in(client, provider, "pia")
    assert answer.status_code == 403
    assert "not verified" in text_of(answer)
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


def test_a_missing_or_invalid_claim_matches_nobody(
    make_app: Any, provider: Provider, catalogue: Catalogue
):
    client = make_app(oidc_match_claim="orcid", oidc_match_field="orcid").test_client()
    provider.people["pia"].claims["orcid"] = "0000-0002-1825-0098"  # wrong check digit
    assert sign_in(client, provider, "pia").status_code == 403
    answer = sign_in(client, provider, "otto")  # no orcid claim, in the token or UserInfo
    assert answer.status_code == 403 and "did not tell the catalogue your orcid" in text_of(answer)
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


# -- tokens that must not be believed -----------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        {"aud": ["someone-else"]},
        {"aud": "someone-else", "azp": CLIENT_ID},
        {"iss": "http://127.0.0.1:9"},
        {"nonce": "not-the-one-sent"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    ],
    ids=["audience", "audience-with-azp", "issuer", "nonce", "expired"],
)
def test_tokens_that_fail_a_check_sign_nobody_in(
    client: FlaskClient, provider: Provider, catalogue: Catalogue, tamper: dict[str, Any]
):
    provider.tamper = tamper
    answer = sign_in(client, provider, "pia")
    assert answer.status_code == 400
    assert "could not be verified" in text_of(answer)
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


def test_a_forged_signature_signs_nobody_in(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    provider.signing_key = rsa_key()  # same kid, a key the JWKS does not hold
    answer = sign_in(client, provider, "pia")
    assert answer.status_code == 400
    assert "could not be verified" in text_of(answer)
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


@pytest.mark.filterwarnings('ignore:JWS algorithm "none" is deprecated')
def test_an_unsigned_token_is_refused_even_if_announced(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    provider.algorithm = "none"  # discovery now lists "none" next to RS256
    answer = sign_in(client, provider, "pia")
    assert answer.status_code == 400
    assert "could not be verified" in text_of(answer)
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


# -- state: a callback belongs to one flow of one browser, once ---------------------------------


def test_a_callback_is_used_once_and_only_by_its_browser(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    callback = provider.sign_in(begin(client), "pia")
    # another browser cannot complete it (login CSRF: someone else's code in my browser)
    other = client.application.test_client()
    stolen = back(other, callback)
    assert stolen.status_code == 400 and "cannot be completed" in text_of(stolen)
    assert signed_in_as(other) is None
    assert back(client, callback).status_code == 302
    token = csrf_token(client.get("/portal/account/").text)
    client.post("/portal/logout", data={"csrf_token": token})
    replayed = back(client, callback)
    assert replayed.status_code == 400 and "cannot be completed" in text_of(replayed)
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


def test_a_mismatched_or_missing_state_is_refused(client: FlaskClient, provider: Provider):
    callback = provider.sign_in(begin(client), "pia")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    forged = urlencode({"code": query["code"][0], "state": "x" + query["state"][0]})
    assert back(client, f"{CALLBACK}?{forged}").status_code == 400
    assert back(client, f"{CALLBACK}?code={query['code'][0]}").status_code == 400
    assert back(client, f"{CALLBACK}?state={query['state'][0]}").status_code == 400
    assert signed_in_as(client) is None
    assert provider.token_requests == 0  # refused before anything was sent to the provider


def test_pending_flows_are_bounded(client: FlaskClient, provider: Provider):
    first = provider.sign_in(begin(client), "pia")
    for _ in range(5):
        begin(client)
    # the oldest flow was forgotten, so the cookie stays small; the newest still work
    assert back(client, first).status_code == 400
    assert len(client.get_cookie("session").value) < 2000  # type: ignore[union-attr]
    assert sign_in(client, provider, "pia").status_code == 302


# -- provider errors, unreachable providers -----------------------------------------------------


def test_the_person_cancelling_at_the_provider(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    answer = back(client, provider.sign_in(begin(client), deny=True))
    assert answer.status_code == 403
    page = text_of(answer)
    assert "did not sign you in" in page and "access_denied" in page
    assert signed_in_as(client) is None and session_rows(catalogue) == 0


def test_provider_error_text_is_not_shown(client: FlaskClient):
    state = parse_qs(urlsplit(begin(client)).query)["state"][0]
    crafted = urlencode(
        {"error": "call_us_now", "error_description": "Call +1 555 0100 now", "state": state}
    )
    answer = back(client, f"{CALLBACK}?{crafted}")
    assert answer.status_code == 400
    page = text_of(answer)
    assert "Call +1 555" not in page and "call_us_now" not in page
    assert "answered with an error" in page


def test_an_unreachable_or_mismatched_provider_is_a_page_not_a_500(
    make_app: Any, provider: Provider
):
    closed = make_app(oidc_issuer="http://127.0.0.1:9").test_client()
    answer = closed.get("/portal/login/oidc")
    assert answer.status_code == 502 and "did not answer" in text_of(answer)
    # a discovery document naming another issuer is not believed
    other = make_app(oidc_issuer=f"{provider.issuer}/realms/x").test_client()
    assert other.get("/portal/login/oidc").status_code == 502


# -- next, signed-in visitors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "landed"),
    [
        ("/portal/experiments/EMB1-1", "/portal/experiments/EMB1-1"),
        ("https://evil.example/portal/", "/portal/"),
        ("//evil.example/portal/", "/portal/"),
        ("/elsewhere", "/portal/"),
        ("/portal/\r\nSet-Cookie: x=1", "/portal/"),
    ],
)
def test_next_is_kept_through_the_flow_if_safe(
    client: FlaskClient, provider: Provider, asked: str, landed: str
):
    answer = sign_in(client, provider, "pia", next_page=asked)
    assert answer.status_code == 302 and answer.headers["Location"] == landed


def test_two_tabs_keep_their_own_next(
    client: FlaskClient, provider: Provider, catalogue: Catalogue
):
    first = provider.sign_in(begin(client, "/portal/experiments/EMB1-1"), "pia")
    second = provider.sign_in(begin(client, "/portal/account/"), "pia")
    assert back(client, second).headers["Location"] == "/portal/account/"
    # signing in started a fresh cookie session: the first tab's flow is gone with the old
    # one, and that tab simply lands on the portal, still signed in
    assert back(client, first).headers["Location"] == "/portal/"
    assert signed_in_as(client) is not None
    assert session_rows(catalogue, "pia") == 1


def test_a_signed_in_visitor_is_sent_on(client: FlaskClient, provider: Provider):
    sign_in(client, provider, "pia")
    answer = client.get("/portal/login/oidc?next=/portal/account/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/portal/account/"


def test_without_a_secret_key_nothing_starts(make_app: Any):
    app = make_app()
    app.config["SECRET_KEY"] = ""
    answer = app.test_client().get("/portal/login/oidc")
    assert answer.status_code == 503 and "FAIRCAT_SECRET_KEY" in answer.text


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FAIRCAT_OIDC_ISSUER": "http://id.example.org"}, "https"),
        ({"FAIRCAT_OIDC_ISSUER": "https://"}, "https"),
        ({"FAIRCAT_OIDC_ISSUER": "https://id.example.org"}, "oidc_client_id"),
        (
            {
                "FAIRCAT_OIDC_ISSUER": "https://id.example.org",
                "FAIRCAT_OIDC_CLIENT_ID": "portal",
                "FAIRCAT_OIDC_SCOPES": "profile email",
            },
            "openid",
        ),
        (
            {
                "FAIRCAT_OIDC_ISSUER": "https://id.example.org",
                "FAIRCAT_OIDC_CLIENT_ID": "portal",
                "FAIRCAT_OIDC_MATCH_FIELD": "full_name",
            },
            "username, email, orcid",
        ),
    ],
)
def test_settings_are_checked_at_start(
    environ: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
):
    monkeypatch.chdir(tmp_path)  # no ./faircat.toml
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_the_client_secret_is_environment_only(tmp_path: Any):
    path = tmp_path / "faircat.toml"
    path.write_text('[oidc]\nissuer = "https://id.example.org"\nclient_secret = "s"\n')
    with pytest.raises(ConfigError, match="FAIRCAT_OIDC_CLIENT_SECRET"):
        load_settings(path, environ={})
    path.write_text('[oidc]\nissuer = "https://id.example.org"\nclient_id = "portal"\n')
    settings_ = load_settings(path, environ={"FAIRCAT_OIDC_CLIENT_SECRET": "s"})
    assert settings_.oidc_client_secret == "s"
    assert dict((n, v) for n, v, _ in settings_.public_items())["oidc_client_secret"] == "***"


# -- fuzzing the two routes with a provider behind them -----------------------------------------

_CALLBACK_KEYS = ["code", "state", "error", "error_description", "next", "iss", "session_state"]


@st.composite
def _oidc_calls(draw: st.DrawFn, state: str) -> httpfuzz.Call:
    path = draw(st.sampled_from(["/portal/login/oidc", "/portal/login/oidc/callback"]))
    keys = st.sampled_from(_CALLBACK_KEYS)
    values = st.one_of(httpfuzz.VALUE, st.just(state))
    query = draw(st.lists(st.tuples(keys, values), max_size=4))
    return httpfuzz.Call(draw(st.sampled_from(["GET", "HEAD"])), path, query, [])


def test_no_callback_input_gives_a_server_error(client: FlaskClient, provider: Provider):
    # a pending flow in the session: its state gets a random code to the token endpoint
    state = parse_qs(urlsplit(begin(client)).query)["state"][0]

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(call=_oidc_calls(state))
    def run(call: httpfuzz.Call) -> None:
        httpfuzz.check(call, httpfuzz.send(client, call))
        assert signed_in_as(client) is None

    run()


# -- in Chromium: the button, the provider's page, back to the page asked for -------------------

_RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing")
def test_facility_sign_in_in_chromium(
    catalogue: Catalogue, world: World, provider: Provider
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    app = oidc_app(catalogue, oidc_issuer=provider.issuer)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    base = f"http://127.0.0.1:{server.server_port}"
    provider.client.redirect_uris.append(f"{base}/portal/login/oidc/callback")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport=DESKTOP, base_url=base).new_page()
                page.add_init_script(_RECORD_CSP)
                page.goto(f"/portal/experiments/{world.embargoed}")
                assert "/portal/login" in page.url
                assert page.evaluate("window.__csp") == []
                SCREENS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENS / "portal-oidc-login.png"))
                page.get_by_role("link", name="Sign in with Test Light Source").click()
                page.wait_for_url(f"{provider.issuer}/authorize*")
                page.select_option("select[name=login]", "pia")
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url(f"{base}/portal/experiments/{world.embargoed}")
                assert page.get_by_role("button", name="Sign out").is_visible()
                assert "Signed in as Pia Ibáñez." in page.content()
                assert page.evaluate("window.__csp") == []
                page.screenshot(path=str(SCREENS / "portal-oidc-signed-in.png"))
                # Cancelling at the provider: a page saying so, in the portal's look, no CSP issue
                page.get_by_role("button", name="Sign out").click()
                page.goto("/portal/login")
                page.get_by_role("link", name="Sign in with Test Light Source").click()
                page.wait_for_url(f"{provider.issuer}/authorize*")
                page.get_by_role("button", name="Cancel").click()
                page.wait_for_url(f"{base}/portal/login/oidc/callback*")
                assert "did not sign you in" in page.content()
                assert page.evaluate("window.__csp") == []
                page.screenshot(path=str(SCREENS / "portal-oidc-cancelled.png"))
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        app.extensions["faircat"].close()
