"""``faircat investigation add``: investigations (proposal + visit) and their members."""

from __future__ import annotations

import click

from faircat.catalogue.vocab import MemberRole
from faircat.cli.tools import State, parse_datetime, pass_state, reports_errors
from faircat.errors import ValidationError


@click.group()
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
