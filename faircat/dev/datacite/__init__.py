"""A local DataCite REST API for development and tests (not for production).

It implements the part of DataCite's contract faircat relies on (DOI states and events, Basic
auth, prefixes, validation against the kernel-4 XSD, JSON:API documents and errors) so that the
real ``datacite.DataCiteRESTClient`` can be exercised offline, and it can be made to fail or to
be slow on purpose. See docs/dev-datacite.md.

- :func:`.testing.running_datacite`: serve it in a test, on a free port, in a background thread;
- ``faircat dev datacite``: serve it from the command line (:mod:`faircat.dev.commands`);
- :class:`.server.DevDataCite` / :func:`.app.create_app`: the WSGI app itself.
"""
