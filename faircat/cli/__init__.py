"""The ``faircat`` command (entry point ``faircat.cli:main``; also ``python -m faircat.cli``).

Each command is a few lines around a function testable without click. The root group is in
:mod:`faircat.cli.root`, shared helpers (settings state, error reporting, dates) in
:mod:`faircat.cli.tools`, and each command group in a module of its own, registered below.

Exit codes: 0 success; 1 some files of a batch failed; otherwise the ``exit_code`` of the
:class:`~faircat.errors.FaircatError` raised (65 bad input, 66 not found, 77 denied, 78 config).

Adding a group, e.g. ``faircat search reindex``: write ``faircat/cli/search.py`` defining
``search = click.group(...)`` with its commands (decorated with ``@pass_state`` and
``@reports_errors`` from :mod:`faircat.cli.tools`), add ``search`` to the module import below and
one line ``main.add_command(search.search)``; document the command in docs/cli.md
(tests/test_docs.py fails otherwise).
"""

from faircat.cli import (
    db,
    demo,
    export,
    ingest,
    instrument,
    investigation,
    mail,
    release,
    request,
    search,
    serve,
    settings,
    tokens,
    user,
)
from faircat.cli.root import main
from faircat.dev.commands import dev

__all__ = ["main"]

main.add_command(settings.config)
main.add_command(db.db)
main.add_command(user.user)
main.add_command(tokens.token)
main.add_command(instrument.instrument)
main.add_command(investigation.investigation)
main.add_command(ingest.ingest)
main.add_command(demo.demo)
main.add_command(export.export)
main.add_command(serve.serve)
main.add_command(request.request)
main.add_command(mail.mail)
main.add_command(release.release)
main.add_command(release.scheduler)
main.add_command(release.doi)
main.add_command(search.search)
main.add_command(dev)
