"""The JSON API under ``/api/``: the portal's reads for scripts, described by OpenAPI 3.1.

Every operation is declared once with :func:`faircat.web.api.spec.operation`, which registers
the Flask route and its OpenAPI description together, so the document served at
``/api/openapi.json`` is generated from the routes and cannot drift from them.
"""
