"""A release request's page, the curator's decision on it, and the review queue.

Requesters and the experiment's people follow a request here; curators and admins see the
decision form on the same page, so both sides look at the same facts.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue import requests as workflow
from faircat.catalogue.access import principal_for, target_for
from faircat.catalogue.models import (
    DataPublication,
    Dataset,
    Investigation,
    Notification,
    ReleaseRequest,
    User,
)
from faircat.catalogue.vocab import RequestStatus
from faircat.catalogue.workspace.naming import display_name
from faircat.errors import FaircatError
from faircat.web import context
from faircat.web.forms import DecisionForm

bp = Blueprint("reviews", __name__)


def _staff_only() -> None:
    if not current_user.is_staff:
        abort(403)


def _visible_request(session: Session, request_id: int, user: User) -> ReleaseRequest:
    """The request if ``user`` may follow it (staff, requester, the experiment's people)."""
    found = session.get(ReleaseRequest, request_id)
    if found is None:
        abort(404)
    if current_user.is_staff or found.requester_id == user.id:
        return found
    investigation = session.get(Investigation, found.investigation_id)
    target = target_for(investigation, context.now())
    if not context.can_view(principal_for(user), target):
        abort(404)
    return found


def _details(session: Session, found: ReleaseRequest) -> dict[str, Any]:
    """The payload made readable: dataset names instead of ids, the publication's DOI."""
    payload = dict(found.payload or {})
    ids = payload.get("dataset_ids") or []
    names = (
        {
            row.id: display_name(row.name, row.title)
            for row in session.execute(
                select(Dataset.id, Dataset.name, Dataset.title).where(Dataset.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    publication_id = found.publication_id or payload.get("publication_id")
    publication = session.get(DataPublication, publication_id) if publication_id else None
    return {
        "title": payload.get("title"),
        "abstract": payload.get("abstract"),
        "creators": payload.get("creators") or [],
        "datasets": [names.get(i, f"dataset {i}") for i in ids],
        "publication": publication,
    }


@bp.get("/requests/<id32:request_id>")
def show(request_id: int) -> ResponseReturnValue:
    return _render(request_id)


def _render(request_id: int, form: DecisionForm | None = None, status: int = 200) -> Any:
    with context.catalogue().transaction() as session:
        user = context.me(session)
        found = _visible_request(session, request_id, user)
        # Opening the request is reading its notifications: no separate click needed.
        unread = session.scalars(
            select(Notification.id).where(
                Notification.user_id == user.id,
                Notification.request_id == found.id,
                Notification.read_at.is_(None),
            )
        )
        workflow.mark_read(session, user, list(unread), context.now())
        decidable = current_user.is_staff and found.status is RequestStatus.PENDING
        if decidable and form is None:
            form = DecisionForm()
        return (
            render_template(
                "portal/request.html",
                req=found,
                inv=session.get(Investigation, found.investigation_id),
                details=_details(session, found),
                form=form if decidable else None,
            ),
            status,
        )


@bp.post("/requests/<id32:request_id>/decision")
def decision(request_id: int) -> ResponseReturnValue:
    _staff_only()
    form = DecisionForm()
    if not form.validate_on_submit() or not (form.approve.data or form.reject.data):
        return _render(request_id, form, 422)
    approve = bool(form.approve.data)
    try:
        with context.catalogue().transaction() as session:
            decided = workflow.decide(
                session,
                curator=context.me(session),
                request_id=request_id,
                approve=approve,
                comment=form.comment.data.strip(),
                now=context.now(),
                settings=context.catalogue().settings,
            )
            outcome = decided.status.value
    except FaircatError as error:
        form.form_errors.append(str(error))
        flash(f"Not decided: {error}", "error")
        return _render(request_id, form, 422)
    flash(f"Request {outcome}; the requester has been notified.", "success")
    return redirect(url_for("portal.reviews.queue"))


@bp.get("/curator/")
def queue() -> ResponseReturnValue:
    _staff_only()
    with context.catalogue().transaction() as session:
        pending = workflow.queue(session)
        ids = {r.investigation_id for r in pending}
        experiments = session.scalars(select(Investigation).where(Investigation.id.in_(ids)))
        labels = {inv.id: inv.label for inv in experiments}
        registry = _registry_problems(session)
        return render_template(
            "portal/queue.html", pending=pending, labels=labels, registry=registry
        )


def _registry_problems(session: Session) -> list[dict[str, Any]]:
    """DOIs DataCite rejected (a curator must act) or that keep failing (an outage)."""
    from faircat.catalogue.models import DataPublication, DoiTask

    rows = session.execute(
        select(DoiTask, DataPublication.doi)
        .join(DataPublication, DataPublication.id == DoiTask.publication_id)
        .where(
            (DoiTask.status == "rejected")
            | ((DoiTask.status == "pending") & (DoiTask.attempts > 0))
        )
        .order_by(DoiTask.status.desc(), DoiTask.next_attempt_at)
        .limit(200)
    )
    return [
        {
            "doi": doi,
            "rejected": task.status == "rejected",
            "attempts": task.attempts,
            "next": task.next_attempt_at,
            "error": task.last_error or "",
        }
        for task, doi in rows
    ]
