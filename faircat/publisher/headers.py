"""The security headers every page is served with, by nginx (the generated snippet) and by
``faircat serve`` (faircat.web.security): one definition, so the two never disagree.

'none' by default, no 'unsafe-inline' anywhere: the templates carry no inline script, style or
event handler (a browser test fails on any CSP violation). Pages may not be framed, and no URL
leaks to other sites in Referer (portal URLs name embargoed experiments).
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
# Every response.
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff"}
# Every HTML page.
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "same-origin",
}
