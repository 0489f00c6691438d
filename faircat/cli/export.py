"""``faircat export``: publish and write the static site (:mod:`faircat.publisher.export`)."""

from __future__ import annotations

from pathlib import Path

import click

from faircat.cli.tools import State, parse_datetime, pass_state, reports_errors


@click.command()
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
