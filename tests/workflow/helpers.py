"""Builders for the release-request tests: people of every role, experiments in every state,
datasets, a findable experiment DOI; queries to assert on; a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue.models import (
    AuditEvent,
    DataPublication,
    Dataset,
    Investigation,
    Notification,
    PublicationCreator,
    User,
)
from faircat.catalogue.vocab import DoiState, MemberRole, PublicationKind, Role
from tests.catalogue import factories as f
from tests.catalogue.factories import NOW


@dataclass
class World:
    pi: User
    coproposer: User
    student: User
    contact: User
    outsider: User
    curator: User
    curator2: User
    admin: User
    embargoed: Investigation  # ended 2025-01-12, release 2028-01-12
    public: Investigation  # ended 2021-01-03, public since 2024-01-03
    active: Investigation  # running at NOW
    other: Investigation  # another PI's embargoed experiment
    public_doi: DataPublication  # the public experiment's findable DOI


def _dataset(session: Session, inv: Investigation, name: str) -> Dataset:
    ds = Dataset(investigation=inv, name=name, start_time=inv.start_date, end_time=inv.end_date)
    session.add(ds)
    return ds


def build_world(session: Session) -> World:
    f.instrument(session)
    people = dict(
        pi=f.user(
            session, "pia", full_name="Pia Martí", orcid="0000-0002-1825-0097",
            affiliation="Universitat de Barcelona", email="pia@example.org",
        ),
        coproposer=f.user(session, "cora", full_name="Cora Díaz", email="cora@example.org"),
        student=f.user(session, "stu", full_name="Stu Dent", email="stu@example.org"),
        contact=f.user(session, "loco", full_name="Lo Contact", email="loco@example.org"),
        outsider=f.user(session, "otto", full_name="Otto Side", email="otto@example.org"),
        curator=f.user(
            session, "alice", Role.CURATOR, full_name="Alice Curator", email="alice@example.org"
        ),
        curator2=f.user(
            session, "carol", Role.CURATOR, full_name="Carol Curator", email="carol@example.org"
        ),
        admin=f.user(session, "root", Role.ADMIN, full_name="Root Admin", email="root@example.org"),
    )  # fmt: skip
    members = (
        ("pia", MemberRole.PI),
        ("stu", MemberRole.PARTICIPANT),
        ("cora", MemberRole.CO_PROPOSER),
        ("loco", MemberRole.LOCAL_CONTACT),
    )
    embargoed = f.investigation(
        session, "P100", start=NOW - timedelta(days=507), members=members, title="Lysozyme"
    )
    public = f.investigation(
        session, "P200", start=NOW - timedelta(days=1975), members=(("pia", MemberRole.PI),)
    )
    active = f.investigation(
        session, "P300", start=NOW - timedelta(days=1), members=(("pia", MemberRole.PI),)
    )
    f.user(session, "olga", full_name="Olga Other")
    other = f.investigation(
        session, "P400", start=NOW - timedelta(days=400), members=(("olga", MemberRole.PI),)
    )
    for inv, names in ((embargoed, ("scan1", "scan2", "scan3")), (public, ("old1",)),
                       (other, ("foreign1",))):  # fmt: skip
        for name in names:
            _dataset(session, inv, name)
    public_doi = DataPublication(
        kind=PublicationKind.INVESTIGATION,
        investigation_id=public.id,
        doi="10.80100/tls.p200-1",
        title=public.title,
        abstract="Old abstract",
        licence="CC-BY-4.0",
        doi_state=DoiState.FINDABLE,
        doi_target_state=DoiState.FINDABLE,
        creators=[PublicationCreator(position=0, full_name="Pia Martí")],
    )
    session.add(public_doi)
    session.flush()
    return World(
        **people,
        embargoed=embargoed,
        public=public,
        active=active,
        other=other,
        public_doi=public_doi,
    )


def register_experiment_doi(session: Session, inv: Investigation) -> DataPublication:
    """The experiment DOI as the release job leaves it at the end of an experiment."""
    pub = DataPublication(
        kind=PublicationKind.INVESTIGATION,
        investigation_id=inv.id,
        doi=f"10.80100/tls.{inv.proposal.lower()}-{inv.visit}",
        title=inv.title,
        licence="CC-BY-4.0",
        doi_state=DoiState.REGISTERED,
        doi_target_state=DoiState.REGISTERED,
        creators=[PublicationCreator(position=0, full_name="Pia Martí")],
    )
    session.add(pub)
    session.flush()
    return pub


# -- queries the tests assert on ---------------------------------------------------------------
def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def audit_rows(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def notifications(session: Session, request_id: int | None = None) -> dict[str, Notification]:
    """Notifications by recipient username (of one request when given)."""
    query = select(User.username, Notification).join(User, User.id == Notification.user_id)
    if request_id is not None:
        query = query.where(Notification.request_id == request_id)
    return {row[0]: row[1] for row in session.execute(query.order_by(Notification.id))}


# -- a real SMTP server ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every accepted message; refuses the addresses in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # As a mail client shows it: line ends of the wire (CRLF) back to newlines.
        raw = envelope.content.replace(b"\r\n", b"\n")
        message = message_from_bytes(raw, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
