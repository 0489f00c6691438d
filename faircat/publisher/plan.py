"""Page planning: public items in, page models and file contents out. No I/O.

Everything a landing page directory holds is computed here as ``{file name: bytes}``; the
writer (faircat.publisher.writer) alone touches the output tree.
"""

from __future__ import annotations

from faircat.catalogue.public import PublicItem
from faircat.crosswalks import citations, linkset, oai_dc, registry, schemaorg
from faircat.crosswalks.urls import landing_url
from faircat.publisher.pages import Citation, HeadLink, LandingPage, Link, MetadataFile, Site

LABELS = {
    "datacite.xml": "DataCite XML",
    "datacite.json": "DataCite JSON",
    "schemaorg.jsonld": "schema.org JSON-LD",
    "citation.bib": "BibTeX",
    "citation.ris": "RIS",
    "citation.csl.json": "CSL-JSON",
    "citation.txt": "Citation (text)",
    "linkset.json": "Linkset (RFC 9264)",
}
PREVIEW = "preview.png"


def meta_tags(item: PublicItem) -> tuple[tuple[str, str], ...]:
    """Highwire ``citation_*`` tags (Google Scholar) and Dublin Core ``DC.*`` tags."""
    record = item.record
    tags: list[tuple[str, str]] = [("citation_title", record.title)]
    for creator in record.creators:
        name = getattr(creator, "display_name", None) or getattr(creator, "name", "")
        tags.append(("citation_author", name))
    tags.append(("citation_publisher", record.facility.name))
    if record.dates.available:
        tags.append(("citation_publication_date", record.dates.available.isoformat()))
    if record.doi:
        tags.append(("citation_doi", record.doi))
    keywords = [t.name for t in record.techniques] + list(record.keywords)
    if keywords:
        tags.append(("citation_keywords", "; ".join(keywords)))
    tags.append(("citation_abstract_html_url", landing_url(record)))
    tags += [(f"DC.{name}", value) for name, value in oai_dc.dc_terms(record)]
    return tuple(tags)


def _links(refs: tuple, base_url: str) -> tuple[Link, ...]:
    out = []
    for ref in refs:
        url = ref.url[len(base_url) :] if ref.url.startswith(base_url) else ref.url
        out.append(Link(ref.title or ref.doi, url or "/", ref.kind))
    return tuple(out)


def landing_files(
    item: PublicItem, site: Site, preview: bytes | None
) -> tuple[LandingPage, dict[str, bytes]]:
    """The page model and every file of the landing page directory except index.html."""
    record = item.record
    files = registry.render_files(record)
    described = registry.metadata_files()
    url = landing_url(record)
    path = url[len(site.base_url) :] if url.startswith(site.base_url) else url
    head = [
        HeadLink(rel, href, type_) for rel, href, type_ in linkset.page_links(record, described)
    ]
    cites = [Citation("DataCite", citations.datacite_text(record))]
    if record.access != "withdrawn":
        # faircat's APA formatter, checked against citeproc-py: ~20 µs instead of ~25 ms
        cites.append(Citation("APA", citations.render_style(record, "apa")))
    cites += [
        Citation("BibTeX", citations.bibtex(record).decode(), "application/x-bibtex"),
        Citation("RIS", citations.ris(record).decode(), "application/x-research-info-systems"),
    ]
    if preview is not None:
        files[PREVIEW] = preview
    page = LandingPage(
        site=site,
        record=record,
        url=url,
        path=path,
        status=record.access,
        embargo_until=record.dates.available if record.access == "embargoed" else None,
        jsonld=schemaorg.dumps_script_safe(schemaorg.to_schemaorg(record)),
        head_links=tuple(head),
        meta_tags=meta_tags(item),
        metadata_files=tuple(MetadataFile(n, t, LABELS.get(n, n)) for n, t in described),
        citations=tuple(cites),
        preview=PREVIEW if preview is not None else "",
        preview_alt=f"Default plot of {record.title}" if preview is not None else "",
        part_of=_links(record.part_of, site.base_url),
        has_part=_links(record.parts, site.base_url),
        derived_from=_links(record.inputs, site.base_url),
        withdrawn_reason=record.withdrawal_reason,
    )
    return page, files
