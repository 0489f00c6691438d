"""``faircat dev``: development and test tools (not for production).

Registered on the main group by ``faircat.cli`` (``main.add_command(dev)``).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import click

DEFAULT_PORT = 5800  # the default of the datacite_url setting: http://127.0.0.1:5800/


@click.group(help="Development and test tools (not for production).")
def dev() -> None:
    pass


@dev.command("datacite")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--prefix",
    default="10.5072",
    show_default=True,
    help="DOI prefix of the repository (several: comma-separated).",
)
@click.option(
    "--username",
    default="FAIRCAT.TEST",
    show_default=True,
    help="Repository id (Basic auth user name).",
)
@click.option(
    "--password",
    envvar="FAIRCAT_DEV_DATACITE_PASSWORD",
    default=None,
    help="Repository password [env FAIRCAT_DEV_DATACITE_PASSWORD; default: a random one, printed].",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON file keeping the registry across restarts (default: memory only).",
)
@click.option(
    "--fail-rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Fraction of API requests answered with --fail-status.",
)
@click.option(
    "--fail-status",
    type=click.IntRange(400, 599),
    default=503,
    show_default=True,
    help="Status of failed requests (500, 502, 503, 429...).",
)
@click.option(
    "--delay",
    type=click.FloatRange(0.0, 600.0),
    default=0.0,
    show_default=True,
    help="Seconds every API answer waits (to make client timeouts fire).",
)
def datacite(
    host: str,
    port: int,
    prefix: str,
    username: str,
    password: str | None,
    data: Path | None,
    fail_rate: float,
    fail_status: int,
    delay: float,
) -> None:
    """Serve a local DataCite REST API for development and tests (NOT for production).

    DOIs move through draft, registered and findable as at DataCite, metadata is validated
    against the DataCite kernel-4 XSD, and failures can be switched on at run time through the
    unauthenticated /_dev/ endpoints (see docs/dev-datacite.md).
    """
    from faircat.dev.datacite.server import DevDataCite, ServerConfig, free_port, serve

    if password is None:
        password = secrets.token_urlsafe(12)
    config = ServerConfig(
        prefix=prefix,
        username=username,
        password=password,
        data=data,
        fail_rate=fail_rate,
        fail_status=fail_status,
        delay=delay,
    )
    try:
        DevDataCite(config)  # refuse a bad data file or prefix here, with a clear message
        port = free_port(host, port)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc

    def banner() -> None:
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        url = f"http://{shown_host}:{port}/"
        click.secho("faircat dev DataCite server: for development and tests only", bold=True)
        click.echo(f"  API       {url}  (repository {username}, prefix {prefix})")
        click.echo(f"  registry  {data if data is not None else 'in memory (lost on exit)'}")
        click.echo(f"  controls  {url}_dev/faults, {url}_dev/dois, {url}_dev/reset (no auth)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            warning = f"  warning: listening on {host}; /_dev/ has no authentication"
            click.secho(warning, fg="yellow")
        click.echo(
            "Point faircat at it (settings datacite_url, datacite_username; password env only):"
        )
        click.echo(f"  export FAIRCAT_DATACITE_URL={url}")
        click.echo(f"  export FAIRCAT_DATACITE_USERNAME={username}")
        click.echo(f"  export FAIRCAT_DATACITE_PASSWORD={password}")
        click.echo(f"  export FAIRCAT_FACILITY_DOI_PREFIX={prefix.split(',')[0]}")
        click.echo("Fail the next 3 requests with 503:")
        click.echo(
            f'  curl -X POST {url}_dev/faults -d \'{{"status": 503, "count": 3}}\''
            f"   (clear: curl -X DELETE {url}_dev/faults)"
        )

    serve(config, host, port, on_ready=banner)
