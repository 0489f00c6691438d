"""``sitemap.xml`` and ``robots.txt`` of the static site (sitemaps.org protocol 0.9).

A sitemap file holds at most 50,000 URLs and 50 MB uncompressed; a bigger site gets a sitemap
index at ``sitemap.xml`` so the URL search engines are given never changes as the catalogue grows.
:func:`sitemaps` splits a list of entries (``sitemaps/sitemap-0001.xml``, ``-0002``...); the export
uses :func:`assemble` on :class:`Part` s it keeps between runs (``sitemaps/<part>.xml``: one per
shard of records, one for the listing pages). Every ``<loc>`` is absolute, percent-encoded
(RFC 3986) and XML-escaped; ``<lastmod>`` is a W3C date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, urlsplit

from faircat.crosswalks.xmlwriter import escape_text

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # per file, by the protocol; also the most sitemaps an index may list
MAX_BYTES = 50 * 1024 * 1024  # per file, uncompressed, by the protocol
INDEX_FOLDER = "sitemaps"
# RFC 3986 path characters kept as they are; "%" too, so already-encoded paths stay as given
_SAFE = "/%-._~!$&'()*+,;=:@"
_HEAD = b"<?xml version='1.0' encoding='UTF-8'?>\n"
_CLOSE = len("</urlset>\n")


_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9" + re.escape(_SAFE) + r"]")


def _base(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base URL must be an absolute http(s) URL, not {base_url!r}")
    return base_url.rstrip("/")


def _loc(base: str, path: str) -> str:
    if "://" in path or path.startswith("//"):
        raise ValueError(f"sitemap paths are relative to the site, not {path!r}")
    path = path.lstrip("/")
    # Landing paths arrive already percent-encoded: quoting them again would change nothing,
    # and costs ~8 µs a URL (most of a 100,000-URL sitemap).
    if _NEEDS_QUOTING.search(path) is None:
        return base + "/" + path
    return base + "/" + quote(path, safe=_SAFE)


def _lastmod(when: date | None) -> str | None:
    if when is None:
        return None
    return (when.date() if isinstance(when, datetime) else when).isoformat()


def _element(tag: str, loc: str, lastmod: str | None) -> bytes:
    """One ``<url>`` or ``<sitemap>`` line, without a namespace (the root declares the default
    one, which children inherit), so each element's exact size is known before it is added.

    Written with the crosswalks' XML escaping rather than lxml: the sitemap is rebuilt on every
    export, and 100,000 lxml trees took 1.1-1.7 s. ``loc`` is percent-encoded by :func:`_loc`
    and ``lastmod`` is an ISO date, so neither can hold a character XML forbids.
    """
    text = f"<{tag}><loc>{escape_text(loc)}</loc>"
    if lastmod:
        text += f"<lastmod>{escape_text(lastmod)}</lastmod>"
    return (text + f"</{tag}>\n").encode("utf-8")


def _chunks(
    base: str, entries: Iterable[tuple[str, date | None]], max_urls: int, max_bytes: int
) -> Iterator[tuple[list[bytes], str | None]]:
    """Serialized ``<url>`` elements grouped by file, each group within both limits, with the
    group's latest lastmod (for the index)."""
    budget = max_bytes - len(_HEAD) - len(f'<urlset xmlns="{NS}">\n') - _CLOSE
    group: list[bytes] = []
    size, latest = 0, None
    for path, when in entries:
        lastmod = _lastmod(when)
        raw = _element("url", _loc(base, path), lastmod)
        if group and (len(group) >= max_urls or size + len(raw) > budget):
            yield group, latest
            group, size, latest = [], 0, None
        group.append(raw)
        size += len(raw)
        if lastmod and (latest is None or lastmod > latest):
            latest = lastmod
    if group:
        yield group, latest


def _document(root: str, children: list[bytes]) -> bytes:
    return b"".join(
        [_HEAD, f'<{root} xmlns="{NS}">\n'.encode(), *children, f"</{root}>\n".encode()]
    )


def sitemaps(
    base_url: str,
    entries: Iterable[tuple[str, date | None]],
    max_urls: int = MAX_URLS,
    *,
    max_bytes: int = MAX_BYTES,
) -> dict[str, bytes]:
    """Sitemap files by path relative to the site root: ``{"sitemap.xml": ...}``, or the index
    and ``sitemaps/sitemap-NNNN.xml`` when there are more than ``max_urls`` entries.

    ``entries`` are (path relative to the site, last modification date or None), in the order
    wanted in the files; paths are percent-encoded here unless they already are. ``max_urls``
    and ``max_bytes`` (per file) may only be lowered below the protocol's limits.
    """
    if not 1 <= max_urls <= MAX_URLS:
        raise ValueError(f"max_urls must be between 1 and {MAX_URLS}, not {max_urls}")
    if not 1024 <= max_bytes <= MAX_BYTES:
        raise ValueError(f"max_bytes must be between 1024 and {MAX_BYTES}, not {max_bytes}")
    base = _base(base_url)
    groups = list(_chunks(base, entries, max_urls, max_bytes))
    if not groups:
        raise ValueError("a sitemap needs at least one URL (the home page)")
    if len(groups) == 1:
        return {"sitemap.xml": _document("urlset", groups[0][0])}
    if len(groups) > MAX_URLS:
        raise ValueError(f"{len(groups)} sitemap files: more than one index can list")
    files: dict[str, bytes] = {}
    index: list[bytes] = []
    for number, (group, latest) in enumerate(groups, start=1):
        name = f"{INDEX_FOLDER}/sitemap-{number:04d}.xml"
        files[name] = _document("urlset", group)
        index.append(_element("sitemap", f"{base}/{name}", latest))
    return {"sitemap.xml": _document("sitemapindex", index), **files}


@dataclass(frozen=True, slots=True)
class Part:
    """The serialised ``<url>`` elements of one part of the site (a shard of records, the
    listing pages), their number and latest lastmod: kept between exports, so that a sitemap
    of millions of URLs is reassembled, not rebuilt, when a few records change."""

    data: bytes
    urls: int
    latest: str | None

    def encode(self) -> bytes:
        return f"{self.urls} {self.latest or '-'}\n".encode() + self.data

    @classmethod
    def decode(cls, data: bytes) -> Part:
        head, _, body = data.partition(b"\n")
        urls, latest = head.decode().split(" ")
        return cls(body, int(urls), None if latest == "-" else latest)


def part(base_url: str, entries: Iterable[tuple[str, date | None]]) -> Part:
    """A :class:`Part` of (path relative to the site, last modification) entries."""
    base = _base(base_url)
    lines: list[bytes] = []
    latest = None
    for path, when in entries:
        lastmod = _lastmod(when)
        lines.append(_element("url", _loc(base, path), lastmod))
        if lastmod and (latest is None or lastmod > latest):
            latest = lastmod
    return Part(b"".join(lines), len(lines), latest)


def assemble(
    base_url: str,
    parts: Mapping[str, Part],
    *,
    max_urls: int = MAX_URLS,
    max_bytes: int = MAX_BYTES,
) -> dict[str, bytes]:
    """Sitemap files from named parts, in the order given: one ``sitemap.xml`` holding them all
    while the protocol's limits allow, else an index and ``sitemaps/<name>.xml`` per part (each
    part must then be within the limits itself). Limits may only be lowered (tests)."""
    if not 1 <= max_urls <= MAX_URLS or not 1024 <= max_bytes <= MAX_BYTES:
        raise ValueError("sitemap limits may only be lowered")
    base = _base(base_url)
    budget = max_bytes - len(_HEAD) - len(f'<urlset xmlns="{NS}">\n') - _CLOSE
    kept = {name: p for name, p in parts.items() if p.urls}
    if not kept:
        raise ValueError("a sitemap needs at least one URL (the home page)")
    urls = sum(p.urls for p in kept.values())
    size = sum(len(p.data) for p in kept.values())
    if urls <= max_urls and size <= budget:
        return {"sitemap.xml": _document("urlset", [p.data for p in kept.values()])}
    if len(kept) > MAX_URLS:
        raise ValueError(f"{len(kept)} sitemap files: more than one index can list")
    files: dict[str, bytes] = {}
    index: list[bytes] = []
    for name, p in kept.items():
        if p.urls > max_urls or len(p.data) > budget:
            raise ValueError(f"sitemap part {name!r} exceeds the protocol's limits")
        path = f"{INDEX_FOLDER}/{name}.xml"
        files[path] = _document("urlset", [p.data])
        index.append(_element("sitemap", f"{base}/{path}", p.latest))
    return {"sitemap.xml": _document("sitemapindex", index), **files}


def robots_txt(base_url: str) -> bytes:
    """Everything may be crawled; names the sitemap.

    Crawlers read robots.txt only at the root of a host: when the site lives under a path
    (``https://host/opendata``) the host's own robots.txt must name the sitemap instead.
    """
    base = _base(base_url)
    return f"User-agent: *\nDisallow:\n\nSitemap: {base}/sitemap.xml\n".encode()
