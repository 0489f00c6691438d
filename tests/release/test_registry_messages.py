"""What curators read when DataCite fails: what failed and what to do, never a Python exception,
never a password. The registry is the local DataCite with its fault injection; the world is
conftest.py's (EMB, PUB and SOON have ended: three experiment DOIs and PUB's dataset DOI).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from faircat.catalogue.models import DoiTask, Notification, User
from faircat.catalogue.models.published import PublishedMetadata, PublishedRecord
from faircat.publisher import registrar
from faircat.publisher.reconcile import RegistryUnavailable, reconcile
from faircat.publisher.release import run_release
from tests.release.conftest import NOW

EMB = "10.80100/tls.emb-1"
PASSWORD = "hunter2"  # put into datacite_url: must never be shown


def run(world, settings, now, **kwargs):
    return run_release(world, settings, now, out=settings.site_dir, **kwargs)


def errors(world) -> dict[str, str | None]:
    """DOI -> its task's last_error (what the curator queue and 'faircat doi status' show)."""
    from faircat.catalogue.models import DataPublication

    with world.transaction() as session:
        return dict(
            session.execute(
                select(DataPublication.doi, DoiTask.last_error).join(
                    DoiTask, DoiTask.publication_id == DataPublication.id
                )
            ).all()
        )


def no_python_in(message: str) -> None:
    for word in ("Error:", "Exception", "HTTPConnectionPool", "Max retries", "Traceback", "<"):
        assert word not in message, message


def test_done_leaves_no_error(world, release_settings, datacite):
    run(world, release_settings, NOW)
    assert set(errors(world).values()) == {None}


def test_a_registry_outage_says_it_is_retried(world, release_settings, datacite):
    datacite.faults(503)
    report = run(world, release_settings, NOW)
    message = errors(world)[EMB]
    assert message == (
        f"DataCite at {datacite.url} is unavailable (HTTP 503); faircat retries automatically - "
        "see https://status.datacite.org if this persists"
    )
    assert report.registry.retried[0].endswith(message)


def test_an_unreachable_registry_is_named_without_its_password(world, release_settings, caplog):
    # nothing listens on port 9: connection refused
    url = f"http://TLS.DATA:{PASSWORD}@127.0.0.1:9/"
    settings = dataclasses.replace(release_settings, datacite_url=url)
    with caplog.at_level(logging.WARNING, logger="faircat.publisher.registrar"):
        report = run(world, settings, NOW)
    message = errors(world)[EMB]
    assert message == (
        "could not reach DataCite at http://127.0.0.1:9/ (connection refused); faircat retries "
        "automatically - check datacite_url and the network if this persists"
    )
    # the technical detail is in the log, masked too
    assert "ConnectionRefusedError" in caplog.text and "127.0.0.1" in caplog.text
    shown = " ".join([*errors(world).values(), report.describe(), caplog.text])  # type: ignore[list-item]
    assert PASSWORD not in shown


def test_a_timeout_says_so(world, release_settings, datacite):
    datacite.faults(delay=1.0)
    client = registrar.make_client(release_settings, timeout=0.2)
    run(world, release_settings, NOW, registry=client)
    message = errors(world)[EMB]
    assert message.startswith(f"could not reach DataCite at {datacite.url} (timed out); ")
    no_python_in(message)


def test_refused_credentials_say_which_settings_to_check(world, release_settings, datacite):
    bad = dataclasses.replace(release_settings, datacite_password="wrong")
    report = run(world, bad, NOW)
    message = next(m for m in errors(world).values() if m)
    assert message == (
        f"DataCite at {datacite.url} refused the credentials (HTTP 401): check "
        "datacite_username and FAIRCAT_DATACITE_PASSWORD; faircat retries automatically once "
        "they are corrected"
    )
    assert report.registry.stopped == message


def test_rejected_metadata_carries_datacites_own_text(world, release_settings, datacite):
    datacite.faults(503)  # the pages and their DataCite XML are published, nothing registered
    run(world, release_settings, NOW)
    with world.transaction() as session:  # a record DataCite's schema refuses: no creators
        stored = session.scalar(
            select(PublishedMetadata)
            .join(PublishedRecord, PublishedRecord.id == PublishedMetadata.record_id)
            .where(PublishedRecord.pid == EMB, PublishedMetadata.format == "datacite")
        )
        start = stored.content.index("<creators>")
        end = stored.content.index("</creators>") + len("</creators>")
        stored.content = stored.content[:start] + stored.content[end:]
    datacite.clear_faults()
    report = registrar.sync_due(world, release_settings, NOW + timedelta(hours=1))
    message = errors(world)[EMB]
    assert message.startswith(f"DataCite rejected the metadata of {EMB} (HTTP 422: ")
    assert "creators" in message  # DataCite's words, so the curator knows what to amend
    assert message.endswith(
        f"); amend the record, or run 'faircat doi retry {EMB}' once the cause is fixed"
    )
    assert report.rejected == [f"{EMB}: {message}"]
    with world.transaction() as session:
        notes = session.scalars(
            select(Notification).join(User).where(User.username == "cura")
        ).all()
        assert [n.body for n in notes] == [f"DataCite refused {EMB}.\n\n{message}"]


def test_an_injected_rejection_is_trimmed_to_one_line(world, release_settings, datacite):
    datacite.faults(422, count=1)
    run(world, release_settings, NOW)
    message = next(m for m in errors(world).values() if m)
    assert "(HTTP 422: Unprocessable" in message and "\n" not in message
    no_python_in(message)


def test_credentials_in_the_url_are_used_and_never_sent_in_it(world, release_settings, datacite):
    host = datacite.url.removeprefix("http://")
    url = f"http://{datacite.username}:{datacite.password}@{host}"
    settings = dataclasses.replace(release_settings, datacite_url=url, datacite_password="")
    report = run(world, settings, NOW)
    assert report.registry.done == 4 and not report.registry.retried
    assert reconcile(world, settings, NOW + timedelta(minutes=1)).drift == []


@pytest.mark.parametrize(
    ("password", "port", "expected"),
    [
        (PASSWORD, 9, "(connection refused); run the command again later"),
        ("wrong", None, "refused the credentials (HTTP 401)"),
    ],
)
def test_reconcile_failures_name_the_registry_without_its_password(
    world, release_settings, datacite, password, port, expected
):
    host = "127.0.0.1:9/" if port else datacite.url.removeprefix("http://")
    url = f"http://{datacite.username}:{password}@{host}"
    settings = dataclasses.replace(release_settings, datacite_url=url)
    with pytest.raises(RegistryUnavailable) as info:
        reconcile(world, settings, NOW)
    message = str(info.value)
    assert message.startswith("cannot list DOIs: ") and expected in message
    assert password not in message and f"http://{host}" in message
    no_python_in(message)
