"""sitemap.xml (sitemaps.org 0.9) and robots.txt."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lxml import etree

from faircat.publisher.sitemap import MAX_URLS, NS, robots_txt, sitemaps

BASE = "https://data.alba.example"

# The structure of https://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd and siteindex.xsd
# (loc, lastmod as a W3C date; changefreq and priority, which we do not write, left out).
XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}"
            xmlns="{NS}" elementFormDefault="qualified">
  <xsd:element name="urlset">
    <xsd:complexType><xsd:sequence>
      <xsd:element name="url" maxOccurs="unbounded" type="tEntry"/>
    </xsd:sequence></xsd:complexType>
  </xsd:element>
  <xsd:element name="sitemapindex">
    <xsd:complexType><xsd:sequence>
      <xsd:element name="sitemap" maxOccurs="unbounded" type="tEntry"/>
    </xsd:sequence></xsd:complexType>
  </xsd:element>
  <xsd:complexType name="tEntry"><xsd:sequence>
    <xsd:element name="loc" type="tLoc"/>
    <xsd:element name="lastmod" type="xsd:date" minOccurs="0"/>
  </xsd:sequence></xsd:complexType>
  <xsd:simpleType name="tLoc">
    <xsd:restriction base="xsd:anyURI">
      <xsd:minLength value="12"/><xsd:maxLength value="2048"/>
      <xsd:pattern value="https?://[!#-;=?-\\[\\]_a-z~]+"/>
    </xsd:restriction>
  </xsd:simpleType>
</xsd:schema>
"""
SCHEMA = etree.XMLSchema(etree.fromstring(XSD.encode()))


def _parse(data: bytes) -> etree._Element:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    SCHEMA.assertValid(root)
    return root


def _locs(root: etree._Element) -> list[str]:
    return [loc.text for loc in root.iter(f"{{{NS}}}loc")]


ENTRIES = [
    ("/", None),
    ("/doi/10.5072/alba.1/", date(2024, 3, 5)),
    ('doi/10.5072/a&b<c>"d" é/', datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("/doi/10.5072/already%20encoded/", date(2023, 1, 1)),
    ("/beamlines/xaloc/", date(2024, 1, 1)),
]


def test_one_file_when_small() -> None:
    files = sitemaps(BASE + "/", ENTRIES)
    assert list(files) == ["sitemap.xml"]
    root = _parse(files["sitemap.xml"])
    assert root.tag == f"{{{NS}}}urlset"
    assert _locs(root) == [
        f"{BASE}/",
        f"{BASE}/doi/10.5072/alba.1/",
        f"{BASE}/doi/10.5072/a&b%3Cc%3E%22d%22%20%C3%A9/",
        f"{BASE}/doi/10.5072/already%20encoded/",
        f"{BASE}/beamlines/xaloc/",
    ]
    assert b"a&amp;b%3Cc%3E" in files["sitemap.xml"]  # XML-escaped as well as percent-encoded
    lastmods = [e.text for e in root.iter(f"{{{NS}}}lastmod")]
    assert lastmods == ["2024-03-05", "2024-05-01", "2023-01-01", "2024-01-01"]
    assert files["sitemap.xml"].startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")


def test_index_when_more_than_max_urls() -> None:
    files = sitemaps(BASE, ENTRIES, max_urls=3)
    assert list(files) == ["sitemap.xml", "sitemaps/sitemap-0001.xml", "sitemaps/sitemap-0002.xml"]
    index = _parse(files["sitemap.xml"])
    assert index.tag == f"{{{NS}}}sitemapindex"
    assert _locs(index) == [
        f"{BASE}/sitemaps/sitemap-0001.xml",
        f"{BASE}/sitemaps/sitemap-0002.xml",
    ]
    assert [e.text for e in index.iter(f"{{{NS}}}lastmod")] == ["2024-05-01", "2024-01-01"]
    parts = [_parse(files[name]) for name in list(files)[1:]]
    assert [len(_locs(part)) for part in parts] == [3, 2]
    together = [loc for part in parts for loc in _locs(part)]
    assert together == _locs(_parse(sitemaps(BASE, ENTRIES)["sitemap.xml"]))


def test_exactly_max_urls_is_one_file() -> None:
    assert list(sitemaps(BASE, ENTRIES[:3], max_urls=3)) == ["sitemap.xml"]


def test_fifty_thousand_and_one() -> None:
    entries = ((f"/doi/10.5072/alba.{i}/", date(2024, 1, 1)) for i in range(MAX_URLS + 1))
    files = sitemaps(BASE, entries)
    assert len(files) == 3
    assert files["sitemaps/sitemap-0001.xml"].count(b"<url>") == MAX_URLS
    assert all(len(data) < 50 * 1024 * 1024 for data in files.values())


def test_file_size_limit_splits_too() -> None:
    entries = [(f"/doi/10.5072/alba.{i:04d}/", date(2024, 1, 1)) for i in range(100)]
    files = sitemaps(BASE, entries, max_bytes=1024)
    assert len(files) > 2
    for data in list(files.values())[1:]:
        assert len(data) <= 1024
        assert 0 < len(_locs(_parse(data))) <= 15
    assert sum(len(_locs(_parse(d))) for d in list(files.values())[1:]) == 100


def test_bad_input() -> None:
    for base in ("data.alba.example", "ftp://x.example", "https://x.example/?q=1"):
        with pytest.raises(ValueError, match="base URL"):
            sitemaps(base, ENTRIES)
    with pytest.raises(ValueError, match="relative"):
        sitemaps(BASE, [("https://elsewhere.example/", None)])
    with pytest.raises(ValueError, match="at least one"):
        sitemaps(BASE, [])
    with pytest.raises(ValueError, match="max_urls"):
        sitemaps(BASE, ENTRIES, max_urls=MAX_URLS + 1)


def test_robots_allows_everything_and_names_the_sitemap() -> None:
    text = robots_txt(BASE + "/").decode()
    assert text == f"User-agent: *\nDisallow:\n\nSitemap: {BASE}/sitemap.xml\n"


def test_parts_assemble_into_the_same_single_file() -> None:
    from faircat.publisher.sitemap import Part, assemble, part

    parts = {"a": part(BASE, ENTRIES[:2]), "b": part(BASE, ENTRIES[2:])}
    assert assemble(BASE, parts) == sitemaps(BASE, ENTRIES)
    assert Part.decode(parts["b"].encode()) == parts["b"]
    assert Part.decode(part(BASE, [("/", None)]).encode()).latest is None


def test_parts_become_files_of_an_index_past_the_limit() -> None:
    from faircat.publisher.sitemap import assemble, part

    parts = {"records-000000": part(BASE, ENTRIES[1:4]), "pages": part(BASE, ENTRIES[:1])}
    files = assemble(BASE, parts, max_urls=3)
    assert list(files) == ["sitemap.xml", "sitemaps/records-000000.xml", "sitemaps/pages.xml"]
    index = _parse(files["sitemap.xml"])
    assert _locs(index) == [f"{BASE}/sitemaps/records-000000.xml", f"{BASE}/sitemaps/pages.xml"]
    assert [e.text for e in index.iter(f"{{{NS}}}lastmod")] == ["2024-05-01"]
    assert len(_locs(_parse(files["sitemaps/records-000000.xml"]))) == 3
    with pytest.raises(ValueError, match="limits"):
        assemble(BASE, {"big": part(BASE, ENTRIES)}, max_urls=2)
    with pytest.raises(ValueError, match="at least one"):
        assemble(BASE, {"empty": part(BASE, [])})
