"""Notification e-mail: sends what the portal already shows, after the deciding commit.

A decision writes Notification rows in its own transaction; :func:`send_pending` (run by
``faircat mail send`` or the scheduler) e-mails the rows whose ``emailed_at`` is empty. Each
notification is sent and marked in its own small transaction, so a crash re-sends at most one
message, and an SMTP outage only leaves ``email_error`` and a higher ``email_attempts`` on the
row: nothing is lost and the next run tries again. The fewest-attempts-first order keeps one
undeliverable address from holding back everybody else's mail. Users without an e-mail
address only see their notifications in the portal.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import unquote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from faircat.catalogue.db import transaction
from faircat.catalogue.models import Notification, User
from faircat.config import Settings
from faircat.errors import ConfigError

TIMEOUT = 30.0  # seconds for connecting and for each SMTP command
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    scheme: str  # smtp | smtp+starttls | smtps
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """``host:port``, for messages: never the credentials."""
        return f"{self.host}:{self.port}"


@dataclass
class MailReport:
    sent: int = 0
    failed: int = 0
    skipped: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def describe(self) -> str:
        if self.skipped:
            return f"no e-mail sent: {self.skipped}"
        text = f"{self.sent} e-mail sent, {self.failed} failed"
        return text + "".join(f"\n  {e}" for e in self.errors)


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://host:port``, ``smtp+starttls://user:pass@host:port`` or ``smtps://...``."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        raise ConfigError(
            f"smtp_url: unsupported scheme {parts.scheme!r}: use smtp://, smtp+starttls:// or "
            "smtps://"
        )
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ConfigError("smtp_url: invalid port") from None
    if not parts.hostname:
        raise ConfigError("smtp_url: no host given, e.g. smtp://mail.example.org:25")
    return SmtpServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(
    notification: Notification, user: User, settings: Settings, now: datetime
) -> EmailMessage:
    """A plain-text message: the notification, a link to the portal and a signature."""
    assert user.email is not None
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = formataddr((user.full_name, user.email))
    # Header values must be one line: a title with a newline must not inject headers.
    subject = " ".join(notification.subject.split())
    message["Subject"] = f"[{settings.facility_short_name}] {subject}"
    message["Date"] = format_datetime(now)
    domain = urlsplit(settings.facility_base_url).hostname or "localhost"
    # Stable across retries, so a message re-sent after a crash can be recognised as the same.
    message["Message-ID"] = f"<notification-{notification.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    lines = [f"Dear {user.full_name},", "", notification.body.rstrip(), ""]
    if notification.link:
        lines += [f"See {settings.facility_base_url}{notification.link}", ""]
    lines += ["-- ", f"{settings.facility_name} data catalogue", ""]
    message.set_content("\n".join(lines))
    return message


def send_pending(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    limit: int = 200,
    timeout: float = TIMEOUT,
) -> MailReport:
    """E-mail up to ``limit`` notifications not yet e-mailed; see the module docstring."""
    report = MailReport()
    if not settings.smtp_url:
        report.skipped = "smtp_url is not set (notifications are shown in the portal only)"
        return report
    server = parse_smtp_url(settings.smtp_url)
    with transaction(sessions) as session:
        ids = list(
            session.scalars(
                select(Notification.id)
                .join(User, User.id == Notification.user_id)
                .where(Notification.emailed_at.is_(None), User.email.is_not(None))
                .order_by(Notification.email_attempts, Notification.created_at, Notification.id)
                .limit(limit)
            )
        )
    if not ids:
        return report
    try:
        smtp = _connect(server, timeout)
    except (OSError, smtplib.SMTPException) as exc:
        _give_up(sessions, ids, f"cannot connect to SMTP server {server.label}: {_reason(exc)}")
        report.failed = len(ids)
        report.errors.append(f"cannot connect to SMTP server {server.label}: {_reason(exc)}")
        return report
    try:
        for position, notification_id in enumerate(ids):
            try:
                if _send_one(sessions, smtp, notification_id, settings, now, report):
                    report.sent += 1
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                # The connection is gone: the rest of the batch waits for the next run.
                error = f"SMTP server {server.label} dropped the connection: {_reason(exc)}"
                _give_up(sessions, ids[position:], error)
                report.failed += len(ids) - position
                report.errors.append(error)
                break
    finally:
        _close(smtp)
    return report


def _send_one(
    sessions: sessionmaker[Session],
    smtp: smtplib.SMTP,
    notification_id: int,
    settings: Settings,
    now: datetime,
    report: MailReport,
) -> bool:
    with transaction(sessions) as session:
        # SKIP LOCKED: two runs at once (PostgreSQL) never send the same notification twice.
        notification = session.scalar(
            select(Notification)
            .where(Notification.id == notification_id, Notification.emailed_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        if notification is None:
            return False  # sent meanwhile by another run
        user = session.get_one(User, notification.user_id)
        message = build_message(notification, user, settings, now)
        notification.email_attempts += 1
        try:
            smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPException as exc:  # this message refused (recipient, size...)
            notification.email_error = f"refused for {user.email}: {_reason(exc)}"
            report.failed += 1
            report.errors.append(f"notification {notification.id}: {notification.email_error}")
            return False
        notification.emailed_at = now
        notification.email_error = None
        return True


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        if server.scheme == "smtp+starttls":
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _give_up(sessions: sessionmaker[Session], ids: list[int], error: str) -> None:
    """Record a failed attempt on every notification of ``ids`` still not e-mailed."""
    with transaction(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
            .values(email_attempts=Notification.email_attempts + 1, email_error=error)
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace')}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
