"""Throttling failed portal sign-ins, shared by every web worker (table ``login_throttle``).

Policy (OWASP authentication cheat sheet): failures are counted per account name and per client
address, each key in a fixed window that starts at its first failure and lasts
``login_window_minutes``. A key with ``login_account_failures`` (resp.
``login_address_failures``) failures in its window is refused, without checking any password,
until the window ends. A successful sign-in clears the account's counter (not the address's:
one valid account must not reset the count of an address that guesses at others). Unknown
usernames are counted exactly like existing ones, so a refusal does not reveal which exist.

Race safety: an attempt is counted *before* its password is checked (:func:`begin`) by one
atomic ``UPDATE ... SET failures = failures + 1 ... WHERE failures < limit`` (or an INSERT, with
the IntegrityError of a concurrent INSERT sending it back to the UPDATE), so however many
workers and threads guess at once, no key gets more than its limit of password checks per
window. A success then takes its attempt back (:func:`succeeded`). Each statement is its own
short transaction, on SQLite as on PostgreSQL, like the leases in :mod:`faircat.catalogue.locks`.

The clock is the caller's ``now`` (the portal's ``FAIRCAT_NOW``), so tests move through windows
without sleeping. Rows whose window has ended mean the same as no row; they are deleted whenever
a new key is inserted (the only way the table grows), so it holds at most the keys of one window.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, case, delete, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from faircat.catalogue.models import LoginThrottle, UTCDateTime
from faircat.config import Settings

log = logging.getLogger(__name__)

_T = LoginThrottle.__table__
ACCOUNT = "account:"
ADDRESS = "address:"
_KEY_LENGTH = 255  # login_throttle.key


@dataclass(frozen=True)
class Policy:
    """The limits; a limit of 0 switches counting for that kind of key off."""

    account_failures: int = 5
    address_failures: int = 50
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            account_failures=settings.login_account_failures,
            address_failures=settings.login_address_failures,
            window=timedelta(minutes=settings.login_window_minutes),
        )

    def limit(self, key: str) -> int:
        return self.account_failures if key.startswith(ACCOUNT) else self.address_failures


def account_key(username: str) -> str:
    """The key of an account name, normalised as the sign-in form does (``" Pia"`` is ``pia``)."""
    return (ACCOUNT + username.strip().lower())[:_KEY_LENGTH]


def address_key(address: str | None) -> str | None:
    """The key of a client address: IPv4 as it is, IPv6 by its /64 (one end site's network,
    which its owner can fill with addresses at will). None when the address is unknown."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return (ADDRESS + address)[:_KEY_LENGTH]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ADDRESS + str(ip.ipv4_mapped)
        return ADDRESS + str(ipaddress.IPv6Network((ip, 64), strict=False))
    return ADDRESS + str(ip)


@dataclass(frozen=True)
class Counted:
    """An attempt counted against ``key``: its count after this attempt, in which window."""

    key: str
    failures: int
    window_start: datetime


@dataclass(frozen=True)
class Attempt:
    """The outcome of :func:`begin`: either counted against every key, or refused."""

    keys: tuple[str, ...]
    counted: tuple[Counted, ...] = ()
    retry_at: datetime | None = None  # refused: no attempt before this instant

    @property
    def refused(self) -> bool:
        return self.retry_at is not None

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until ``retry_at`` (the HTTP ``Retry-After`` value), at least 1."""
        assert self.retry_at is not None
        return max(1, math.ceil((self.retry_at - now).total_seconds()))


def begin(engine: Engine, policy: Policy, keys: Iterable[str | None], now: datetime) -> Attempt:
    """Count one sign-in attempt against each key, before its password is checked.

    Refused (nothing counted, nothing to undo) when a key already has its limit of failures in
    its window; ``retry_at`` is then the end of the latest such window. Otherwise the caller
    checks the password and calls :func:`succeeded` or :func:`failed`.
    """
    wanted = tuple(k for k in dict.fromkeys(keys) if k is not None and policy.limit(k) > 0)
    # A read first: under attack most attempts are refused here, without a write.
    with engine.connect() as conn:
        rows = conn.execute(
            select(_T.c.key, _T.c.failures, _T.c.window_start).where(_T.c.key.in_(wanted))
        ).all()
    locked = [
        (row.key, row.failures, row.window_start)
        for row in rows
        if row.failures >= policy.limit(row.key) and row.window_start + policy.window > now
    ]
    if locked:
        return _refuse(wanted, locked, policy, now)
    counted: list[Counted] = []
    for key in wanted:
        outcome = _count(engine, key, policy.limit(key), policy.window, now)
        if isinstance(outcome, Counted):
            counted.append(outcome)
            continue
        # Another worker filled the key since the read: take back what this attempt counted.
        _take_back(engine, counted)
        return _refuse(wanted, [outcome], policy, now)
    return Attempt(wanted, tuple(counted))


def succeeded(engine: Engine, attempt: Attempt) -> None:
    """The password was right: clear the account's counter, take the address's attempt back."""
    with engine.begin() as conn:
        accounts = [k for k in attempt.keys if k.startswith(ACCOUNT)]
        if accounts:
            conn.execute(delete(_T).where(_T.c.key.in_(accounts)))
        _release(conn, [c for c in attempt.counted if not c.key.startswith(ACCOUNT)])


def failed(attempt: Attempt, policy: Policy) -> None:
    """The password was wrong (already counted by :func:`begin`): log the keys it filled."""
    for counted in attempt.counted:
        limit = policy.limit(counted.key)
        if counted.failures == limit:
            log.warning(
                "sign-in throttled: %r reached %d failed sign-ins since %s; refused until %s "
                "(attempt for %s)",
                counted.key,
                limit,
                counted.window_start.isoformat(timespec="seconds"),
                (counted.window_start + policy.window).isoformat(timespec="seconds"),
                _describe(attempt.keys),
            )


def unlock(engine: Engine, keys: Iterable[str | None]) -> int:
    """Forget the counters of ``keys`` (an operator unlocking early); how many there were."""
    wanted = [k for k in keys if k is not None]
    with engine.begin() as conn:
        return int(conn.execute(delete(_T).where(_T.c.key.in_(wanted))).rowcount or 0)


def purge(engine: Engine, window: timedelta, now: datetime) -> int:
    """Delete the rows whose window ended: they mean the same as no row."""
    with engine.begin() as conn:
        return int(conn.execute(delete(_T).where(_T.c.window_start <= now - window)).rowcount or 0)


# -- internals ----------------------------------------------------------------------------------


def _count(
    engine: Engine, key: str, limit: int, window: timedelta, now: datetime
) -> Counted | tuple[str, int, datetime]:
    """Count an attempt against ``key`` atomically; or (key, failures, window_start) when full."""
    ended = _T.c.window_start <= now - window
    increment = (
        update(_T)
        .where(_T.c.key == key, or_(ended, _T.c.failures < limit))
        # SET expressions read the row as it was before the update, on both backends.
        .values(
            failures=case((ended, 1), else_=_T.c.failures + 1),
            window_start=case((ended, literal(now, UTCDateTime())), else_=_T.c.window_start),
        )
        .returning(_T.c.failures, _T.c.window_start)
    )
    for _ in range(10):
        with engine.begin() as conn:
            row = conn.execute(increment).first()
        if row is not None:
            return Counted(key, row.failures, row.window_start)
        # No row, or a full one: which? (It may change meanwhile: then go round again.)
        with engine.connect() as conn:
            row = conn.execute(
                select(_T.c.failures, _T.c.window_start).where(_T.c.key == key)
            ).first()
        if row is not None:
            if row.failures >= limit and row.window_start + window > now:
                return (key, row.failures, row.window_start)
            continue
        try:
            with engine.begin() as conn:
                conn.execute(insert(_T).values(key=key, failures=1, window_start=now))
        except IntegrityError:
            continue  # another worker inserted it first: count on its row
        purge(engine, window, now)
        return Counted(key, 1, now)
    raise RuntimeError(f"login_throttle: the row of {key!r} kept changing; giving up")


def _release(conn: Connection, counted: Sequence[Counted]) -> None:
    """Take back attempts counted by :func:`begin`, in the window they were counted in."""
    for c in counted:
        conn.execute(
            update(_T)
            .where(_T.c.key == c.key, _T.c.window_start == c.window_start, _T.c.failures > 0)
            .values(failures=_T.c.failures - 1)
        )


def _take_back(engine: Engine, counted: Sequence[Counted]) -> None:
    if counted:
        with engine.begin() as conn:
            _release(conn, counted)


def _refuse(
    keys: tuple[str, ...],
    locked: Sequence[tuple[str, int, datetime]],
    policy: Policy,
    now: datetime,
) -> Attempt:
    retry_at = max(start + policy.window for _, _, start in locked)
    for key, failures, start in locked:
        log.warning(
            "sign-in refused without checking the password: %r has %d failed sign-ins since %s; "
            "refused until %s (attempt for %s)",
            key,
            failures,
            start.isoformat(timespec="seconds"),
            (start + policy.window).isoformat(timespec="seconds"),
            _describe(keys),
        )
    return Attempt(keys, (), retry_at)


def _describe(keys: Sequence[str]) -> str:
    return ", ".join(repr(k) for k in keys)
