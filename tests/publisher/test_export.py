"""The static export end to end, on both databases: no leak, incremental, atomic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from faircat.catalogue.models import Investigation
from faircat.publisher.export import export_site
from tests.catalogue import factories as f
from tests.publisher.exportworld import NOW, SENTINEL, all_text, complete


def test_nothing_restricted_reaches_the_site(world, tmp_path):
    out = tmp_path / "site"
    report = export_site(world, out=out, now=NOW)
    assert report.records > 0 and not report.skipped
    text = all_text(out)
    assert SENTINEL not in text, text[max(0, text.find(SENTINEL) - 300):text.find(SENTINEL) + 80]
    # and what is public is there
    assert "Open experiment on lysozyme" in text and "A public summary." in text
    assert "Registered but embargoed" in text  # the metadata-only page of a registered DOI
    reg = out / "doi" / "10.80100" / "tls.reg-1" / "index.html"
    assert reg.is_file()
    page = reg.read_text()
    assert "embargo" in page.lower() and ".nxs" not in page


def test_published_records_table_holds_nothing_restricted(world, tmp_path):
    from faircat.catalogue.models.published import PublishedMetadata, PublishedRecord

    export_site(world, out=tmp_path / "site", now=NOW)
    with world.transaction() as session:
        rows = session.scalars(select(PublishedRecord)).all()
        metadata = session.scalars(select(PublishedMetadata)).all()
        dump = "\n".join(
            f"{r.pid} {r.title} {r.snippet} {r.beamlines} {r.techniques} {r.path}" for r in rows
        ) + "\n".join(m.content for m in metadata)
    assert rows and SENTINEL not in dump
    assert {r.status for r in rows} == {"open", "embargoed"}
    assert {m.format for m in metadata} == {"oai_dc", "oai_datacite", "datacite"}
    assert len(metadata) == 3 * len(rows)


def _inodes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_ino
            for p in (root / "doi").rglob("index.html")}


def test_incremental_export_rewrites_only_what_changed(world, tmp_path):
    out = tmp_path / "site"
    first = export_site(world, out=out, now=NOW)
    assert first.full and first.written == first.records
    before = _inodes(out)
    again = export_site(world, out=out, now=NOW)
    assert not again.full and again.written == 0 and _inodes(out) == before
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.datasets[1].title = "A corrected title"
        inv.datasets[1].updated_at = NOW + timedelta(minutes=1)
    third = export_site(world, out=out, now=NOW + timedelta(minutes=2))
    # the dataset's page and its experiment's page (which lists the dataset title) changed
    assert third.written == 2
    after = _inodes(out)
    changed = {p for p in before if before[p] != after.get(p)}
    assert len(changed) == 2
    assert "A corrected title" in all_text(out)


def test_release_moves_a_record_into_the_site(world, tmp_path):
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "EMB"))
        inv.title, inv.summary = "Now released", "Released summary"
        release = inv.release_date
    report = export_site(world, out=out, now=release + timedelta(seconds=1))
    assert report.written >= 3  # experiment + its two datasets
    assert "Now released" in all_text(out)


@pytest.mark.slow
def test_kill_9_during_export_leaves_a_complete_site(world, tmp_path):
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    complete(out)
    env = {**os.environ, "FAIRCAT_DATABASE_URL": world.settings.database_url,
           "FAIRCAT_INSTANCE_PATH": str(world.settings.instance_path),
           "FAIRCAT_SITE_DIR": str(out), "FAIRCAT_CONFIG": "",
           "FAIRCAT_FACILITY_BASE_URL": world.settings.facility_base_url}
    command = [sys.executable, "-m", "faircat.cli", "export", "--full", "--no-progress",
               "--now", NOW.isoformat()]
    for delay in (0.2, 0.6, 1.0, 1.5, 2.2):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        complete(out)
    subprocess.run(command, env=env, check=True, capture_output=True)
    complete(out)
    # the last run cleared the scratch trees the killed ones left beside the site
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".site.build-")]


def test_serve_the_site_and_public_files_only(world, tmp_path):
    from faircat.web.app import create_app

    out = world.settings.site_dir
    export_site(world, out=out, now=NOW)
    client = create_app(world.settings).test_client()
    home = client.get("/")
    assert home.status_code == 200 and b"Open experiment on lysozyme" in home.data
    with world.transaction() as session:
        from faircat.catalogue.models.published import PublishedRecord

        dataset = session.scalars(select(PublishedRecord).where(
            PublishedRecord.kind == "dataset", PublishedRecord.status == "open")).first()
        registered = session.scalars(select(PublishedRecord).where(
            PublishedRecord.status == "embargoed")).first()
    page = client.get(dataset.path)
    assert page.status_code == 200
    assert f'<https://doi.org/{dataset.pid}>; rel="cite-as"' in page.headers["Link"]
    xml = client.get(dataset.path + "datacite.xml")
    assert xml.mimetype == "application/vnd.datacite.datacite+xml"
    assert client.get("/.faircat/manifest.json").status_code == 404
    assert client.get("/doi/../../etc/passwd").status_code == 404
    url = next(part for part in page.get_data(as_text=True).split('"')
               if part.startswith("https://data.tls.example.org/files/"))
    name = url.rsplit("/", 1)[1]
    download = client.get(f"/files/{dataset.pid}/{name}")
    assert download.status_code == 200 and download.data[:8] == b"\x89HDF\r\n\x1a\n"
    # a file of an embargoed experiment is never served, whatever the URL
    assert client.get(f"/files/{registered.pid}/{name}").status_code == 404
    assert client.get(f"/files/{dataset.pid}/nope.nxs").status_code == 404


def test_a_record_with_invalid_metadata_is_skipped_and_reported(world, tmp_path):
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.datasets[0].title = "   "  # no usable title: DataCite would reject it
        inv.datasets[0].updated_at = NOW
    report = export_site(world, out=tmp_path / "site", now=NOW)
    assert report.records > 0
    # the blank title falls back to a generated one, so nothing is skipped here; an empty
    # experiment title is the real failure case
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.title, inv.updated_at = "", NOW + timedelta(minutes=1)
    report = export_site(world, out=tmp_path / "site", now=NOW + timedelta(minutes=2))
    assert any("title" in problem for problem in report.skipped), report.skipped
    # the last valid page and metadata stay published
    page = tmp_path / "site" / "doi" / "10.80100" / "tls.pub-1" / "index.html"
    assert "Open experiment on lysozyme" in page.read_text()


# -- parallel, incremental and site-wide behaviour -----------------------------------------------


def _more_datasets(catalogue, count: int) -> None:
    """``count`` more open datasets in the public experiment, all on its first data file."""
    from faircat.catalogue.models import Datafile, Dataset

    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        first = inv.datasets[0]
        source = first.files[0]
        for i in range(count):
            dataset = Dataset(
                investigation=inv, instrument_id=first.instrument_id, name=f"extra{i}",
                title=f"Extra scan {i}", type=first.type, complete=True, size=source.size,
                file_count=1, plot_path=first.plot_path, techniques=list(first.techniques),
                start_time=first.start_time, end_time=first.end_time)
            dataset.files.append(Datafile(
                name=f"extra{i}.nxs", location=f"{source.location}.extra{i}", size=source.size,
                checksum=source.checksum, format=source.format))
            session.add(dataset)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".faircat" not in p.parts}


@pytest.mark.slow
def test_pages_written_by_workers_equal_pages_written_in_process(world, tmp_path):
    _more_datasets(world, 80)  # more pages than an export writes before starting workers
    parallel = export_site(world, out=tmp_path / "parallel", now=NOW, jobs=2)
    serial = export_site(world, out=tmp_path / "serial", now=NOW, jobs=1)
    assert parallel.written == serial.written == parallel.records == 84
    assert _tree(tmp_path / "parallel") == _tree(tmp_path / "serial")
    # datasets on the same data file share one preview file (a hard link), per process
    previews = list((tmp_path / "parallel" / "doi").rglob("preview.png"))
    assert len(previews) == 82 and len({p.stat().st_ino for p in previews}) <= 3
    assert "ZQXJ" not in all_text(tmp_path / "parallel")


def test_first_export_footer_names_the_beamlines_it_published(world, tmp_path):
    """A full export draws its pages before publish knows the beamlines (none, the first time),
    then rewrites the pages' footers."""
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    for page in (out / "doi").rglob("index.html"):
        html = page.read_text()
        assert '<li><a href="/beamlines/xaloc/">XALOC</a></li>' in html, page
        assert html.endswith("</footer>\n</body>\n</html>\n")


def _stat(out: Path, *names: str) -> dict[str, int]:
    return {name: (out / name).stat().st_ino for name in names}


SITE_WIDE = ("index.html", "search/index.json", "sitemap.xml", "beamlines/index.html",
             "beamlines/xaloc/index.html", "search/index.html", "robots.txt", "static/site.css")


def test_site_wide_files_are_rewritten_only_when_their_inputs_change(world, tmp_path):
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    before = _stat(out, *SITE_WIDE)
    again = export_site(world, out=out, now=NOW + timedelta(minutes=1))
    assert again.written == 0 and _stat(out, *SITE_WIDE) == before
    # the experiment's title: the listing pages show it
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.title, inv.updated_at = "Retitled experiment", NOW + timedelta(days=1)
    export_site(world, out=out, now=NOW + timedelta(days=1, minutes=1))
    after = _stat(out, *SITE_WIDE)
    changed = {n for n in SITE_WIDE if after[n] != before[n]}
    assert changed == {"index.html", "beamlines/index.html", "beamlines/xaloc/index.html",
                       "search/index.html", "search/index.json", "sitemap.xml"}
    assert "Retitled experiment" in (out / "beamlines" / "xaloc" / "index.html").read_text()
    # a dataset's title: its page, its experiment's page, the search index and the sitemap
    # (new lastmod); the listings show experiments only, in an order that did not change
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.datasets[0].title, inv.datasets[0].updated_at = "Retitled scan", NOW + timedelta(2)
    third = export_site(world, out=out, now=NOW + timedelta(days=2, minutes=1))
    assert third.written == 2
    last = _stat(out, *SITE_WIDE)
    assert {n for n in SITE_WIDE if last[n] != after[n]} == {"search/index.json", "sitemap.xml"}
    assert "Retitled scan" in (out / "search" / "index.json").read_text()


def test_a_record_that_disappears_loses_its_page_everywhere(world, tmp_path):
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        old_doi = inv.datasets[1].name
        inv.datasets[1].name = "renamed"  # a new DOI: the old record is gone
        inv.datasets[1].updated_at = NOW + timedelta(minutes=1)
    report = export_site(world, out=out, now=NOW + timedelta(minutes=2))
    assert report.removed == 1
    pages = {p.parent.name for p in (out / "doi").rglob("index.html")}
    assert "tls.pub-1.renamed" in pages and f"tls.pub-1.{old_doi.lower()}" not in pages
    for name in ("search/index.json", "sitemap.xml"):
        text = (out / name).read_text()
        assert "tls.pub-1.renamed" in text and f"tls.pub-1.{old_doi.lower()}/" not in text
    complete(out)


def test_full_export_keeps_the_last_valid_page_of_a_refused_record(world, tmp_path):
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.title, inv.updated_at = "", NOW + timedelta(minutes=1)
    report = export_site(world, out=out, full=True, now=NOW + timedelta(minutes=2))
    assert any("title" in problem for problem in report.skipped)
    page = out / "doi" / "10.80100" / "tls.pub-1" / "index.html"
    assert "Open experiment on lysozyme" in page.read_text()
    complete(out)


def test_a_site_without_a_valid_manifest_is_rebuilt_whole(world, tmp_path):
    out = tmp_path / "site"
    (out / ".faircat").mkdir(parents=True)
    (out / ".faircat" / "manifest.json").write_text("{}")  # an older export's
    (out / "stray.html").write_text("left over")
    report = export_site(world, out=out, now=NOW)
    assert report.full and not (out / "stray.html").exists()
    assert not export_site(world, out=out, now=NOW).full


@pytest.mark.slow
def test_a_large_incremental_export_uses_the_workers_too(world, tmp_path):
    _more_datasets(world, 80)
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW, jobs=2)
    with world.transaction() as session:  # every dataset page shows its experiment's title
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.title, inv.updated_at = "Retitled experiment", NOW + timedelta(minutes=1)
    report = export_site(world, out=out, now=NOW + timedelta(minutes=2), jobs=2)
    assert not report.full and report.written == 83 and report.published == 83
    full = export_site(world, out=tmp_path / "full", now=NOW + timedelta(minutes=2), jobs=1)
    assert full.written == 84
    # the same as a full export, but the pages not rewritten (they keep their build time)
    new, whole = _tree(out), _tree(tmp_path / "full")
    assert new.keys() == whole.keys()
    differ = {name for name in new if new[name] != whole[name]}
    assert differ == {"doi/10.80100/tls.reg-1/index.html"}, differ
    complete(out)


def test_a_release_onto_a_new_beamline_draws_its_pages_with_the_new_navigation(world, tmp_path):
    """An incremental export writes changed pages while it publishes, before it knows the
    beamlines publishing leaves: the first public record of a beamline makes it write them
    again with the new navigation."""
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    with world.transaction() as session:
        bl22 = f.instrument(session, "BL22", "xas")
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "EMB"))
        inv.instruments = [bl22]
        for dataset in inv.datasets:
            dataset.instrument = bl22
        inv.title = "Released on a new beamline"
        release = inv.release_date
    report = export_site(world, out=out, now=release + timedelta(seconds=1))
    # each changed record's page written once (the experiment, its two datasets, and what
    # else the time reached: REG's release too)
    assert report.written == report.published >= 3
    pages = [p for p in (out / "doi").rglob("index.html") if "emb" in str(p)]
    assert len(pages) == 3
    for page in pages:  # (pages not rewritten keep theirs until they are)
        html = page.read_text()
        assert '<li><a href="/beamlines/bl22/">BL22</a></li>' in html, page
        assert html.endswith("</footer>\n</body>\n</html>\n")
    again = export_site(world, out=out, now=release + timedelta(seconds=2))
    assert again.written == 0


def test_records_published_by_an_export_that_died_get_their_pages_next_time(world, tmp_path):
    """Publish commits on its own; if the export dies before its manifest, the records it
    published are no longer "changed" for publish, but their pages are still written."""
    from faircat.publisher.publish import publish

    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.title, inv.updated_at = "Published, then the export died", NOW + timedelta(minutes=1)
    with world.transaction() as session:  # what the dead export got done
        assert publish(session, world.settings, NOW + timedelta(minutes=2)).changed == 3
    report = export_site(world, out=out, now=NOW + timedelta(minutes=3))
    assert report.published == 0 and report.written == 3
    assert all_text(out).count("Published, then the export died") >= 3
    assert export_site(world, out=out, now=NOW + timedelta(minutes=4)).written == 0


def test_two_datasets_deriving_one_doi_do_not_stop_the_export(world, tmp_path):
    """Dataset names that differ only in case derive the same DOI: the older dataset keeps it,
    the newer one is reported by name of its DOI, and everything else is published."""
    from faircat.catalogue.models import Dataset

    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        first = inv.datasets[0]
        first.name = "Scan1"
        twin = Dataset(investigation=inv, name="scan1", title="The twin")
        session.add(twin)
        session.flush()
        assert twin.id > first.id
    out = tmp_path / "site"
    report = export_site(world, out=out, now=NOW)
    [problem] = report.skipped
    assert "another record already has this DOI" in problem and "rename the dataset" in problem
    doi = problem.split(":", 1)[0]
    page = out / "doi" / doi.split("/", 1)[0] / doi.split("/", 1)[1] / "index.html"
    assert page.is_file() and "The twin" not in page.read_text()
    assert "Open experiment on lysozyme" in all_text(out)
    again = export_site(world, out=out, now=NOW + timedelta(minutes=1))
    assert again.written == 0 and again.skipped == report.skipped


@pytest.mark.parametrize(("setting", "argument", "expected"), [(3, None, 3), (3, 1, 1)])
def test_export_jobs_come_from_the_setting_unless_given(
    world, tmp_path, monkeypatch, setting, argument, expected
):
    import dataclasses

    from faircat.publisher import export as export_module

    started = []
    real = export_module.Workers

    def workers(jobs, **kwargs):
        started.append(jobs)
        return real(jobs, **kwargs)

    monkeypatch.setattr(export_module, "Workers", workers)
    monkeypatch.setattr(world, "settings", dataclasses.replace(world.settings, export_jobs=setting))
    export_site(world, out=tmp_path / "site", now=NOW, jobs=argument)
    assert started == [expected]


def test_a_rewritten_page_links_the_files_that_did_not_change(world, tmp_path):
    """Retitling a dataset changes its experiment's page (it lists the dataset) but not the
    experiment's citation: the rewritten page links the live file instead of a new one."""
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    page = out / "doi" / "10.80100" / "tls.pub-1"
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in page.iterdir()}
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.datasets[1].title = "A corrected title"
        inv.datasets[1].updated_at = NOW + timedelta(minutes=1)
    assert export_site(world, out=out, now=NOW + timedelta(minutes=2)).written == 2
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in page.iterdir()}
    assert after.keys() == before.keys()
    same = {name for name in after if after[name][1] == before[name][1]}
    linked = {name for name in after if after[name][0] == before[name][0]}
    assert "A corrected title" in after["index.html"][1].decode()
    assert "citation.bib" in same and "index.html" not in same
    assert linked == same  # every unchanged file kept (linked), every changed one new
    complete(out)
