"""``faircat doi reconcile``: compare the catalogue's DOIs with the registry and repair drift.

The registry is listed page by page (JSON:API ``GET /dois?prefix=...``, authenticated, so
registered DOIs are included), not asked DOI by DOI. Drift is repaired by the outbox, never by
ad-hoc calls: a DOI missing from the registry, in the wrong state or resolving to the wrong URL
gets its local state corrected to what the registry holds and a task that brings it to its
target. DOIs under our prefix the catalogue does not know are reported (they cannot be deleted
once registered).

With a DOI per dataset there may be millions: of each registry DOI only its state and URL are
kept, and the catalogue's publications are read in keyset pages of :data:`PAGE`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue import outbox
from faircat.catalogue.models import DataPublication
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DoiState
from faircat.config import Settings
from faircat.errors import FaircatError
from faircat.publisher import failures
from faircat.publisher.failures import RegistryAnswer
from faircat.publisher.publish import landing_path
from faircat.publisher.registrar import credentials

log = logging.getLogger(__name__)

PAGE = 1000


class RegistryUnavailable(FaircatError):
    exit_code = 69  # EX_UNAVAILABLE


@dataclass
class Drift:
    doi: str
    problem: str


@dataclass
class ReconcileReport:
    checked: int = 0
    drift: list[Drift] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # in the registry, not in the catalogue

    def describe(self) -> str:
        lines = [f"{self.checked} DOI(s) compared with the registry, {len(self.drift)} drifted"]
        lines += [f"  {d.doi}: {d.problem}" for d in self.drift[:50]]
        if self.unknown:
            lines.append(f"{len(self.unknown)} DOI(s) in the registry unknown to the catalogue:")
            lines += [f"  {doi}" for doi in self.unknown[:50]]
        return "\n".join(lines)


def registry_dois(settings: Settings, timeout: float = 30.0) -> dict[str, dict[str, Any]]:
    """Every DOI of our prefix in the registry: ``doi -> {"state": ..., "url": ...}``."""
    found: dict[str, dict[str, Any]] = {}
    api, username, password = credentials(settings)  # never in the URL: see credentials()
    base = api.rstrip("/") + "/"
    url: str | None = f"{base}dois"
    params: dict[str, Any] | None = {
        "prefix": settings.facility_doi_prefix,
        "page[size]": PAGE,
        "page[cursor]": 1,
    }
    while url:
        try:
            response = requests.get(url, params=params, auth=(username, password), timeout=timeout)
        except requests.RequestException as exc:
            log.warning("listing DOIs at %s failed: %s", base, failures.technical(exc))
            raise RegistryUnavailable(f"cannot list DOIs: {failures.explain(exc, base)}") from exc
        if response.status_code != 200:
            answer = RegistryAnswer(response.status_code, response.text)
            log.warning("listing DOIs at %s failed: %s", base, failures.technical(answer))
            raise RegistryUnavailable(f"cannot list DOIs: {failures.explain(answer, base)}")
        body = response.json()
        for item in body.get("data", []):
            attributes = item.get("attributes", {})
            found[(attributes.get("doi") or item["id"]).lower()] = {
                "state": attributes.get("state"),
                "url": attributes.get("url"),
            }
        url = (body.get("links") or {}).get("next")
        params = None  # the next link carries them
    return found


def reconcile(
    catalogue: Catalogue, settings: Settings, now: datetime, *, repair: bool = True
) -> ReconcileReport:
    remote = registry_dois(settings)
    report = ReconcileReport()
    wanted = [DoiState.REGISTERED, DoiState.FINDABLE]
    last = 0
    with catalogue.transaction() as session:
        while True:
            publications = session.scalars(
                select(DataPublication)
                .where(
                    DataPublication.doi_target_state.in_(wanted)
                    | DataPublication.doi_state.in_(wanted),
                    DataPublication.id > last,
                )
                .order_by(DataPublication.id)
                .limit(PAGE)
            ).all()
            if not publications:
                break
            last = publications[-1].id
            for publication in publications:
                _compare(session, settings, now, publication, remote, report, repair)
        report.unknown = sorted(remote)  # what no publication claimed
    return report


def _compare(
    session: Session,
    settings: Settings,
    now: datetime,
    publication: DataPublication,
    remote: dict[str, dict[str, Any]],
    report: ReconcileReport,
    repair: bool,
) -> None:
    """One publication against the registry; its registry entry is taken out of ``remote``."""
    report.checked += 1
    attributes = remote.pop(publication.doi.lower(), None)
    url = settings.facility_base_url + landing_path(publication.doi)
    if attributes is None:
        problem, actual = "missing from the registry", DoiState.NONE
    else:
        actual = _state(attributes.get("state"))
        problem = ""
        target = publication.doi_target_state
        if actual is not target:
            problem = f"registry state {actual.value}, wanted {target.value}"
        elif attributes.get("url") != url:
            problem = f"resolves to {attributes.get('url')!r}, not {url!r}"
    if not problem:
        if publication.doi_state is not actual:
            publication.doi_state = actual  # local bookkeeping caught up silently
        return
    report.drift.append(Drift(publication.doi, problem))
    if repair:
        publication.doi_state = actual
        outbox.enqueue(session, publication, "reconcile", now)


def _state(value: Any) -> DoiState:
    try:
        return DoiState(value)
    except ValueError:
        return DoiState.NONE
