"""``faircat request submit|list|show|approve|reject``: release requests (the curators' queue)."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue.vocab import RequestKind, RequestStatus
from faircat.cli.tools import (
    State,
    now_option,
    parse_datetime,
    parse_now,
    pass_state,
    reports_errors,
)
from faircat.errors import NotFoundError

_STATUSES = [s.value for s in RequestStatus] + ["all"]


@click.group()
def request() -> None:
    """Release requests: early release, extension, selection DOI, amendment, withdrawal."""


@request.command("submit")
@click.argument("experiment", metavar="PROPOSAL-VISIT")
@click.option(
    "--kind", required=True, type=click.Choice([k.value for k in RequestKind]), help="What to ask."
)
@click.option("--as", "username", required=True, help="Requester: the PI or a curator.")
@click.option("--justification", default="", help="Why (required for a withdrawal).")
@click.option(
    "--date",
    "date_text",
    metavar="ISO",
    help="early_release: release on this date (default: on approval); extension: new date.",
)
@click.option("--title", help="selection_doi, amendment: title (selection default: experiment's).")
@click.option("--abstract", help="selection_doi, amendment: abstract.")
@click.option("--keywords", help="amendment: comma-separated keywords.")
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    metavar="NAME",
    help="selection_doi: a dataset of the experiment; repeatable (default: all of them).",
)
@click.option("--publication", "doi", metavar="DOI", help="amendment: the DOI to amend.")
@now_option
@pass_state
@reports_errors
def request_submit(
    state: State,
    experiment: str,
    kind: str,
    username: str,
    justification: str,
    date_text: str | None,
    title: str | None,
    abstract: str | None,
    keywords: str | None,
    datasets: tuple[str, ...],
    doi: str | None,
    now_text: str | None,
) -> None:
    """Submit a release request; every curator is notified."""
    from faircat.catalogue import requests
    from faircat.catalogue.accounts import get_user
    from faircat.catalogue.investigations import get_investigation

    now = parse_now(now_text)
    with state.catalogue().transaction() as session:
        inv = get_investigation(session, experiment)
        payload: dict[str, Any] = {}
        publication_id = None
        if kind == RequestKind.SELECTION_DOI:
            payload = requests.selection_defaults(session, inv)
            if datasets:
                payload["dataset_ids"] = _dataset_ids(session, inv.id, inv.label, datasets)
        elif kind == RequestKind.AMENDMENT:
            publication_id = _publication_id(session, doi)
        for key, value in (("title", title), ("abstract", abstract), ("keywords", keywords)):
            if value is not None:
                payload[key] = value
        created = requests.submit(
            session,
            actor=get_user(session, username),
            investigation=inv,
            kind=kind,
            justification=justification,
            now=now,
            requested_date=parse_datetime(date_text, "date") if date_text else None,
            payload=payload or None,
            publication_id=publication_id,
        )
        label = requests.KIND_LABELS[created.kind]
        click.echo(f"submitted request #{created.id}: {label} for {inv.label}; curators notified")


@request.command("list")
@click.option(
    "--status",
    type=click.Choice(_STATUSES),
    default=RequestStatus.PENDING.value,
    show_default=True,
)
@click.option("--experiment", metavar="PROPOSAL-VISIT", help="Only this experiment's requests.")
@pass_state
@reports_errors
def request_list(state: State, status: str, experiment: str | None) -> None:
    """List requests: the curators' queue, oldest first."""
    from faircat.catalogue import requests
    from faircat.catalogue.investigations import get_investigation

    with state.catalogue().transaction() as session:
        if experiment:
            rows = requests.requests_for(session, get_investigation(session, experiment))[::-1]
            rows = [r for r in rows if status == "all" or r.status.value == status]
        else:
            rows = requests.queue(session, None if status == "all" else status)
        if not rows:
            click.echo(f"no {'' if status == 'all' else status + ' '}requests")
        for row in rows:
            inv = _label(session, row.investigation_id)
            decided = f"  {row.curator.username} {row.decided_at:%Y-%m-%d}" if row.curator else ""
            click.echo(
                f"#{row.id:<5} {row.kind.value:<14} {inv:<20} {row.status.value:<9} "
                f"{row.requester.username:<16} {row.created_at:%Y-%m-%d}{decided}"
            )


@request.command("show")
@click.argument("request_id", metavar="ID", type=int)
@pass_state
@reports_errors
def request_show(state: State, request_id: int) -> None:
    """Print one request with its metadata and decision."""
    from faircat.catalogue import requests
    from faircat.catalogue.models import Investigation

    with state.catalogue().transaction() as session:
        row = requests.get_request(session, request_id)
        inv = session.get_one(Investigation, row.investigation_id)
        click.echo(f"request #{row.id}: {requests.KIND_LABELS[row.kind]} for {inv.label}")
        click.echo(f"experiment:    {inv.title}")
        click.echo(f"status:        {row.status.value}")
        click.echo(f"requester:     {row.requester.username} ({row.requester.full_name})")
        click.echo(f"submitted:     {row.created_at.isoformat()}")
        if row.requested_date:
            click.echo(f"date asked:    {row.requested_date.isoformat()}")
        click.echo(f"release date:  {inv.release_date.isoformat()}")
        click.echo(f"justification: {row.justification or '-'}")
        if row.curator:
            click.echo(f"decided:       {row.decided_at.isoformat() if row.decided_at else '?'} "
                       f"by {row.curator.username}")  # fmt: skip
        if row.comment:
            click.echo(f"comment:       {row.comment}")
        if row.payload:
            click.echo("metadata:")
            click.echo(json.dumps(row.payload, indent=2, ensure_ascii=False))


def _decide(state: State, request_id: int, username: str, approve: bool, comment: str | None,
            now_text: str | None) -> None:  # fmt: skip
    from faircat.catalogue import requests
    from faircat.catalogue.accounts import get_user

    with state.catalogue().transaction() as session:
        row = requests.decide(
            session,
            curator=get_user(session, username),
            request_id=request_id,
            approve=approve,
            comment=comment,
            now=parse_now(now_text),
            settings=state.settings,
        )
        what = f"{requests.KIND_LABELS[row.kind]} for {_label(session, row.investigation_id)}"
        click.echo(f"{row.status.value} request #{row.id}: {what}; requester notified")


@request.command("approve")
@click.argument("request_id", metavar="ID", type=int)
@click.option("--as", "username", required=True, help="The deciding curator or admin.")
@click.option("--comment", help="Note for the requester.")
@now_option
@pass_state
@reports_errors
def request_approve(
    state: State, request_id: int, username: str, comment: str | None, now_text: str | None
) -> None:
    """Approve a pending request and apply it (release date, DOI, withdrawal...)."""
    _decide(state, request_id, username, True, comment, now_text)


@request.command("reject")
@click.argument("request_id", metavar="ID", type=int)
@click.option("--as", "username", required=True, help="The deciding curator or admin.")
@click.option("--comment", required=True, help="Why: sent to the requester.")
@now_option
@pass_state
@reports_errors
def request_reject(
    state: State, request_id: int, username: str, comment: str, now_text: str | None
) -> None:
    """Reject a pending request; the comment tells the requester why."""
    _decide(state, request_id, username, False, comment, now_text)


# -- helpers -----------------------------------------------------------------------------------
def _label(session: Session, investigation_id: int) -> str:
    from faircat.catalogue.models import Investigation

    return session.get_one(Investigation, investigation_id).label


def _dataset_ids(
    session: Session, investigation_id: int, label: str, names: tuple[str, ...]
) -> list[int]:
    from faircat.catalogue.models import Dataset

    query = select(Dataset.name, Dataset.id).where(
        Dataset.investigation_id == investigation_id, Dataset.name.in_(names)
    )
    found: dict[str, int] = {row[0]: row[1] for row in session.execute(query)}
    missing = [n for n in names if n not in found]
    if missing:
        raise NotFoundError(
            f"experiment {label} has no dataset {', '.join(map(repr, missing))}", field="dataset"
        )
    return [found[n] for n in names]


def _publication_id(session: Session, doi: str | None) -> int | None:
    from faircat.catalogue.models import DataPublication

    if not doi:
        return None  # submit() says that an amendment needs one
    found = session.scalar(
        select(DataPublication.id).where(func.lower(DataPublication.doi) == doi.strip().lower())
    )
    if found is None:
        raise NotFoundError(f"no publication with DOI {doi}", field="publication")
    return found
