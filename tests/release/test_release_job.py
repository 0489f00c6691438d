"""The release job end to end: real catalogue, real export, real DataCite client, local DataCite."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from faircat.catalogue.locks import Busy, lease
from faircat.catalogue.models import DataPublication, DoiTask, Notification, User
from faircat.catalogue.models.published import PublishedRecord
from faircat.catalogue.vocab import DoiState
from faircat.publisher.release import LEASE, run_release
from tests.release.conftest import NOW, YEAR, approved, investigation

EMB = "10.80100/tls.emb-1"
PUB = "10.80100/tls.pub-1"
SOON = "10.80100/tls.soon-1"
# Each experiment has one dataset, scan1: its DOI exists once the experiment is public.
PUB_SCAN, EMB_SCAN, SOON_SCAN = PUB + ".scan1", EMB + ".scan1", SOON + ".scan1"


def run(world, settings, now, **kwargs):
    return run_release(world, settings, now, out=settings.site_dir, **kwargs)


def publications(world) -> dict[str, DataPublication]:
    with world.transaction() as session:
        return {p.doi: p for p in session.scalars(select(DataPublication))}


def tasks(world, status: str | None = None) -> list[DoiTask]:
    with world.transaction() as session:
        query = select(DoiTask)
        if status:
            query = query.where(DoiTask.status == status)
        return list(session.scalars(query))


def test_ended_experiments_get_registered_dois_and_metadata_only_pages(
    world, release_settings, datacite
):
    report = run(world, release_settings, NOW)
    assert report.decisions.registered == 3  # EMB, PUB, SOON ended; RUN has not
    assert report.decisions.dataset_dois == 1  # PUB's scan1: the only public dataset
    assert not report.registry.retried and not report.registry.rejected
    assert datacite.get(EMB).state == "registered"
    assert datacite.get(SOON).state == "registered"
    assert datacite.get(PUB).state == "findable"  # already public
    assert datacite.get(PUB_SCAN).state == "findable"
    assert datacite.get(EMB_SCAN) is None and datacite.get(SOON_SCAN) is None  # embargoed
    assert datacite.get("10.80100/tls.run-1") is None
    assert datacite.get(EMB).url == "https://data.tls.example.org/doi/10.80100/tls.emb-1/"
    assert b"<title>Experiment EMB</title>" in datacite.get(EMB).xml.replace(b' xml:lang="en"', b"")
    # the landing page exists before (and since) the DOI does: metadata only while embargoed
    page = release_settings.site_dir / "doi" / "10.80100" / "tls.emb-1" / "index.html"
    assert page.is_file() and "scan1" not in page.read_text()
    state = {p.doi: (p.doi_state, p.doi_target_state) for p in publications(world).values()}
    assert state[EMB] == (DoiState.REGISTERED, DoiState.REGISTERED)
    assert state[PUB] == (DoiState.FINDABLE, DoiState.FINDABLE)
    assert state[PUB_SCAN] == (DoiState.FINDABLE, DoiState.FINDABLE)
    assert len(state) == 4
    assert {t.status for t in tasks(world)} == {"done"}


def test_the_release_date_makes_the_doi_findable_and_the_record_harvestable(
    world, release_settings, datacite
):
    run(world, release_settings, NOW)
    release = investigation(world, "EMB").release_date
    later = release + timedelta(minutes=5)
    report = run(world, release_settings, later)
    assert report.decisions.released == 2  # EMB, and SOON whose embargo ended earlier
    assert report.decisions.registered == 1  # RUN has ended since
    assert report.decisions.dataset_dois == 2  # the datasets of EMB and SOON
    assert datacite.get(EMB).state == "findable"
    assert datacite.get(EMB_SCAN).state == "findable"
    assert datacite.get(SOON_SCAN).state == "findable"
    assert datacite.get(EMB).events[-1]["event"] == "publish"
    with world.transaction() as session:
        record = session.scalar(select(PublishedRecord).where(PublishedRecord.pid == EMB))
        assert record.status == "open" and record.datestamp == later
    page = release_settings.site_dir / "doi" / "10.80100" / "tls.emb-1" / "index.html"
    assert "scan1" in page.read_text()


def test_the_job_is_idempotent(world, release_settings, datacite):
    run(world, release_settings, NOW)
    calls = len(datacite.requests())
    report = run(world, release_settings, NOW + timedelta(minutes=1))
    assert report.decisions.registered == report.decisions.released == 0
    assert report.decisions.dataset_dois == 0
    assert report.registry.done == 0 and report.export.written == 0
    assert report.export.published == 0
    assert len(datacite.requests()) == calls  # not one more registry call
    assert len(tasks(world)) == 4


def test_datacite_outage_is_retried_with_backoff_and_loses_nothing(
    world, release_settings, datacite
):
    datacite.faults(503)
    report = run(world, release_settings, NOW)
    assert report.decisions.registered == 3 and report.decisions.dataset_dois == 1
    assert len(report.registry.retried) == 4
    pending = tasks(world, "pending")
    assert len(pending) == 4 and all(t.attempts == 1 and t.last_error for t in pending)
    assert all(t.next_attempt_at > NOW for t in pending)
    assert "503" in pending[0].last_error or "Server" in pending[0].last_error
    # the site is exported anyway: pages do not wait for DataCite
    assert (release_settings.site_dir / "doi" / "10.80100" / "tls.emb-1" / "index.html").is_file()
    # still down at the next run, which comes before the backoff: no call at all
    calls = len(datacite.requests())
    run(world, release_settings, NOW + timedelta(seconds=5))
    assert len(datacite.requests()) == calls
    datacite.clear_faults()
    report = run(world, release_settings, NOW + timedelta(hours=1))
    assert report.registry.done == 4 and not tasks(world, "pending")
    assert datacite.get(EMB).state == "registered"
    assert datacite.get(PUB_SCAN).state == "findable"


def test_timeouts_are_retried(world, release_settings, datacite):
    import faircat.publisher.registrar as registrar

    datacite.faults(delay=1.0)
    client = registrar.make_client(release_settings, timeout=0.2)
    report = run(world, release_settings, NOW, registry=client)
    assert len(report.registry.retried) == 4 and "timed out" in report.registry.retried[0]
    datacite.clear_faults()
    run(world, release_settings, NOW + timedelta(hours=1))
    assert {t.status for t in tasks(world)} == {"done"}


def test_a_lost_answer_is_repeated_harmlessly(world, release_settings, datacite):
    datacite.faults(503, after=True, count=1)  # DataCite made the change; we never heard
    run(world, release_settings, NOW)
    assert len(tasks(world, "pending")) == 1
    run(world, release_settings, NOW + timedelta(hours=1))
    assert {t.status for t in tasks(world)} == {"done"}
    assert {d.doi: d.state for d in datacite.dois()} == {
        EMB: "registered",
        PUB: "findable",
        PUB_SCAN: "findable",
        SOON: "registered",
    }


def test_rejected_metadata_goes_to_curators_and_is_not_retried_blindly(
    world, release_settings, datacite
):
    datacite.faults(422, count=1)
    report = run(world, release_settings, NOW)
    assert len(report.registry.rejected) == 1
    rejected = tasks(world, "rejected")
    assert len(rejected) == 1 and rejected[0].last_error
    with world.transaction() as session:
        notes = session.scalars(
            select(Notification).join(User).where(User.username == "cura")
        ).all()
        assert any("DataCite rejected" in n.subject for n in notes)
    calls = len(datacite.requests())
    run(world, release_settings, NOW + timedelta(hours=12))
    assert len(datacite.requests()) == calls  # no blind retry
    # a curator retries once the cause is fixed
    from faircat.catalogue import outbox

    with world.transaction() as session:
        task = session.get(DoiTask, rejected[0].id)
        outbox.enqueue(
            session,
            session.get(DataPublication, task.publication_id),
            "retry",
            NOW + timedelta(days=2),
        )
    run(world, release_settings, NOW + timedelta(days=2, minutes=1))
    assert {t.status for t in tasks(world)} == {"done"}


def test_wrong_credentials_stop_the_run_and_keep_the_work(world, release_settings, datacite):
    bad = dataclasses.replace(release_settings, datacite_password="wrong")
    report = run(world, bad, NOW)
    assert report.registry.stopped and "credentials" in report.registry.stopped
    assert not tasks(world, "done") and not tasks(world, "rejected")
    run(world, release_settings, NOW + timedelta(hours=7))
    assert {t.status for t in tasks(world)} == {"done"}


def test_withdrawal_keeps_the_doi_resolving_to_a_tombstone(world, release_settings, datacite):
    run(world, release_settings, NOW)
    with world.transaction() as session:
        from faircat.catalogue.models import Investigation

        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.withdrawn_at = NOW + timedelta(hours=1)
    report = run(world, release_settings, NOW + timedelta(hours=2))
    assert report.decisions.withdrawn == 2  # the experiment's DOI and its dataset's
    for doi in (PUB, PUB_SCAN):
        record = datacite.get(doi)
        assert record.state == "registered"  # hidden from search, still resolving
        assert record.url.endswith(f"/doi/{doi}/")
        page = release_settings.site_dir / "doi" / doi / "index.html"
        assert "withdrawn" in page.read_text().lower()
        with world.transaction() as session:
            assert (
                session.scalar(select(PublishedRecord.status).where(PublishedRecord.pid == doi))
                == "withdrawn"
            )


def test_the_pi_is_told_before_release_once_per_release_date(world, release_settings, datacite):
    run(world, release_settings, NOW)

    def notices():
        with world.transaction() as session:
            return session.scalars(
                select(Notification.subject)
                .join(User)
                .where(User.username == "pi", Notification.subject.like("The data of%"))
            ).all()

    assert notices() == [
        "The data of SOON-1 become public on "
        + (investigation(world, "SOON").release_date.date().isoformat())
    ]
    run(world, release_settings, NOW + timedelta(days=1))
    assert len(notices()) == 1
    # an approved extension moves the date: no notice until the new date is near
    with world.transaction() as session:
        from faircat.catalogue.models import Investigation

        inv = session.scalar(select(Investigation).where(Investigation.proposal == "SOON"))
        inv.release_date = inv.release_date + YEAR
    run(world, release_settings, NOW + timedelta(days=2))
    assert len(notices()) == 1
    run(world, release_settings, investigation(world, "SOON").release_date - timedelta(days=5))
    assert len(notices()) == 2


def test_one_run_at_a_time(world, release_settings):
    with lease(world, LEASE), pytest.raises(Busy, match="another 'release' job is running"):
        run(world, release_settings, NOW)
    run(world, release_settings, NOW)  # the lease was released


def test_a_dead_holder_does_not_block_forever(world, release_settings):
    from faircat.catalogue.locks import try_acquire

    assert try_acquire(world, LEASE, "dead-process", timedelta(seconds=-1))  # already expired
    run(world, release_settings, NOW)


def test_counts_are_consistent_after_everything(world, release_settings, datacite):
    run(world, release_settings, NOW)
    run(world, release_settings, investigation(world, "EMB").release_date + timedelta(seconds=1))
    with world.transaction() as session:
        # RUN ended too (embargoed: no dataset DOI); the other three and their datasets are public
        assert session.scalar(select(func.count(DataPublication.id))) == 7
        states = dict(session.execute(select(DataPublication.doi, DataPublication.doi_state)).all())
    run_doi = "10.80100/tls.run-1"
    expected = {EMB: "findable", PUB: "findable", SOON: "findable", run_doi: "registered"}
    expected |= {EMB_SCAN: "findable", PUB_SCAN: "findable", SOON_SCAN: "findable"}
    assert {doi: state.value for doi, state in states.items()} == expected
    assert {d.doi: d.state for d in datacite.dois()} == expected


def test_approved_selections_get_doi_and_landing_page(world, release_settings, datacite):
    run(world, release_settings, NOW)
    for proposal in ("PUB", "EMB"):
        selection = {"title": f"Best scans of {proposal}", "abstract": f"A selection of {proposal}"}
        approved(world, release_settings, proposal, "selection_doi", NOW + timedelta(minutes=1),
                 selection=selection, justification="for the paper")  # fmt: skip
    report = run(world, release_settings, NOW + timedelta(minutes=2))
    assert not report.registry.waiting and report.registry.done == 2
    selections = {p.doi: p for p in publications(world).values() if p.doi.endswith("-s1")}
    public = selections["10.80100/tls.pub-1-s1"]
    embargoed = selections["10.80100/tls.emb-1-s1"]
    assert datacite.get(public.doi).state == "findable"
    assert datacite.get(embargoed.doi).state == "registered"
    site = release_settings.site_dir / "doi" / "10.80100"
    open_page = (site / "tls.pub-1-s1" / "index.html").read_text()
    assert "Best scans of PUB" in open_page and "A selection of PUB" in open_page
    assert "PUB scan" in open_page  # its dataset, listed as a part
    closed_page = (site / "tls.emb-1-s1" / "index.html").read_text()
    assert "Best scans of EMB" in closed_page and "A selection of EMB" not in closed_page
    assert b"Best scans of PUB" in datacite.get(public.doi).xml
    # the embargoed selection becomes findable with its experiment
    run(world, release_settings, investigation(world, "EMB").release_date + timedelta(minutes=1))
    assert datacite.get(embargoed.doi).state == "findable"


def test_every_decision_of_the_job_is_audited(world, release_settings, datacite):
    from faircat.catalogue.models import AuditEvent

    run(world, release_settings, NOW)
    released_at = investigation(world, "EMB").release_date + timedelta(minutes=1)
    run(world, release_settings, released_at)
    with world.transaction() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.actor_label == "release job")
            .order_by(AuditEvent.id)
        ).all()
    created = [e for e in events if e.action == "release.create_doi"]
    assert sorted(e.after["doi"] for e in created) == sorted(
        [EMB, PUB, "10.80100/tls.run-1", SOON, EMB_SCAN, PUB_SCAN, SOON_SCAN]
    )
    datasets = {e.after["doi"]: e for e in created if e.after["doi"].endswith(".scan1")}
    assert all(e.after["target"] == "findable" for e in datasets.values())
    assert datasets[PUB_SCAN].comment == "the experiment is public"
    released = [e for e in events if e.action == "release.release"]
    assert {e.after["doi"] for e in released} == {EMB, SOON}
    assert all(
        e.before["target"] == "registered" and e.after["target"] == "findable" for e in released
    )
