"""The audit trail: every decision and administrative change is one AuditEvent row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from faircat.catalogue.models import AuditEvent, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.username if actor is not None else "system"),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        comment=comment,
    )
    session.add(event)
    return event
