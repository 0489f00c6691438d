"""The DOI state machine and records, as DataCite runs them; pure (no I/O, no lock, no clock).

States: ``draft`` (deletable, not resolvable), ``registered`` (resolvable, not indexed),
``findable`` (resolvable and indexed). A request moves a DOI with the ``event`` attribute:

    register  draft -> registered
    publish   draft -> findable, registered -> findable
    hide      findable -> registered
    show      registered -> findable

As in DataCite (lupo's AASM machine with ``whiny_transitions: false``), an event that does not
apply to the current state is ignored: ``register`` on a findable DOI leaves it findable and the
request still succeeds. Nothing leads back to draft. Two deliberate strictnesses, so that a typo
in our code fails loudly instead of being silently ignored by this dev server: an unknown event
is refused (422, source ``event``), and so is an explicit ``"state": "draft"`` on a registered or
findable DOI (422, source ``state``).

Leaving draft needs a URL and valid metadata (see :mod:`.validate`); once registered or findable
every later save is validated again, as DataCite validates every save of such a DOI.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from . import validate
from .validate import Problem

STATES = ("draft", "registered", "findable")
EVENTS = ("publish", "register", "hide", "show")
TRANSITIONS: dict[tuple[str, str], str] = {
    ("register", "draft"): "registered",
    ("publish", "draft"): "findable",
    ("publish", "registered"): "findable",
    ("hide", "findable"): "registered",
    ("show", "registered"): "findable",
}

# DataCite's DOI syntax check on creation (lupo: Crossref's recommended pattern, widened).
DOI_PATTERN = re.compile(r"^10\.\d{4,5}/[-._;()/:a-zA-Z0-9*~$=]+$")
URL_PATTERN = re.compile(r"^(ftp|http|https)://\S+")


class Refused(Exception):
    """A request DataCite would refuse: the HTTP status and JSON:API error objects."""

    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors

    @classmethod
    def invalid(cls, doi: str, problems: list[Problem]) -> Refused:
        """422 with one error object per problem, shaped as DataCite shapes them."""
        return cls(
            422, [{"source": p.source, "uid": doi, "title": _capitalize(p.title)} for p in problems]
        )

    @classmethod
    def plain(cls, status: int, title: str) -> Refused:
        return cls(status, [{"status": str(status), "title": title}])


@dataclass(slots=True)
class DoiRecord:
    """What the registry holds for one DOI (the DOI itself in lower case, as DataCite shows it)."""

    doi: str
    client_id: str
    created: datetime
    updated: datetime
    state: str = "draft"
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # JSON attributes (creators...)
    xml: bytes | None = None  # DataCite XML: as sent, or written from the JSON attributes
    registered: datetime | None = None  # first time it left draft
    metadata_version: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # history, oldest first

    @property
    def prefix(self) -> str:
        return self.doi.split("/", 1)[0]

    @property
    def suffix(self) -> str:
        return self.doi.split("/", 1)[1]

    @property
    def xml_base64(self) -> str | None:
        return base64.b64encode(self.xml).decode("ascii") if self.xml is not None else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (persistence and the ``/_dev/dois`` dump)."""
        return {
            "doi": self.doi,
            "client_id": self.client_id,
            "state": self.state,
            "url": self.url,
            "metadata": self.metadata,
            "xml": self.xml_base64,
            # Full precision: a reloaded record keeps its place in cursor listings.
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
            "registered": self.registered.isoformat() if self.registered else None,
            "metadata_version": self.metadata_version,
            "events": self.events,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DoiRecord:
        xml = data.get("xml")
        registered = data.get("registered")
        return cls(
            doi=data["doi"],
            client_id=data["client_id"],
            state=data["state"],
            url=data.get("url"),
            metadata=dict(data.get("metadata") or {}),
            xml=base64.b64decode(xml) if xml else None,
            created=datetime.fromisoformat(data["created"]),
            updated=datetime.fromisoformat(data["updated"]),
            registered=datetime.fromisoformat(registered) if registered else None,
            metadata_version=int(data.get("metadata_version", 0)),
            events=list(data.get("events") or []),
        )

    def copy(self) -> DoiRecord:
        """A copy safe to hand out of the registry's lock (events and metadata copied too)."""
        return replace(self, metadata=dict(self.metadata), events=[dict(e) for e in self.events])


def next_state(state: str, event: str | None) -> str:
    """The state after ``event``; an event that does not apply leaves the state (DataCite).

    Raises ValueError for an unknown state or event.
    """
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    if event is None:
        return state
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    return TRANSITIONS.get((event, state), state)


def normalize_doi(doi: str) -> str:
    """DOIs are case-insensitive; DataCite shows them in lower case."""
    return doi.strip().lower()


def apply(
    current: DoiRecord | None,
    doi: str,
    attributes: Mapping[str, Any],
    *,
    client_id: str,
    now: datetime,
) -> DoiRecord:
    """The record after a create (``current`` None) or update request; raises :class:`Refused`.

    Does not check ownership, prefixes or uniqueness: those need the registry.
    """
    doi = normalize_doi(doi)
    event = attributes.get("event")
    if event is not None and event not in EVENTS:
        raise Refused.invalid(
            doi, [Problem("event", f"Event '{event}' is not one of {', '.join(EVENTS)}.")]
        )
    old_state = current.state if current is not None else "draft"
    if attributes.get("state") == "draft" and old_state != "draft":
        raise Refused.invalid(
            doi, [Problem("state", f"A {old_state} DOI can't be returned to the draft state.")]
        )
    new_state = next_state(old_state, event)

    problems: list[Problem] = []
    if current is None and not DOI_PATTERN.match(doi):
        problems.append(Problem("doi", "Is invalid"))
    url = current.url if current is not None else None
    if "url" in attributes:
        url = attributes["url"] or None
    if url is not None and not (isinstance(url, str) and URL_PATTERN.match(url)):
        problems.append(Problem("url", "URL is not valid"))

    metadata, xml, changed, metadata_problems = _metadata(doi, current, attributes)
    problems += metadata_problems
    if new_state != "draft":
        if not url:
            problems.append(Problem("url", "Can't be blank"))
        if not metadata_problems:
            problems += validate.registrable_problems(doi, metadata, xml)
    if problems:
        raise Refused.invalid(doi, problems)

    entry = {
        "at": iso_time(now),
        "action": "create" if current is None else "update",
        "event": event,
        "from": None if current is None else old_state,
        "to": new_state,
        "attributes": sorted(attributes),
    }
    if current is None:
        record = DoiRecord(doi=doi, client_id=client_id, created=now, updated=now)
    else:
        record = current.copy()
    record.state = new_state
    record.url = url
    record.updated = now
    if changed:
        record.metadata, record.xml = metadata, xml
        record.metadata_version += 1
    if new_state != "draft" and record.registered is None:
        record.registered = now
    record.events.append(entry)
    return record


def _metadata(
    doi: str, current: DoiRecord | None, attributes: Mapping[str, Any]
) -> tuple[dict[str, Any], bytes | None, bool, list[Problem]]:
    """(metadata, xml, changed, problems) after the request.

    ``xml`` in the request is the whole record: the JSON attributes are derived from it and JSON
    metadata attributes sent alongside are ignored. JSON attributes alone update the stored ones
    key by key (DataCite assigns the attributes given) and the XML is written again from them;
    after an XML payload that rewrite only knows the mandatory properties taken from the XML.
    """
    metadata = dict(current.metadata) if current is not None else {}
    xml = current.xml if current is not None else None
    if attributes.get("xml"):
        sent_xml, problems = validate.decode_xml(attributes["xml"])
        if sent_xml is None:
            return metadata, xml, False, problems
        return validate.metadata_from_xml(sent_xml), sent_xml, True, []
    sent = {key: value for key, value in attributes.items() if key in validate.METADATA_KEYS}
    if not sent:
        return metadata, xml, False, []
    metadata = validate.normalize({**metadata, **sent})
    problems = validate.shape_problems(metadata)
    if problems:
        return metadata, None, True, problems
    xml, _ = validate.xml_from_metadata(doi, metadata)  # None is reported when it matters
    return metadata, xml, True, []


def _capitalize(text: str) -> str:
    # DataCite upper-cases the first letter of every error title.
    return text[:1].upper() + text[1:]


def iso_time(moment: datetime) -> str:
    """DataCite's timestamps: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
