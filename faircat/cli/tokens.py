"""``faircat token create``: API tokens of service accounts and users.

(Named ``tokens`` rather than ``token``, which is a standard-library module.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from faircat.cli.tools import State, pass_state, reports_errors


@click.group()
def token() -> None:
    """Manage API tokens of service accounts and users."""


@token.command("create")
@click.option("--user", "username", required=True, help="Account the token acts for.")
@click.option("--name", required=True, help="What the token is for, e.g. 'XALOC ingest'.")
@click.option("--instrument", help="Bind the token to one instrument (beamline ingest tokens).")
@click.option("--expires-days", type=click.IntRange(min=1), help="Expire after N days.")
@pass_state
@reports_errors
def token_create(
    state: State, username: str, name: str, instrument: str | None, expires_days: int | None
) -> None:
    """Create an API token and print its secret once (only a hash is stored)."""
    from faircat.catalogue.accounts import create_token, get_user

    expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    with state.catalogue().transaction() as session:
        _, secret = create_token(
            session, get_user(session, username), name, instrument=instrument, expires_at=expires
        )
    click.echo(secret)
    click.echo("Store this token now: it cannot be shown again.", err=True)
