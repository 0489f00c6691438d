"""The e-logbook: events per investigation or per beamline, tags, attachments, edit history.

Sized for ESRF-like volumes (~14 million events, mostly notifications): 64-bit keys and
indexes on (investigation, time) and (instrument, time) so a page of a logbook is a range scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import (
    Base,
    BigId,
    BigIdMixin,
    CreatedMixin,
    IdMixin,
    UTCDateTime,
    utcnow,
)
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import EventCategory, EventType, TagScope

event_tag = Table(
    "logbook_event_tag",
    Base.metadata,
    Column("event_id", BigId, ForeignKey("logbook_event.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(IdMixin, Base):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("name", "scope", "instrument_id", "investigation_id"),)

    name: Mapped[str] = mapped_column(String(64))
    colour: Mapped[str] = mapped_column(String(16), default="#5a6b7b")
    scope: Mapped[TagScope] = mapped_column(enum_type(TagScope, "tag_scope"))
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instrument.id"))
    investigation_id: Mapped[int | None] = mapped_column(ForeignKey("investigation.id"))


class LogbookEvent(BigIdMixin, CreatedMixin, Base):
    __tablename__ = "logbook_event"
    __table_args__ = (
        Index("ix_logbook_investigation_time", "investigation_id", "event_time"),
        Index("ix_logbook_instrument_time", "instrument_id", "event_time"),
    )

    investigation_id: Mapped[int | None] = mapped_column(ForeignKey("investigation.id"))
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instrument.id"))
    dataset_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("dataset.id"), index=True)
    type: Mapped[EventType] = mapped_column(enum_type(EventType, "event_type"))
    category: Mapped[EventCategory] = mapped_column(enum_type(EventCategory, "event_category"))
    title: Mapped[str | None] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    content_format: Mapped[str] = mapped_column(String(16), default="plain")  # plain | html
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str | None] = mapped_column(String(255))  # software/machine for notifications
    event_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Edit history: an edit writes a new row pointing at the one it replaces.
    previous_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("logbook_event.id"), index=True
    )
    superseded: Mapped[bool] = mapped_column(default=False)
    removed: Mapped[bool] = mapped_column(default=False)

    tags: Mapped[list[Tag]] = relationship(secondary=event_tag)
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class Attachment(BigIdMixin, CreatedMixin, Base):
    __tablename__ = "logbook_attachment"

    event_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("logbook_event.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(Text)  # relative to the instance attachment store

    event: Mapped[LogbookEvent] = relationship(back_populates="attachments")
