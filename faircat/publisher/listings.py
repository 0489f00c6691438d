"""Site-wide pages, built from the published-records table alone (never the restricted tables).

Home, browse by beamline / technique / year, the search page and its index, the sitemap. The
pieces that grow with the catalogue are built per shard of :data:`SHARD` record ids (search
index entries, sitemap entries), so that :mod:`faircat.publisher.sitefiles` rebuilds only the
shards whose records changed; home and browse pages list experiments only.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue.models.published import PublishedRecord as R
from faircat.publisher.pages import Link, ListingPage, Site
from faircat.publisher.render import render_listing, render_not_found, render_search

HOME_RECENT = 30
SHARD = 5_000  # record ids per shard: a sitemap file each past 50,000 URLs
_COLUMNS = (
    R.id,
    R.path,
    R.title,
    R.kind,
    R.status,
    R.snippet,
    R.release_year,
    R.datestamp,
    R.beamlines,
    R.technique_names,
)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    path: str
    title: str
    kind: str
    status: str
    snippet: str
    year: int | None
    day: date
    beamlines: tuple[str, ...]
    techniques: tuple[str, ...]


def _rows(session: Session, query: object) -> list[Row]:
    return [
        Row(
            id,
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
        for id, path, title, kind, status, snippet, year, stamp, beamlines, techniques in (
            session.execute(query)  # type: ignore[call-overload]
        )
    ]


def shard_rows(session: Session, shard: int) -> list[Row]:
    """The records of one shard, by id."""
    low = shard * SHARD
    query = select(*_COLUMNS).where(R.id >= low, R.id < low + SHARD).order_by(R.id)
    return _rows(session, query)


def experiments(session: Session) -> list[Row]:
    """Every experiment record, newest first: what home and browse pages list."""
    query = (
        select(*_COLUMNS)
        .where(R.kind == "experiment")
        .order_by(R.datestamp.desc(), R.id.desc())
    )
    return _rows(session, query)


@dataclass(frozen=True)
class Counts:
    shards: dict[int, int]  # records per shard
    datasets: int  # visible (not withdrawn) datasets


def counts(session: Session) -> Counts:
    """Records per shard, and the visible datasets: one pass over the table's index."""
    shard = R.id // SHARD
    query = select(shard, R.kind, R.status, func.count()).group_by(shard, R.kind, R.status)
    shards: dict[int, int] = defaultdict(int)
    datasets = 0
    for number, kind, status, n in session.execute(query):
        shards[int(number)] += n
        if kind == "dataset" and status != "withdrawn":
            datasets += n
    return Counts(dict(shards), datasets)


def beamlines(session: Session) -> list[str]:
    """Every beamline a published record names (the site's navigation)."""
    names = {b for (value,) in session.execute(select(R.beamlines).distinct()) if value
             for b in value.split("\n")}
    return sorted(names)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def search_part(rows: list[Row]) -> bytes:
    """Search index entries of one shard's visible records, newest id first, comma-separated.

    Descriptions only for experiments: a dataset's is usually its experiment's, and with them
    the index of 100,000 datasets is a 30 MB download for every visitor of /search/.
    """
    entries = [
        _ENCODE(
            {
                "t": r.title,
                "u": r.path,
                "d": r.snippet if r.kind != "dataset" else "",
                "k": [r.kind, *r.beamlines, *r.techniques],
                "y": r.year,
            }
        )
        for r in reversed(rows)
        if r.status != "withdrawn"
    ]
    return ",".join(entries).encode()


def search_index(parts: list[bytes]) -> bytes:
    """``/search/index.json`` from the shards' parts, newest shard first."""
    return b"[" + b",".join(p for p in parts if p) + b"]"


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


def listing_files(experiment_rows: list[Row], datasets: int, site: Site) -> dict[str, bytes]:
    """Home, browse and search pages by path relative to the site root ("index.html", ...)."""
    experiments = [r for r in experiment_rows if r.status != "withdrawn"]
    open_experiments = [r for r in experiments if r.status == "open"]
    files: dict[str, bytes] = {}
    home = ListingPage(
        site=site,
        path="/",
        title=site.name,
        intro=(
            f"{len(open_experiments)} open experiments and {datasets} datasets from "
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
    files["404.html"] = render_not_found(site).encode()
    return {name.lstrip("/"): data for name, data in files.items()}
