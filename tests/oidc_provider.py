"""A real OpenID Connect provider for tests, built from Authlib's own server components.

Served by werkzeug on a free port of 127.0.0.1 in a thread (the portal's client makes
back-channel HTTP calls to it): discovery, JWKS, an authorization endpoint with a login page
(pick a person, or deny), the token endpoint (authorization code, PKCE, ID tokens signed RS256)
and UserInfo. Knobs make it misbehave like a broken or hostile provider: ``tamper`` overrides
ID token claims (aud, nonce, exp, iss...), ``signing_key`` signs with a key it does not
publish, ``claims_in_id_token`` False keeps everything but ``sub`` for UserInfo.
"""

from __future__ import annotations

import hmac
import html
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfo, UserInfoEndpoint
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

CLIENT_ID = "faircat-portal"
CLIENT_SECRET = "test-client-secret"
KEY_ID = "test-key-1"


def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})


@dataclass
class Person:
    """Someone who can sign in at the provider: ``sub`` and the rest of their claims."""

    sub: str
    claims: dict[str, Any]


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scope: str = "openid profile email"
    client_metadata: dict[str, Any] = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in self.scope.split())

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: Person
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class Token(TokenMixin):
    access_token: str
    client: Client
    person: Person
    scope: str
    issued_at: float
    expires_in: int

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> Person:
        return self.person

    def get_client(self) -> Client:
        return self.client


class Provider:
    """The provider's state, its Flask app and the knobs tests turn."""

    def __init__(self, redirect_uris: list[str]) -> None:
        self.issuer = ""  # known once the server listens
        self.key = rsa_key()
        self.signing_key = self.key
        self.algorithm = "RS256"  # "none": unsigned ID tokens (announced in discovery too)
        self.tamper: dict[str, Any] = {}
        self.claims_in_id_token = True
        self.people: dict[str, Person] = {}
        self.client = Client(CLIENT_ID, CLIENT_SECRET, redirect_uris)
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.nonces: set[str] = set()
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests = 0
        self.userinfo_requests = 0
        self.app = self._build_app()

    def add(self, login: str, sub: str, **claims: Any) -> Person:
        self.people[login] = person = Person(sub, claims)
        return person

    def user_claims(self, person: Person) -> dict[str, Any]:
        return {"sub": person.sub, **person.claims}

    def id_token_claims(self, person: Person) -> dict[str, Any]:
        claims = self.user_claims(person) if self.claims_in_id_token else {"sub": person.sub}
        return {**claims, **self.tamper}

    def sign_in(self, authorize_url: str, login: str = "", *, deny: bool = False) -> str:
        """What a person does on the provider's login page: the redirect back to the portal."""
        choice = {"choice": "deny"} if deny else {"choice": "allow", "login": login}
        answer = requests.post(authorize_url, data=choice, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def _build_app(self) -> Flask:
        provider = self
        app = Flask("oidc-test-provider")
        server = AuthorizationServer(
            app, query_client=self._query_client, save_token=self._save_token
        )

        class CodeGrant(grants.AuthorizationCodeGrant):
            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                nonce = data.get("nonce")
                provider.nonces.add(nonce)
                provider.codes[code] = Code(
                    code,
                    req.client.client_id,
                    req.payload.redirect_uri,
                    req.scope,
                    req.user,
                    nonce,
                    data.get("code_challenge"),
                    data.get("code_challenge_method"),
                    int(time.time()),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> Person:
                return authorization_code.person

        class IdTokens(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return nonce in provider.nonces

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.signing_key

            def get_client_algorithm(self, client: Client) -> str:
                return provider.algorithm

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": provider.algorithm, "kid": KEY_ID}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.client_id]}

            def generate_user_info(self, user: Person, scope: str) -> dict[str, Any]:
                return provider.id_token_claims(user)

        class Info(UserInfoEndpoint):
            def get_issuer(self) -> str:
                return provider.issuer

            def generate_user_info(self, user: Person, scope: str) -> UserInfo:
                provider.userinfo_requests += 1
                return UserInfo(provider.user_claims(user))

            def resolve_private_key(self) -> RSAKey:
                return provider.key

        class Bearer(BearerTokenValidator):
            def authenticate_token(self, token_string: str) -> Token | None:
                return provider.tokens.get(token_string)

        protector = ResourceProtector()
        protector.register_token_validator(Bearer())
        server.register_grant(CodeGrant, [CodeChallenge(required=True), IdTokens(True)])
        server.register_endpoint(Info(resource_protector=protector))

        @app.get("/.well-known/openid-configuration")
        def discovery() -> ResponseReturnValue:
            base = provider.issuer
            return jsonify(
                issuer=base,
                authorization_endpoint=f"{base}/authorize",
                token_endpoint=f"{base}/token",
                userinfo_endpoint=f"{base}/userinfo",
                jwks_uri=f"{base}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=sorted({"RS256", provider.algorithm}),
                code_challenge_methods_supported=["S256"],
                scopes_supported=["openid", "profile", "email"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
            )

        @app.get("/jwks")
        def jwks() -> ResponseReturnValue:
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> ResponseReturnValue:
            try:
                grant = server.get_consent_grant(end_user=None)
            except OAuth2Error as error:
                return jsonify(dict(error.get_body())), 400
            if request.method == "GET":
                provider.authorize_requests.append(request.args.to_dict())
                return _LOGIN_PAGE.format(people=_people_options(provider.people))
            person = None
            if request.form.get("choice") != "deny":
                person = provider.people.get(request.form.get("login", ""))
                if person is None:
                    return "unknown person", 401
            # no person: the answer is error=access_denied
            return server.create_authorization_response(grant_user=person, grant=grant)

        @app.post("/token")
        def token() -> ResponseReturnValue:
            provider.token_requests += 1
            return server.create_token_response()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo() -> ResponseReturnValue:
            return server.create_endpoint_response("userinfo")

        return app

    def _query_client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client.client_id else None

    def _save_token(self, token: dict[str, Any], req: Any) -> None:
        self.tokens[token["access_token"]] = Token(
            token["access_token"],
            req.client,
            req.user,
            token.get("scope", ""),
            time.time(),
            int(token.get("expires_in", 3600)),
        )


def _people_options(people: dict[str, Person]) -> str:
    return "".join(
        f'<option value="{html.escape(login)}">{html.escape(login)}</option>' for login in people
    )


# The provider's own page, outside the portal: a form posting back to the same URL (the
# authorization request's parameters stay in its query string).
_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Facility login</title></head>
<body><h1>Facility login</h1>
<form method="post">
<label>Person <select name="login">{people}</select></label>
<button type="submit" name="choice" value="allow">Log in</button>
<button type="submit" name="choice" value="deny">Cancel</button>
</form></body></html>"""


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def serve(redirect_uris: list[str]) -> Iterator[Provider]:
    """A provider listening on 127.0.0.1 for the duration of the block."""
    provider = Provider(redirect_uris)
    server = make_server("127.0.0.1", 0, provider.app, threaded=True, request_handler=_Quiet)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
