"""What every portal view needs: the catalogue, the clock, the signed-in user's row, access.

Views never build their own sessions or clocks: the catalogue comes from the app (one engine
per process) and the clock from ``app.config["FAIRCAT_NOW"]`` so tests can stand at any instant
of an experiment's lifecycle without patching.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy.orm import Session

from faircat.catalogue.access import Principal, Target, principal_for, target_for
from faircat.catalogue.investigations import get_investigation
from faircat.catalogue.models import Investigation, User
from faircat.catalogue.store import Catalogue
from faircat.errors import NotFoundError

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def catalogue() -> Catalogue:
    return current_app.extensions["faircat"]  # type: ignore[no-any-return]


def now() -> datetime:
    clock: Clock = current_app.config.get("FAIRCAT_NOW") or system_clock
    return clock()


def facility_zone() -> ZoneInfo:
    return ZoneInfo(catalogue().settings.facility_timezone)


def start_of_day(day: date) -> datetime:
    """00:00 UTC of a typed date.

    Calendar dates are UTC dates everywhere (the published site, the domain's messages, the
    release job), so a release asked for "15 January" is shown as 15 January by all of them.
    """
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def me(session: Session) -> User:
    """The signed-in user's row in ``session`` (the gate in portal.py guarantees one)."""
    user = session.get(User, current_user.user_id)
    if user is None or not user.active:
        abort(403)
    return user


def can_view(principal: Principal, target: Target) -> bool:
    """May this person open the experiment's portal page?

    Stricter than the READ policy on purpose: a public experiment is readable by everyone on the
    published site, but its portal page shows requests, justifications and decisions, which are
    for the people running the experiment and for staff only.
    """
    if principal.is_staff:
        return True
    if principal.user_id is not None and principal.user_id in target.members:
        return True
    return bool(principal.scientist_of & target.instrument_ids)


def experiment_for(
    session: Session, label: str, user: User, at: datetime
) -> tuple[Investigation, Principal, Target]:
    """The experiment ``label`` if ``user`` may see it; 404 otherwise.

    404 rather than 403 for someone else's experiment: the portal does not confirm that an
    embargoed proposal exists to people outside it.
    """
    try:
        investigation = get_investigation(session, label)
    except NotFoundError:
        abort(404)
    principal = principal_for(user)
    target = target_for(investigation, at)
    if not can_view(principal, target):
        abort(404)
    return investigation, principal, target
