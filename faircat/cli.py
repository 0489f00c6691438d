"""The ``faircat`` command. Each command is a few lines around a function testable without click.

Exit codes: 0 success; 1 some files of a batch failed; otherwise the ``exit_code`` of the
:class:`~faircat.errors.FaircatError` raised (65 bad input, 66 not found, 77 denied, 78 config).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from faircat import __version__
from faircat.catalogue.vocab import MemberRole, Role
from faircat.clitools import State, parse_datetime, pass_state, reports_errors
from faircat.config import SETTINGS
from faircat.errors import ValidationError

# Shared by the command modules (workflow_cli, release_cli), which import them from here.
__all__ = ["State", "main", "parse_datetime", "pass_state", "reports_errors"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="faircat")
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    envvar="FAIRCAT_CONFIG",
    help="Settings file (default: ./faircat.toml when present).",
)
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """faircat: FAIR data catalogue and publisher for photon and neutron facilities.

    Settings come from faircat.toml and FAIRCAT_* environment variables; see
    'faircat config show'.
    """
    ctx.obj = State(config_file)


# -- config ------------------------------------------------------------------------------------
@main.group()
def config() -> None:
    """Inspect settings."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
@reports_errors
def config_show(state: State, as_json: bool) -> None:
    """Print every setting, its value (secrets masked) and where it came from."""
    rows = state.settings.public_items()
    if as_json:
        click.echo(json.dumps({name: str(value) for name, value, _ in rows}, indent=2))
        return
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {value}  [{source}]")


@config.command("help")
def config_help() -> None:
    """Describe every setting and its environment variable."""
    for setting in SETTINGS:
        secret = " (secret: environment only)" if setting.secret else ""
        click.echo(
            f"FAIRCAT_{setting.name.upper()}{secret}\n    {setting.help}\n"
            f"    default: {setting.default!r}"
        )


# -- db ----------------------------------------------------------------------------------------
@main.group()
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


# -- users and tokens --------------------------------------------------------------------------
@main.group()
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
            status = "" if account.active else "  (unclaimed)"
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


@main.group()
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


# -- instruments and investigations ------------------------------------------------------------
@main.group()
def instrument() -> None:
    """Manage instruments (beamlines)."""


@instrument.command("add")
@click.argument("name")
@click.option("--full-name", required=True)
@click.option(
    "--technique",
    "techniques",
    multiple=True,
    help="PaNET technique: short name (mx, powder, xas, saxs, xrf, tomo, scxd) or IRI.",
)
@click.option("--pid", help="Persistent identifier of the instrument, if it has one.")
@pass_state
@reports_errors
def instrument_add(
    state: State, name: str, full_name: str, techniques: tuple[str, ...], pid: str | None
) -> None:
    """Register an instrument; ingest refuses files of unknown instruments."""
    from faircat.catalogue.facility import add_instrument

    with state.catalogue().transaction() as session:
        add_instrument(session, name, full_name, techniques, pid=pid)
    click.echo(f"created instrument {name}")


@instrument.command("list")
@pass_state
@reports_errors
def instrument_list(state: State) -> None:
    """List instruments and their techniques."""
    from sqlalchemy import select

    from faircat.catalogue.models import Instrument

    with state.catalogue().transaction() as session:
        for row in session.scalars(select(Instrument).order_by(Instrument.name)):
            techniques = ", ".join(t.name for t in row.techniques)
            click.echo(f"{row.name:<12} {row.full_name:<40} {techniques}")


@main.group()
def investigation() -> None:
    """Manage investigations (proposal + visit)."""


@investigation.command("add")
@click.option("--proposal", required=True)
@click.option("--visit", required=True)
@click.option("--title", required=True)
@click.option("--start", required=True, help="ISO 8601 start, e.g. 2025-05-10T08:00Z.")
@click.option("--end", required=True, help="ISO 8601 end.")
@click.option("--instrument", "instruments", multiple=True, required=True)
@click.option(
    "--member",
    "members",
    multiple=True,
    metavar="USERNAME:ROLE",
    help=f"Member and role ({', '.join(r.value for r in MemberRole)}); repeatable.",
)
@click.option("--summary")
@pass_state
@reports_errors
def investigation_add(
    state: State,
    proposal: str,
    visit: str,
    title: str,
    start: str,
    end: str,
    instruments: tuple[str, ...],
    members: tuple[str, ...],
    summary: str | None,
) -> None:
    """Create an investigation; its release date is end + the facility embargo."""
    from faircat.catalogue.investigations import NewInvestigation, create_investigation

    parsed = []
    for item in members:
        username, _, role = item.partition(":")
        try:
            parsed.append((username, MemberRole(role or MemberRole.PARTICIPANT)))
        except ValueError:
            raise ValidationError(
                f"unknown member role {role!r} in {item!r}", field="member"
            ) from None
    with state.catalogue().transaction() as session:
        created = create_investigation(
            session,
            NewInvestigation(
                proposal=proposal,
                visit=visit,
                title=title,
                start=parse_datetime(start, "start"),
                end=parse_datetime(end, "end"),
                instruments=instruments,
                members=parsed,
                summary=summary,
            ),
        )
        click.echo(
            f"created investigation {created.label}, release date "
            f"{created.release_date.date().isoformat()}"
        )


def _usable_cores() -> int:
    from faircat.catalogue.ingest import usable_cores

    return usable_cores()


# -- ingest and demo ---------------------------------------------------------------------------
@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--checksum/--no-checksum",
    default=True,
    show_default=True,
    help="Compute SHA-256 of each file (streamed).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar (default: when stderr is a terminal).",
)
@click.option(
    "--readers",
    default=_usable_cores,  # called only when ingest runs: h5py is imported lazily
    show_default="one per CPU core",
    type=click.IntRange(min=0),
    help="Processes reading NeXus metadata while the database is written (0: inline). "
    "Reading HDF5 metadata is the costly part and scales with cores.",
)
@pass_state
@reports_errors
def ingest(
    state: State, paths: tuple[Path, ...], checksum: bool, progress: bool | None, readers: int
) -> None:
    """Ingest NeXus/HDF5 files or folders (recursive) into the catalogue.

    Each file is one transaction: a bad file is reported on one line and the batch goes on.
    Exit code 1 when some files failed.
    """
    from faircat.reporting import run_ingest

    catalogue = state.catalogue()
    report = run_ingest(catalogue, paths, checksum=checksum, readers=readers, progress=progress)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.option(
    "--investigations",
    "count",
    default=48,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of experiments to build.",
)
@click.option("--seed", default=2026, show_default=True, help="Random seed (deterministic).")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Where to write NeXus files (default: <instance>/demo-data).",
)
@click.option("--now", "now_text", help="Pretend today is this ISO date (default: now).")
@click.option(
    "--reset",
    is_flag=True,
    help="Delete everything in the catalogue first (required when it is not empty).",
)
@click.option("--progress/--no-progress", default=None)
@pass_state
@reports_errors
def demo(
    state: State,
    count: int,
    seed: int,
    data_dir: Path | None,
    now_text: str | None,
    reset: bool,
    progress: bool | None,
) -> None:
    """Build the embedded demo catalogue from scratch (users, beamlines, experiments, files),
    then run the release job against a local DataCite (offline): DOIs registered, pages
    exported, a selection DOI approved and an extension request waiting for the curator."""
    from faircat.demo.builder import build_demo

    now = parse_datetime(now_text, "now") if now_text else datetime.now(UTC)
    catalogue = state.catalogue(check=False)
    summary = build_demo(
        catalogue,
        investigations=count,
        seed=seed,
        data_dir=data_dir,
        now=now,
        reset=reset,
        progress=progress,
    )
    click.echo(summary.describe())
    from faircat.demo.release import add_requests, release_demo

    if reset:
        (state.settings.instance_path / "datacite.json").unlink(missing_ok=True)
    for line in add_requests(catalogue, state.settings, now):
        click.echo(f"  {line}")
    click.echo(release_demo(catalogue, state.settings, now).describe())


@main.command()
@click.option("--out", type=click.Path(path_type=Path), help="Site folder (default: site_dir).")
@click.option("--full", is_flag=True, help="Rebuild every page in a fresh tree, then swap it in.")
@click.option("--now", "now_text", help="Publish as of this ISO date-time (default: now).")
@click.option("--progress/--no-progress", default=None)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes rendering pages (default: one per usable core; 1: all in this "
    "process, e.g. to leave the cores to the web workers).",
)
@pass_state
@reports_errors
def export(
    state: State,
    out: Path | None,
    full: bool,
    now_text: str | None,
    progress: bool | None,
    jobs: int | None,
) -> None:
    """Publish everything public and write the static site (atomic and incremental).

    Only pages whose content changed are rewritten; --full rebuilds everything aside and swaps
    the whole site in at the end. A kill at any moment leaves the previous pages complete.
    """
    from faircat.publisher.export import export_site
    from faircat.reporting import export_with_progress

    now = parse_datetime(now_text, "now") if now_text else None
    report = export_with_progress(
        export_site, state.catalogue(), out=out, full=full, now=now, progress=progress, jobs=jobs
    )
    click.echo(report.describe())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads per worker (gthread workers: connections are kept alive).",
)
@click.option("--dev", is_flag=True, help="Use Flask's single-process development server.")
@pass_state
@reports_errors
def serve(state: State, host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Serve the portal and APIs with gunicorn (the scheduler runs separately)."""
    from faircat.web.app import create_app

    app = create_app(state.settings)
    click.echo(f"faircat serving on http://{host}:{port}/")
    if dev:
        app.run(host=host, port=port, debug=False, use_reloader=False)
        return
    from faircat.web.server import serve as run_gunicorn

    run_gunicorn(app, host, port, workers, threads)


# Groups defined in their own modules; imported last because they use the helpers above.
from faircat.dev.commands import dev  # noqa: E402
from faircat.release_cli import doi, release, scheduler  # noqa: E402
from faircat.workflow_cli import mail, request  # noqa: E402

main.add_command(request)
main.add_command(mail)
main.add_command(release)
main.add_command(scheduler)
main.add_command(doi)
main.add_command(dev)

if __name__ == "__main__":  # pragma: no cover
    main()
