"""Release requests decided by curators, and the audit trail of every decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import Base, BigIdMixin, CreatedMixin, IdMixin, UTCDateTime
from faircat.catalogue.models.people import User
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import RequestKind, RequestStatus


class ReleaseRequest(IdMixin, CreatedMixin, Base):
    __tablename__ = "release_request"
    __table_args__ = (
        Index("ix_release_request_queue", "status", "created_at"),
        Index("ix_release_request_investigation", "investigation_id", "status"),
    )

    kind: Mapped[RequestKind] = mapped_column(enum_type(RequestKind, "request_kind"))
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, "request_status"), default=RequestStatus.PENDING
    )
    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigation.id"))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("data_publication.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    justification: Mapped[str] = mapped_column(Text)
    # early release: the date asked for; extension: the new release date asked for.
    requested_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Selection DOI / amendment: the proposed metadata (title, abstract, creators, datasets).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    curator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    curator: Mapped[User | None] = relationship(foreign_keys=[curator_id])


class AuditEvent(BigIdMixin, CreatedMixin, Base):
    """Append-only: who did what to which object, with the values before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_target", "target_type", "target_id", "created_at"),
        Index("ix_audit_created", "created_at"),
    )

    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(255))  # kept if the account goes away
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
