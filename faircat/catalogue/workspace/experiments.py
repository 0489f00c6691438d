"""Experiments a person may browse: filtered by beamline, state, year and text, keyset-paged.

Two scopes. ``mine`` is the portal's browse page: the experiments the person works on (member),
looks after (instrument scientist) or curates (staff: all of them). ``readable`` adds every
public experiment, as the API lists what a caller may read. Both are subsets of what
``access.readable_clause`` allows, and the state filter is the SQL twin of
``lifecycle.state_at`` (tests check it row by row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from faircat.catalogue.access import Principal, readable_clause
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import Instrument, Investigation, InvestigationMember
from faircat.catalogue.models.investigation import investigation_instrument
from faircat.catalogue.vocab import LifecycleState
from faircat.catalogue.workspace import paging
from faircat.errors import ValidationError

MAX_PAGE = 1000
SCOPES = ("mine", "readable")


@dataclass(frozen=True)
class ExperimentQuery:
    text: str = ""
    beamline: str = ""
    state: str = ""
    year: int | None = None
    scope: str = "mine"
    after: str | None = None
    limit: int = 50

    def checked(self) -> ExperimentQuery:
        if self.scope not in SCOPES:
            raise ValidationError(f"unknown scope {self.scope!r}: use mine or readable", "scope")
        states = {s.value for s in LifecycleState}
        if self.state and self.state not in states:
            raise ValidationError(
                f"unknown state {self.state!r}: use {', '.join(sorted(states))}", field="state"
            )
        if self.year is not None and not 1900 <= self.year <= 2999:
            raise ValidationError(f"year {self.year} is out of range", field="year")
        if not 1 <= self.limit <= MAX_PAGE:
            raise ValidationError(f"limit must be 1 to {MAX_PAGE}", field="limit")
        if len(self.text) > 200:
            raise ValidationError("the search text is longer than 200 characters", field="q")
        return self


@dataclass(frozen=True)
class ExperimentRow:
    id: int
    label: str
    title: str
    state: LifecycleState
    start: datetime
    end: datetime
    release: datetime
    doi: str | None
    beamlines: tuple[str, ...]
    datasets: int


@dataclass(frozen=True)
class ExperimentPage:
    rows: list[ExperimentRow]
    total: int
    next: str | None


def scope_clause(principal: Principal, now: datetime, scope: str) -> ColumnElement[bool]:
    if scope == "readable":
        return readable_clause(principal, now)
    if principal.is_staff and principal.token_instrument is None:
        return true()
    clauses = []
    if principal.user_id is not None:
        clauses.append(
            Investigation.id.in_(
                select(InvestigationMember.investigation_id).where(
                    InvestigationMember.user_id == principal.user_id
                )
            )
        )
    instruments = set(principal.scientist_of)
    if principal.is_staff and principal.token_instrument is not None:
        instruments.add(principal.token_instrument)
    if instruments:
        clauses.append(
            Investigation.id.in_(
                select(investigation_instrument.c.investigation_id).where(
                    investigation_instrument.c.instrument_id.in_(instruments)
                )
            )
        )
    mine = or_(*clauses) if clauses else Investigation.id.is_(None)
    # never more than the policy allows (a token bound to an instrument narrows it)
    return and_(mine, readable_clause(principal, now))


def state_clause(state: LifecycleState, now: datetime) -> ColumnElement[bool]:
    """SQL twin of ``lifecycle.state_at``: the investigation is in ``state`` at ``now``."""
    withdrawn = and_(Investigation.withdrawn_at.is_not(None), Investigation.withdrawn_at <= now)
    live = or_(Investigation.withdrawn_at.is_(None), Investigation.withdrawn_at > now)
    return {
        LifecycleState.WITHDRAWN: withdrawn,
        LifecycleState.PUBLIC: and_(live, Investigation.release_date <= now),
        LifecycleState.EMBARGOED: and_(
            live, Investigation.release_date > now, Investigation.end_date <= now
        ),
        LifecycleState.ACTIVE: and_(
            live,
            Investigation.release_date > now,
            Investigation.end_date > now,
            Investigation.start_date <= now,
        ),
        LifecycleState.SCHEDULED: and_(
            live, Investigation.release_date > now, Investigation.start_date > now
        ),
    }[state]


def list_experiments(
    session: Session, principal: Principal, now: datetime, query: ExperimentQuery
) -> ExperimentPage:
    """Newest first (start date, then id), keyset-paged."""
    query = query.checked()
    clauses = [scope_clause(principal, now, query.scope)]
    if query.text:
        pattern = "%" + query.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_"
        ) + "%"
        clauses.append(
            or_(
                func.lower(Investigation.title).like(pattern, escape="\\"),
                func.lower(Investigation.proposal).like(pattern, escape="\\"),
                func.lower(func.coalesce(Investigation.doi, "")).like(pattern, escape="\\"),
            )
        )
    if query.beamline:
        clauses.append(
            Investigation.id.in_(
                select(investigation_instrument.c.investigation_id)
                .join(Instrument, Instrument.id == investigation_instrument.c.instrument_id)
                .where(func.lower(Instrument.name) == query.beamline.lower())
            )
        )
    if query.state:
        clauses.append(state_clause(LifecycleState(query.state), now))
    if query.year is not None:
        first = datetime(query.year, 1, 1, tzinfo=UTC)
        clauses.append(
            and_(
                Investigation.start_date >= first,
                Investigation.start_date < first.replace(year=query.year + 1),
            )
        )
    total = session.scalar(select(func.count(Investigation.id)).where(*clauses)) or 0
    page = select(Investigation).where(*clauses)
    if query.after:
        start, last_id = paging.decode(query.after, datetime)
        page = page.where(
            or_(
                Investigation.start_date < start,
                and_(Investigation.start_date == start, Investigation.id < last_id),
            )
        )
    found = session.scalars(
        page.order_by(Investigation.start_date.desc(), Investigation.id.desc()).limit(
            query.limit + 1
        )
    ).all()
    more = len(found) > query.limit
    found = found[: query.limit]
    ids = [inv.id for inv in found]
    counts = _dataset_counts(session, ids)
    beamlines = _beamlines(session, ids)
    rows = [
        ExperimentRow(
            id=inv.id,
            label=inv.label,
            title=inv.title,
            state=state_at(dates_of(inv), now),
            start=inv.start_date,
            end=inv.end_date,
            release=inv.release_date,
            doi=inv.doi,
            beamlines=beamlines.get(inv.id, ()),
            datasets=counts.get(inv.id, 0),
        )
        for inv in found
    ]
    token = paging.encode(found[-1].start_date, found[-1].id) if more and found else None
    return ExperimentPage(rows, total, token)


def _dataset_counts(session: Session, ids: list[int]) -> dict[int, int]:
    from faircat.catalogue.models import Dataset

    if not ids:
        return {}
    return dict(
        session.execute(
            select(Dataset.investigation_id, func.count(Dataset.id))
            .where(Dataset.investigation_id.in_(ids))
            .group_by(Dataset.investigation_id)
        ).all()
    )


def _beamlines(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not ids:
        return {}
    result: dict[int, list[str]] = {}
    rows = session.execute(
        select(investigation_instrument.c.investigation_id, Instrument.name)
        .join(Instrument, Instrument.id == investigation_instrument.c.instrument_id)
        .where(investigation_instrument.c.investigation_id.in_(ids))
        .order_by(Instrument.name)
    )
    for inv_id, name in rows:
        result.setdefault(inv_id, []).append(name)
    return {k: tuple(v) for k, v in result.items()}
