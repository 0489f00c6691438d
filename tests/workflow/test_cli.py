"""``faircat request ...`` and ``faircat mail send`` end to end on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from faircat.catalogue.models import DataPublication, Dataset, Investigation
from faircat.cli import main
from tests.workflow.helpers import free_port

NOW = "2026-06-01T12:00Z"


@pytest.fixture
def run(settings, catalogue):
    env = {
        "FAIRCAT_DATABASE_URL": settings.database_url,
        "FAIRCAT_INSTANCE_PATH": str(settings.instance_path),
        "FAIRCAT_SITE_DIR": str(settings.site_dir),
        "FAIRCAT_FACILITY_SHORT_NAME": settings.facility_short_name,
        "FAIRCAT_FACILITY_BASE_URL": settings.facility_base_url,
        "FAIRCAT_FACILITY_NAME": settings.facility_name,
        "FAIRCAT_FACILITY_ROR": settings.facility_ror,
        "FAIRCAT_SMTP_URL": "",
        "FAIRCAT_CONFIG": "",
    }
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, **extra_env: str):
        result = runner.invoke(main, list(args), env={**env, **extra_env}, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke("db", "upgrade")
    invoke("instrument", "add", "XALOC", "--full-name", "XALOC MX", "--technique", "mx")
    for username, name, roles in (
        ("pia", "Pia Martí", ()),
        ("stu", "Stu Dent", ()),
        ("alice", "Alice Curator", ("--role", "curator")),
    ):
        email = f"{username}@example.org"
        invoke("user", "add", username, "--name", name, "--email", email, *roles)
    invoke(
        "investigation", "add", "--proposal", "P100", "--visit", "1", "--title", "Lysozyme",
        "--start", "2025-01-10T08:00Z", "--end", "2025-01-12T08:00Z", "--instrument", "XALOC",
        "--member", "pia:principal_investigator", "--member", "stu:participant",
    )  # fmt: skip
    return invoke


def release_date(catalogue):
    with catalogue.transaction() as session:
        return session.scalars(select(Investigation.release_date)).one()


def test_submit_list_show_approve(run, catalogue):
    out = run(
        "request", "submit", "P100-1", "--kind", "early_release", "--as", "pia",
        "--justification", "Paper accepted", "--now", NOW,
    ).output  # fmt: skip
    assert "submitted request #1: early release for P100-1; curators notified" in out
    listed = run("request", "list").output
    assert "#1" in listed and "early_release" in listed and "P100-1" in listed
    assert "pending" in listed and "pia" in listed
    shown = run("request", "show", "1").output
    assert "request #1: early release for P100-1" in shown
    assert "justification: Paper accepted" in shown and "status:        pending" in shown

    out = run("request", "approve", "1", "--as", "alice", "--comment", "ok", "--now", NOW).output
    assert "approved request #1: early release for P100-1; requester notified" in out
    assert release_date(catalogue) == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert run("request", "list").output.strip() == "no pending requests"
    assert "alice 2026-06-01" in run("request", "list", "--status", "approved").output
    assert "#1" in run("request", "list", "--status", "all", "--experiment", "P100-1").output
    assert "comment:       ok" in run("request", "show", "1").output

    again = run("request", "reject", "1", "--as", "alice", "--comment", "no", code=65)
    assert "Error: request #1 was already approved by alice on 2026-06-01 12:00 UTC" in (
        again.output
    )


def test_refusals_exit_with_the_error_code(run, catalogue):
    denied = run(
        "request", "submit", "P100-1", "--kind", "early_release", "--as", "stu", code=77
    )  # fmt: skip
    assert "stu may not request an early release for experiment P100-1" in denied.output
    late = run(
        "request", "submit", "P100-1", "--kind", "extension", "--as", "pia",
        "--date", "2031-01-01", "--now", NOW, code=65,
    )  # fmt: skip
    assert "past the end of the retention period" in late.output
    run("request", "submit", "P999-1", "--kind", "early_release", "--as", "pia", code=66)
    run(
        "request", "submit", "P100-1", "--kind", "extension", "--as", "pia",
        "--date", "2029-01-01", "--now", NOW,
    )  # fmt: skip
    assert "--comment" in run("request", "reject", "1", "--as", "alice", code=2).output
    by_pi = run("request", "approve", "1", "--as", "pia", code=77)
    assert "pia may not decide release requests" in by_pi.output
    run("request", "reject", "1", "--as", "alice", "--comment", "Not allowed by the funder")
    assert release_date(catalogue) == datetime(2028, 1, 12, 8, tzinfo=UTC)
    assert "status:        rejected" in run("request", "show", "1").output
    run("request", "show", "42", code=66)


def test_selection_doi_from_named_datasets(run, catalogue):
    with catalogue.transaction() as session:
        inv = session.scalars(select(Investigation)).one()
        session.add_all([Dataset(investigation=inv, name=n) for n in ("scan1", "scan2")])
    run(
        "request", "submit", "P100-1", "--kind", "selection_doi", "--as", "pia",
        "--dataset", "scan2", "--title", "The good scan", "--now", NOW,
    )  # fmt: skip
    shown = run("request", "show", "1").output
    assert '"title": "The good scan"' in shown and '"full_name": "Pia Martí"' in shown
    run("request", "approve", "1", "--as", "alice", "--now", NOW)
    with catalogue.transaction() as session:
        pub = session.scalars(select(DataPublication)).one()
        assert pub.doi == "10.80100/tls.p100-1-s1" and pub.title == "The good scan"
        assert [c.full_name for c in pub.creators] == ["Pia Martí", "Stu Dent"]
    missing = run(
        "request", "submit", "P100-1", "--kind", "selection_doi", "--as", "pia",
        "--dataset", "scan9", code=66,
    )  # fmt: skip
    assert "experiment P100-1 has no dataset 'scan9'" in missing.output


def test_mail_send(run, smtp_server):
    assert "smtp_url is not set" in run("mail", "send").output
    run(
        "request", "submit", "P100-1", "--kind", "early_release", "--as", "pia",
        "--justification", "Paper accepted", "--now", NOW,
    )  # fmt: skip
    down = f"smtp://127.0.0.1:{free_port()}"
    failed = run("mail", "send", code=1, FAIRCAT_SMTP_URL=down)
    assert "0 e-mail sent, 1 failed" in failed.output and "cannot connect" in failed.output
    sent = run("mail", "send", FAIRCAT_SMTP_URL=smtp_server.url)
    assert "1 e-mail sent, 0 failed" in sent.output
    [(rcpt, message)] = smtp_server.inbox.messages
    assert rcpt == ["alice@example.org"]
    assert message["Subject"] == "[TLS] Request #1: early release for P100-1"
