"""Dataset DOIs: registered, findable, by the release job once their experiment is public.

The world of conftest.py: PUB is public, EMB and SOON are under embargo, RUN is running; each
has one dataset, ``scan1``. The registry is the local DataCite, driven by the real client.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from faircat.catalogue.models import DataPublication, Dataset, DoiTask, Investigation
from faircat.catalogue.models.published import PublishedRecord
from faircat.catalogue.vocab import DatasetType, DoiState, PublicationKind
from faircat.publisher.export import export_site
from faircat.publisher.release import decide, run_release
from tests.release.conftest import NOW, approved, investigation

PUB = "10.80100/tls.pub-1"
BASE = "https://data.tls.example.org"


def run(world, settings, now):
    return run_release(world, settings, now, out=settings.site_dir)


def add_dataset(world, proposal: str, name: str, *, title: str | None = None, **extra) -> int:
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == proposal))
        ds = Dataset(
            investigation_id=inv.id,
            instrument_id=inv.instruments[0].id,
            name=name,
            title=title,
            complete=True,
            start_time=inv.end_date - timedelta(hours=3),
            end_time=inv.end_date - timedelta(hours=2),
            **extra,
        )
        session.add(ds)
        session.flush()
        return ds.id


def dataset_publications(world) -> dict[int, DataPublication]:
    """dataset id -> its DOI's publication"""
    with world.transaction() as session:
        return {
            p.dataset_id: p
            for p in session.scalars(
                select(DataPublication).where(DataPublication.kind == PublicationKind.DATASET)
            )
        }


def datasets_of(world, proposal: str) -> list[Dataset]:
    with world.transaction() as session:
        return list(
            session.scalars(
                select(Dataset)
                .join(Investigation)
                .where(Investigation.proposal == proposal)
                .order_by(Dataset.id)
            )
        )


def record(world, pid: str) -> PublishedRecord | None:
    with world.transaction() as session:
        return session.scalar(select(PublishedRecord).where(PublishedRecord.pid == pid))


def test_every_dataset_of_a_public_experiment_gets_a_findable_doi(
    world, release_settings, datacite
):
    add_dataset(world, "PUB", "Scan 2", description="A second scan")  # no title of its own
    add_dataset(world, "PUB", "avg_1-2", title="Averaged", type=DatasetType.PROCESSED)
    report = run(world, release_settings, NOW)
    assert report.decisions.dataset_dois == 3
    assert "3 dataset DOI(s) created" in report.describe()
    assert not report.registry.retried and not report.registry.rejected
    assert not report.registry.waiting
    publications = dataset_publications(world)
    datasets = datasets_of(world, "PUB")
    assert [d.doi for d in datasets] == [PUB + ".scan1", PUB + ".scan-2", PUB + ".avg_1-2"]
    pub_id = investigation(world, "PUB").id
    for ds in datasets:
        publication = publications[ds.id]
        doi = publication.doi
        assert ds.doi == doi == doi.lower()  # stored on the dataset, lower case
        assert publication.investigation_id == pub_id
        assert publication.licence == release_settings.facility_licence
        assert publication.doi_target_state is publication.doi_state is DoiState.FINDABLE
        # the registry has it, findable, resolving to the dataset's landing page
        registered = datacite.get(doi)
        assert registered is not None and registered.state == "findable"
        assert registered.url == f"{BASE}/doi/{doi}/"
        # ... which is the dataset's published record, under that very DOI
        published = record(world, doi)
        assert published is not None, doi
        assert (published.kind, published.dataset_id, published.status) == (
            "dataset",
            ds.id,
            "open",
        )
        assert published.title == publication.title
        assert publication.title.encode() in registered.xml
        assert (release_settings.site_dir / "doi" / doi / "index.html").is_file()
    titles = {ds.name: publications[ds.id].title for ds in datasets}
    assert titles == {
        "scan1": "PUB scan",
        "Scan 2": "Experiment PUB: dataset Scan 2",  # as the public view names it
        "avg_1-2": "Averaged",
    }
    scan2 = publications[datasets[1].id]
    assert scan2.abstract == "A second scan"
    with world.transaction() as session:
        task = session.scalar(select(DoiTask).where(DoiTask.publication_id == scan2.id))
        assert (task.reason, task.status) == ("register", "done")


def test_a_second_run_creates_nothing(world, release_settings, datacite):
    run(world, release_settings, NOW)
    before = dataset_publications(world)
    calls = len(datacite.requests())
    stamp = record(world, PUB + ".scan1").datestamp
    report = run(world, release_settings, NOW + timedelta(minutes=5))
    assert report.decisions.dataset_dois == 0 and not report.decisions.conflicts
    assert {k: p.doi for k, p in dataset_publications(world).items()} == {
        k: p.doi for k, p in before.items()
    }
    assert len(datacite.requests()) == calls
    assert record(world, PUB + ".scan1").datestamp == stamp


def test_storing_the_doi_on_a_published_dataset_moves_no_datestamp(
    world, release_settings, datacite
):
    # PUB was public (and exported) before its DOIs were registered: the record already
    # carried the derived DOI, so registering it changes nothing of what was published.
    first = NOW - timedelta(days=1)
    export_site(world, out=release_settings.site_dir, now=first)
    published = record(world, PUB + ".scan1")
    assert published is not None and published.datestamp == first
    assert datasets_of(world, "PUB")[0].doi is None
    report = run(world, release_settings, NOW)
    assert report.decisions.dataset_dois == 1
    assert datasets_of(world, "PUB")[0].doi == PUB + ".scan1"
    again = record(world, PUB + ".scan1")
    assert (again.datestamp, again.content_hash) == (first, published.content_hash)
    assert record(world, PUB).datestamp == first  # nor the experiment's
    assert datacite.get(PUB + ".scan1").state == "findable"


def test_a_dataset_added_after_the_release_gets_its_doi_at_the_next_run(
    world, release_settings, datacite
):
    run(world, release_settings, NOW)
    processed = add_dataset(world, "PUB", "processed1", title="Merged data")
    report = run(world, release_settings, NOW + timedelta(hours=1))
    assert report.decisions.dataset_dois == 1 and report.decisions.registered == 0
    doi = PUB + ".processed1"
    assert dataset_publications(world)[processed].doi == doi
    assert datacite.get(doi).state == "findable"
    assert datacite.get(doi).url == f"{BASE}/doi/{doi}/"
    assert record(world, doi).dataset_id == processed
    assert not report.registry.waiting and report.registry.done == 1


def test_embargoed_datasets_never_reach_datacite(world, release_settings, datacite):
    run(world, release_settings, NOW)
    run(world, release_settings, NOW + timedelta(days=2))  # RUN has ended: embargoed
    with world.transaction() as session:
        closed = session.scalars(
            select(Dataset)
            .join(Investigation)
            .where(Investigation.proposal.in_(["EMB", "SOON", "RUN"]))
        ).all()
        assert len(closed) == 3 and all(d.doi is None for d in closed)
    publications = dataset_publications(world)
    assert {p.doi for p in publications.values()} == {PUB + ".scan1"}
    assert {d.doi for d in datacite.dois() if d.doi.endswith(".scan1")} == {PUB + ".scan1"}
    paths = [r["path"] for r in datacite.requests()]
    assert not [p for p in paths if "scan1" in p and "pub-1" not in p], paths


def test_a_running_experiment_released_early_gets_dataset_dois_once_it_has_its_doi(
    world, release_settings, datacite
):
    with world.transaction() as session:  # as an approved early release leaves it
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "RUN"))
        inv.release_date = NOW - timedelta(hours=1)
    report = run(world, release_settings, NOW)  # public, but running: no experiment DOI yet
    assert report.decisions.dataset_dois == 1  # PUB's only
    assert datacite.get("10.80100/tls.run-1.scan1") is None
    report = run(world, release_settings, NOW + timedelta(days=2))  # it has ended
    assert report.decisions.registered == 1 and report.decisions.dataset_dois == 1
    assert datacite.get("10.80100/tls.run-1").state == "findable"
    assert datacite.get("10.80100/tls.run-1.scan1").state == "findable"


def test_the_embargo_end_makes_dataset_dois_findable(world, release_settings, datacite):
    run(world, release_settings, NOW)
    release = investigation(world, "SOON").release_date
    report = run(world, release_settings, release + timedelta(minutes=1))
    assert report.decisions.dataset_dois == 1
    assert datacite.get("10.80100/tls.soon-1.scan1").state == "findable"
    assert datacite.get("10.80100/tls.soon-1").state == "findable"


def test_an_approved_withdrawal_moves_dataset_dois_to_registered(world, release_settings, datacite):
    add_dataset(world, "PUB", "scan2")
    run(world, release_settings, NOW)
    when = NOW + timedelta(hours=1)
    approved(world, release_settings, "PUB", "withdrawal", when, justification="sample mix-up")
    report = run(world, release_settings, when + timedelta(minutes=1))
    assert report.decisions.dataset_dois == 0  # a withdrawn experiment gets no new DOI
    for doi in (PUB, PUB + ".scan1", PUB + ".scan2"):
        registered = datacite.get(doi)
        assert registered.state == "registered", doi  # hidden from search, still resolving
        assert registered.events[-1]["event"] == "hide"
        assert registered.url == f"{BASE}/doi/{doi}/"
        assert record(world, doi).status == "withdrawn"
        page = release_settings.site_dir / "doi" / doi / "index.html"
        assert "withdrawn" in page.read_text().lower()
    assert all(
        p.doi_state is p.doi_target_state is DoiState.REGISTERED and p.withdrawn_at == when
        for p in dataset_publications(world).values()
    )


def test_an_amended_dataset_doi_changes_its_record(world, release_settings, datacite):
    run(world, release_settings, NOW)
    [scan] = datasets_of(world, "PUB")
    publication = dataset_publications(world)[scan.id]
    when = NOW + timedelta(hours=1)
    approved(
        world,
        release_settings,
        "PUB",
        "amendment",
        when,
        justification="clearer title",
        publication_id=publication.id,
        payload={"title": "Lysozyme at 100 K", "abstract": "The best scan."},
    )
    [scan] = datasets_of(world, "PUB")
    assert (scan.title, scan.description) == ("Lysozyme at 100 K", "The best scan.")
    report = run(world, release_settings, when + timedelta(minutes=1))
    assert report.registry.done == 1 and not report.registry.waiting
    assert record(world, publication.doi).title == "Lysozyme at 100 K"
    assert b"Lysozyme at 100 K" in datacite.get(publication.doi).xml
    assert datacite.get(publication.doi).state == "findable"


def test_a_taken_doi_is_reported_and_stops_nothing(world, release_settings, datacite):
    # "SCAN1" and "scan1" are two names of one experiment, but one DOI.
    clash = add_dataset(world, "PUB", "SCAN1")
    other = add_dataset(world, "PUB", "scan3")
    with world.transaction() as session:
        decisions = decide(session, release_settings, NOW)
    assert decisions.registered == 3 and decisions.dataset_dois == 2
    assert len(decisions.conflicts) == 1 and decisions.conflicts[0].startswith(PUB + ".scan1:")
    assert f"dataset {clash}" in decisions.conflicts[0]
    publications = dataset_publications(world)
    assert clash not in publications and publications[other].doi == PUB + ".scan3"
    with world.transaction() as session:
        again = decide(session, release_settings, NOW + timedelta(minutes=1))
    assert again.dataset_dois == 0 and len(again.conflicts) == 1  # reported at every run


def test_a_stored_doi_differing_only_in_case_is_a_clash(world, release_settings, datacite):
    # DOIs are case-insensitive: a DOI stored in capitals and a derived one are the same DOI,
    # as publish sees them (the older dataset keeps it there too).
    shouting = add_dataset(world, "PUB", "loud", doi=(PUB + ".scan9").upper())
    quiet = add_dataset(world, "PUB", "scan9")
    with world.transaction() as session:
        decisions = decide(session, release_settings, NOW)
    assert [c for c in decisions.conflicts if f"dataset {quiet}" in c] == [
        f"{PUB}.scan9: also the DOI of dataset {shouting} (dataset {quiet})"
    ]
    assert quiet not in dataset_publications(world)


def test_a_backlog_is_spread_over_runs(world, release_settings, datacite, monkeypatch):
    import faircat.publisher.release as release

    monkeypatch.setattr(release, "DATASET_DOIS_PER_RUN", 2)
    for n in range(2, 5):
        add_dataset(world, "PUB", f"scan{n}")
    first = run(world, release_settings, NOW)
    assert first.decisions.dataset_dois == 2 and first.decisions.more_dataset_dois
    assert sorted(p.doi for p in dataset_publications(world).values()) == [
        f"{PUB}.scan1",  # oldest datasets first
        f"{PUB}.scan2",
    ]
    assert "more at the next run" in first.describe()
    second = run(world, release_settings, NOW + timedelta(minutes=15))
    assert second.decisions.dataset_dois == 2
    third = run(world, release_settings, NOW + timedelta(minutes=30))
    assert third.decisions.dataset_dois == 0 and not third.decisions.more_dataset_dois
    dois = sorted(p.doi for p in dataset_publications(world).values())
    assert dois == [f"{PUB}.scan{n}" for n in range(1, 5)]
    assert all(datacite.get(doi).state == "findable" for doi in dois)
