"""``faircat instrument add|list``: instruments (beamlines) and their techniques."""

from __future__ import annotations

import click

from faircat.cli.tools import State, pass_state, reports_errors


@click.group()
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
