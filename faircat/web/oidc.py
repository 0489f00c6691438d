"""Facility sign-in: OpenID Connect (authorization code flow with PKCE) next to local accounts.

Optional: without ``oidc_issuer`` the routes answer 404 and the sign-in page shows no button.
The client is Authlib's Flask client; it keeps state, nonce and PKCE verifier of a pending
sign-in in the (signed) cookie session, under the state's key, so the callback only completes
a flow that this browser started, once. The ID token's signature is checked with the
provider's JWKS, and its ``iss``, ``aud``, ``exp`` and ``nonce`` against what this flow
expects; only then is the account looked up by the configured claim. Accounts are never
created here: facility sign-in opens existing catalogue accounts, and an active one only.

A verified account gets exactly the session of a password sign-in (:func:`auth.start_session`,
:func:`auth.sign_in`): a server-side row, so signing out, deactivation and ``faircat user
signout`` end it the same way. Every failure is a page saying what happened and whom to ask,
never a 5xx, and nothing is signed in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from joserfc.errors import JoseError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue import sessions
from faircat.catalogue.models import User
from faircat.catalogue.orcid import normalise_orcid
from faircat.config import Settings
from faircat.errors import ValidationError
from faircat.web import auth, context

bp = Blueprint("oidc", __name__)
log = logging.getLogger(__name__)

CLIENT_NAME = "facility"
_EXTENSION = "faircat.oidc"
_TIMEOUT = 10  # seconds for each back-channel call: a hung provider must not hold a worker
# Pending sign-ins kept in the cookie: two tabs may sign in at once, but an endless series of
# started flows must not grow the cookie past what browsers keep (which would sign people out).
_PENDING_FLOWS = 3
_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# Errors a provider may send back (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6) that we name on the
# page. Anything else, and every error_description, is only logged: a crafted callback link
# must not put someone else's words on our page.
_KNOWN_ERRORS = frozenset(
    {"access_denied", "login_required", "consent_required", "interaction_required"}
    | {"account_selection_required", "temporarily_unavailable", "server_error"}
    | {"invalid_request", "invalid_scope", "unauthorized_client"}
)


@dataclass
class Refusal(Exception):
    """Why a facility sign-in ended without a session; shown on the error page."""

    status: int
    title: str
    message: str
    contact: bool = True  # say whom to write to
    stale: bool = False  # the answer belongs to no pending flow of this browser


def settings() -> Settings:
    return context.catalogue().settings


def label() -> str | None:
    """The "Sign in with ..." name, or None when facility sign-in is off."""
    current = settings()
    if not current.oidc_issuer:
        return None
    return current.oidc_label or current.facility_name


@bp.app_context_processor
def oidc_globals() -> dict[str, Any]:
    # The sign-in page (auth.py) shows the button; it needs to know whether there is one.
    return {"oidc_label": label}


def _discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _client() -> FlaskOAuth2App:
    """Authlib's client for this app, built on first use (discovery is fetched then, lazily)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = app.extensions.get(_EXTENSION)
    if client is None:
        current = settings()
        oauth = OAuth(app)
        client = oauth.register(
            CLIENT_NAME,
            client_id=current.oidc_client_id,
            client_secret=current.oidc_client_secret or None,
            server_metadata_url=_discovery_url(current.oidc_issuer),
            client_kwargs={
                "scope": current.oidc_scopes,
                "code_challenge_method": "S256",
                "default_timeout": _TIMEOUT,
            },
        )
        app.extensions[_EXTENSION] = client
    return client  # type: ignore[no-any-return]


def _metadata(client: FlaskOAuth2App) -> dict[str, Any]:
    """The provider's discovery document, checked against our settings (OIDC Discovery 4.3)."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        log.warning("facility sign-in: discovery failed: %s", exc)
        raise _unreachable() from None
    issuer = settings().oidc_issuer
    # An issuer that is not the one configured could be anybody's: its tokens prove nothing.
    if str(metadata.get("issuer", "")).rstrip("/") != issuer.rstrip("/") or not all(
        isinstance(metadata.get(key), str)
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
    ):
        # Drop what was loaded, so a corrected provider is read again without a restart.
        client.server_metadata.pop("_loaded_at", None)
        log.error("facility sign-in: discovery document of %s does not match it", issuer)
        raise _unreachable()
    # ID tokens must carry a public-key signature, whatever the document announces: "none"
    # would let unsigned tokens through, HMAC would make the client secret a signing key.
    announced = metadata.get("id_token_signing_alg_values_supported")
    usable = [alg for alg in announced if alg in _ALGORITHMS] if isinstance(announced, list) else []
    metadata["id_token_signing_alg_values_supported"] = usable or ["RS256"]  # RS256: OIDC default
    return metadata  # type: ignore[no-any-return]


def _unreachable() -> Refusal:
    return Refusal(
        502,
        "The facility sign-in service did not answer",
        "The data catalogue could not reach the facility's sign-in service, or did not "
        "understand its answer. Nothing was signed in. Try again later, or sign in with your "
        "username and password.",
    )


def _claims_options(metadata: dict[str, Any]) -> dict[str, Any]:
    # Authlib checks iss by default but aud only through azp; say both explicitly.
    return {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": settings().oidc_client_id},
        "exp": {"essential": True},
    }


def _forget_old_flows(client: FlaskOAuth2App) -> None:
    prefix = f"_state_{client.name}_"
    pending = sorted(
        (key for key in session if key.startswith(prefix)),
        key=lambda key: session[key].get("exp", 0) if isinstance(session[key], dict) else 0,
    )
    for key in pending[: max(len(pending) - (_PENDING_FLOWS - 1), 0)]:
        session.pop(key, None)


def _failed(refusal: Refusal) -> ResponseReturnValue:
    page = render_template(
        "portal/oidc_error.html",
        status=refusal.status,
        title=refusal.title,
        message=refusal.message,
        contact=settings().oai_admin_email if refusal.contact else None,
    )
    return page, refusal.status


def _available() -> Refusal | None:
    if not settings().oidc_issuer:
        abort(404)
    if auth.signing_disabled():
        return Refusal(
            503,
            "Signing in is switched off",
            "This server has no secret key to sign session cookies. An administrator must "
            "set FAIRCAT_SECRET_KEY.",
        )
    return None


@bp.get("/login/oidc")
def start() -> ResponseReturnValue:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    refusal = _available()
    if refusal is not None:
        return _failed(refusal)
    target = auth.safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target)
    client = _client()
    try:
        _metadata(client)
        callback_url = settings().oidc_redirect_uri or url_for(".callback", _external=True)
        flow = client.create_authorization_url(callback_url)
    except Refusal as refused:
        return _failed(refused)
    _forget_old_flows(client)
    # Where to go afterwards travels with the flow's state, so two tabs keep their own.
    client.save_authorize_data(
        redirect_uri=callback_url,
        next=target,
        state=flow["state"],
        nonce=flow["nonce"],
        code_verifier=flow["code_verifier"],
    )
    return redirect(flow["url"])


@bp.get("/login/oidc/callback")
def callback() -> ResponseReturnValue:
    """Check the provider's answer, find the account, start its session."""
    refusal = _available()
    if refusal is not None:
        return _failed(refusal)
    client = _client()
    state = request.args.get("state", "")
    pending = client.framework.get_state_data(session, state) if state else None
    try:
        claims = _verified_claims(client, state)
        with context.catalogue().transaction() as db:
            user = _account_for(db, claims)
            if current_user.is_authenticated:  # signed in meanwhile: that session ends here
                sessions.end(db, current_user.session_secret)
            account = auth.start_session(db, user, context.now())
    except Refusal as refused:
        if refused.stale and current_user.is_authenticated:
            # Another tab finished signing in first (which dropped this flow's state).
            return redirect(url_for("portal.home"))
        return _failed(refused)
    auth.sign_in(account)
    log.info("facility sign-in of %s", account.username)
    target = pending.get("next") if isinstance(pending, dict) else None
    return redirect(auth.safe_next(target if isinstance(target, str) else None))


def _verified_claims(client: FlaskOAuth2App, state: str) -> dict[str, Any]:
    """The ID token's claims (completed from UserInfo) once every check passed."""
    error = request.args.get("error")
    if error is not None:
        if state:
            client.framework.clear_state_data(session, state)
        log.warning(
            "facility sign-in: provider answered %.64r: %.200r",
            error,
            request.args.get("error_description"),
        )
        named = error if error in _KNOWN_ERRORS else "an error"
        raise Refusal(
            403 if error == "access_denied" else 400,
            "The facility sign-in service did not sign you in",
            f"It answered with {named}. Nothing was signed in. Try again, or sign in with "
            "your username and password.",
        )
    if not state or not request.args.get("code"):
        raise _stale()
    metadata = _metadata(client)
    try:
        token = client.authorize_access_token(claims_options=_claims_options(metadata))
    except MismatchingStateError:  # no pending flow of this browser has that state
        raise _stale() from None
    except AuthlibBaseError as exc:
        log.warning("facility sign-in: token request refused: %s", exc)
        raise _unverified() from None
    except JoseError as exc:  # signature, iss, aud, exp, nonce, a token that is not a JWT
        log.warning("facility sign-in: ID token rejected: %s", exc)
        raise _unverified() from None
    except (requests.RequestException, ValueError, TypeError) as exc:
        log.warning("facility sign-in: token request failed: %s", exc)
        raise _unreachable() from None
    claims = token.get("userinfo")
    if not claims:  # no ID token at all: an OAuth answer proves nobody's identity
        log.warning("facility sign-in: the token response has no ID token")
        raise _unverified()
    return _completed(client, token, dict(claims))


def _completed(
    client: FlaskOAuth2App, token: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """Fetch UserInfo when the ID token lacks what matching needs (many providers keep
    e-mail and profile claims there)."""
    current = settings()
    needed = [current.oidc_match_claim]
    if current.oidc_match_field == "email":
        needed.append("email_verified")
    if all(name in claims for name in needed):
        return claims
    try:
        info = client.userinfo(token=token)
    except (AuthlibBaseError, requests.RequestException, ValueError, TypeError, KeyError) as exc:
        log.warning("facility sign-in: userinfo failed: %s", exc)
        raise _unreachable() from None
    # OIDC Core 5.3.2: a UserInfo answer about someone else must not be used.
    if info.get("sub") != claims.get("sub"):
        log.warning("facility sign-in: userinfo sub differs from the ID token's")
        raise _unverified()
    return {**info, **claims}


def _stale() -> Refusal:
    return Refusal(
        400,
        "This sign-in cannot be completed",
        "The answer from the facility sign-in service does not belong to a sign-in started "
        "in this browser, was already used, or came too late. Nothing was signed in. Start "
        "again from the sign-in page.",
        contact=False,
        stale=True,
    )


def _unverified() -> Refusal:
    return Refusal(
        400,
        "The sign-in could not be verified",
        "The answer from the facility sign-in service did not pass the catalogue's checks. "
        "Nothing was signed in. Try again; if this keeps happening, tell the data team.",
    )


def _account_for(db: Session, claims: dict[str, Any]) -> User:
    """The active account the configured claim names; a Refusal otherwise."""
    current = settings()
    claim, field = current.oidc_match_claim, current.oidc_match_field
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        log.warning("facility sign-in: the provider sent no usable %r claim", claim)
        raise Refusal(
            403,
            "Your facility account cannot be matched",
            f"The facility sign-in service did not tell the catalogue your {claim}, which it "
            "needs to find your account. Nothing was signed in.",
        )
    value = value.strip()
    if field == "email":
        # An unverified address could be anybody's: matching on it would hand accounts over.
        if claims.get("email_verified") not in (True, "true"):
            raise Refusal(
                403,
                "Your e-mail address is not verified",
                f"The facility sign-in service has not verified {value}, so the catalogue "
                "cannot use it to find your account. Verify it with the facility's user "
                "office, then sign in again. Nothing was signed in.",
            )
        where = func.lower(User.email) == value.lower()
    elif field == "orcid":
        try:
            where = User.orcid == normalise_orcid(value)
        except ValidationError:
            where = None
    else:
        where = User.username == value.lower()  # usernames are lower case (accounts.add_user)
    found = db.scalars(select(User).where(where).limit(2)).all() if where is not None else []
    if len(found) != 1:
        log.warning("facility sign-in: no single account with %s %r", field, value)
        raise Refusal(
            403,
            "Your account is not registered with the data catalogue",
            f"You signed in at the facility as {value}, but no account of the data catalogue "
            "belongs to that identity. Accounts are created by the facility's data team: "
            "write to them to have yours registered. Nothing was signed in.",
        )
    user = found[0]
    if not user.active:
        log.warning("facility sign-in: account %s is deactivated", user.username)
        raise Refusal(
            403,
            "This account is switched off",
            "Your catalogue account is deactivated, so it cannot sign in, with a password or "
            "through the facility. Nothing was signed in.",
        )
    return user
