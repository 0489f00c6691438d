"""``faircat user password|deactivate|activate|signout``: what an operator does to an account.

Each ends the account's portal sessions where it should (:mod:`faircat.catalogue.sessions`):
a new password or a deactivation signs the person out of every browser at once, and
``signout`` does so alone (a lost laptop). :mod:`faircat.cli` adds them to its ``user`` group.
"""

from __future__ import annotations

import sys

import click

from faircat.clitools import State, pass_state, reports_errors


def _sessions_ended(count: int) -> str:
    return f"{count} portal session{'s' if count != 1 else ''} ended"


@click.command("password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input (for scripts); "
    "otherwise it is prompted for, twice, and never shown.",
)
@pass_state
@reports_errors
def user_password(state: State, username: str, password_stdin: bool) -> None:
    """Set USERNAME's portal password; signs the account out of every browser."""
    from faircat.catalogue.accounts import get_user, set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with state.catalogue().transaction() as session:
        ended = set_password(session, get_user(session, username), password, actor=None)
    click.echo(f"password of {username} changed; {_sessions_ended(ended)}")


@click.command("deactivate")
@click.argument("username")
@pass_state
@reports_errors
def user_deactivate(state: State, username: str) -> None:
    """Deactivate USERNAME: no sign-in, sessions ended at once, API tokens refused."""
    from faircat.catalogue.accounts import get_user, set_active

    with state.catalogue().transaction() as session:
        ended = set_active(session, get_user(session, username), False, actor=None)
    click.echo(f"deactivated {username}; {_sessions_ended(ended)}")


@click.command("activate")
@click.argument("username")
@pass_state
@reports_errors
def user_activate(state: State, username: str) -> None:
    """Activate USERNAME again (it may sign in with its password)."""
    from faircat.catalogue.accounts import get_user, set_active

    with state.catalogue().transaction() as session:
        set_active(session, get_user(session, username), True, actor=None)
    click.echo(f"activated {username}")


@click.command("signout")
@click.argument("username")
@pass_state
@reports_errors
def user_signout(state: State, username: str) -> None:
    """End every portal session of USERNAME (the password stays as it is)."""
    from faircat.catalogue import audit, sessions
    from faircat.catalogue.accounts import get_user

    with state.catalogue().transaction() as session:
        account = get_user(session, username)
        ended = sessions.end_all(session, account.id)
        audit.record(
            session, None, "user.signout", "user", account.id, after={"sessions_ended": ended}
        )
    click.echo(f"{_sessions_ended(ended)} for {username}")


COMMANDS = (user_password, user_deactivate, user_activate, user_signout)
