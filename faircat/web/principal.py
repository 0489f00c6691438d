"""Who is asking, for the views that serve data to people and scripts alike.

A request is made by an API token (``Authorization: Bearer fct_...``), by a signed-in portal
session, or by nobody (anonymous: public data only). A token bound to an instrument reaches only
that instrument's experiments (:mod:`faircat.catalogue.access`). A request that sends a token
which is unknown, revoked or expired is refused with 401: falling back to anonymous would turn a
typo into "there is no data" instead of saying what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, make_response, request
from flask_login import current_user
from sqlalchemy.orm import Session

from faircat.catalogue.access import ANONYMOUS, Principal, principal_for
from faircat.catalogue.accounts import authenticate_token
from faircat.catalogue.models import User
from faircat.errors import ValidationError
from faircat.web import context


@dataclass(frozen=True)
class Caller:
    principal: Principal
    user: User | None
    via_token: bool = False


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        _unauthorised("use 'Authorization: Bearer <token>'")
    return secret.strip()


def current_caller(db: Session) -> Caller:
    """The caller of this request, its rows loaded in ``db``."""
    secret = bearer_secret()
    if secret is not None:
        try:
            token = authenticate_token(db, secret, context.now())
        except ValidationError as error:
            _unauthorised(str(error))
        return Caller(
            principal_for(token.user, token_instrument=token.instrument_id),
            token.user,
            via_token=True,
        )
    if current_user.is_authenticated:
        user = db.get(User, current_user.user_id)
        if user is not None and user.active:
            return Caller(principal_for(user), user)
    return Caller(ANONYMOUS, None)


def _unauthorised(message: str) -> None:
    response = make_response({"error": "unauthorised", "message": message}, 401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="faircat"'
    abort(response)
