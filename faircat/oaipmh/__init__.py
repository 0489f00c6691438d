"""faircat's OAI-PMH 2.0 provider (``faircat.oaipmh``; not the PyPI ``oaipmh`` client package).

It serves the published-records table the publisher writes and nothing else: it never reads a
restricted table. A page is one keyset query joining stored metadata fragments, wrapped in an
envelope built by string concatenation; resumption tokens are stateless and signed, so any
worker serves any page.

    form.py        a request's fields from its query string and body, bounded and UTF-8
    arguments.py   what a request asks, validated per verb (badVerb / badArgument)
    dates.py       OAI datestamps in and out (day and seconds granularity)
    tokens.py      signed keyset resumption tokens
    repository.py  the SQL: pages, counts, single records, sets
    responses.py   the XML envelope and the verbs' bodies
    provider.py    verb handlers: arguments -> repository -> response
    wsgi.py        the WSGI application (GET and POST, overload 503), mounted at /oai
"""

from faircat.oaipmh.wsgi import OaiApp, create_provider

__all__ = ["OaiApp", "create_provider"]
