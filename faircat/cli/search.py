"""``faircat search reindex``: the search index of datasets (portal search)."""

from __future__ import annotations

import click

from faircat.cli.tools import State, pass_state, reports_errors


@click.group()
def search() -> None:
    """The search index of datasets (portal search)."""


@search.command("reindex")
@click.option(
    "--changed",
    is_flag=True,
    help="Only datasets, samples and experiments changed since they were indexed.",
)
@pass_state
@reports_errors
def search_reindex(state: State, changed: bool) -> None:
    """Write the search documents of every dataset (after upgrading to revision 0007), or with
    --changed those that changed outside ingest (run it from cron)."""
    from faircat.catalogue.search.reindex import reindex

    catalogue = state.catalogue()
    try:
        report = reindex(catalogue.engine, changed_only=changed)
    finally:
        catalogue.close()
    click.echo(f"{report.written} search documents written")
