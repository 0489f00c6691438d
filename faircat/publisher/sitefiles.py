"""Site-wide files, rebuilt only where their inputs changed.

An incremental export knows which published records changed since the last export (their
datestamp moved: :func:`changed_records`). From that alone it decides what to rebuild:

- records are grouped in shards of :data:`listings.SHARD` ids; a shard with a changed, new or
  deleted record gets its search-index entries and sitemap entries rebuilt, and the pages of
  its deleted records removed. The other shards' entries come from the manifest, serialised;
- home, browse and search pages are rebuilt when the experiments they list, the dataset count
  or the site's own values (name, navigation) change;
- ``search/index.json`` and the sitemap are then reassembled from the shards' entries (a join
  of bytes), and every site-wide file is written only when its bytes changed.

A full export (or a new manifest) rebuilds every shard. The site's build time is not an input:
an unchanged listing page keeps the time it was built, like an unchanged landing page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue.models.published import PublishedRecord as R
from faircat.publisher import listings, sitemap
from faircat.publisher.manifest import Manifest
from faircat.publisher.pages import Site
from faircat.publisher.render import static_files
from faircat.publisher.writer import SiteWriter

VERSION = "1"  # bump when a site-wide file changes for the same records: rebuilt in full
_SHARDS = "shards"  # part: records per shard, as of the last export
_LISTING = "listing"  # part: the listing pages' paths, digest of their inputs
_PAGES = "pages"  # sitemap part of the listing pages


def changed_records(session: Session, since: datetime) -> list[tuple[int, str, str, int]]:
    """(id, path, content hash, investigation id) of records published after ``since`` (the
    time of the last export, whose own changes the site holds): an indexed range scan
    (``ix_published_record_datestamp``). Publish stamps what it changes with its run's time,
    so this holds every change since, as long as each export runs later than the last."""
    query = select(R.id, R.path, R.content_hash, R.investigation_id).where(R.datestamp > since)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def site_key(site: Site) -> str:
    """What every site-wide page depends on besides the records (the build time excepted)."""
    values = (VERSION, site.name, site.facility, site.base_url, site.beamlines)
    return hashlib.sha256(repr(values).encode()).hexdigest()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class SiteFiles:
    """What the export must do to the site-wide files and to pages of records that are gone."""

    write: dict[str, bytes] = field(default_factory=dict)  # changed files (path in the site)
    keep: set[str] = field(default_factory=set)  # files still valid as written before
    gone: list[str] = field(default_factory=list)  # landing page paths of deleted records
    shards: int = 0  # shards rebuilt
    records: int = 0  # published records

    def apply(self, writer: SiteWriter, manifest: Manifest) -> None:
        """Remove the gone pages, write the files whose bytes changed, remove the site-wide
        files no longer made, and record what the site now holds."""
        for path in self.gone:
            writer.remove(path)
        recorded = {} if writer.fresh else manifest.files()
        final: dict[str, str] = {}
        for path, data in self.write.items():
            final[path] = _digest(data)
            if recorded.get(path) != final[path]:
                writer.file(path, data)
        for path in self.keep:
            final.setdefault(path, recorded.get(path, ""))
        for path in recorded.keys() - final.keys():
            writer.remove(path)
        manifest.set_files(final)


def update(
    session: Session,
    manifest: Manifest,
    site: Site,
    changed: Iterable[int] | None,
    extra: dict[str, bytes],
) -> SiteFiles:
    """Bring the site-wide parts of ``manifest`` up to date and say which files to write.

    ``changed``: ids of the records whose datestamp moved since the last export, None for
    all; ``extra``: other site-wide files made whole on every export (robots.txt, nginx), kept
    when unchanged.
    """
    key = site_key(site)
    full = changed is None or manifest.new or manifest.get_state("site") != key
    changed_ids = set(changed or ())
    old_counts = _load_counts(manifest)
    if not full and not changed_ids:
        total = session.scalar(select(func.count()).select_from(R)) or 0
        if total == sum(old_counts.values()):
            out = _unchanged(manifest, extra)  # nothing published, nothing deleted
            out.records = total
            return out
    counts = listings.counts(session)
    if full:
        shards = counts.shards.keys() | old_counts.keys()
        manifest.drop_parts([*manifest.parts("search:"), *manifest.parts("sitemap:")])
    else:
        shards = {i // listings.SHARD for i in changed_ids}
        shards |= {s for s in counts.shards.keys() | old_counts.keys()
                   if counts.shards.get(s) != old_counts.get(s)}
    out = SiteFiles(shards=len(shards), records=sum(counts.shards.values()))
    for shard in sorted(shards):
        _rebuild_shard(session, manifest, site, shard, out)
    manifest.set_part(_SHARDS, "", json.dumps(counts.shards).encode())
    manifest.set_state("site", key)

    listing = _listing(session, manifest, site, counts.datasets, key, full, out)
    pages = sitemap.part(site.base_url, [("/" + p.removesuffix("index.html"), None)
                                         for p in listing if p.endswith("index.html")])
    parts = {name.split(":", 1)[1]: sitemap.Part.decode(data)
             for name, (_, data) in manifest.parts("sitemap:").items()}
    parts[_PAGES] = pages
    out.write |= sitemap.assemble(site.base_url, parts)
    search = [data for _, data in reversed(manifest.parts("search:").values())]
    out.write["search/index.json"] = listings.search_index(search)
    out.write |= {f"static/{name}": data for name, data in static_files().items()}
    out.write |= extra
    return out


def _load_counts(manifest: Manifest) -> dict[int, int]:
    stored = manifest.part(_SHARDS) if not manifest.new else None
    return {int(k): v for k, v in json.loads(stored[1]).items()} if stored else {}


def _unchanged(manifest: Manifest, extra: dict[str, bytes]) -> SiteFiles:
    """Every site-wide file stays, but those made whole on every export are compared."""
    out = SiteFiles(keep=set(manifest.files()))
    out.write = {f"static/{name}": data for name, data in static_files().items()} | extra
    out.keep -= set(out.write)
    return out


def _rebuild_shard(
    session: Session, manifest: Manifest, site: Site, shard: int, out: SiteFiles
) -> None:
    rows = listings.shard_rows(session, shard)
    name = f"{shard:06d}"
    if not manifest.new:  # pages of this shard's records that are gone
        live = {r.path for r in rows}
        low = shard * listings.SHARD
        missing = [p for p in manifest.pages_of(low, low + listings.SHARD) if p not in live]
        if missing:
            # a record deleted and published again (same DOI, new id) keeps its page
            elsewhere = set(session.scalars(select(R.path).where(R.path.in_(missing))))
            out.gone += [p for p in missing if p not in elsewhere]
            manifest.forget_pages([p for p in missing if p not in elsewhere])
    if not rows:
        manifest.drop_parts([f"search:{name}", f"sitemap:records-{name}"])
        return
    manifest.set_part(f"search:{name}", "", listings.search_part(rows))
    entries = sitemap.part(site.base_url, [(r.path, r.day) for r in rows])
    manifest.set_part(f"sitemap:records-{name}", "", entries.encode())


def _listing(
    session: Session,
    manifest: Manifest,
    site: Site,
    datasets: int,
    key: str,
    full: bool,
    out: SiteFiles,
) -> list[str]:
    """Home, browse and search pages, rebuilt when what they show changed; their paths."""
    rows = listings.experiments(session)
    shown = [(r.path, r.title, r.kind, r.status, r.year, r.beamlines, r.techniques) for r in rows]
    inputs = repr((key, datasets, shown)).encode()  # what the pages show, in their order
    digest = _digest(inputs)
    stored = manifest.part(_LISTING)
    if not full and stored is not None and stored[0] == digest:
        paths: list[str] = json.loads(stored[1])
        out.keep |= set(paths)
        return paths
    files = listings.listing_files(rows, datasets, site)
    manifest.set_part(_LISTING, digest, json.dumps(list(files)).encode())
    out.write |= files
    return list(files)
