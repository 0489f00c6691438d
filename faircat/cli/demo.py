"""``faircat demo``: build the embedded demo catalogue (:mod:`faircat.demo`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from faircat.cli.tools import State, parse_datetime, pass_state, reports_errors


@click.command()
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
    from faircat.catalogue.search.reindex import reindex

    # The release step set DOIs and the requests changed experiments after ingest indexed them.
    written = reindex(catalogue.engine, changed_only=True).written
    click.echo(f"search: {written} document(s) brought up to date")
