"""Site-wide pages, built from the published-records table alone (never the restricted tables).

Home, browse by beamline / technique / year, the search page and its index, sitemap, robots.txt
and the static assets. Cheap enough to rebuild on every export: one query over the table.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue.models.published import PublishedRecord
from faircat.publisher.pages import Link, ListingPage, Site
from faircat.publisher.render import render_listing, render_search, static_files
from faircat.publisher.sitemap import robots_txt, sitemaps

HOME_RECENT = 30


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


@dataclass(frozen=True, slots=True)
class Row:
    path: str
    title: str
    kind: str
    status: str
    snippet: str
    year: int | None
    day: date
    beamlines: tuple[str, ...]
    techniques: tuple[str, ...]


@dataclass
class Listing:
    rows: list[Row] = field(default_factory=list)

    @property
    def beamlines(self) -> list[str]:
        return sorted({b for r in self.rows for b in r.beamlines})


def load(session: Session) -> Listing:
    """Every published record, newest first: the only full read of the table per export."""
    listing = Listing()
    query = select(
        PublishedRecord.path,
        PublishedRecord.title,
        PublishedRecord.kind,
        PublishedRecord.status,
        PublishedRecord.snippet,
        PublishedRecord.release_year,
        PublishedRecord.datestamp,
        PublishedRecord.beamlines,
        PublishedRecord.technique_names,
    ).order_by(PublishedRecord.datestamp.desc(), PublishedRecord.id.desc())
    for path, title, kind, status, snippet, year, stamp, beamlines, techniques in session.execute(
        query
    ):
        listing.rows.append(
            Row(
                path,
                title,
                kind,
                status,
                snippet or "",
                year,
                stamp.date(),
                tuple(beamlines.split("\n")) if beamlines else (),
                tuple(techniques.split("\n")) if techniques else (),
            )
        )
    return listing


def _link(row: Row) -> Link:
    note = {"embargoed": "under embargo", "withdrawn": "withdrawn"}.get(row.status, "")
    return Link(row.title, row.path, ", ".join(filter(None, [row.kind, *row.beamlines, note])))


def _browse(
    site: Site, base: str, title: str, groups: dict[str, list[Row]], label: str
) -> dict[str, bytes]:
    """An index page of groups plus one page per group (experiments only: datasets are one
    click away, and a beamline's page stays readable)."""
    files = {}
    index = []
    for name in sorted(groups, reverse=label == "year"):
        rows = groups[name]
        path = f"{base}{slug(name)}/"
        index.append(Link(name, path, f"{len(rows)} experiments"))
        page = ListingPage(
            site=site, path=path, title=f"{title}: {name}", items=tuple(_link(r) for r in rows)
        )
        files[f"{path}index.html"] = render_listing(page).encode()
    files[f"{base}index.html"] = render_listing(
        ListingPage(site=site, path=base, title=title, items=tuple(index))
    ).encode()
    return files


def site_files(listing: Listing, site: Site) -> dict[str, bytes]:
    rows = listing.rows
    visible = [r for r in rows if r.status != "withdrawn"]
    experiments = [r for r in visible if r.kind == "experiment"]
    open_experiments = [r for r in experiments if r.status == "open"]
    files: dict[str, bytes] = {}
    home = ListingPage(
        site=site,
        path="/",
        title=site.name,
        intro=(
            f"{len(open_experiments)} open experiments and "
            f"{sum(1 for r in visible if r.kind == 'dataset')} datasets from "
            f"{site.facility}, free to reuse under their licences."
        ),
        items=tuple(_link(r) for r in open_experiments[:HOME_RECENT]),
        groups=(
            (
                "Browse",
                (
                    Link("By beamline", "/beamlines/"),
                    Link("By technique", "/techniques/"),
                    Link("By year", "/years/"),
                    Link("Search", "/search/"),
                ),
            ),
        ),
    )
    files["index.html"] = render_listing(home).encode()
    by_beamline: dict[str, list[Row]] = defaultdict(list)
    by_technique: dict[str, list[Row]] = defaultdict(list)
    by_year: dict[str, list[Row]] = defaultdict(list)
    for row in experiments:
        for b in row.beamlines:
            by_beamline[b].append(row)
        for t in row.techniques:
            by_technique[t].append(row)
        if row.year:
            by_year[str(row.year)].append(row)
    files |= _browse(site, "/beamlines/", "Beamlines", by_beamline, "beamline")
    files |= _browse(site, "/techniques/", "Techniques", by_technique, "technique")
    files |= _browse(site, "/years/", "Years of release", by_year, "year")
    files["search/index.html"] = render_search(site).encode()
    # Descriptions only for experiments: a dataset's is usually its experiment's, and with
    # them the index of 100,000 datasets is a 30 MB download for every visitor of /search/.
    index = [
        {
            "t": r.title,
            "u": r.path,
            "d": r.snippet if r.kind != "dataset" else "",
            "k": [r.kind, *r.beamlines, *r.techniques],
            "y": r.year,
        }
        for r in visible
    ]
    files["search/index.json"] = json.dumps(
        index, ensure_ascii=False, separators=(",", ":")
    ).encode()
    entries = [(r.path, r.day) for r in rows]
    entries += [
        ("/" + name.lstrip("/").removesuffix("index.html"), None)
        for name in list(files)
        if name.endswith("index.html")
    ]
    for name, data in sitemaps(site.base_url, entries).items():
        files[name] = data
    files["robots.txt"] = robots_txt(site.base_url)
    for name, data in static_files().items():
        files[f"static/{name}"] = data
    return {name.lstrip("/"): data for name, data in files.items()}
