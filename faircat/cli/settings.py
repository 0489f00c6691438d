"""``faircat config show|help``: inspect settings (:mod:`faircat.config`)."""

from __future__ import annotations

import json

import click

from faircat.cli.tools import State, pass_state, reports_errors
from faircat.config import SETTINGS


@click.group()
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
