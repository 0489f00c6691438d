"""``faircat release``, ``faircat scheduler`` and ``faircat doi ...``: the release job and DOIs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import click
from sqlalchemy import func, select

from faircat.cli.tools import State, now_option, parse_now, pass_state, reports_errors


@click.group()
def doi() -> None:
    """DataCite DOIs: the outbox, drift repair, retries."""


@click.command()
@now_option
@click.option(
    "--no-register", is_flag=True, help="Decide and export, but leave the DOI outbox for later."
)
@pass_state
@reports_errors
def release(state: State, now_text: str | None, no_register: bool) -> None:
    """Run the release job once: create and move DOIs, release due experiments, export the
    changed pages, sync DataCite, send notifications. Safe to rerun; one at a time."""
    from faircat.publisher.release import run_release
    from faircat.reporting import page_progress

    catalogue = state.catalogue()
    with page_progress() as on_page:
        report = run_release(
            catalogue,
            state.settings,
            parse_now(now_text),
            register=not no_register,
            on_page=on_page,
        )
    click.echo(report.describe())


@click.command()
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    help="Minutes between runs (default: setting release_interval_minutes).",
)
@pass_state
@reports_errors
def scheduler(state: State, interval: int | None) -> None:
    """Run the release job periodically, in this process, until stopped (Ctrl-C / SIGTERM).

    Jobs are kept in the catalogue database (APScheduler SQLAlchemy job store); missed runs
    coalesce into one; a second scheduler started by mistake waits on the database lease."""
    from faircat.publisher.scheduler import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    minutes = interval or state.settings.release_interval_minutes
    click.echo(f"faircat scheduler: release job every {minutes} min (Ctrl-C to stop)")
    run_scheduler(state.settings, timedelta(minutes=minutes))


@doi.command("status")
@click.option("--all", "show_all", is_flag=True, help="Also list DOIs already in sync.")
@pass_state
@reports_errors
def doi_status(state: State, show_all: bool) -> None:
    """The DOI outbox: pending tasks (with their retries) and rejections by DataCite."""
    from faircat.catalogue.models import DataPublication, DoiTask

    catalogue = state.catalogue()
    with catalogue.transaction() as session:
        counts = dict(
            session.execute(select(DoiTask.status, func.count()).group_by(DoiTask.status)).all()
        )
        click.echo(
            "outbox: "
            + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("pending", "rejected", "done"))
        )
        query = (
            select(DoiTask, DataPublication)
            .join(DataPublication, DataPublication.id == DoiTask.publication_id)
            .order_by(DoiTask.status.desc(), DoiTask.next_attempt_at)
        )
        if not show_all:
            query = query.where(DoiTask.status != "done")
        for task, publication in session.execute(query.limit(500)):
            line = (
                f"{task.status:8} {publication.doi}  {publication.doi_state.value} -> "
                f"{publication.doi_target_state.value}  attempts={task.attempts}"
            )
            if task.status == "pending":
                line += f"  next={task.next_attempt_at.isoformat(timespec='seconds')}"
            click.echo(line)
            if task.last_error:
                click.echo(f"         {task.last_error}")


@doi.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Report drift without repairing it.")
@now_option
@pass_state
@reports_errors
def doi_reconcile(state: State, dry_run: bool, now_text: str | None) -> None:
    """Compare every DOI with DataCite and repair drift (wrong URL, missing DOI, wrong state)
    through the outbox, then sync."""
    from faircat.publisher.reconcile import reconcile
    from faircat.publisher.registrar import sync_due

    catalogue = state.catalogue()
    now = parse_now(now_text)
    report = reconcile(catalogue, state.settings, now, repair=not dry_run)
    click.echo(report.describe())
    if not dry_run and report.drift:
        synced = sync_due(catalogue, state.settings, now, workers=state.settings.datacite_workers)
        click.echo("DataCite: " + synced.describe())


@doi.command("retry")
@click.argument("dois", nargs=-1, required=True, metavar="DOI...")
@pass_state
@reports_errors
def doi_retry(state: State, dois: tuple[str, ...]) -> None:
    """Make rejected or backing-off DOIs due now (after fixing what DataCite complained of)."""
    from faircat.catalogue import outbox
    from faircat.catalogue.models import DataPublication
    from faircat.errors import NotFoundError

    catalogue = state.catalogue()
    now = datetime.now(UTC)
    with catalogue.transaction() as session:
        for name in dois:
            publication = session.scalar(
                select(DataPublication).where(func.lower(DataPublication.doi) == name.lower())
            )
            if publication is None:
                raise NotFoundError(f"no DOI {name} in the catalogue")
            outbox.enqueue(session, publication, "retry", now)
    click.echo(f"{len(dois)} DOI(s) due now; 'faircat release' or the scheduler will sync them")
