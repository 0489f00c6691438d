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


def record_many(
    session: Session,
    action: str,
    target_type: str,
    changes: list[tuple[object, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    actor_label: str,
    now: Any,
    comment: str | None = None,
) -> None:
    """One row per ``(target_id, before, after)`` in a single INSERT (a mass release)."""
    from sqlalchemy import insert

    if not changes:
        return
    session.execute(
        insert(AuditEvent),
        [
            {
                "actor_id": None,
                "actor_label": actor_label,
                "action": action,
                "target_type": target_type,
                "target_id": str(target_id),
                "before": before,
                "after": after,
                "comment": comment,
                "created_at": now,
            }
            for target_id, before, after in changes
        ],
    )
