"""Investigations (proposal + visit) and their members."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import Base, IdMixin, TimestampMixin, UTCDateTime
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import MemberRole

if TYPE_CHECKING:
    from faircat.catalogue.models.data import Dataset, Sample
    from faircat.catalogue.models.facility import Facility, Instrument
    from faircat.catalogue.models.people import User

investigation_instrument = Table(
    "investigation_instrument",
    Base.metadata,
    Column(
        "investigation_id", ForeignKey("investigation.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("instrument_id", ForeignKey("instrument.id"), primary_key=True, index=True),
)


class Investigation(IdMixin, TimestampMixin, Base):
    """One visit of one proposal.

    The lifecycle state is never stored: :mod:`faircat.catalogue.lifecycle` derives it from
    ``start``/``end``/``release_date``/``withdrawn_at``. ``release_date`` is itself derived
    (end + embargo, moved only by approved requests) and kept here so that "what is public at
    time t" is one indexed range query.
    """

    __tablename__ = "investigation"
    __table_args__ = (
        UniqueConstraint("proposal", "visit"),
        CheckConstraint("end_date >= start_date", name="end_after_start"),
        Index("ix_investigation_public", "release_date", "withdrawn_at"),
        Index("ix_investigation_updated", "updated_at"),
        Index("ix_investigation_withdrawn", "withdrawn_at"),
    )

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    proposal: Mapped[str] = mapped_column(String(64))
    visit: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(64), default="experiment")
    start_date: Mapped[datetime] = mapped_column(UTCDateTime())
    end_date: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    release_date: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    doi: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The release date the PI was last warned about (a moved date warns again).
    release_notice_for: Mapped[datetime | None] = mapped_column(UTCDateTime())

    facility: Mapped[Facility] = relationship()
    instruments: Mapped[list[Instrument]] = relationship(secondary=investigation_instrument)
    members: Mapped[list[InvestigationMember]] = relationship(
        back_populates="investigation", cascade="all, delete-orphan"
    )
    datasets: Mapped[list[Dataset]] = relationship(back_populates="investigation")
    samples: Mapped[list[Sample]] = relationship(back_populates="investigation")

    @property
    def label(self) -> str:
        return f"{self.proposal}-{self.visit}"


class InvestigationMember(IdMixin, Base):
    __tablename__ = "investigation_member"
    __table_args__ = (UniqueConstraint("investigation_id", "user_id"),)

    investigation_id: Mapped[int] = mapped_column(
        ForeignKey("investigation.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole, "member_role"))

    investigation: Mapped[Investigation] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
