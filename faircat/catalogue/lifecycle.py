"""The lifecycle of an investigation, derived from its dates and approved requests.

    scheduled --start--> active --end--> embargoed --release date--> public
    public --approved withdrawal--> withdrawn (tombstone; the DOI keeps resolving)

Nothing here stores a state: :func:`state_at` computes it for any instant, so "what was public
on 1 March" has an answer and a release needs no job to flip a flag. The release date is
end + facility embargo, moved only by approved early-release or extension requests
(:func:`release_date_from`); the stored ``Investigation.release_date`` is that value, cached so
that SQL can find what is public with one indexed range query (:func:`public_clause`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from faircat.catalogue.vocab import LifecycleState, RequestKind
from faircat.errors import ValidationError


def add_years(moment: datetime, years: int) -> datetime:
    """``moment`` plus whole calendar years; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def default_release_date(end: datetime, embargo_years: int) -> datetime:
    return add_years(end, embargo_years)


def retention_end(end: datetime, retention_years: int) -> datetime:
    """Nothing may be deleted before this instant."""
    return add_years(end, retention_years)


@dataclass(frozen=True)
class Dates:
    start: datetime
    end: datetime
    release: datetime
    withdrawn: datetime | None = None


def state_at(dates: Dates, now: datetime) -> LifecycleState:
    if dates.withdrawn is not None and dates.withdrawn <= now:
        return LifecycleState.WITHDRAWN
    if dates.release <= now:
        return LifecycleState.PUBLIC
    if dates.end <= now:
        return LifecycleState.EMBARGOED
    if dates.start <= now:
        return LifecycleState.ACTIVE
    return LifecycleState.SCHEDULED


@dataclass(frozen=True)
class ApprovedChange:
    """An approved request that moves the release date."""

    kind: RequestKind
    decided_at: datetime
    requested_date: datetime | None = None


def release_date_from(
    end: datetime, embargo_years: int, approved: Iterable[ApprovedChange]
) -> datetime:
    """The release date after applying approved requests in decision order.

    Early release: the requested date, or the decision time when none was asked for (never
    later than the current date). Extension: the requested new date.
    """
    release = default_release_date(end, embargo_years)
    for change in sorted(approved, key=lambda c: c.decided_at):
        if change.kind is RequestKind.EARLY_RELEASE:
            release = min(release, change.requested_date or change.decided_at)
        elif change.kind is RequestKind.EXTENSION and change.requested_date is not None:
            release = change.requested_date
    return release


def check_dates(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("start and end must carry a timezone", field="start_date")
    if end < start:
        raise ValidationError(
            f"end {end.isoformat()} is before start {start.isoformat()}", field="end_date"
        )


def check_extension(end: datetime, new_release: datetime, retention_years: int) -> None:
    """An embargo may not outlast the retention period: the data could be gone before release."""
    limit = retention_end(end, retention_years)
    if new_release > limit:
        raise ValidationError(
            f"an extension to {new_release.date().isoformat()} is past the end of the "
            f"retention period ({limit.date().isoformat()}, {retention_years} years after the "
            "experiment)",
            field="requested_date",
        )


def public_clause(now: datetime) -> ColumnElement[bool]:
    """SQL: the investigation is public at ``now`` (uses ix_investigation_public)."""
    from faircat.catalogue.models import Investigation

    return and_(
        Investigation.release_date <= now,
        or_(Investigation.withdrawn_at.is_(None), Investigation.withdrawn_at > now),
    )


def dates_of(investigation: object) -> Dates:
    """The :class:`Dates` of an Investigation row (duck-typed, so plain objects work in tests)."""
    return Dates(
        start=investigation.start_date,  # type: ignore[attr-defined]
        end=investigation.end_date,  # type: ignore[attr-defined]
        release=investigation.release_date,  # type: ignore[attr-defined]
        withdrawn=investigation.withdrawn_at,  # type: ignore[attr-defined]
    )
