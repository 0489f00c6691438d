"""Page planning: public items in, page models and file contents out. No I/O.

Everything a landing page directory holds is computed here as ``{file name: bytes}``; the
writer (faircat.publisher.writer) alone touches the output tree.
"""

from __future__ import annotations

from collections.abc import Mapping

from faircat.catalogue.public import PublicItem
from faircat.crosswalks import citations, linkset, oai_dc, registry
from faircat.crosswalks.urls import landing_url
from faircat.crosswalks.view import Record
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
_DESCRIBED = registry.metadata_files()
_METADATA_FILES = tuple(MetadataFile(n, t, LABELS.get(n, n)) for n, t in _DESCRIBED)


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


def metadata_files(record: Record, core: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """Every metadata file of the page directory by name: :func:`registry.render_files`, but
    reusing ``core`` (:func:`registry.render_core` of the same record) when publish already
    rendered it, so the DataCite and schema.org files are not built twice."""
    if core is None:
        return registry.render_files(record)
    return {
        fmt.file_name: core[fmt.file_name] if fmt.file_name in core else fmt.render(record)
        for fmt in registry.file_formats()
    }


def landing_files(
    item: PublicItem,
    site: Site,
    preview: bytes | None,
    core: Mapping[str, bytes] | None = None,
    *,
    has_preview: bool | None = None,
) -> tuple[LandingPage, dict[str, bytes]]:
    """The page model and every file of the landing page directory except index.html.

    ``core``: the record's :func:`registry.render_core` output when the caller has it.
    ``has_preview``: whether the page shows a preview when the caller places ``preview.png``
    itself (``preview`` is then None and not among the files).
    """
    record = item.record
    files = metadata_files(record, core)
    described = _DESCRIBED
    url = landing_url(record)
    path = url[len(site.base_url) :] if url.startswith(site.base_url) else url
    head = [
        HeadLink(rel, href, type_) for rel, href, type_ in linkset.page_links(record, described)
    ]
    cites = [Citation("DataCite", citations.datacite_text(record))]
    if record.access != "withdrawn":
        # faircat's APA formatter, checked against citeproc-py: ~20 µs instead of ~25 ms
        cites.append(Citation("APA", citations.render_style(record, "apa")))
    cites += [  # the same bytes as the citation files beside the page
        Citation("BibTeX", files["citation.bib"].decode(), "application/x-bibtex"),
        Citation("RIS", files["citation.ris"].decode(), "application/x-research-info-systems"),
    ]
    if preview is not None:
        files[PREVIEW] = preview
    shown = preview is not None if has_preview is None else has_preview
    page = LandingPage(
        site=site,
        record=record,
        url=url,
        path=path,
        status=record.access,
        embargo_until=record.dates.available if record.access == "embargoed" else None,
        # schemaorg.jsonld is compact and script-safe already: the page embeds the same text
        jsonld=files["schemaorg.jsonld"].decode().removesuffix("\n"),
        head_links=tuple(head),
        meta_tags=meta_tags(item),
        metadata_files=_METADATA_FILES,
        citations=tuple(cites),
        preview=PREVIEW if shown else "",
        preview_alt=f"Default plot of {record.title}" if shown else "",
        part_of=_links(record.part_of, site.base_url),
        has_part=_links(record.parts, site.base_url),
        derived_from=_links(record.inputs, site.base_url),
        withdrawn_reason=record.withdrawal_reason,
    )
    return page, files
