"""Values several formats need, computed once per record: the shared part of the crosswalks.

:class:`Prepared` checks the mandatory fields (in :func:`.mandatory.check` order, so the first
missing field raises :class:`~faircat.errors.MetadataError` as before) and holds the cleaned
values DataCite, schema.org and oai_dc all use: DOI, title, publisher, year, landing URL, the
cleaned abstract, and the cleaned names and identifiers of every person and organisation.
:func:`.registry.render_core` makes one for the four hot formats; the one-format functions make
their own, so their output is the same either way (tested).
"""

from __future__ import annotations

from typing import NamedTuple

from . import mandatory
from .identifiers import orcid_uri, ror_uri
from .urls import landing_url
from .view import Agent, Organization, Record
from .xmltext import clean, one_line


class AgentText(NamedTuple):
    """A person or organisation, cleaned. ``name`` is the DataCite/DC display name."""

    organization: bool
    name: str  # Organization: one_line(name); Person: one_line(display_name)
    given: str
    family: str
    full: str
    orcid: str  # ORCID URI or ""
    ror: str  # ROR URI or "" (the organisation's own, for organisations)
    affiliation: str  # cleaned affiliation name or ""
    affiliation_ror: str


class Prepared:
    """The shared, cleaned values of one record (raises MetadataError when one is missing)."""

    __slots__ = ("_agents", "_technical_info", "abstract", "doi", "landing", "publisher",
                 "record", "title", "year")  # fmt: skip

    def __init__(self, record: Record) -> None:
        self.record = record
        self.doi = mandatory.doi(record)
        self.title = mandatory.title(record)
        mandatory.check_creators(record)
        self.publisher = mandatory.publisher(record)
        self.year = mandatory.publication_year(record)
        self.landing = landing_url(record)
        self.abstract = clean(record.description).strip()
        self._agents: dict[int, AgentText] = {}
        self._technical_info: str | None = None

    def agent(self, who: Agent) -> AgentText:
        """The cleaned text of ``who`` (memoised: creators appear in every format)."""
        # By identity first: a record asks ~12 times for the same few agents, and an id lookup
        # is cheaper than hashing the dataclass for the shared cache in agent_text().
        key = id(who)  # the record holds ``who`` for the life of this object
        text = self._agents.get(key)
        if text is None:
            text = self._agents[key] = agent_text(who)
        return text

    def technical_info(self) -> str:
        if self._technical_info is None:
            from .datacite import technical_info

            self._technical_info = technical_info(self.record)
        return self._technical_info


# Cleaned text by agent (frozen dataclasses compare by value): the same creators, contacts and
# affiliations recur across a facility's records, and a hit (~0.5 µs: hash and compare) saves
# ~4 µs of cleaning. Cleared when full so a long export cannot grow it without bound.
_AGENT_CACHE: dict[Agent, AgentText] = {}
_AGENT_CACHE_SIZE = 4096


def agent_text(who: Agent) -> AgentText:
    text = _AGENT_CACHE.get(who)
    if text is None:
        if len(_AGENT_CACHE) >= _AGENT_CACHE_SIZE:
            _AGENT_CACHE.clear()
        text = _AGENT_CACHE[who] = _agent_text(who)
    return text


def _agent_text(who: Agent) -> AgentText:
    if isinstance(who, Organization):
        return AgentText(True, one_line(who.name), "", "", "", "", ror_uri(who.ror), "", "")
    org = who.affiliation
    return AgentText(
        False,
        one_line(who.display_name),
        one_line(who.given_name),
        one_line(who.family_name),
        one_line(who.full_name),
        orcid_uri(who.orcid) if who.orcid else "",
        "",
        one_line(org.name) if org is not None else "",
        ror_uri(org.ror) if org is not None else "",
    )


def prepare(record: Record, prepared: Prepared | None = None) -> Prepared:
    """``prepared`` when given (shared by a combined render), else a new one for ``record``."""
    return prepared if prepared is not None and prepared.record is record else Prepared(record)
