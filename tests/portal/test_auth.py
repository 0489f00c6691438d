"""Signing in and out: passwords, CSRF, cookie flags, redirects, and the sign-in gate."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import html5lib
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from faircat.catalogue import throttle
from faircat.catalogue.accounts import set_password
from faircat.catalogue.models import LoginThrottle, User
from faircat.catalogue.store import Catalogue
from faircat.cli import main
from faircat.web.app import create_app
from faircat.web.auth import FAILED_LOGIN, THROTTLED_LOGIN
from tests.catalogue.factories import NOW
from tests.conftest import cli_env
from tests.portal.conftest import PASSWORD, SECRET, csrf_token, login, logout, portal_app, text_of


def test_login_sets_a_protected_session_cookie_and_shows_the_dashboard(client, world):
    response = login(client, "pia")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    page = text_of(client.get("/portal/"))
    assert "Signed in as Pia Ibáñez." in page
    assert "My experiments" in page
    assert "Lysozyme soaks under embargo" in page


def test_failed_logins_say_the_same_thing_for_unknown_users_and_wrong_passwords(client, world):
    wrong = login(client, "pia", "not the password")
    unknown = login(client, "nobody", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert FAILED_LOGIN in page
        assert "does not exist" not in page
    assert "Sign in" in text_of(client.get("/portal/login"))
    assert client.get("/portal/curator/").status_code == 302  # still anonymous


def test_inactive_accounts_cannot_sign_in(client, world, catalogue):
    with catalogue.transaction() as session:
        session.scalar(select(User).where(User.username == "paul")).active = False
    assert login(client, "paul").status_code == 401


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/portal/login", data={"username": "pia", "password": PASSWORD})
    assert response.status_code == 400
    assert "did not come from this site" in text_of(response)
    assert client.get("/portal/").get_data(as_text=True).count("Sign in to your experiments")


def test_logout_needs_the_token_and_ends_the_session(client, world):
    login(client, "pia")
    refused = client.post("/portal/logout")
    assert refused.status_code == 400
    assert client.get(f"/portal/experiments/{world.embargoed}").status_code == 200

    page = client.get("/portal/").get_data(as_text=True)
    done = client.post("/portal/logout", data={"csrf_token": csrf_token(page)})
    assert done.status_code == 302
    assert "You are signed out." in text_of(client.get("/portal/login"))
    after = client.get(f"/portal/experiments/{world.embargoed}")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/portal/login?next=")


def test_anonymous_visitors_are_sent_to_login_and_back(client, world):
    target = f"/portal/experiments/{world.embargoed}"
    response = client.get(target)
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/portal/login?next=")
    page = client.get(login_url).get_data(as_text=True)
    assert "Please sign in to see that page." in " ".join(page.split())
    back = client.post(
        login_url,
        data={"username": "pia", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert back.headers["Location"] == target


def test_login_never_redirects_to_another_site(client, world):
    for next_url in ("https://evil.example/portal/", "//evil.example/portal/", "/elsewhere"):
        page = client.get("/portal/login").get_data(as_text=True)
        response = client.post(
            "/portal/login",
            query_string={"next": next_url},
            data={"username": "pia", "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        assert response.headers["Location"] == "/portal/"
        client.post(
            "/portal/logout",
            data={"csrf_token": csrf_token(client.get("/portal/").get_data(as_text=True))},
        )


def test_changing_the_password_ends_existing_sessions(client, world, catalogue):
    login(client, "pia")
    assert client.get("/portal/").status_code == 200
    with catalogue.transaction() as session:
        user = session.scalar(select(User).where(User.username == "pia"))
        set_password(session, user, "a new password, long enough", actor=None)
    assert client.get(f"/portal/experiments/{world.embargoed}").status_code == 302


def test_anonymous_portal_home_is_the_public_landing_page(client, world):
    page = text_of(client.get("/portal/"))
    assert "Public thaumatin" in page
    assert "Lysozyme soaks under embargo" not in page
    assert "Sign in to your experiments" in page


def test_without_a_secret_key_one_is_kept_in_the_instance_folder(catalogue, world):
    settings = dataclasses.replace(catalogue.settings, secret_key="")
    first, second = create_app(settings), create_app(settings)  # two web workers
    key = settings.instance_path / "secret_key"
    assert key.is_file() and key.stat().st_mode & 0o077 == 0  # private to its owner
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.test_client().get("/portal/login").status_code == 200


def test_secure_cookie_flag_is_configurable(catalogue, world):
    client = portal_app(catalogue, SESSION_COOKIE_SECURE=True).test_client()
    response = login(client, "pia")
    assert "Secure" in response.headers["Set-Cookie"]


# -- sign-in throttling --------------------------------------------------------------------------
# Defaults: 5 failures per account name, 50 per client address, in a 15-minute window.


class Clock:
    """The portal's clock (FAIRCAT_NOW), moved by the test instead of sleeping."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def throttled_app(catalogue: Catalogue, clock: Clock, **settings: Any) -> Flask:
    tuned = dataclasses.replace(catalogue.settings, secret_key=SECRET, **settings)
    return create_app(tuned, {"TESTING": True, "FAIRCAT_NOW": clock})


@pytest.fixture
def tapp(catalogue: Catalogue, world, clock: Clock) -> Iterator[Flask]:
    app = throttled_app(catalogue, clock)
    yield app
    app.extensions["faircat"].close()


def client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def fail(client: FlaskClient, username: str, times: int) -> None:
    for _ in range(times):
        assert login(client, username, "not the password").status_code == 401


def counters(catalogue: Catalogue) -> dict[str, int]:
    with catalogue.transaction() as session:
        return {row.key: row.failures for row in session.scalars(select(LoginThrottle))}


def alert_of(response: Any) -> str:
    page = text_of(response)
    start = page.index(THROTTLED_LOGIN)
    return page[start : page.index(")", start) + 1]


def test_five_failures_refuse_the_account_with_429_even_with_the_right_password(tapp, catalogue):
    client = client_at(tapp, "192.0.2.10")
    fail(client, "pia", 5)
    refused = login(client, "pia")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"  # the window started at the first failure
    # NOW is 12:00 UTC, 14:00 in Madrid: the window ends at 14:15 there.
    assert alert_of(refused) == (
        f"{THROTTLED_LOGIN} Signing in is paused to protect accounts from password guessing: "
        "try again after 2026-06-01 14:15 CEST (in 15 minutes)"
    )
    assert FAILED_LOGIN not in text_of(refused)
    html5lib.HTMLParser(strict=True).parse(refused.get_data(as_text=True))  # well formed
    assert client.get("/portal/curator/").status_code == 302  # still anonymous
    # Refusals are not counted: the counter stays at the limit, not beyond.
    assert counters(catalogue) == {"account:pia": 5, "address:192.0.2.10": 5}


def test_the_limit_follows_the_normalised_username(tapp):
    client = client_at(tapp, "192.0.2.10")
    for typed in ("pia", "PIA", " Pia", "pIa ", "pia"):
        fail(client, typed, 1)
    assert login(client, "Pia").status_code == 429


def test_the_window_passing_lets_the_user_in(tapp, clock):
    client = client_at(tapp, "192.0.2.10")
    fail(client, "pia", 1)
    clock.advance(minutes=10)
    fail(client, "pia", 4)
    clock.advance(minutes=4)
    early = login(client, "pia")
    assert early.status_code == 429
    assert early.headers["Retry-After"] == "60"
    assert "(in 1 minute)" in text_of(early)
    clock.advance(minutes=1)  # 15 minutes after the first failure
    assert login(client, "pia").status_code == 302
    assert client.get("/portal/curator/").status_code == 403  # signed in (not a curator)


def test_a_new_window_counts_from_zero(tapp, clock):
    client = client_at(tapp, "192.0.2.10")
    fail(client, "pia", 5)
    clock.advance(minutes=15)
    fail(client, "pia", 4)  # a stale count would refuse the first of these
    assert login(client, "pia").status_code == 302


def test_a_successful_sign_in_resets_the_account_counter(tapp, catalogue):
    client = client_at(tapp, "192.0.2.10")
    fail(client, "pia", 4)
    assert login(client, "pia").status_code == 302
    assert "account:pia" not in counters(catalogue)
    # The address keeps its failures: a valid account must not wash an address clean.
    assert counters(catalogue) == {"address:192.0.2.10": 4}
    logout(client)
    fail(client, "pia", 4)
    assert login(client, "pia").status_code == 302


def test_the_address_limit_counts_failures_across_usernames(catalogue, world, clock):
    app = throttled_app(catalogue, clock, login_address_failures=6)
    try:
        attacker = client_at(app, "198.51.100.7")
        for name in ("pia", "cora", "paul", "otto", "nobody", "admin"):
            fail(attacker, name, 1)  # one failure each: no account is near its limit
        for name in ("cure", "pia"):
            refused = login(attacker, name)  # the right password, from the full address
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "900"
            assert THROTTLED_LOGIN in text_of(refused)
        # The accounts themselves are not locked: pia signs in from her own address.
        assert login(client_at(app, "192.0.2.10"), "pia").status_code == 302
    finally:
        app.extensions["faircat"].close()


def test_an_ipv6_client_is_counted_by_its_64(catalogue, world, clock):
    app = throttled_app(catalogue, clock, login_address_failures=2)
    try:
        fail(client_at(app, "2001:db8:1:2::1"), "nobody", 1)
        fail(client_at(app, "2001:db8:1:2:ffff::9"), "nobody2", 1)
        assert login(client_at(app, "2001:db8:1:2::abcd"), "pia").status_code == 429
        assert login(client_at(app, "2001:db8:1:3::1"), "pia").status_code == 302
    finally:
        app.extensions["faircat"].close()


def test_unknown_usernames_are_throttled_exactly_like_accounts(tapp):
    client = client_at(tapp, "192.0.2.10")
    fail(client, "pia", 5)
    fail(client, "nobody", 5)
    known, unknown = login(client, "pia"), login(client, "nobody")
    assert known.status_code == unknown.status_code == 429
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]
    assert alert_of(known) == alert_of(unknown)
    assert "does not exist" not in text_of(unknown)


def test_refusals_are_logged_for_operators(tapp, caplog):
    client = client_at(tapp, "192.0.2.10")
    with caplog.at_level(logging.WARNING, logger="faircat.catalogue.throttle"):
        fail(client, "pia", 5)
        reached = [r.getMessage() for r in caplog.records]
        assert len(reached) == 1
        assert "'account:pia' reached 5 failed sign-ins" in reached[0]
        caplog.clear()
        login(client, "pia")
        login(client, "pia")
    refusals = [r for r in caplog.records if "sign-in refused" in r.getMessage()]
    assert len(refusals) == 2 and all(r.levelno == logging.WARNING for r in refusals)
    assert "'account:pia'" in refusals[0].getMessage()
    assert "'address:192.0.2.10'" in refusals[0].getMessage()  # who was guessing


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(catalogue, world, clock):
    direct = throttled_app(catalogue, clock, login_address_failures=2)
    proxied = throttled_app(catalogue, clock, login_address_failures=2, web_trusted_proxies=1)
    try:
        client = client_at(direct, "192.0.2.10")
        for fake in ("203.0.113.1", "203.0.113.2"):
            page = client.get("/portal/login").get_data(as_text=True)
            client.post(
                "/portal/login",
                data={"username": "x", "password": "y", "csrf_token": csrf_token(page)},
                headers={"X-Forwarded-For": fake},
            )
        assert login(client, "pia").status_code == 429  # the header did not hide the peer

        nginx = client_at(proxied, "127.0.0.1")
        for forwarded in ("203.0.113.9", "10.0.0.1, 203.0.113.9"):  # first part: forgeable
            page = nginx.get("/portal/login").get_data(as_text=True)
            nginx.post(
                "/portal/login",
                data={"username": "x", "password": "y", "csrf_token": csrf_token(page)},
                headers={"X-Forwarded-For": forwarded},
            )
        assert "address:203.0.113.9" in counters(catalogue)
        page = nginx.get("/portal/login").get_data(as_text=True)
        other = nginx.post(
            "/portal/login",
            data={"username": "pia", "password": PASSWORD, "csrf_token": csrf_token(page)},
            headers={"X-Forwarded-For": "198.51.100.20"},
        )
        assert other.status_code == 302  # another client behind the same proxy
    finally:
        direct.extensions["faircat"].close()
        proxied.extensions["faircat"].close()


def test_two_concurrent_failures_are_both_counted(tapp, catalogue):
    clients = [client_at(tapp, "192.0.2.10"), client_at(tapp, "192.0.2.11")]
    tokens = [csrf_token(c.get("/portal/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def attempt(client: FlaskClient, token: str) -> None:
        start.wait()
        data = {"username": "pia", "password": "wrong", "csrf_token": token}
        statuses.append(client.post("/portal/login", data=data).status_code)

    threads = [
        threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [401, 401]
    assert counters(catalogue)["account:pia"] == 2


def test_concurrent_guesses_never_get_more_than_the_limit(catalogue):
    """Twenty workers guessing at one new key at once: exactly five password checks."""
    policy = throttle.Policy(account_failures=5, address_failures=0)
    start = threading.Barrier(20)
    outcomes: list[throttle.Attempt] = []

    def guess() -> None:
        start.wait()
        outcomes.append(throttle.begin(catalogue.engine, policy, ["account:pia"], NOW))

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted = [a for a in outcomes if not a.refused]
    assert len(counted) == 5
    assert sorted(a.counted[0].failures for a in counted) == [1, 2, 3, 4, 5]
    assert all(a.retry_at == NOW + timedelta(minutes=15) for a in outcomes if a.refused)
    assert counters(catalogue) == {"account:pia": 5}


def test_rows_whose_window_ended_are_deleted(catalogue):
    policy = throttle.Policy()
    keys = ["account:pia", "address:192.0.2.10"]
    throttle.begin(catalogue.engine, policy, keys, NOW)
    later = NOW + timedelta(minutes=20)
    throttle.begin(catalogue.engine, policy, ["account:otto"], later)  # a new key: a purge
    assert counters(catalogue) == {"account:otto": 1}
    assert throttle.purge(catalogue.engine, policy.window, later + timedelta(minutes=15)) == 1
    assert counters(catalogue) == {}


def test_limits_of_zero_switch_throttling_off(catalogue, world, clock):
    app = throttled_app(catalogue, clock, login_account_failures=0, login_address_failures=0)
    try:
        client = client_at(app, "192.0.2.10")
        fail(client, "pia", 7)
        assert login(client, "pia").status_code == 302
        assert counters(catalogue) == {}
    finally:
        app.extensions["faircat"].close()


def test_an_operator_can_unlock_an_account_and_an_address(tapp, catalogue):
    client = client_at(tapp, "192.0.2.10")
    fail(client, "pia", 5)
    env = cli_env(catalogue.settings)
    runner = CliRunner()
    done = runner.invoke(main, ["user", "unlock", " Pia", "--address", "192.0.2.10"], env=env)
    assert done.exit_code == 0, done.output
    assert "cleared 2 counter(s) of account:pia, address:192.0.2.10" in done.output
    assert login(client, "pia").status_code == 302
    again = runner.invoke(main, ["user", "unlock", "pia"], env=env)
    assert "nothing to clear for account:pia" in again.output
    assert runner.invoke(main, ["user", "unlock"], env=env).exit_code == 2


def test_client_address_keys():
    assert throttle.address_key("192.0.2.1") == "address:192.0.2.1"
    assert throttle.address_key("::ffff:192.0.2.1") == "address:192.0.2.1"
    assert throttle.address_key("2001:db8:a:b:c:d:e:f") == "address:2001:db8:a:b::/64"
    assert throttle.address_key("fe80::1%eth0") == "address:fe80::/64"
    assert throttle.address_key(None) is None
    assert throttle.account_key(" Pia ") == "account:pia"
    assert len(throttle.account_key("x" * 400)) == 255
