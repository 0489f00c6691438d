"""Identifier normalisation: DOI, ORCID, ROR and PaNET, as URLs and as bare ids."""

from __future__ import annotations

import re
from functools import lru_cache

from .xmltext import clean

DOI_RESOLVER = "https://doi.org/"
ORCID_URL = "https://orcid.org"
ROR_URL = "https://ror.org"
PANET_URL = "http://purl.org/pan-science/PaNET/"

_DOI_URL_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_HANDLE = re.compile(r"^\d{2}\.\d+/\S+$")


def bare_doi(doi: str) -> str:
    """``10.5072/x`` from ``https://doi.org/10.5072/x``, ``doi:10.5072/x`` or ``10.5072/x``."""
    doi = doi.strip()
    if doi[:1].isdigit():  # already bare (the usual case): the prefixes start with h or d
        return doi
    return _DOI_URL_PREFIX.sub("", doi)


def doi_url(doi: str) -> str:
    return DOI_RESOLVER + bare_doi(doi)


def orcid_id(orcid: str) -> str:
    """The bare iD (``0000-0002-1825-0097``), or "" when ``orcid`` is not one."""
    match = _ORCID.search(orcid.strip())
    return match.group(1) if match else ""


# The same few thousand ORCIDs and RORs recur in every record of a facility: memoised.
@lru_cache(maxsize=4096)
def orcid_uri(orcid: str) -> str:
    bare = orcid_id(orcid)
    return f"{ORCID_URL}/{bare}" if bare else ""


@lru_cache(maxsize=4096)
def ror_uri(ror: str) -> str:
    """``https://ror.org/02550n020`` from the URL or the bare id; "" for empty input."""
    ror = clean(ror).strip()  # it becomes an XML attribute: no forbidden characters
    if not ror:
        return ""
    if ror.startswith(("http://", "https://")):
        return "https://" + ror.split("://", 1)[1]
    return f"{ROR_URL}/{ror}"


def panet_code(iri: str) -> str:
    """``PaNET01164`` from its IRI."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def pid_type(pid: str) -> tuple[str, str]:
    """(identifier, DataCite relatedIdentifierType) for a PID given as DOI, Handle or URL."""
    pid = pid.strip()
    bare = bare_doi(pid)
    if bare.startswith("10.") and "/" in bare:
        return bare, "DOI"
    if pid.startswith(("http://hdl.handle.net/", "https://hdl.handle.net/")):
        return pid.split("handle.net/", 1)[1], "Handle"
    if _HANDLE.match(pid):
        return pid, "Handle"
    if pid.startswith(("http://", "https://")):
        return pid, "URL"
    return pid, "URL"


def pid_url(identifier: str, identifier_type: str) -> str:
    """A resolvable URL for a related identifier."""
    if identifier_type == "DOI":
        return doi_url(identifier)
    if identifier_type == "Handle":
        return "https://hdl.handle.net/" + identifier
    if identifier_type == "arXiv":
        return "https://arxiv.org/abs/" + identifier
    if identifier_type == "PMID":
        return "https://pubmed.ncbi.nlm.nih.gov/" + identifier
    return identifier


def funder_identifier_type(identifier: str) -> str:
    """DataCite ``funderIdentifierType`` guessed from the identifier's form."""
    if "ror.org/" in identifier:
        return "ROR"
    if "10.13039/" in identifier:
        return "Crossref Funder ID"
    if "isni" in identifier.lower():
        return "ISNI"
    return "Other"
