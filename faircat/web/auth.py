"""Signing in and out of the portal: username + password (argon2), Flask-Login sessions.

The session cookie holds only a random session secret; the session itself lives in the catalogue
(:mod:`faircat.catalogue.sessions`) and is checked on every request. Signing out deletes it, a
password change or deactivation deletes all of the account's sessions, so a cookie saved before
any of these opens nothing when replayed, on any worker.

Failed sign-ins are throttled per account name and per client address through the catalogue
database (:mod:`faircat.catalogue.throttle`), so the limits hold across every web worker: a key
at its limit is answered 429 with ``Retry-After``, without its password being checked.

Facility sign-in (OpenID Connect, :mod:`faircat.web.oidc`) ends in the same two steps,
:func:`start_session` and :func:`sign_in`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue import sessions, throttle
from faircat.catalogue.accounts import verify_password
from faircat.catalogue.models import User
from faircat.catalogue.vocab import Role
from faircat.web import context
from faircat.web.forms import LoginForm, LogoutForm

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "portal.auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

MAX_NEXT = 2048
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%#]+")

FAILED_LOGIN = "Unknown username or wrong password."
# The same words whichever key is at its limit and whether or not the account exists.
THROTTLED_LOGIN = "Too many failed sign-in attempts."

# Verifying against this hash when the username is unknown makes a failed login take as long
# for a missing account as for a wrong password, so timing does not reveal which accounts exist.
_DUMMY_HASH: str | None = None


@dataclass(frozen=True)
class Account:
    """The signed-in person as Flask-Login sees it: plain values, no database session."""

    user_id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    session_secret: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {Role.CURATOR, Role.ADMIN})

    def get_id(self) -> str:
        return self.session_secret


def _account(user: User, secret: str) -> Account:
    return Account(user.id, user.username, user.full_name, user.role_names, secret)


@login_manager.user_loader
def load_account(secret: str) -> Account | None:
    # Called once per request with the cookie's secret: one indexed lookup, on every worker.
    if not isinstance(secret, str):
        return None
    with context.catalogue().transaction() as db:
        user = sessions.resolve(db, secret, context.now())
        return None if user is None else _account(user, secret)


def session_lifetime() -> timedelta:
    from flask import current_app

    return current_app.permanent_session_lifetime


def _username(typed: str) -> str:
    # Usernames are lower case (accounts.add_user); "Pia " signs in as "pia".
    return typed.strip().lower()


def _check_password(user: User | None, password: str) -> bool:
    global _DUMMY_HASH
    if user is not None:
        return verify_password(user, password)
    if _DUMMY_HASH is None:
        _DUMMY_HASH = PasswordHasher().hash("faircat-no-such-account")
    stand_in = User(username="-", full_name="-", password_hash=_DUMMY_HASH, active=True)
    verify_password(stand_in, password)
    return False


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path inside the portal, never another site."""
    portal_home = url_for("portal.home")
    # Only the characters a URL path and query may hold: CR/LF would split the Location
    # header, a backslash is read as "/" by browsers ("/\\evil.org"), spaces and controls
    # have no business here. Anything else falls back to the portal's home.
    if not target or len(target) > MAX_NEXT or not _URL_CHARS.fullmatch(target):
        return portal_home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(portal_home):
        return portal_home
    return target


def signing_disabled() -> bool:
    from flask import current_app

    return not current_app.config.get("SECRET_KEY")


def _login_page(
    form: LoginForm | None, status: int, *, disabled: bool = False
) -> ResponseReturnValue:
    page = render_template(
        "portal/login.html", form=form, disabled=disabled, throttled=None, retry_at=None
    )
    return page, status


def _refused_page(form: LoginForm, retry_at: datetime, retry_after: int) -> ResponseReturnValue:
    """429: the same page and words for every refused key, known username or not."""
    page = render_template(
        "portal/login.html",
        form=form,
        disabled=False,
        throttled=THROTTLED_LOGIN,
        retry_at=retry_at,
        retry_minutes=math.ceil(retry_after / 60),
    )
    return page, 429, {"Retry-After": str(retry_after)}


def start_session(db: Session, user: User, at: datetime) -> Account:
    """A server-side session for ``user`` (password or facility sign-in alike)."""
    return _account(user, sessions.start(db, user, at, session_lifetime()))


def sign_in(account: Account) -> None:
    """Make ``account`` this browser's, in a fresh cookie session."""
    session.clear()  # a fresh session at login: no fixation of a session set before
    login_user(account)
    session.permanent = True
    flash(f"Signed in as {account.full_name}.", "success")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if signing_disabled():
        # Without a secret key, session cookies cannot be signed: say so instead of a 500.
        return _login_page(None, 503, disabled=True)
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = _username(form.username.data)
        catalogue = context.catalogue()
        at = context.now()
        policy = throttle.Policy.from_settings(catalogue.settings)
        # remote_addr is the peer, or the X-Forwarded-For entry of web_trusted_proxies (app.py).
        keys = (throttle.address_key(request.remote_addr), throttle.account_key(username))
        attempt = throttle.begin(catalogue.engine, policy, keys, at)
        if attempt.retry_at is not None:  # refused
            return _refused_page(form, attempt.retry_at, attempt.retry_after(at))
        with catalogue.transaction() as db:
            user = db.scalar(select(User).where(User.username == username))
            ok = _check_password(user, form.password.data)
            account = start_session(db, user, at) if ok and user is not None else None
        if account is not None:
            throttle.succeeded(catalogue.engine, attempt)
            sign_in(account)
            return redirect(safe_next(request.args.get("next")))
        throttle.failed(attempt, policy)
        form.password.errors.append(FAILED_LOGIN)
        return _login_page(form, 401)
    return _login_page(form, 400 if form.is_submitted() else 200)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            with context.catalogue().transaction() as db:
                sessions.end(db, current_user.session_secret)
        logout_user()
        session.clear()
        flash("You are signed out.", "success")
    return redirect(url_for("portal.auth.login"))


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
