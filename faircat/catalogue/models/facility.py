"""Facility, instruments (beamlines) and techniques (PaNET)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import Base, IdMixin, TimestampMixin

if TYPE_CHECKING:
    from faircat.catalogue.models.people import User

instrument_technique = Table(
    "instrument_technique",
    Base.metadata,
    Column("instrument_id", ForeignKey("instrument.id", ondelete="CASCADE"), primary_key=True),
    Column("technique_id", ForeignKey("technique.id", ondelete="CASCADE"), primary_key=True),
)

instrument_scientist = Table(
    "instrument_scientist",
    Base.metadata,
    Column("instrument_id", ForeignKey("instrument.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Facility(IdMixin, TimestampMixin, Base):
    """The facility profile; synchronised from the settings by ``faircat db upgrade``."""

    __tablename__ = "facility"

    name: Mapped[str] = mapped_column(String(255), unique=True)
    short_name: Mapped[str] = mapped_column(String(64))
    ror: Mapped[str | None] = mapped_column(String(255))
    doi_prefix: Mapped[str] = mapped_column(String(64))
    embargo_years: Mapped[int] = mapped_column(default=3)
    retention_years: Mapped[int] = mapped_column(default=5)
    licence: Mapped[str] = mapped_column(String(64), default="CC-BY-4.0")
    base_url: Mapped[str] = mapped_column(String(512))

    instruments: Mapped[list[Instrument]] = relationship(back_populates="facility")


class Technique(IdMixin, Base):
    __tablename__ = "technique"

    pid: Mapped[str] = mapped_column(String(255), unique=True)  # PaNET IRI
    name: Mapped[str] = mapped_column(String(255))


class Instrument(IdMixin, TimestampMixin, Base):
    """A beamline or instrument; ``name`` is what NeXus files carry in instrument/name."""

    __tablename__ = "instrument"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[str | None] = mapped_column(String(255))

    facility: Mapped[Facility] = relationship(back_populates="instruments")
    techniques: Mapped[list[Technique]] = relationship(secondary=instrument_technique)
    scientists: Mapped[list[User]] = relationship(secondary=instrument_scientist)
