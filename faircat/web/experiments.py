"""An experiment's portal page and the release-request forms on it.

GET shows the experiment and, to those who may ask (the PI, staff), one form per kind of
request that makes sense in the experiment's state. Each form posts to its own URL; a domain
error (:class:`~faircat.errors.FaircatError`) is shown above that form, with what was typed,
and the request is not stored (the transaction rolls back).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from faircat.catalogue import requests as workflow
from faircat.catalogue.access import Action, decide, principal_for
from faircat.catalogue.models import DataPublication, Dataset, Instrument, Investigation
from faircat.catalogue.vocab import LifecycleState, RequestKind
from faircat.catalogue.workspace.experiments import ExperimentQuery, list_experiments
from faircat.catalogue.workspace.naming import display_name
from faircat.errors import FaircatError, ValidationError
from faircat.web import context
from faircat.web.experiment_data import browse_query, data_context, filters_of, sort_link
from faircat.web.forms import (
    CREATOR_KEYS,
    HIDDEN_CREATOR_KEYS,
    AmendmentForm,
    EarlyReleaseForm,
    ExtensionForm,
    SelectionDoiForm,
    WithdrawalForm,
    creators_of,
)

bp = Blueprint("experiments", __name__, url_prefix="/experiments")

FORMS: dict[RequestKind, type[FlaskForm]] = {
    RequestKind.EARLY_RELEASE: EarlyReleaseForm,
    RequestKind.EXTENSION: ExtensionForm,
    RequestKind.SELECTION_DOI: SelectionDoiForm,
    RequestKind.AMENDMENT: AmendmentForm,
    RequestKind.WITHDRAWAL: WithdrawalForm,
}

_S = LifecycleState
# Which forms are offered in which state (as requests.py accepts them). This only trims the
# page: the domain layer decides whether a request is acceptable, and its refusal is shown if
# a stale page posts anyway. An amendment is also only offered when there is a DOI to amend.
OFFERED: dict[RequestKind, set[LifecycleState]] = {
    RequestKind.EARLY_RELEASE: {_S.ACTIVE, _S.EMBARGOED},
    RequestKind.EXTENSION: {_S.SCHEDULED, _S.ACTIVE, _S.EMBARGOED},
    RequestKind.SELECTION_DOI: {_S.ACTIVE, _S.EMBARGOED, _S.PUBLIC},
    RequestKind.AMENDMENT: {_S.ACTIVE, _S.EMBARGOED, _S.PUBLIC},
    RequestKind.WITHDRAWAL: {_S.EMBARGOED, _S.PUBLIC},
}


def _kind(value: str) -> RequestKind:
    try:
        return RequestKind(value.replace("-", "_"))
    except ValueError:
        abort(404)


def slug(kind: RequestKind) -> str:
    return kind.value.replace("_", "-")


def _new_form(kind: RequestKind, **kwargs: Any) -> FlaskForm:
    # Prefixes keep ids unique: every form on the page has a "justification".
    return FORMS[kind](prefix=slug(kind), **kwargs)


# -- pre-filled data ------------------------------------------------------------------------------


def _selection_data(session: Session, investigation: Investigation) -> dict[str, Any]:
    """Initial values of the selection form, from the domain's defaults."""
    defaults = workflow.selection_defaults(session, investigation)
    dataset_ids = defaults.get("dataset_ids")
    if dataset_ids is None:
        dataset_ids = [
            d["id"] if isinstance(d, dict) else getattr(d, "id", d)
            for d in defaults.get("datasets") or []
        ]
    creators = [
        {key: str(creator.get(key) or "") for key in (*CREATOR_KEYS, *HIDDEN_CREATOR_KEYS)}
        for creator in defaults.get("creators") or []
    ]
    return {
        "title": defaults.get("title") or "",
        "abstract": defaults.get("abstract") or "",
        "creators": creators or [{}],
        "dataset_ids": [int(i) for i in dataset_ids],
    }


# Above this many datasets the experiment page links to the selection form instead of
# rendering a checkbox per dataset inline (5,000 checkboxes weigh a megabyte and a second).
INLINE_SELECTION = 300


def _datasets(session: Session, investigation: Investigation) -> list[Any]:
    """(id, name, title, type) of the experiment's datasets: columns, not ORM objects."""
    return list(
        session.execute(
            select(Dataset.id, Dataset.name, Dataset.title, Dataset.type)
            .where(Dataset.investigation_id == investigation.id)
            .order_by(Dataset.start_time, Dataset.name)
        )
    )


def _publications(session: Session, investigation: Investigation) -> list[DataPublication]:
    """The DOIs an amendment may target: the experiment's, its selections', its datasets'."""
    datasets = select(Dataset.id).where(Dataset.investigation_id == investigation.id)
    return list(
        session.scalars(
            select(DataPublication)
            .where(
                or_(
                    DataPublication.investigation_id == investigation.id,
                    DataPublication.dataset_id.in_(datasets),
                ),
                DataPublication.withdrawn_at.is_(None),
            )
            .order_by(DataPublication.id)
        )
    )


def _prepare(form: FlaskForm, session: Session, investigation: Investigation) -> FlaskForm:
    """Choices that depend on the experiment (must be set before validating a POST)."""
    if isinstance(form, SelectionDoiForm):
        form.dataset_ids.choices = [
            (d.id, f"{display_name(d.name, d.title)} ({d.type.value})")
            for d in _datasets(session, investigation)
        ]
    elif isinstance(form, AmendmentForm):
        form.publication_id.choices = [
            (str(p.id), f"{p.doi}: {p.title}") for p in _publications(session, investigation)
        ]
    return form


# -- views ----------------------------------------------------------------------------------------


@bp.get("/")
def browse() -> ResponseReturnValue:
    """Every experiment of the person's scope: theirs, their beamlines', all for curators."""
    at = context.now()
    with context.catalogue().transaction() as session:
        user = context.me(session)
        principal = principal_for(user)
        problem = None
        try:
            query = browse_query(request.args)
            page = list_experiments(session, principal, at, query)
        except ValidationError as error:
            problem, query = str(error), ExperimentQuery()
            page = list_experiments(session, principal, at, query)
        beamlines = session.scalars(select(Instrument.name).order_by(Instrument.name)).all()
        return render_template(
            "portal/browse.html",
            current="browse",
            page=page,
            query=query,
            problem=problem,
            beamlines=beamlines,
            states=[s.value for s in LifecycleState],
            is_staff=principal.is_staff,
            scientist=bool(principal.scientist_of),
        )


@bp.get("/<label>")
def show(label: str) -> ResponseReturnValue:
    return _render(label)


def _render(
    label: str, posted: tuple[RequestKind, FlaskForm] | None = None, status: int = 200
) -> ResponseReturnValue:
    """The experiment page; ``posted`` is a form sent back with its input and errors."""
    at = context.now()
    with context.catalogue().transaction() as session:
        user = context.me(session)
        investigation, principal, target = context.experiment_for(session, label, user, at)
        may_request = decide(principal, Action.REQUEST, target)
        forms: dict[RequestKind, FlaskForm] = {}
        linked: RequestKind | None = None
        if may_request:
            has_dois = bool(_publications(session, investigation))
            inline = (
                request.args.get("form") == slug(RequestKind.SELECTION_DOI)
                or session.scalar(
                    select(func.count(Dataset.id)).where(
                        Dataset.investigation_id == investigation.id
                    )
                )
                <= INLINE_SELECTION
            )
            for kind, states in OFFERED.items():
                if posted is not None and posted[0] is kind:
                    forms[kind] = posted[1]
                elif kind is RequestKind.SELECTION_DOI and not inline and target.state in states:
                    linked = kind
                elif target.state in states and (kind is not RequestKind.AMENDMENT or has_dois):
                    data = None
                    if kind is RequestKind.SELECTION_DOI:
                        data = _selection_data(session, investigation)
                    form = _new_form(kind, formdata=None, data=data)
                    forms[kind] = _prepare(form, session, investigation)
        members = sorted(investigation.members, key=lambda m: (m.role.value, m.user.full_name))
        data = data_context(
            session,
            investigation,
            target.state,
            request.args,
            context.catalogue().settings.facility_retention_years,
        )
        return (
            render_template(
                "portal/experiment.html",
                inv=investigation,
                state=target.state,
                my_role=target.members.get(user.id),
                members=members,
                sort_link=sort_link,
                filters_of=filters_of,
                **data,
                requests=workflow.requests_for(session, investigation),
                forms=forms,
                linked_form=linked,
                open_kind=posted[0] if posted else (
                    RequestKind.SELECTION_DOI if request.args.get("form") else None
                ),
                slug=slug,
            ),
            status,
        )


@bp.post("/<label>/requests/<kind_slug>")
def submit(label: str, kind_slug: str) -> ResponseReturnValue:
    kind = _kind(kind_slug)
    at = context.now()
    with context.catalogue().transaction() as session:
        user = context.me(session)
        investigation, _, _ = context.experiment_for(session, label, user, at)
        form = _prepare(_new_form(kind), session, investigation)

    if isinstance(form, SelectionDoiForm) and _edit_creator_rows(form):
        return _render(label, (kind, form))
    if not form.validate_on_submit():
        return _render(label, (kind, form), 422)

    try:
        with context.catalogue().transaction() as session:
            user = context.me(session)
            investigation, _, _ = context.experiment_for(session, label, user, at)
            created = workflow.submit(
                session,
                actor=user,
                investigation=investigation,
                kind=kind,
                justification=form.justification.data.strip(),
                now=at,
                **_details(kind, form),
            )
            request_id = created.id
    except FaircatError as error:
        # The message names the problem; the form comes back as typed.
        form.form_errors.append(str(error))
        flash(f"Not sent: {error}", "error")
        return _render(label, (kind, form), 422)
    flash("Your request was sent to the curators. You will be notified of the decision.", "success")
    return redirect(url_for("portal.reviews.show", request_id=request_id))


def _edit_creator_rows(form: SelectionDoiForm) -> bool:
    """Handle the no-JavaScript "Add a creator" / "Remove" buttons; True when one was used."""
    if "add_creator" in request.form:
        form.creators.append_entry()
        return True
    remove = request.form.get("remove_creator")
    if remove is not None:
        keep = [row for row in form.creators.entries if row.name != remove]
        if len(keep) == len(form.creators.entries) or not keep:
            return True
        form.creators.entries = keep
        return True
    return False


def _details(kind: RequestKind, form: FlaskForm) -> dict[str, Any]:
    """The keyword arguments of ``requests.submit`` that depend on the kind of request."""
    if isinstance(form, EarlyReleaseForm | ExtensionForm):
        day = form.requested_date.data
        return {"requested_date": context.start_of_day(day) if day else None}
    if isinstance(form, SelectionDoiForm):
        return {
            "payload": {
                "title": form.title.data.strip(),
                "abstract": (form.abstract.data or "").strip() or None,
                "creators": creators_of(form),
                "dataset_ids": list(form.dataset_ids.data or []),
            }
        }
    if isinstance(form, AmendmentForm):
        # Only what was typed: an empty field means "keep it", not "clear it".
        payload: dict[str, Any] = {"publication_id": int(form.publication_id.data)}
        for name in ("title", "abstract"):
            value = (form[name].data or "").strip()
            if value:
                payload[name] = value
        return {"payload": payload}
    return {}
