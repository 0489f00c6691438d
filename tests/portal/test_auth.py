"""Signing in and out: passwords, CSRF, cookie flags, redirects, and the sign-in gate."""

from __future__ import annotations

import dataclasses

from argon2 import PasswordHasher
from sqlalchemy import select

from faircat.catalogue.models import User
from faircat.web.app import create_app
from faircat.web.auth import FAILED_LOGIN
from tests.portal.conftest import PASSWORD, csrf_token, login, portal_app, text_of


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
        user.password_hash = PasswordHasher().hash("a new password")
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
