"""User accounts, roles, passwords (argon2) and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue import audit, sessions
from faircat.catalogue.models import ApiToken, Instrument, User, UserRole
from faircat.catalogue.models.base import utcnow
from faircat.catalogue.orcid import normalise_orcid
from faircat.catalogue.vocab import Role
from faircat.errors import DuplicateError, NotFoundError, ValidationError

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "fct_"
# Length is what makes a password hard to guess (NIST SP 800-63B); no composition rules.
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; this only bounds the work one request asks for
_hasher = PasswordHasher()


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    email: str | None = None
    orcid: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    affiliation: str | None = None
    affiliation_ror: str | None = None
    roles: tuple[Role, ...] = (Role.USER,)
    password: str | None = None


def username_base(name: str) -> str:
    """An ASCII username stem from a person's name: "Søren Østergaard" -> "soren.stergaard"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")[:48] or "user"


def split_name(full_name: str) -> tuple[str | None, str | None]:
    """Given and family name from "Given Family" or "Family, Given"."""
    full_name = " ".join(full_name.split())
    if "," in full_name:
        family, given = (p.strip() for p in full_name.split(",", 1))
        return given or None, family or None
    parts = full_name.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (None, full_name or None)


def add_user(session: Session, new: NewUser, actor: User | None = None) -> User:
    if not _USERNAME.match(new.username):
        raise ValidationError(
            f"invalid username {new.username!r}: 2-64 of a-z 0-9 . _ -, starting with a letter "
            "or digit",
            field="username",
        )
    if not new.full_name.strip():
        raise ValidationError("full name is empty", field="full_name")
    if new.email is not None and not _EMAIL.match(new.email):
        raise ValidationError(f"invalid e-mail address {new.email!r}", field="email")
    orcid = normalise_orcid(new.orcid) if new.orcid else None
    if session.scalar(select(User.id).where(User.username == new.username)):
        raise DuplicateError(f"user {new.username!r} already exists", field="username")
    if orcid and session.scalar(select(User.username).where(User.orcid == orcid)):
        raise DuplicateError(f"ORCID {orcid} already belongs to another user", field="orcid")
    if new.email and session.scalar(select(User.id).where(User.email == new.email)):
        raise DuplicateError(f"e-mail {new.email} already belongs to another user", field="email")
    given, family = split_name(new.full_name)
    user = User(
        username=new.username,
        full_name=" ".join(new.full_name.split()),
        given_name=new.given_name or given,
        family_name=new.family_name or family,
        email=new.email,
        orcid=orcid,
        affiliation=new.affiliation,
        affiliation_ror=new.affiliation_ror,
        password_hash=_hash_password(new.password, new.username) if new.password else None,
        roles=[UserRole(role=Role(r)) for r in dict.fromkeys(new.roles)],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        after={"username": user.username, "roles": sorted(new.roles)},
    )
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"user {username!r} does not exist", field="username")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _hash_password(password: str, username: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"the password is too short: use at least {MIN_PASSWORD} characters "
            "(a few unrelated words are easy to remember)",
            field="password",
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationError(
            f"the password is longer than {MAX_PASSWORD} characters", field="password"
        )
    if password.strip().lower() == username.lower():
        raise ValidationError("the password must not be the username", field="password")
    return _hasher.hash(password)


def set_password(
    session: Session, user: User, password: str, actor: User | None, keep_session: str | None = None
) -> int:
    """Set a new portal password and end the account's sessions (all but ``keep_session``,
    the browser that made the change). Returns how many sessions were ended."""
    user.password_hash = _hash_password(password, user.username)
    ended = sessions.end_all(session, user.id, keep=keep_session)
    audit.record(session, actor, "user.password", "user", user.id, after={"sessions_ended": ended})
    return ended


def set_active(session: Session, user: User, active: bool, actor: User | None) -> int:
    """(De)activate an account. Deactivation ends its sessions at once, and its API tokens stop
    working (authenticate_token checks ``active``). Returns how many sessions were ended."""
    before = user.active
    user.active = active
    ended = 0 if active else sessions.end_all(session, user.id)
    audit.record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        before={"active": before},
        after={"active": active, "sessions_ended": ended},
    )
    return ended


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash or not user.active:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except VerificationError:
        return False


def set_roles(session: Session, user: User, roles: Iterable[Role], actor: User | None) -> None:
    before = sorted(user.role_names)
    user.roles = [UserRole(role=Role(r)) for r in dict.fromkeys(roles)]
    audit.record(
        session,
        actor,
        "user.roles",
        "user",
        user.id,
        before={"roles": before},
        after={"roles": sorted(user.role_names)},
    )


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    user: User,
    name: str,
    *,
    instrument: str | None = None,
    expires_at: datetime | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and never stored."""
    instrument_id = None
    if instrument is not None:
        found = session.scalar(select(Instrument.id).where(Instrument.name == instrument))
        if found is None:
            raise NotFoundError(f"instrument {instrument!r} does not exist", field="instrument")
        instrument_id = found
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=_token_hash(secret),
        prefix=secret[:10],
        instrument_id=instrument_id,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        "api_token",
        token.id,
        after={"user": user.username, "name": name, "instrument": instrument},
    )
    return token, secret


def authenticate_token(session: Session, secret: str, now: datetime | None = None) -> ApiToken:
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        raise ValidationError("invalid or revoked API token", field="token")
    if token.expires_at is not None and token.expires_at <= now:
        raise ValidationError("API token has expired", field="token")
    token.last_used_at = now
    return token
