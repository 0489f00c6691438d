"""The facility profile, instruments and techniques."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue import audit, identifiers
from faircat.catalogue.models import Facility, Instrument, Technique, User
from faircat.catalogue.panet import TECHNIQUES
from faircat.config import Settings
from faircat.errors import DuplicateError, NotFoundError, ValidationError


def sync_facility(session: Session, settings: Settings) -> Facility:
    """Create or update the facility row from the settings profile (one facility per site)."""
    facility = session.scalar(select(Facility).order_by(Facility.id).limit(1))
    values = {
        "name": settings.facility_name,
        "short_name": settings.facility_short_name,
        "ror": settings.facility_ror or None,
        "doi_prefix": settings.facility_doi_prefix,
        "embargo_years": settings.facility_embargo_years,
        "retention_years": settings.facility_retention_years,
        "licence": settings.facility_licence,
        "base_url": settings.facility_base_url,
    }
    if facility is None:
        facility = Facility(**values)
        session.add(facility)
        session.flush()
        audit.record(session, None, "facility.create", "facility", facility.id, after=values)
        return facility
    before = {k: getattr(facility, k) for k in values}
    if before != values:
        for key, value in values.items():
            setattr(facility, key, value)
        audit.record(
            session, None, "facility.update", "facility", facility.id, before=before, after=values
        )
    return facility


def get_facility(session: Session) -> Facility:
    facility = session.scalar(select(Facility).order_by(Facility.id).limit(1))
    if facility is None:
        raise NotFoundError("the catalogue has no facility yet: run 'faircat db upgrade'")
    return facility


def ensure_technique(session: Session, key_or_pid: str) -> Technique:
    """A technique by short name (``mx``) or PaNET IRI, created from the PaNET table."""
    pid, name = TECHNIQUES.get(key_or_pid, (key_or_pid, None))
    technique = session.scalar(select(Technique).where(Technique.pid == pid))
    if technique is not None:
        return technique
    if name is None:
        known = ", ".join(sorted(TECHNIQUES))
        raise NotFoundError(f"unknown technique {key_or_pid!r} (known: {known})", field="technique")
    technique = Technique(pid=pid, name=name)
    session.add(technique)
    return technique


def add_instrument(
    session: Session,
    name: str,
    full_name: str,
    techniques: Iterable[str] = (),
    *,
    pid: str | None = None,
    description: str | None = None,
    actor: User | None = None,
) -> Instrument:
    name = identifiers.instrument_name(name)
    if not full_name.strip():
        raise ValidationError("instrument full name is empty", field="full_name")
    key = identifiers.instrument_key(name)
    for existing in session.scalars(select(Instrument.name)):
        if existing == name:
            raise DuplicateError(f"instrument {name!r} already exists", field="name")
        if identifiers.instrument_key(existing) == key:
            raise DuplicateError(
                f"instrument {name!r} would share the public beamline page of {existing!r} "
                "(names differing only in case or punctuation)",
                field="name",
            )
    instrument = Instrument(
        facility=get_facility(session),
        name=name,
        full_name=full_name,
        pid=pid,
        description=description,
        techniques=[ensure_technique(session, t) for t in techniques],
    )
    session.add(instrument)
    session.flush()
    audit.record(
        session,
        actor,
        "instrument.create",
        "instrument",
        instrument.id,
        after={"name": name, "techniques": [t.pid for t in instrument.techniques]},
    )
    return instrument


def get_instrument(session: Session, name: str) -> Instrument:
    instrument = session.scalar(select(Instrument).where(Instrument.name == name))
    if instrument is None:
        known = ", ".join(session.scalars(select(Instrument.name).order_by(Instrument.name)))
        raise NotFoundError(
            f"unknown instrument {name!r} (known: {known or 'none'})", field="instrument"
        )
    return instrument
