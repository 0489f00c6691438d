"""``faircat user ...``: user accounts.

``add``, ``list`` and ``unlock`` (failed sign-in counters), and what an operator does to an
account: ``password``, ``deactivate``, ``activate``, ``signout``. Each of the latter ends the
account's portal sessions where it should (:mod:`faircat.catalogue.sessions`): a new password or
a deactivation signs the person out of every browser at once, and ``signout`` does so alone (a
lost laptop).
"""

from __future__ import annotations

import sys

import click

from faircat.catalogue.vocab import Role
from faircat.cli.tools import State, pass_state, reports_errors


@click.group()
def user() -> None:
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name, e.g. 'Ana García'.")
@click.option("--email")
@click.option("--orcid", help="ORCID iD (checked), e.g. 0000-0002-1825-0097.")
@click.option("--affiliation")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="Facility role; repeat for several. Default: user.",
)
@click.option(
    "--set-password",
    is_flag=True,
    help="Prompt for a portal password (never on the command line, where ps would show it).",
)
@pass_state
@reports_errors
def user_add(
    state: State,
    username: str,
    full_name: str,
    email: str | None,
    orcid: str | None,
    affiliation: str | None,
    roles: tuple[str, ...],
    set_password: bool,
) -> None:
    """Create a user account."""
    from faircat.catalogue.accounts import NewUser, add_user

    password = (
        click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if set_password
        else None
    )
    with state.catalogue().transaction() as session:
        created = add_user(
            session,
            NewUser(
                username=username,
                full_name=full_name,
                email=email,
                orcid=orcid,
                affiliation=affiliation,
                roles=tuple(Role(r) for r in roles) or (Role.USER,),
                password=password,
            ),
        )
        click.echo(f"created user {created.username} ({', '.join(sorted(created.role_names))})")


@user.command("list")
@pass_state
@reports_errors
def user_list(state: State) -> None:
    """List user accounts."""
    from faircat.catalogue.accounts import list_users

    with state.catalogue().transaction() as session:
        for account in list_users(session):
            roles = ",".join(sorted(account.role_names)) or "-"
            status = ""
            if not account.active:
                status = "  (deactivated)" if account.password_hash else "  (unclaimed)"
            click.echo(
                f"{account.username:<24} {account.full_name:<32} {roles:<20} "
                f"{account.orcid or ''}{status}"
            )


@user.command("unlock")
@click.argument("username", required=False)
@click.option(
    "--address",
    "addresses",
    multiple=True,
    help="Also clear a client address (an IPv6 address clears its /64); repeat for several.",
)
@pass_state
@reports_errors
def user_unlock(state: State, username: str | None, addresses: tuple[str, ...]) -> None:
    """Clear the failed sign-in counters of USERNAME (and/or --address) before they expire."""
    from faircat.catalogue import throttle

    if not username and not addresses:
        raise click.UsageError("give a USERNAME, an --address, or both")
    keys = [throttle.account_key(username) if username else None]
    keys += [throttle.address_key(address) for address in addresses]
    cleared = throttle.unlock(state.catalogue().engine, keys)
    named = ", ".join(k for k in keys if k)
    click.echo(
        f"cleared {cleared} counter(s) of {named}" if cleared else f"nothing to clear for {named}"
    )


# -- what an operator does to an account --------------------------------------------------------
def _sessions_ended(count: int) -> str:
    return f"{count} portal session{'s' if count != 1 else ''} ended"


@user.command("password")
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


@user.command("deactivate")
@click.argument("username")
@pass_state
@reports_errors
def user_deactivate(state: State, username: str) -> None:
    """Deactivate USERNAME: no sign-in, sessions ended at once, API tokens refused."""
    from faircat.catalogue.accounts import get_user, set_active

    with state.catalogue().transaction() as session:
        ended = set_active(session, get_user(session, username), False, actor=None)
    click.echo(f"deactivated {username}; {_sessions_ended(ended)}")


@user.command("activate")
@click.argument("username")
@pass_state
@reports_errors
def user_activate(state: State, username: str) -> None:
    """Activate USERNAME again (it may sign in with its password)."""
    from faircat.catalogue.accounts import get_user, set_active

    with state.catalogue().transaction() as session:
        set_active(session, get_user(session, username), True, actor=None)
    click.echo(f"activated {username}")


@user.command("signout")
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
