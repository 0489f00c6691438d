"""What the static site is made of: page models handed to the templates, and the URL scheme.

URL scheme (stable, documented in docs/publishing.md):

    /                                   home: recent releases, browse links, search box
    /search/                            client-side search over /search/index.json
    /beamlines/  /beamlines/<name>/     browse by beamline
    /techniques/ /techniques/<slug>/    browse by PaNET technique
    /years/      /years/<yyyy>/         browse by release year
    /doi/<prefix>/<suffix>/             landing page of a DOI (experiment, dataset, selection)
    /doi/<prefix>/<suffix>/<metadata>   datacite.xml, datacite.json, schemaorg.jsonld, citation.*,
                                        linkset.json, preview.png
    /sitemap.xml, /robots.txt

The planner (faircat.publisher.plan) builds these models from the public view of the catalogue;
the renderer (faircat.publisher.render) turns them into HTML. Neither touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from faircat.crosswalks.view import Record

Status = Literal["open", "embargoed", "withdrawn"]


@dataclass(frozen=True, slots=True)
class Site:
    """Site-wide values every page needs."""

    name: str  # e.g. "ALBA Synchrotron open data"
    facility: str
    base_url: str  # absolute, no trailing slash
    beamlines: tuple[tuple[str, str], ...] = ()  # (name, relative URL) for the navigation
    build_time: str = ""  # ISO 8601, shown in the footer


@dataclass(frozen=True, slots=True)
class Link:
    """A link to another page of the site (or outside), with the text to show."""

    title: str
    url: str  # relative to the site root ("/doi/...") or absolute
    note: str = ""  # e.g. "raw dataset, 3 files"


@dataclass(frozen=True, slots=True)
class HeadLink:
    """A FAIR signposting ``<link rel=... href=... type=...>`` for the page head."""

    rel: str
    href: str
    type: str = ""


@dataclass(frozen=True, slots=True)
class Citation:
    style: str  # "DataCite", "APA", "BibTeX", "RIS"
    text: str
    media_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class MetadataFile:
    file_name: str  # "datacite.xml"
    media_type: str
    label: str  # "DataCite XML"


@dataclass(frozen=True)
class LandingPage:
    """Everything a landing page shows; ``record.files`` is empty unless the data are open."""

    site: Site
    record: Record
    url: str  # absolute landing URL
    path: str  # "/doi/10.80100/alba.2023012345-1/"
    status: Status
    embargo_until: date | None = None
    jsonld: str = ""  # schema.org JSON-LD, already safe inside <script>
    head_links: tuple[HeadLink, ...] = ()  # signposting level 1
    meta_tags: tuple[tuple[str, str], ...] = ()  # (name, content): citation_*, DC.*
    metadata_files: tuple[MetadataFile, ...] = ()
    citations: tuple[Citation, ...] = ()
    preview: str = ""  # relative URL of preview.png, "" when there is none
    preview_alt: str = ""
    part_of: tuple[Link, ...] = ()  # the experiment, selections containing this dataset
    has_part: tuple[Link, ...] = ()  # datasets of an experiment or selection
    derived_from: tuple[Link, ...] = ()  # input datasets of a processed dataset
    withdrawn_reason: str = ""


@dataclass(frozen=True)
class ListingPage:
    """Home, browse and search pages: a title and a list of links (newest first)."""

    site: Site
    path: str
    title: str
    intro: str = ""
    items: tuple[Link, ...] = ()
    groups: tuple[tuple[str, tuple[Link, ...]], ...] = field(default_factory=tuple)
