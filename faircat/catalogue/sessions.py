"""Portal sign-in sessions kept in the catalogue: started at sign-in, ended server-side.

The browser's (signed) session cookie carries a 256-bit random secret; the table keeps its
SHA-256, the account and an expiry. Every request resolves the secret to an active account with
one indexed lookup, so a cookie stops working the moment its row goes: at sign-out, when the
password changes, when the account is deactivated, or when an administrator signs the account
out everywhere. Because the table is shared, this holds across every web worker.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from faircat.catalogue.models import LoginSession, User

# Expired rows are deleted by the sign-in that finds them, a few at a time, so the table stays
# small without a cleaning job and no sign-in pays for a large backlog.
_PURGE_BATCH = 100


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def start(session: Session, user: User, now: datetime, lifetime: timedelta) -> str:
    """A new session for ``user``; returns the secret for the cookie (never stored)."""
    _purge_expired(session, now)
    secret = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            id_hash=_hash(secret), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    session.flush()
    return secret


def resolve(session: Session, secret: str, now: datetime) -> User | None:
    """The active account a cookie's secret belongs to, or None once it was ended or expired."""
    if not secret or len(secret) > 128:
        return None
    return session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.id_hash == _hash(secret),
            LoginSession.expires_at > now,
            User.active.is_(True),
        )
    )


def end(session: Session, secret: str) -> None:
    """Sign-out: this browser's session ends, the account's other sessions stay."""
    session.execute(delete(LoginSession).where(LoginSession.id_hash == _hash(secret)))


def end_all(session: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of an account (except ``keep``'s); returns how many were ended."""
    query = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep:
        query = query.where(LoginSession.id_hash != _hash(keep))
    return session.execute(query).rowcount or 0


def count(session: Session, user_id: int, now: datetime) -> int:
    return len(
        session.scalars(
            select(LoginSession.id_hash).where(
                LoginSession.user_id == user_id, LoginSession.expires_at > now
            )
        ).all()
    )


def _purge_expired(session: Session, now: datetime) -> None:
    stale = session.scalars(
        select(LoginSession.id_hash).where(LoginSession.expires_at <= now).limit(_PURGE_BATCH)
    ).all()
    if stale:
        session.execute(delete(LoginSession).where(LoginSession.id_hash.in_(stale)))
