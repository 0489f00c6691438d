"""Sessions end server-side: a cookie saved before sign-out, a password change or a
deactivation opens nothing when replayed, in this browser or a copied one."""

from __future__ import annotations

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from faircat.catalogue import accounts, sessions
from faircat.catalogue.models import AuditEvent, LoginSession, User
from faircat.cli import main
from faircat.web.app import create_app
from tests.catalogue.factories import NOW
from tests.conftest import cli_env
from tests.portal.conftest import PASSWORD, SECRET, login, post_form, text_of

COOKIE = "session"


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def _replay(app: Flask, cookie: str) -> FlaskClient:
    """A second browser holding a copy of ``cookie`` (as an attacker who saved it would)."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return other


def _restricted(client: FlaskClient, world) -> int:
    return client.get(f"/portal/experiments/{world.embargoed}").status_code


def test_a_cookie_saved_before_sign_out_opens_nothing_afterwards(app, client, world):
    login(client, "pia")
    saved = _cookie(client)
    assert _restricted(_replay(app, saved), world) == 200  # the copy works while signed in
    post_form(client, "/portal/", "/portal/logout", {})
    replayed = _replay(app, saved)
    response = replayed.get(f"/portal/experiments/{world.embargoed}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/login")
    assert "Lysozyme" not in response.get_data(as_text=True)


def test_sign_out_ends_only_this_browsers_session(app, world, catalogue):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "pia")
    login(phone, "pia")
    post_form(laptop, "/portal/", "/portal/logout", {})
    assert _restricted(laptop, world) == 302
    assert _restricted(phone, world) == 200


def test_the_cookie_holds_no_user_id_and_the_table_no_secret(app, client, world, catalogue):
    login(client, "pia")
    with catalogue.transaction() as db:
        rows = db.scalars(select(LoginSession)).all()
        pia = db.scalar(select(User).where(User.username == "pia"))
        assert [row.user_id for row in rows] == [pia.id]
        assert rows[0].expires_at == NOW + app.permanent_session_lifetime
        stored = rows[0].id_hash
    # Flask's cookie is signed, not encrypted: decode it and look inside.
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(_cookie(client))
    secret = data["_user_id"]
    assert secret not in stored and len(secret) >= 40
    assert str(pia.id) != secret


def test_a_forged_or_expired_secret_is_refused(app, client, world, catalogue):
    login(client, "pia")
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(_cookie(client))
    forged = dict(data, _user_id="0" * 43)
    assert _restricted(_replay(app, serializer.dumps(forged)), world) == 302
    later = create_app(
        app.extensions["faircat"].settings,
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "FAIRCAT_NOW": lambda: NOW + app.permanent_session_lifetime,
        },
    )
    try:
        assert _restricted(_replay(later, _cookie(client)), world) == 302
    finally:
        later.extensions["faircat"].close()


def test_a_password_change_in_the_portal_signs_out_every_other_browser(app, world, catalogue):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "pia")
    login(elsewhere, "pia")
    saved_here = _cookie(here)
    new = "a much longer new password"
    response = post_form(
        here,
        "/portal/account/",
        "/portal/account/password",
        {"current": PASSWORD, "new": new, "confirm": new},
    )
    assert response.status_code == 302
    assert "Signed out of 1 other session." in text_of(here.get("/portal/account/"))
    assert _restricted(here, world) == 200  # the browser that changed it stays signed in
    assert _restricted(_replay(app, saved_here), world) == 200  # (it is the same session)
    assert _restricted(elsewhere, world) == 302
    login(elsewhere, "pia", new)
    assert _restricted(elsewhere, world) == 200
    with catalogue.transaction() as db:
        actions = db.scalars(select(AuditEvent.action)).all()
    assert "user.password" in actions


def test_the_password_form_names_each_problem_and_changes_nothing(app, client, world, catalogue):
    login(client, "pia")
    cases = [
        ({"current": "wrong password!", "new": "x" * 20, "confirm": "x" * 20}, "is wrong"),
        ({"current": PASSWORD, "new": "short", "confirm": "short"}, "at least 12 characters"),
        ({"current": PASSWORD, "new": "y" * 20, "confirm": "z" * 20}, "two new passwords differ"),
    ]
    for data, message in cases:
        response = post_form(client, "/portal/account/", "/portal/account/password", data)
        assert response.status_code == 422
        assert message in text_of(response)
    other = app.test_client()
    assert login(other, "pia").status_code == 302  # the old password still works


def test_sign_out_everywhere_else(app, world):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "pia")
    login(elsewhere, "pia")
    assert "also signed in in 1 other" in text_of(here.get("/portal/account/"))
    post_form(here, "/portal/account/", "/portal/account/sessions/end", {})
    assert _restricted(here, world) == 200
    assert _restricted(elsewhere, world) == 302
    assert "signed in only here" in text_of(here.get("/portal/account/"))


def test_deactivation_ends_sessions_at_once(app, client, world, catalogue):
    login(client, "pia")
    saved = _cookie(client)
    with catalogue.transaction() as db:
        pia = db.scalar(select(User).where(User.username == "pia"))
        assert accounts.set_active(db, pia, False, actor=None) == 1
    assert _restricted(client, world) == 302
    with catalogue.transaction() as db:
        pia = db.scalar(select(User).where(User.username == "pia"))
        accounts.set_active(db, pia, True, actor=None)
    # Activating again does not bring the ended session back.
    assert _restricted(_replay(app, saved), world) == 302


def test_operators_end_sessions_from_the_command_line(app, client, world, settings):
    login(client, "pia")
    runner = CliRunner()
    env = cli_env(settings)
    result = runner.invoke(main, ["user", "signout", "pia"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 portal session ended for pia" in result.output
    assert _restricted(client, world) == 302

    login(client, "pia")
    result = runner.invoke(
        main, ["user", "password", "pia", "--password-stdin"], env=env, input="short\n"
    )
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    assert _restricted(client, world) == 200  # a refused password ends nothing
    result = runner.invoke(
        main,
        ["user", "password", "pia", "--password-stdin"],
        env=env,
        input="a brand new passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "1 portal session ended" in result.output
    assert _restricted(client, world) == 302
    assert login(client, "pia", "a brand new passphrase").status_code == 302

    result = runner.invoke(main, ["user", "deactivate", "pia"], env=env)
    assert result.exit_code == 0 and "1 portal session ended" in result.output
    assert _restricted(client, world) == 302
    assert login(client, "pia", "a brand new passphrase").status_code == 401
    listing = runner.invoke(main, ["user", "list"], env=env).output
    assert "(deactivated)" in listing
    result = runner.invoke(main, ["user", "activate", "pia"], env=env)
    assert result.exit_code == 0
    assert login(client, "pia", "a brand new passphrase").status_code == 302


def test_expired_rows_are_purged_by_later_sign_ins(catalogue, world):
    from datetime import timedelta

    with catalogue.transaction() as db:
        pia = db.scalar(select(User).where(User.username == "pia"))
        sessions.start(db, pia, NOW - timedelta(days=2), timedelta(hours=12))
        sessions.start(db, pia, NOW, timedelta(hours=12))
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 1

