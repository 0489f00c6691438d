"""Small builders for catalogue rows used across tests (real rows, real sessions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from faircat.catalogue.accounts import NewUser, add_user
from faircat.catalogue.facility import add_instrument
from faircat.catalogue.investigations import NewInvestigation, create_investigation
from faircat.catalogue.models import Instrument, Investigation, User
from faircat.catalogue.vocab import MemberRole, Role

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def user(session: Session, username: str, *roles: Role, **kwargs: object) -> User:
    return add_user(
        session,
        NewUser(
            username,
            kwargs.pop("full_name", username.title()),  # type: ignore[arg-type]
            roles=roles or (Role.USER,),
            **kwargs,
        ),
    )  # type: ignore[arg-type]


def instrument(session: Session, name: str = "XALOC", technique: str = "mx") -> Instrument:
    return add_instrument(session, name, f"{name} beamline", [technique])


def investigation(
    session: Session,
    proposal: str,
    *,
    start: datetime,
    days: int = 2,
    instrument_name: str = "XALOC",
    members: tuple[tuple[str, MemberRole], ...] = (),
    visit: str = "1",
    title: str | None = None,
) -> Investigation:
    return create_investigation(
        session,
        NewInvestigation(
            proposal=proposal,
            visit=visit,
            title=title or f"Experiment {proposal}",
            start=start,
            end=start + timedelta(days=days),
            instruments=[instrument_name],
            members=members,
        ),
    )
