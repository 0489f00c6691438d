"""A property-based fuzzer for every route of the web app: the harness later endpoints join.

It reads the routes from the app's URL map, so a new endpoint is fuzzed the day it is added,
with no list to update. For each example it picks a route and a method the route allows, fills
each path variable with hostile text (huge and negative numbers, CR/LF, markup, traversal,
unicode), adds random query fields (``next`` and friends included) and, for POST, a random form
body that sometimes carries the session's real CSRF token, so the fuzzer gets past the CSRF
check into the view. The only property: no 5xx, and every HTML answer carries the security
headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from werkzeug.routing import Rule

from faircat.web.security import HTML_HEADERS

_VARIABLE = re.compile(r"<(?:([a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")

HOSTILE = [
    "",
    "0",
    "-1",
    "1",
    "2",
    str(2**31 - 1),
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(2**64 + 1),
    "9" * 40,
    "1e309",
    "²",
    "١٢",
    "NaN",
    "\r\nSet-Cookie: x=1",
    "%0d%0aLocation:%20https://evil.example",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "../../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "/\\evil.example",
    "//evil.example/portal/",
    "https://evil.example/",
    "javascript:alert(1)",
    "\x00",
    "\x7f",
    "a" * 3000,
    "10.80100/tls.pub1-1",
    "PUB1-1",
    "EMB1-1",
    "OTH1-1",
    "early-release",
    "selection-doi",
    "withdrawal",
    "'; DROP TABLE investigation; --",
    "ﬁle.h5",
    "é",
    "\u202e",
]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
QUERY_KEYS = ["next", "page", "q", "sort", "after", "before", "kind", "state", "x", "notification"]
FORM_KEYS = [
    "csrf_token",
    "username",
    "password",
    "notification",
    "justification",
    "comment",
    "approve",
    "reject",
    "current",
    "new",
    "confirm",
    "title",
    "abstract",
    "dataset_ids",
    "publication_id",
    "requested_date",
    "add_creator",
    "remove_creator",
]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]


def fuzzable_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _fill(rule: Rule, draw: st.DrawFn) -> str:
    def replace(match: re.Match[str]) -> str:
        converter = match.group(1) or "default"
        value = draw(VALUE)
        if converter == "path" and draw(st.booleans()):
            value = f"{value}/{draw(VALUE)}"
        return quote(value, safe="/" if converter == "path" else "", errors="surrogatepass")

    return _VARIABLE.sub(replace, rule.rule)


@st.composite
def calls(draw: st.DrawFn, rules: list[Rule], csrf: str | None) -> Call:
    rule = draw(st.sampled_from(rules))
    methods = sorted((rule.methods or {"GET"}) - {"OPTIONS"})
    method = draw(st.sampled_from(methods))
    query = draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS), VALUE), max_size=4))
    form: list[tuple[str, str]] = []
    if method == "POST":
        form = draw(st.lists(st.tuples(st.sampled_from(FORM_KEYS), VALUE), max_size=6))
        if csrf is not None and draw(st.booleans()):
            form = [(k, v) for k, v in form if k != "csrf_token"] + [("csrf_token", csrf)]
    return Call(method, _fill(rule, draw), query, form)


def send(client: FlaskClient, call: Call):  # type: ignore[no-untyped-def]
    try:
        query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in call.query)
    except UnicodeError:
        return None  # lone surrogates cannot be sent in a request at all
    # The path goes into the WSGI environ as a server would put it (percent-decoded bytes as
    # latin-1): the test client would read "//host/..." as a network location instead.
    environ = {
        "PATH_INFO": unquote_to_bytes(call.path).decode("latin-1"),
        "QUERY_STRING": query,
    }
    if call.method == "POST":
        try:
            body = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in call.form)
        except UnicodeError:
            return None
        return client.post(
            "/",
            data=body,
            content_type="application/x-www-form-urlencoded",
            environ_overrides=environ,
        )
    return client.open("/", method=call.method, environ_overrides=environ)


def check(call: Call, response) -> None:  # type: ignore[no-untyped-def]
    if response is None:
        return
    assert response.status_code < 500, f"{call} -> {response.status_code}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", call
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            assert response.headers.get(name) == value, f"{call}: {name}"
