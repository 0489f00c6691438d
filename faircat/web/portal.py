"""The personal-account portal under ``/portal/``: dashboard, experiments, release requests.

One parent blueprint holds what every portal page shares: the sign-in gate (default deny: a
new view is private unless listed in :data:`PUBLIC_ENDPOINTS`), CSRF checks on every POST,
error pages (a domain error never becomes a 500), template filters and the portal's static
files. Areas are child blueprints: auth.py (sign in/out), experiments.py (an experiment and
its request forms), reviews.py (a request, the decision, the curators' queue).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import case, func, select
from werkzeug.exceptions import HTTPException

from faircat.catalogue import requests as workflow
from faircat.catalogue.lifecycle import dates_of, public_clause, state_at
from faircat.catalogue.models import (
    Dataset,
    Instrument,
    Investigation,
    InvestigationMember,
    Notification,
    ReleaseRequest,
)
from faircat.catalogue.vocab import LifecycleState, MemberRole, RequestKind, RequestStatus
from faircat.errors import FaircatError
from faircat.web import account, auth, context, datasets, experiments, oidc, reviews, search
from faircat.web.forms import MarkReadForm
from faircat.web.security import NOT_FOUND, parse_id

STATIC = Path(__file__).resolve().parent.parent / "static"
bp = Blueprint("portal", __name__, static_folder=str(STATIC), static_url_path="/static")
csrf = CSRFProtect()

PUBLIC_ENDPOINTS = frozenset(
    {
        "portal.home",
        "portal.static",
        "portal.auth.login",
        "portal.oidc.start",
        "portal.oidc.callback",
        "portal.search.page",  # anonymous visitors search public data
    }
)

KIND_LABELS = {
    RequestKind.EARLY_RELEASE: "Early release",
    RequestKind.EXTENSION: "Embargo extension",
    RequestKind.SELECTION_DOI: "DOI for a selection",
    RequestKind.AMENDMENT: "Amendment",
    RequestKind.WITHDRAWAL: "Withdrawal",
}
ROLE_LABELS = {
    MemberRole.PI: "Principal investigator",
    MemberRole.CO_PROPOSER: "Co-proposer",
    MemberRole.PARTICIPANT: "Participant",
    MemberRole.LOCAL_CONTACT: "Local contact",
}
# Badge classes of the published site, so a state looks the same in both places.
STATE_BADGES = {
    LifecycleState.PUBLIC: "badge--open",
    LifecycleState.EMBARGOED: "badge--embargoed",
    LifecycleState.WITHDRAWN: "badge--withdrawn",
}
STATUS_BADGES = {
    RequestStatus.APPROVED: "badge--open",
    RequestStatus.PENDING: "badge--embargoed",
    RequestStatus.REJECTED: "badge--withdrawn",
}


@bp.before_request
def gate() -> ResponseReturnValue | None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return auth.login_manager.unauthorized()


@bp.get("/")
def home() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return _landing()
    at = context.now()
    with context.catalogue().transaction() as session:
        user = context.me(session)
        memberships = session.execute(
            select(Investigation, InvestigationMember.role)
            .join(InvestigationMember)
            .where(InvestigationMember.user_id == user.id)
            .order_by(Investigation.end_date.desc(), Investigation.id.desc())
        ).all()
        pending = dict(
            session.execute(
                select(ReleaseRequest.investigation_id, func.count(ReleaseRequest.id))
                .where(
                    ReleaseRequest.status == RequestStatus.PENDING,
                    ReleaseRequest.investigation_id.in_([inv.id for inv, _ in memberships]),
                )
                .group_by(ReleaseRequest.investigation_id)
            ).all()
        )
        notifications = session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            # unread first, newest first within each group (portable: no boolean ordering)
            .order_by(
                case((Notification.read_at.is_(None), 0), else_=1),
                Notification.created_at.desc(),
                Notification.id.desc(),
            )
            .limit(50)
        ).all()
        rows = [
            {
                "label": inv.label,
                "title": inv.title,
                "role": role,
                "state": state_at(dates_of(inv), at),
                "end": inv.end_date,
                "release": inv.release_date,
                "doi": inv.doi,
                "pending": pending.get(inv.id, 0),
            }
            for inv, role in memberships
        ]
        queue_size = None
        if current_user.is_staff:
            queue_size = session.scalar(
                select(func.count(ReleaseRequest.id)).where(
                    ReleaseRequest.status == RequestStatus.PENDING
                )
            )
        return render_template(
            "portal/dashboard.html",
            rows=rows,
            notifications=notifications,
            unread=sum(1 for n in notifications if n.read_at is None),
            queue_size=queue_size,
        )


def _landing() -> ResponseReturnValue:
    """What anonymous visitors see: public figures and recent releases, and a way to sign in."""
    at = context.now()
    with context.catalogue().transaction() as session:
        public = session.scalars(
            select(Investigation)
            .where(public_clause(at))
            .order_by(Investigation.release_date.desc())
            .limit(20)
        ).all()
        counts = {
            "public": session.scalar(select(func.count(Investigation.id)).where(public_clause(at))),
            "datasets": session.scalar(
                select(func.count(Dataset.id)).join(Investigation).where(public_clause(at))
            ),
            "instruments": session.scalar(select(func.count(Instrument.id))),
        }
        rows = [(inv.label, inv.title, inv.release_date) for inv in public]
    return render_template("portal/landing.html", counts=counts, rows=rows)


@bp.post("/notifications/read")
def mark_read() -> ResponseReturnValue:
    form = MarkReadForm()
    chosen = form.notification.data or ""
    one = parse_id(chosen)
    if form.validate_on_submit() and (chosen == "" or one is not None):
        with context.catalogue().transaction() as session:
            user = context.me(session)
            if one is not None:
                ids = [one]
            else:
                ids = list(
                    session.scalars(
                        select(Notification.id).where(
                            Notification.user_id == user.id, Notification.read_at.is_(None)
                        )
                    )
                )
            # The domain checks ownership: someone else's id changes nothing.
            workflow.mark_read(session, user, ids, context.now())
        flash("Marked as read." if chosen else "All notifications read.", "success")
    return redirect(url_for(".home") + "#notifications")


# -- errors: every failure is a page that says what went wrong, in the portal's look ----------


def _error_page(status: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("portal/error.html", status=status, title=title, message=message), status


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> ResponseReturnValue:
    return _error_page(
        400,
        "The form could not be sent",
        "The form had expired or did not come from this site. Go back, reload the page and "
        "send it again.",
    )


@bp.errorhandler(FaircatError)
def domain_failed(error: FaircatError) -> ResponseReturnValue:
    # Views catch domain errors next to their forms; this is the safety net for the rest.
    return _error_page(400, "That did not work", str(error))


@bp.errorhandler(403)
def forbidden(error: HTTPException) -> ResponseReturnValue:
    return _error_page(403, "Not allowed", "Your account may not open this page.")


@bp.errorhandler(404)
def not_found(error: HTTPException) -> ResponseReturnValue:
    return _error_page(404, "Not found", NOT_FOUND)


# -- template helpers ---------------------------------------------------------------------------


def format_date(moment: datetime | None) -> str:
    """A calendar date, in UTC like the rest of faircat (see context.start_of_day)."""
    return moment.astimezone(UTC).date().isoformat() if moment else ""


def format_datetime(moment: datetime | None) -> str:
    """An instant, in the facility's time zone with its abbreviation (CET, CEST...)."""
    return (
        moment.astimezone(context.facility_zone()).strftime("%Y-%m-%d %H:%M %Z") if moment else ""
    )


def format_age(moment: datetime | None) -> str:
    if moment is None:
        return ""
    age = max(context.now() - moment, timedelta(0))
    if age < timedelta(hours=1):
        minutes = int(age.total_seconds() // 60)
        return "just now" if minutes < 1 else f"{minutes} min"
    if age < timedelta(days=2):
        return f"{int(age.total_seconds() // 3600)} h"
    return f"{age.days} days"


@bp.context_processor
def portal_globals() -> dict[str, Any]:
    settings = context.catalogue().settings
    return {
        "facility": settings.facility_name,
        # the published site's name: one brand from the landing pages to the portal and back
        "site_name": f"{settings.facility_short_name} open data",
        "kind_labels": KIND_LABELS,
        "role_labels": ROLE_LABELS,
        "state_badges": STATE_BADGES,
        "status_badges": STATUS_BADGES,
    }


def init_portal(app: Flask) -> None:
    """Register the portal and its extensions on ``app`` (called by create_app)."""
    # CSRF is checked by the portal's gate, not app-wide: machine APIs and OAI-PMH (which
    # allows POST) live outside /portal/ and authenticate with tokens, not cookies.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    auth.init_auth(app)
    app.add_template_filter(format_date, "portal_date")
    app.add_template_filter(format_datetime, "portal_datetime")
    app.add_template_filter(format_age, "portal_age")
    app.register_blueprint(bp, url_prefix="/portal")


bp.register_blueprint(account.bp)
bp.register_blueprint(auth.bp)
bp.register_blueprint(oidc.bp)
bp.register_blueprint(experiments.bp)
bp.register_blueprint(reviews.bp)
bp.register_blueprint(datasets.bp)
bp.register_blueprint(search.bp)
