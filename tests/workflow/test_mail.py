"""Notification e-mail through a real local SMTP server (aiosmtpd), on both backends."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from faircat.catalogue import requests
from faircat.catalogue.models import Notification, User
from faircat.errors import ConfigError
from faircat.mail import SmtpServer, parse_smtp_url, send_pending
from tests.catalogue import factories as f
from tests.workflow.helpers import NOW, build_world, free_port
from tests.workflow.helpers import SmtpServer as LocalSmtpServer

LATER = NOW + timedelta(minutes=5)


@pytest.fixture
def mail_settings(settings, smtp_server):
    return dataclasses.replace(
        settings, smtp_url=smtp_server.url, mail_from="TLS data desk <data@tls.example.org>"
    )


def notify(catalogue, *usernames, subject="Request #7 approved", link="/portal/requests/7"):
    with catalogue.transaction() as session:
        users = session.scalars(select(User).where(User.username.in_(usernames))).all()
        rows = requests.notify(
            session, users, subject=subject, body="Your request was approved.", now=NOW, link=link
        )
        session.flush()
        by_user = {u.id: u.username for u in users}
        ids = {by_user[n.user_id]: n.id for n in rows}
        return [ids[name] for name in usernames]


def state(catalogue, notification_id):
    with catalogue.transaction() as session:
        n = session.get_one(Notification, notification_id)
        return n.emailed_at, n.email_attempts, n.email_error


@pytest.fixture
def people(catalogue):
    with catalogue.transaction() as session:
        f.user(session, "pia", full_name="Pia Martí", email="pia@example.org")
        f.user(session, "cora", full_name="Cora Díaz", email="cora@example.org")
        f.user(session, "nomail", full_name="No Mail")
    return catalogue


def test_a_notification_is_mailed_once_with_a_link_to_the_portal(
    people, mail_settings, smtp_server
):
    [nid] = notify(people, "pia")
    report = send_pending(people.sessions, mail_settings, LATER)
    assert (report.sent, report.failed) == (1, 0)
    [(rcpt, message)] = smtp_server.inbox.messages
    assert rcpt == ["pia@example.org"]
    assert message["To"] == "Pia Martí <pia@example.org>"
    assert message["From"] == "TLS data desk <data@tls.example.org>"
    assert message["Subject"] == "[TLS] Request #7 approved"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == f"<notification-{nid}@data.tls.example.org>"
    body = message.get_content()
    assert body.startswith("Dear Pia Martí,\n\nYour request was approved.")
    assert "https://data.tls.example.org/portal/requests/7" in body
    assert state(people, nid) == (LATER, 1, None)
    # Sent is sent: the next run has nothing to do.
    again = send_pending(people.sessions, mail_settings, LATER + timedelta(minutes=5))
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp_server.inbox.messages) == 1


def test_a_decision_reaches_the_requester_by_mail(catalogue, mail_settings, smtp_server):
    with catalogue.transaction() as session:
        world = build_world(session)
        req = requests.submit(
            session,
            actor=world.pi,
            investigation=world.embargoed,
            kind="early_release",
            justification="Paper accepted",
            now=NOW,
        )
        requests.decide(
            session,
            curator=world.curator,
            request_id=req.id,
            approve=True,
            comment="Well done",
            now=NOW,
            settings=mail_settings,
        )
    report = send_pending(catalogue.sessions, mail_settings, LATER)
    assert report.sent == 3  # two curators on submission, the requester on the decision
    by_rcpt = {rcpt[0]: message for rcpt, message in smtp_server.inbox.messages}
    assert set(by_rcpt) == {"alice@example.org", "carol@example.org", "pia@example.org"}
    decision = by_rcpt["pia@example.org"]
    assert decision["Subject"] == (f"[TLS] Request #{req.id} approved: early release for P100-1")
    body = decision.get_content()
    assert "Alice Curator approved your request" in body and "Comment: Well done" in body
    assert f"https://data.tls.example.org/portal/requests/{req.id}" in body


def test_server_down_keeps_the_notification_and_the_next_run_sends_it(people, settings):
    port = free_port()  # nothing listens there yet
    down = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    [nid] = notify(people, "pia")
    report = send_pending(people.sessions, down, LATER)
    assert (report.sent, report.failed) == (0, 1)
    emailed_at, attempts, error = state(people, nid)
    assert emailed_at is None and attempts == 1
    assert error.startswith(f"cannot connect to SMTP server 127.0.0.1:{port}")
    assert report.errors == [error]

    revived = LocalSmtpServer(port)
    revived.start()
    try:
        report = send_pending(people.sessions, down, LATER + timedelta(minutes=5))
    finally:
        revived.stop()
    assert (report.sent, report.failed) == (1, 0)
    assert state(people, nid) == (LATER + timedelta(minutes=5), 2, None)
    [(rcpt, _)] = revived.inbox.messages
    assert rcpt == ["pia@example.org"]


def test_a_refused_recipient_does_not_stop_the_others(people, mail_settings, smtp_server):
    smtp_server.inbox.refuse.add("pia@example.org")
    pia, cora = notify(people, "pia", "cora")
    report = send_pending(people.sessions, mail_settings, LATER)
    assert (report.sent, report.failed) == (1, 1)
    emailed_at, attempts, error = state(people, pia)
    assert emailed_at is None and attempts == 1
    assert error.startswith("refused for pia@example.org:") and "550" in error
    assert state(people, cora)[0] == LATER
    assert [rcpt for rcpt, _ in smtp_server.inbox.messages] == [["cora@example.org"]]


def test_users_without_an_address_only_see_the_portal(people, mail_settings, smtp_server):
    [nid] = notify(people, "nomail")
    report = send_pending(people.sessions, mail_settings, LATER)
    assert (report.sent, report.failed) == (0, 0)
    assert state(people, nid) == (None, 0, None)
    assert smtp_server.inbox.messages == []


def test_without_smtp_url_nothing_is_sent_and_nothing_changes(people, settings):
    [nid] = notify(people, "pia")
    report = send_pending(people.sessions, settings, LATER)
    assert report.skipped and "smtp_url is not set" in report.describe()
    assert state(people, nid) == (None, 0, None)


def test_a_newline_in_a_subject_cannot_inject_headers(people, mail_settings, smtp_server):
    notify(people, "pia", subject="Hello\nBcc: victim@example.org")
    send_pending(people.sessions, mail_settings, LATER)
    [(rcpt, message)] = smtp_server.inbox.messages
    assert rcpt == ["pia@example.org"] and message["Bcc"] is None
    assert message["Subject"] == "[TLS] Hello Bcc: victim@example.org"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpServer("smtp", "mail.example.org", 25)),
        ("smtp://127.0.0.1:2525", SmtpServer("smtp", "127.0.0.1", 2525)),
        (
            "smtps://faircat:s%40cret@mail.example.org",
            SmtpServer("smtps", "mail.example.org", 465, "faircat", "s@cret"),
        ),
        (
            "smtp+starttls://u:p@mail.example.org:2587",
            SmtpServer("smtp+starttls", "mail.example.org", 2587, "u", "p"),
        ),
    ],
)
def test_smtp_urls(url, expected):
    assert parse_smtp_url(url) == expected
    assert "cret" not in repr(parse_smtp_url(url))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.org", "unsupported scheme 'http'"),
        ("smtp://", "no host given"),
        ("smtp://mail.example.org:port", "invalid port"),
    ],
)
def test_bad_smtp_urls(url, message):
    with pytest.raises(ConfigError, match=message):
        parse_smtp_url(url)
