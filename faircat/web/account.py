"""The signed-in person's account page: who they are, their password, their sessions.

Changing the password ends every other session of the account (a cookie copied from another
browser stops working at once) and keeps this one. "Sign out everywhere else" does the same
without a new password, for a laptop left signed in somewhere.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from faircat.catalogue import accounts, sessions
from faircat.errors import ValidationError
from faircat.web import context
from faircat.web.forms import PasswordForm, SignOutEverywhereForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
def show() -> ResponseReturnValue:
    return _render(PasswordForm(formdata=None))


def _render(form: PasswordForm, status: int = 200) -> ResponseReturnValue:
    with context.catalogue().transaction() as db:
        user = context.me(db)
        page = render_template(
            "portal/account.html",
            current="account",
            user=user,
            roles=sorted(user.role_names),
            form=form,
            everywhere=SignOutEverywhereForm(),
            other_sessions=max(sessions.count(db, user.id, context.now()) - 1, 0),
            has_password=bool(user.password_hash),
        )
    return page, status


@bp.post("/password")
def change_password() -> ResponseReturnValue:
    form = PasswordForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    with context.catalogue().transaction() as db:
        user = context.me(db)
        if not accounts.verify_password(user, form.current.data):
            form.current.errors = ["The current password is wrong."]
            return _render(form, 422)
        try:
            ended = accounts.set_password(
                db, user, form.new.data, actor=user, keep_session=current_user.session_secret
            )
        except ValidationError as error:
            db.rollback()
            form.new.errors = [f"{error}".capitalize() + "."]
            return _render(form, 422)
    flash(_ended("Password changed.", ended), "success")
    return redirect(url_for(".show"))


@bp.post("/sessions/end")
def end_other_sessions() -> ResponseReturnValue:
    form = SignOutEverywhereForm()
    if form.validate_on_submit():
        with context.catalogue().transaction() as db:
            user = context.me(db)
            ended = sessions.end_all(db, user.id, keep=current_user.session_secret)
        flash(_ended("Done.", ended), "success")
    return redirect(url_for(".show"))


def _ended(prefix: str, count: int) -> str:
    if count == 0:
        return f"{prefix} You were not signed in anywhere else."
    return f"{prefix} Signed out of {count} other session{'s' if count != 1 else ''}."
