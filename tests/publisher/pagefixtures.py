"""Sample page models for the renderer tests, built from the crosswalk test cases.

A stand-in for the planner (faircat.publisher.plan): it fills the models the same way, from the
same crosswalks, so the renderer is tested on realistic values without a database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from faircat.crosswalks import citations, linkset, registry, schemaorg
from faircat.crosswalks.identifiers import bare_doi, doi_url
from faircat.crosswalks.oai_dc import dc_terms
from faircat.crosswalks.urls import landing_url
from faircat.crosswalks.view import Organization, Record, RecordRef
from faircat.publisher.pages import (
    Citation,
    HeadLink,
    LandingPage,
    Link,
    ListingPage,
    MetadataFile,
    Site,
)
from faircat.publisher.plan import LABELS
from tests.crosswalks import cases

SITE = Site(
    name="ALBA Open Data",
    facility="ALBA Synchrotron",
    base_url="https://data.alba.example",
    beamlines=(("XALOC", "/beamlines/xaloc/"), ("CLAESS", "/beamlines/claess/")),
    build_time="2026-06-02T10:00:00Z",
)

#: A title that breaks naive templates: closes the script element, injects markup, quotes.
NASTY_TITLE = "Nasty </script><script>alert(1)</script> <b>bold</b> & \"double\" 'single'"


def _path(record: Record) -> str:
    return "/" + landing_url(record).split("://", 1)[1].split("/", 1)[1]


def _meta_tags(record: Record) -> tuple[tuple[str, str], ...]:
    year_date = record.dates.available or record.dates.issued
    tags = [("citation_title", record.title)]
    for who in record.creators:
        name = who.name if isinstance(who, Organization) else who.display_name
        if name:
            tags.append(("citation_author", name))
    tags += [
        ("citation_publisher", record.facility.name),
        ("citation_publication_date", year_date.isoformat() if year_date else ""),
        ("citation_doi", bare_doi(record.doi)),
        ("citation_abstract_html_url", landing_url(record)),
    ]
    if record.keywords:
        tags.append(("citation_keywords", "; ".join(record.keywords)))
    tags += [(f"DC.{name}", value) for name, value in dc_terms(record)]
    return tuple(tags)


def _citations(record: Record) -> tuple[Citation, ...]:
    return (
        Citation("DataCite", citations.datacite_text(record)),
        Citation("APA", citations.render_style(record, "apa")),
        Citation("BibTeX", citations.bibtex(record).decode(), "application/x-bibtex"),
        Citation("RIS", citations.ris(record).decode(), "application/x-research-info-systems"),
    )


def _link(ref: RecordRef) -> Link:
    url = "/" + ref.url.split("://", 1)[1].split("/", 1)[1] if "://" in ref.url else ref.url
    return Link(ref.title or (doi_url(ref.doi) if ref.doi else ref.url), url, ref.kind)


def landing(record: Record, **changes: object) -> LandingPage:
    """The page the planner would build for ``record`` (``changes`` override fields)."""
    files = registry.metadata_files()
    status = record.access
    page = LandingPage(
        site=SITE,
        record=record,
        url=landing_url(record),
        path=_path(record),
        status=status,
        embargo_until=record.dates.available if status == "embargoed" else None,
        jsonld=schemaorg.schemaorg_jsonld(record).decode().strip(),
        head_links=tuple(
            HeadLink(rel, href, media) for rel, href, media in linkset.page_links(record, files)
        ),
        meta_tags=_meta_tags(record),
        metadata_files=tuple(MetadataFile(name, media, LABELS[name]) for name, media in files),
        citations=_citations(record),
        part_of=tuple(_link(ref) for ref in record.part_of),
        has_part=tuple(_link(ref) for ref in record.parts),
        derived_from=tuple(_link(ref) for ref in record.inputs),
        withdrawn_reason=record.withdrawal_reason,
    )
    return replace(page, **changes)  # type: ignore[arg-type]


def open_dataset() -> LandingPage:
    return landing(
        cases.full(),
        preview="preview.png",
        preview_alt="Diffraction image: first frame of the lysozyme collection, rings to 1.6 Å",
    )


def embargoed_experiment() -> LandingPage:
    """As the planner builds it: no files, no parameters, no sample while embargoed."""
    record = replace(cases.embargoed(), files=(), parameters=(), samples=())
    return landing(record)


def withdrawn_dataset() -> LandingPage:
    # Own DOIs for the variants of one case, so every sample page has a path of its own.
    return landing(replace(cases.withdrawn(), doi="10.5072/alba.ds.1001-w"))


def selection() -> LandingPage:
    return landing(cases.selection())


def unicode_dataset() -> LandingPage:
    return landing(cases.unicode())


def many_creators() -> LandingPage:
    return landing(cases.many_creators())


def nasty_title() -> LandingPage:
    record = replace(cases.full(), doi="10.5072/alba.ds.nasty", title=NASTY_TITLE)
    return landing(replace(record, keywords=(NASTY_TITLE,)))


def hostile() -> LandingPage:
    return landing(cases.hostile())


LANDINGS = {
    "open": open_dataset,
    "embargoed": embargoed_experiment,
    "withdrawn": withdrawn_dataset,
    "selection": selection,
    "public": lambda: landing(replace(cases.public(), doi="10.5072/alba.exp.2023-0043")),
    "processed": lambda: landing(cases.processed()),
    "minimal": lambda: landing(cases.minimal()),
    "unicode": unicode_dataset,
    "creators200": many_creators,
    "nasty": nasty_title,
    "hostile": hostile,
}


def _item(page: LandingPage) -> Link:
    record = page.record
    note = ", ".join(
        part
        for part in (
            record.kind,
            ", ".join(i.name for i in record.instruments),
            str(record.dates.available.year) if record.dates.available else "",
        )
        if part
    )
    return Link(record.title, page.path, note)


def home() -> ListingPage:
    pages = [LANDINGS[name]() for name in ("open", "selection", "processed", "embargoed")]
    return ListingPage(
        site=SITE,
        path="/",
        title="ALBA Open Data",
        intro="Experiments and datasets measured at the ALBA Synchrotron, with DOIs.",
        items=tuple(_item(page) for page in pages),
        groups=(
            (
                "Browse",
                (
                    Link("By beamline", "/beamlines/", "2 beamlines"),
                    Link("By technique", "/techniques/", "2 techniques"),
                    Link("By year", "/years/", "2023–2026"),
                ),
            ),
        ),
    )


def beamline() -> ListingPage:
    pages = [LANDINGS[name]() for name in ("open", "processed", "embargoed")]
    return ListingPage(
        site=SITE,
        path="/beamlines/xaloc/",
        title="XALOC",
        intro="BL13 XALOC macromolecular crystallography beamline.",
        items=tuple(_item(page) for page in pages),
    )


def years() -> ListingPage:
    return ListingPage(
        site=SITE,
        path="/years/",
        title="Browse by year",
        groups=(
            ("2026", (_item(open_dataset()), _item(selection()))),
            ("2023", ()),
        ),
    )


def empty_listing() -> ListingPage:
    return ListingPage(site=SITE, path="/techniques/", title="Browse by technique")


LISTINGS = {"home": home, "beamline": beamline, "years": years, "empty": empty_listing}


def search_index() -> list[dict[str, object]]:
    """What the export writes to /search/index.json for the sample pages."""
    result = []
    for name in ("open", "selection", "processed", "embargoed", "unicode"):
        record = LANDINGS[name]().record
        keywords = [*record.keywords, *(i.name for i in record.instruments)]
        keywords += [t.name for t in record.techniques]
        year = (record.dates.available or record.dates.issued or date(2026, 1, 1)).year
        result.append(
            {
                "t": record.title,
                "u": _path(record),
                "d": record.description[:200],
                "k": keywords,
                "y": year,
            }
        )
    return result


def preview_png(width: int = 480, height: int = 320) -> bytes:
    """A small grey-scale PNG with diffraction-like rings, built without an imaging library."""
    import math
    import struct
    import zlib

    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type "none"
        for x in range(width):
            r = math.hypot(x - width / 2, y - height / 2)
            ring = 0.5 + 0.5 * math.cos(r / 6.0)
            row.append(int(255 * (1 - math.exp(-r / 90)) * (0.35 + 0.65 * ring**8)))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def write_site(root: Path) -> dict[str, str]:
    """Render the sample pages, assets and search index under ``root``; {name: URL path}."""
    import json
    from urllib.parse import unquote

    from faircat.publisher import render

    written: set[str] = set()

    def put(path: str, data: bytes) -> None:
        assert path not in written, f"two sample pages at {path}"
        written.add(path)
        target = root / unquote(path).lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    paths: dict[str, str] = {}
    for name, build in LANDINGS.items():
        page = build()
        put(page.path, render.render_landing(page).encode("utf-8"))
        paths[name] = page.path
    put(open_dataset().path + "preview.png", preview_png())
    for name, build in LISTINGS.items():
        listing = build()
        put(listing.path, render.render_listing(listing).encode("utf-8"))
        paths[f"listing-{name}"] = listing.path
    put("/search/", render.render_search(SITE).encode("utf-8"))
    paths["search"] = "/search/"
    put("/search/index.json", json.dumps(search_index(), ensure_ascii=False).encode("utf-8"))
    for name, data in render.static_files().items():
        put(f"/static/{name}", data)
    return paths
