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


class Notification(BigIdMixin, CreatedMixin, Base):
    """A message to one user, shown in the portal and sent by e-mail.

    The e-mail is sent after the deciding transaction commits (``emailed_at`` stays empty until
    the SMTP server accepted it), so an SMTP outage delays mail but never loses it or a decision.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user", "user_id", "read_at", "created_at"),
        Index("ix_notification_mail", "emailed_at", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)  # portal path
    request_id: Mapped[int | None] = mapped_column(ForeignKey("release_request.id"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_error: Mapped[str | None] = mapped_column(Text)


class DoiTask(IdMixin, CreatedMixin, Base):
    """Durable outbox of registry work: "bring this DOI to its target state and metadata".

    The payload is computed when the task runs, from the catalogue as it is then, so a retry
    never sends stale metadata. ``status``: pending (due at ``next_attempt_at``), done, or
    rejected (the registry refused the metadata: a curator must look, no blind retry).
    """

    __tablename__ = "doi_task"
    __table_args__ = (
        Index("ix_doi_task_due", "status", "next_attempt_at"),
        Index("ix_doi_task_publication", "publication_id", "status"),
    )

    publication_id: Mapped[int] = mapped_column(ForeignKey("data_publication.id"))
    reason: Mapped[str] = mapped_column(String(64))  # register | release | amend | withdraw ...
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobLock(Base):
    """A lease that lets only one release job (or scheduler) run at a time on any backend."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
