"""The nginx configuration of the exported site, and the MIME map the dev server shares with it.

``nginx_config`` writes a snippet the operator includes inside their own ``server {}`` block
(TLS, ``server_name`` and logs stay theirs), see docs/deployment.md::

    server {
        listen 443 ssl;
        server_name data.example.org;
        include /srv/faircat/site/nginx.conf;
    }

It sets the document root, the media type of every file the export writes, cache lifetimes, and
on each landing page the FAIR signposting links as an HTTP ``Link`` header (RFC 8288): the same
links the page carries as ``<link>`` elements and ``linkset.json`` as a linkset, so a static host
without this header loses nothing essential.

nginx maps types by extension only, so files sharing one with another type (``datacite.json``,
``linkset.json`` and ``citation.csl.json`` are all ``.json``) get a regex location each, with an
empty ``types`` and their own ``default_type``.

Dot-named files and folders are never served (404): the export's state (``.faircat/``) and the
scratch of a run in progress or killed (``.<page>.new-*``, ``.tmp-*``; see
:mod:`faircat.publisher.writer`). The site has no ``/.well-known/``.

Everything interpolated is escaped: hrefs are percent-encoded where nginx or the header syntax
would misread a character (``$`` starts an nginx variable inside ``add_header``, ``"`` ends the
string, ``,`` ``;`` ``<`` ``>`` delimit links), page paths are written in the decoded, normalised
form nginx matches ``location`` against, inside a quoted string; anything that cannot be written
safely raises ValueError.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from urllib.parse import unquote

from faircat.crosswalks import registry
from faircat.publisher.headers import COMMON_HEADERS, HTML_HEADERS

log = logging.getLogger(__name__)

HTML_MAX_AGE = 300  # pages change when a record is amended or an embargo ends
METADATA_MAX_AGE = 3600
STATIC_MAX_AGE = 86400  # CSS/JS: file names change with their content... or within a day
PREVIEW_MAX_AGE = 86400
MAX_ITEM_LINKS = 20  # more "item" links go only to linkset.json: headers must stay small

# Extensions of the files the export writes, and of data files served beside the pages.
_SUFFIX_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",  # RFC 9239
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".bib": "application/x-bibtex",
    ".ris": "application/x-research-info-systems",
    ".nxs": "application/x-hdf5",
    ".nx5": "application/x-hdf5",
    ".nexus": "application/x-hdf5",
    ".h5": "application/x-hdf5",
    ".hdf5": "application/x-hdf5",
}
PREVIEW_FILE = "preview.png"
# text types whose Content-Type gets "; charset=utf-8" (JSON defines no charset parameter)
CHARSET_TYPES = (
    "text/html", "text/css", "text/plain", "text/javascript", "text/x-bibliography",
    "application/xml", "application/x-bibtex", "application/x-research-info-systems",
    "application/vnd.datacite.datacite+xml",
)  # fmt: skip


def mime_types() -> dict[str, str]:
    """Media type by exact file name (``"datacite.json"``) or by suffix (``".html"``).

    Look a name up exactly first, then by its suffix (see :func:`media_type`); the exact names
    are the metadata files of the format registry, which nginx serves with the same types.
    """
    names = {fmt.file_name: fmt.media_type for fmt in registry.file_formats()}
    return {**names, PREVIEW_FILE: "image/png", **_SUFFIX_TYPES}


def media_type(file_name: str, types: dict[str, str] | None = None) -> str:
    """The media type the site serves ``file_name`` (a name or a path) with."""
    types = types if types is not None else mime_types()
    name = file_name.rsplit("/", 1)[-1]
    if name in types:
        return types[name]
    dot = name.rfind(".")
    return (
        types.get(name[dot:].lower(), "application/octet-stream")
        if dot > 0
        else ("application/octet-stream")
    )


# -- escaping -----------------------------------------------------------------------------------

# Characters an href must not carry raw: "$" starts an nginx variable, '"' and "\\" end or
# escape the nginx string, "<" ">" delimit the link, and the rest are not valid in a URI anyway.
# "," and ";" stay: inside <...> they are part of the URI (RFC 8288), and the <link> elements
# and linkset.json carry them raw too. nginx decodes %24 back to "$" when serving a file.
_HREF_ESCAPES = str.maketrans(
    {c: f"%{ord(c):02X}" for c in '$"\\<>^`{}| ' + "".join(map(chr, range(32))) + "\x7f"}
)
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#&^_.+-]*$")  # no $: it would start a variable
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#&^_.+-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _quote(text: str) -> str:
    """An nginx double-quoted string (its parser unescapes \\" and \\\\)."""
    if _CONTROL.search(text):
        raise ValueError(f"control character in nginx string {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_UNSAFE = re.compile(r"[^!#%&-;=?-\[\]_a-z~]")  # printable ASCII but $ " \\ < > ^ ` { | }


def _href(href: str) -> str:
    if not _UNSAFE.search(href):  # the common case: a URL already percent-encoded by urls.py
        return href
    if not href.isascii():
        href = "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode()) for c in href)
    return href.translate(_HREF_ESCAPES)


@lru_cache(maxsize=256)
def _params(rel: str, media: str) -> str:
    """``>; rel=\\"...\\"; type=\\"...\\"`` after an href: validated once per (rel, type)."""
    if not _TOKEN.match(rel):
        if "://" not in rel:  # an extension relation type is a URI
            raise ValueError(f"bad link relation {rel!r}")
        rel = _href(rel)
    if media and not _MEDIA_TYPE.match(media):
        raise ValueError(f"bad media type {media!r}")
    return f'>; rel=\\"{rel}\\"; type=\\"{media}\\"' if media else f'>; rel=\\"{rel}\\"'


def link_header(links: Iterable[tuple[str, str, str]]) -> str:
    """The RFC 8288 ``Link`` value for (rel, href, media type) triples, safe inside nginx.

    Drops ``item`` links when there are more than MAX_ITEM_LINKS: a dataset of thousands of
    files would make a header clients refuse; the linkset (linked here) lists them all.
    """
    links = list(links)
    if len(links) > MAX_ITEM_LINKS and sum(rel == "item" for rel, _, _ in links) > MAX_ITEM_LINKS:
        links = [link for link in links if link[0] != "item"]
    hrefs = [href for _, href, _ in links]
    if _UNSAFE.search("".join(hrefs)):  # one scan of all hrefs: almost always clean
        hrefs = [_href(href) for href in hrefs]
    return ", ".join([f"<{h}{_params(r, m)}" for h, (r, _, m) in zip(hrefs, links, strict=True)])


def nginx_uri(page_path: str) -> str | None:
    """The URI nginx compares ``location`` with for a page path: percent-decoded, with merged
    slashes; None when nginx would resolve a "." or ".." segment away (no location can match)."""
    if "://" in page_path:
        raise ValueError(f"page paths are relative to the site root, not {page_path!r}")
    uri = "/" + (unquote(page_path, errors="strict") if "%" in page_path else page_path).lstrip("/")
    if "//" in uri:
        uri = re.sub("/{2,}", "/", uri)
    if "/." in uri and any(segment in (".", "..") for segment in uri.split("/")):
        return None
    return uri


# -- the snippet --------------------------------------------------------------------------------


# nginx inherits add_header from the server block only into locations that have none of their
# own, and every location here sets Cache-Control: so each location repeats them.
_SECURITY = " ".join(
    f'add_header {name} "{value}" always;'
    for name, value in {**COMMON_HEADERS, **HTML_HEADERS}.items()
)


def _cache(seconds: int) -> str:
    return f'add_header Cache-Control "public, max-age={seconds}" always; {_SECURITY}'


# Any path with a segment starting with ".". The first regex location in the snippet: nginx
# takes the first regex that matches, and a metadata file's (below) would match a scratch copy.
_HIDDEN = 'location ~ "/\\." { return 404; }'


def _static_part(site_root: str) -> list[str]:
    types = mime_types()
    by_type: dict[str, list[str]] = {}
    for suffix, media in _SUFFIX_TYPES.items():
        by_type.setdefault(media, []).append(suffix[1:])
    lines = [
        "# faircat static site: generated by the export; include it inside a server {} block.",
        "# Do not edit: it is rewritten on every export (see docs/deployment.md).",
        f"root {_quote(site_root)};",
        "index index.html;",
        "error_page 404 /404.html;",
        "charset utf-8;",
        f"charset_types {' '.join(CHARSET_TYPES)};",
        "default_type application/octet-stream;",
        "types {",
        *(f"    {media} {' '.join(suffixes)};" for media, suffixes in by_type.items()),
        "}",
        "",
        "# dot-named files and folders are not the site's: its state, the scratch of an export",
        _HIDDEN,
        f"location / {{ try_files $uri $uri/index.html =404; {_cache(HTML_MAX_AGE)} }}",
        # ^~ skips the regex locations: the rule against dot-names is repeated inside
        f"location ^~ /static/ {{ {_HIDDEN} try_files $uri =404; {_cache(STATIC_MAX_AGE)} }}",
        f'location ~ "/{re.escape(PREVIEW_FILE)}$" {{ {_cache(PREVIEW_MAX_AGE)} }}',
        "",
        "# metadata files: exact names, since several share an extension with other types;",
        "# CORS so browser-based FAIR tools can read them",
    ]
    for fmt in registry.file_formats():
        name = fmt.file_name
        lines.append(
            f'location ~ "/{re.escape(name)}$" {{ types {{ }} default_type {types[name]}; '
            f'{_cache(METADATA_MAX_AGE)} add_header Access-Control-Allow-Origin "*" always; }}'
        )
    return lines


def nginx_config(
    site_root: str, landing_links: Iterable[tuple[str, Sequence[tuple[str, str, str]]]]
) -> str:
    """The server-block snippet for the site exported to ``site_root`` (an absolute path).

    ``landing_links`` gives, for each landing page, its path relative to the site root
    (``/doi/10.5072/alba.42/``, as in :func:`faircat.crosswalks.urls.doi_path`) and its
    signposting links as (rel, href, media type) from :func:`faircat.crosswalks.linkset.page_links`.
    Each page gets one exact ``location`` (one line) adding the ``Link`` header.
    """
    if not site_root.startswith("/") or "$" in site_root:
        raise ValueError(f"site_root must be an absolute path without '$', not {site_root!r}")
    lines = _static_part(site_root)
    lines += ["", "# landing pages: FAIR signposting level 1 as an HTTP Link header (RFC 8288)"]
    # per-page constant parts, hoisted: 100,000 pages are joined in well under a second
    head, tail = (
        'location = "',
        f'" {{ {_cache(HTML_MAX_AGE)} try_files ${{uri}}index.html =404; add_header Link "',
    )
    seen: set[str] = set()
    for page_path, links in landing_links:
        uri = nginx_uri(page_path)
        if uri is None:
            log.warning("no Link header for %s: nginx resolves its '.' or '..' away", page_path)
            continue
        if uri in seen:
            raise ValueError(f"two landing pages at {uri}")
        seen.add(uri)
        if _CONTROL.search(uri):
            raise ValueError(f"control character in page path {page_path!r}")
        # serving ${uri}index.html in this location (not $uri/, which redirects internally to
        # the generic location) is what keeps the Link header on the page
        quoted = uri.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{head}{quoted}{tail}{link_header(links)}" always; }}')
    return "\n".join(lines) + "\n"


def generic_config(site_root: str, base_url: str, metadata_files: Sequence[tuple[str, str]]) -> str:
    """The snippet for any number of landing pages: one regex location, constant size.

    The ``Link`` header is built by nginx from the DOI in the path: ``cite-as``, both ``type``
    links, ``describedby`` for every metadata file and ``linkset``. The page-specific links
    (``author``, ``license``, ``item``) stay in the page's ``<link>`` elements and its
    ``linkset.json``, which the header points at (signposting allows a subset in headers).
    Per-page exact locations (:func:`nginx_config`) cost nginx ~9 kB each: 1.1 GB and 12 s to
    load 100,000 pages; this costs nothing per page.
    """
    if not site_root.startswith("/") or "$" in site_root:
        raise ValueError(f"site_root must be an absolute path without '$', not {site_root!r}")
    base = base_url.rstrip("/")
    if _CONTROL.search(base) or '"' in base or "$" in base:
        raise ValueError(f"bad base URL {base_url!r}")
    header = landing_link_header(base, "$faircat_doi", metadata_files).replace('"', '\\"')
    lines = _static_part(site_root)
    lines += [
        "",
        "# the export's own state (manifest, this file) is not part of the site",
        "location ^~ /.faircat/ { return 404; }",
        "",
        "# landing pages: FAIR signposting as an HTTP Link header (RFC 8288), built from the DOI",
        'location ~ "^/doi/(?<faircat_doi>[^/]+/.+)/$" {',
        f"    {_cache(HTML_MAX_AGE)}",
        "    try_files ${uri}index.html =404;",
        f'    add_header Link "{header}" always;',
        "}",
    ]
    return "\n".join(lines) + "\n"


def landing_link_header(base_url: str, doi: str, metadata_files: Sequence[tuple[str, str]]) -> str:
    """The ``Link`` header of a landing page that needs nothing but its DOI (RFC 8288).

    nginx builds it with ``$faircat_doi`` in place of the DOI; ``faircat serve`` with the DOI.
    """
    base = base_url.rstrip("/")
    links = [f'<https://doi.org/{doi}>; rel="cite-as"']
    links += [
        f'<{href}>; rel="type"'
        for href in ("https://schema.org/Dataset", "https://schema.org/AboutPage")
    ]
    links += [
        f'<{base}/doi/{doi}/{name}>; rel="describedby"; type="{media}"'
        for name, media in metadata_files
    ]
    links.append(f'<{base}/doi/{doi}/linkset.json>; rel="linkset"; type="application/linkset+json"')
    return ", ".join(links)
