"""``faircat db upgrade|current``: create and migrate the catalogue database."""

from __future__ import annotations

import click

from faircat.cli.tools import State, pass_state, reports_errors


@click.group()
def db() -> None:
    """Create and migrate the catalogue database."""


@db.command("upgrade")
@pass_state
@reports_errors
def db_upgrade(state: State) -> None:
    """Create or migrate the database to the newest schema and apply the facility profile."""
    catalogue = state.catalogue(check=False)
    revision = catalogue.upgrade()
    click.echo(f"database at revision {revision}: {catalogue.engine.url.render_as_string()}")


@db.command("current")
@pass_state
@reports_errors
def db_current(state: State) -> None:
    """Print the schema revision of the database."""
    from faircat.catalogue import schema

    catalogue = state.catalogue(check=False)
    click.echo(
        f"{schema.current_revision(catalogue.engine) or 'empty'} (code: {schema.head_revision()})"
    )
