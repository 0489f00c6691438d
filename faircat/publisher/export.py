"""``faircat export``: publish, then write the static site (atomic, incremental).

An incremental export (docs/publishing.md):

1. :func:`faircat.publisher.publish.publish` brings the published-records table up to date
   (committed on its own: it is the source of truth for OAI-PMH too). The same pass writes the
   page of each record whose content changed, from the same crosswalk output, swapped in
   directory by directory, by worker processes when there are many
   (:mod:`faircat.publisher.pool`).
2. Any other record published since the last export (its datestamp moved) whose page the
   manifest does not have at its content hash (a run that died before its manifest) gets its
   page rebuilt from the public view.
3. Site-wide pages (home, browse, search index, sitemap, robots, nginx snippet) are rebuilt
   from the published-records table alone, only where their inputs changed
   (:mod:`faircat.publisher.sitefiles`); pages of records that are gone are removed.
4. The manifest (:mod:`faircat.publisher.manifest`) is committed last.

A full export (``--full``, or no valid manifest) builds a fresh tree beside the site in one
pass over the public view (publish hands each record to the workers, which render its
metadata and its page together), then the site-wide pages and the manifest, and swaps the
whole tree in at the end.

Runs of one site take turns (:func:`faircat.publisher.writer.site_lock`); a run after one that
did not finish first clears the scratch it left (:func:`faircat.publisher.writer.clear_scratch`).
"""

from __future__ import annotations

import functools
import gc
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue.models.published import PublishedRecord
from faircat.catalogue.public import PublicView
from faircat.catalogue.store import Catalogue
from faircat.crosswalks.registry import metadata_files
from faircat.publisher import listings, render, sitefiles
from faircat.publisher.manifest import Manifest
from faircat.publisher.nginx import generic_config
from faircat.publisher.pages import Site
from faircat.publisher.pool import (
    Pages,
    Target,
    Workers,
    ordered_map,
    publish_and_write,
    publish_and_write_changed,
    replace_page_tail,
)
from faircat.publisher.publish import (
    Rendered,
    Task,
    content_hash,
    landing_path,
    publish,
)
from faircat.publisher.sitemap import robots_txt
from faircat.publisher.writer import (
    NGINX_SNIPPET,
    SiteLock,
    SiteWriter,
    clear_scratch,
    link_directory,
    scratch_dir,
    site_lock,
    swap_into_place,
)

# (id, path, content hash, investigation id) of a published record
Published = tuple[int, str, str, int]


@dataclass
class ExportReport:
    out: Path
    full: bool
    records: int = 0
    written: int = 0
    removed: int = 0
    published: int = 0  # records whose published metadata changed (OAI datestamp moved)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cleared: int = 0  # scratch folders and files a run that did not finish left in the site

    def describe(self) -> str:
        kind = "full" if self.full else "incremental"
        lines = [
            f"{kind} export to {self.out}: {self.records} public records, {self.written} pages "
            f"written, {self.removed} removed, {self.published} published metadata changed, "
            f"in {self.seconds:.1f} s"
        ]
        if self.cleared:
            lines.append(f"cleared {self.cleared} scratch files left by an export that died")
        lines += [f"SKIPPED {problem}" for problem in self.skipped]
        return "\n".join(lines)


def site_model(catalogue: Catalogue, beamlines: list[str], now: datetime) -> Site:
    settings = catalogue.settings
    return Site(
        name=f"{settings.facility_short_name} open data",
        facility=settings.facility_name,
        base_url=settings.facility_base_url,
        beamlines=tuple((b, f"/beamlines/{listings.slug(b)}/") for b in beamlines),
        build_time=now.replace(microsecond=0).isoformat(),
    )


def default_jobs() -> int:
    """Worker processes for a large export: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def export_site(
    catalogue: Catalogue,
    *,
    out: Path | None = None,
    full: bool = False,
    now: datetime | None = None,
    on_page: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
) -> ExportReport:
    """Publish and export; ``jobs``: worker processes for pages (default: the ``export_jobs``
    setting, whose 0 means one per core; 1 writes every page in this process)."""
    started = time.perf_counter()
    settings = catalogue.settings
    now = now or datetime.now(UTC)
    out = (out or settings.site_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with site_lock(out) as lock, _gc_paused():
        jobs = jobs or settings.export_jobs or default_jobs()
        export = _Export(catalogue, out, full, now, jobs, lock)
        report = export.run(on_page)
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _gc_paused() -> Iterator[None]:
    """An export allocates millions of small objects (public items, listing rows, page jobs)
    and keeps hundreds of thousands alive (publish's index of records, the manifest's digests),
    almost none in a cycle: the collector's passes over them cost ~20 % of the export's own
    process. Workers keep theirs (Jinja leaves cycles behind)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Export:
    """One export run (under the site's lock)."""

    def __init__(
        self,
        catalogue: Catalogue,
        out: Path,
        full: bool,
        now: datetime,
        jobs: int,
        lock: SiteLock,
    ) -> None:
        self.catalogue = catalogue
        self.settings = catalogue.settings
        self.out = out
        self.full = full
        self.now = now
        self.fresh = full or not Manifest.valid(out)
        self.report = ExportReport(out=out, full=self.fresh)
        self.workers = Workers(jobs, close_fd=lock.fd)
        self.lock = lock
        self.previews = self.settings.instance_path / "cache" / "previews"

    def run(self, on_page: Callable[[int, int], None] | None) -> ExportReport:
        root = self.out
        if self.fresh:
            root = scratch_dir(self.out.parent, f".{self.out.name}.build-")
        writer = SiteWriter(root, fresh=self.fresh)
        manifest = Manifest.open(root, fresh=self.fresh)
        try:
            if not self.fresh and not self.lock.last_run_finished:
                pages = {path.strip("/") for path in manifest.paths()}
                self.report.cleared = clear_scratch(root, pages)
            if self.fresh:
                self._fresh(writer, manifest, on_page)
            else:
                self._incremental(writer, manifest, on_page)
            manifest.stamp = self.now
            manifest.commit()
            manifest.close()
            if self.fresh:
                swap_into_place(root, self.out)
        except BaseException:
            self.workers.close()  # before removing the tree they may still be writing into
            manifest.close()
            if self.fresh:
                shutil.rmtree(root, ignore_errors=True)
            raise
        finally:
            self.workers.close()
        return self.report

    # -- a full export: one pass over the public view -------------------------------------------
    def _fresh(
        self,
        writer: SiteWriter,
        manifest: Manifest,
        on_page: Callable[[int, int], None] | None,
    ) -> None:
        """Publish every record and write its page in the same pass (workers render both from
        one crosswalk output), into a new tree. Pages are drawn with the beamlines published
        before this run; if publishing changed them, only the pages' tails are rewritten.
        Files equal to the live site's are hard links to them."""
        live = Manifest.read(self.out)
        try:
            self._fresh_pass(writer, manifest, live, on_page)
        finally:
            if live is not None:
                live.close()

    def _fresh_pass(
        self,
        writer: SiteWriter,
        manifest: Manifest,
        live: Manifest | None,
        on_page: Callable[[int, int], None] | None,
    ) -> None:
        report = self.report
        previous = live.files_digests() if live is not None else {}
        digests: dict[str, str] = {}  # files digest of each page written, by path
        written: list[str] = []
        with self.catalogue.transaction() as session:
            before = listings.beamlines(session)
            total = session.scalar(select(func.count()).select_from(PublishedRecord)) or 0
            site = site_model(self.catalogue, before, self.now)
            target = Target(writer.root, True, site, self.previews, self.out if live else None)

            def mapper(tasks: Iterable[Task]) -> Iterator[Rendered | None]:
                paths: deque[str] = deque()

                def jobs() -> Iterator[tuple[str, Task, str | None]]:
                    for task in tasks:
                        path = landing_path(task[0].record.doi)
                        rel = writer.claim(path)
                        paths.append(path)
                        written.append(rel)
                        yield rel, task, previous.get(path)

                job = functools.partial(publish_and_write, target)
                for rendered, digest in ordered_map(self.workers, job, jobs()):
                    digests[paths.popleft()] = digest
                    report.written += 1
                    if on_page is not None:
                        on_page(report.written, max(total, report.written))
                    yield rendered

            run = publish(session, self.settings, self.now, full=True, mapper=mapper)
        report.published, report.skipped = run.changed, list(run.skipped)
        with self.catalogue.transaction() as session:
            site = site_model(self.catalogue, listings.beamlines(session), self.now)
            if site.beamlines != target.site.beamlines:
                # in place: every index.html of this run is a new file (never a link)
                old, new = render.page_tail(target.site), render.page_tail(site)
                job = functools.partial(replace_page_tail, writer.root, old, new)
                deque(ordered_map(self.workers, job, written), maxlen=0)
            if live is not None:
                digests |= self._keep(session, writer, live, run.refused)
            query = select(PublishedRecord.path, PublishedRecord.content_hash, PublishedRecord.id)
            manifest.record_pages(
                (path, digest, record_id, digests[path])
                for path, digest, record_id in session.execute(query)
                if path in digests  # not: refused, and no valid page to keep
            )
            self._site_files(session, writer, manifest, site, None)

    def _keep(
        self, session: Session, writer: SiteWriter, live: Manifest, refused: list[str]
    ) -> dict[str, str]:
        """Live pages kept as they are, with their files digest: of records whose new version
        publish refused (their last valid page stays, like their published metadata)."""
        kept: dict[str, str] = {}
        if not refused:
            return kept
        query = select(PublishedRecord.path, PublishedRecord.content_hash).where(
            PublishedRecord.pid.in_(refused)
        )
        for path, digest in session.execute(query):
            if live.hashes([path]).get(path) == digest:
                rel = writer.claim(path)
                link_directory(self.out / rel, writer.root / rel)
                kept[path] = live.files_digests_of([path])[path]
        return kept

    # -- an incremental export: publish and the changed pages in one pass ---------------------
    def _incremental(
        self,
        writer: SiteWriter,
        manifest: Manifest,
        on_page: Callable[[int, int], None] | None,
    ) -> None:
        """Publish; the workers that render a changed record's metadata write its page too
        (one crosswalk output, one walk of the public view). Then every record published since
        the last export whose page is still stale (published by a run that died before its
        pages, say) is written as before."""
        report = self.report
        early: dict[str, tuple[str, str, str]] = {}  # path -> (content hash, files digest, rel)
        with self.catalogue.transaction() as session:
            before = site_model(self.catalogue, listings.beamlines(session), self.now)
            target = Target(writer.root, False, before, self.previews)

            def mapper(tasks: Iterable[Task]) -> Iterator[Rendered | None]:
                paths: deque[tuple[str, str, str]] = deque()

                def jobs() -> Iterator[tuple[str, Task, str | None]]:
                    for task in tasks:
                        path = landing_path(task[0].record.doi)
                        rel = writer.claim(path) if task[2] else ""
                        paths.append((path, task[1], rel))
                        yield rel, task, None

                job = functools.partial(publish_and_write_changed, target)
                for rendered, digest in ordered_map(self.workers, job, jobs()):
                    path, content, rel = paths.popleft()
                    if digest is not None:
                        early[path] = (content, digest, rel)
                        report.written += 1
                        if on_page is not None:
                            on_page(report.written, report.written)
                    yield rendered

            run = publish(session, self.settings, self.now, mapper=mapper)
        report.published, report.skipped = run.changed, list(run.skipped)
        with self.catalogue.transaction() as session:
            site = site_model(self.catalogue, listings.beamlines(session), self.now)
            if site.beamlines != before.beamlines:
                # The first public record of a beamline: every page's navigation changes, and
                # the pages written above show the old one. Rare: write them again.
                for _, _, rel in early.values():
                    writer.unclaim(rel)
                report.written -= len(early)
                early.clear()
            changed = self._pages(session, writer, manifest, site, on_page, early)
            self._site_files(session, writer, manifest, site, changed)

    def _candidates(self, session: Session, manifest: Manifest) -> tuple[list[Published], bool]:
        """Records whose page may be stale, and whether that is every record."""
        stamp = manifest.stamp
        if stamp is None or self.now <= stamp:  # the clock went back: compare everything
            query = select(
                PublishedRecord.id,
                PublishedRecord.path,
                PublishedRecord.content_hash,
                PublishedRecord.investigation_id,
            )
            return [tuple(row) for row in session.execute(query)], True  # type: ignore[misc]
        return sitefiles.changed_records(session, stamp), False

    def _pages(
        self,
        session: Session,
        writer: SiteWriter,
        manifest: Manifest,
        site: Site,
        on_page: Callable[[int, int], None] | None,
        early: dict[str, tuple[str, str, str]],
    ) -> list[int] | None:
        """Write the landing pages that are stale; the ids of the records published since the
        last export (None: all of them). ``early``: pages written while publishing, by path
        (content hash, files digest, claimed path), recorded in the manifest here."""
        rows, everything = self._candidates(session, manifest)
        expected = {path: (digest, record_id) for record_id, path, digest, _ in rows}
        known = manifest.hashes(expected)
        done_early = [
            (path, digest, record_id, early[path][1])
            for record_id, path, digest, _ in rows
            if path in early and early[path][0] == digest
        ]
        manifest.record_pages(done_early)
        known.update((path, digest) for path, digest, _, _ in done_early)
        stale = {inv for _, path, digest, inv in rows if known.get(path) != digest}
        report = self.report
        total = report.written + sum(
            1 for path, (digest, _) in expected.items() if known.get(path) != digest
        )

        def written(count: int) -> None:
            report.written += count
            if on_page is not None:
                on_page(report.written, total)

        target = Target(writer.root, False, site, self.previews)
        pages = Pages(target, self.workers, on_written=written)
        done: list[tuple[str, str, int, str]] = []
        for item in PublicView(session, self.settings, self.now).items(stale):
            path = landing_path(item.record.doi)
            want = expected.get(path)
            if want is None:
                continue  # a sibling of a changed record, not changed itself
            digest = content_hash(item)
            if digest != want[0] or known.get(path) == digest:
                # publish refused this version (reported in report.skipped): the last valid
                # page stays, like its published metadata; or the page is current
                continue
            rel = writer.claim(path)
            pages.add(rel, item, None)
            done.append((path, digest, want[1], rel))
        pages.close()
        manifest.record_pages((p, d, i, pages.digests[rel]) for p, d, i, rel in done)
        return None if everything else [record_id for record_id, _, _, _ in rows]

    # -- site-wide files ------------------------------------------------------------------------
    def _site_files(
        self,
        session: Session,
        writer: SiteWriter,
        manifest: Manifest,
        site: Site,
        changed: list[int] | None,
    ) -> None:
        extra = {
            "robots.txt": robots_txt(site.base_url),
            NGINX_SNIPPET: generic_config(
                str(self.out), self.settings.facility_base_url, metadata_files()
            ).encode(),
        }
        files = sitefiles.update(session, manifest, site, changed, extra)
        files.apply(writer, manifest)
        self.report.removed = len(files.gone)
        self.report.records = files.records
