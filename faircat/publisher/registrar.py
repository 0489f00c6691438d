"""The registry worker: drains the DOI outbox into DataCite, with retries that never lose a DOI.

For each due task it reads the publication as it is now, takes the DataCite XML the publisher
stored for that DOI (``published_metadata``, format ``datacite``) and PUTs it with the landing
page URL and the event that moves the DOI to its target state (``register`` / ``publish`` /
``hide``). A PUT creates or updates, so repeating one after a crash is harmless: the worker is
idempotent, and a task is marked done only after DataCite said yes.

Failures are sorted by what they mean:

- registry down, timing out, 5xx, 429 -> retry with exponential backoff (``next_attempt_at``);
- 401/403 -> our credentials are wrong: retry later, and stop this run (every call would fail);
- 400/404/409/422 -> DataCite rejected what we sent: the task is ``rejected`` with DataCite's
  message, curators are notified, and nothing is retried until the metadata changes (a new
  ``enqueue``) or a curator retries it (``faircat doi retry``).

What curators see of a failure (the task's ``last_error``) says what failed and what to do
(:mod:`faircat.publisher.failures`); the exception itself is logged.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
from datacite import DataCiteRESTClient
from datacite.errors import DataCiteError, HttpError
from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue.models import DataPublication, DoiTask, Notification, User
from faircat.catalogue.models.published import PublishedMetadata, PublishedRecord
from faircat.catalogue.outbox import DONE, PENDING, REJECTED
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DoiState, Role
from faircat.config import Settings, split_credentials
from faircat.publisher import failures
from faircat.publisher.failures import RegistryAnswer
from faircat.publisher.publish import landing_path

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
BATCH = 500


class Registry(Protocol):
    def post_doi(self, data: dict[str, Any]) -> Any: ...

    def put_doi(self, doi: str, data: dict[str, Any]) -> Any: ...


class Client(DataCiteRESTClient):  # type: ignore[misc]
    """The ``datacite`` REST client, raising :class:`RegistryAnswer` with the status code.

    Its settings (API URL, repository credentials, timeout) are the library's; two things
    differ. The answer: 200 and 201 are both success (a PUT that creates answers 201). The
    transport: the library opens a new connection for every call (``requests.put``), which
    against DataCite means a TCP and TLS handshake per DOI; here each thread keeps one
    ``requests.Session``, so a mass release reuses its connections.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = (self.username, self.password)
        return session

    def _send(self, method: str, path: str, data: dict[str, Any]) -> Any:
        try:
            response = self._session().request(
                method.upper(),
                self.api_url + path,
                data=json.dumps({"data": data}).encode("utf-8"),
                headers={"content-type": "application/vnd.api+json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise HttpError(exc) from exc  # as the library reports a failed request
        if response.status_code in (200, 201):
            return response.json()
        raise RegistryAnswer(response.status_code, response.text)

    def post_doi(self, data: dict[str, Any]) -> Any:
        return self._send("post", "dois", data)

    def put_doi(self, doi: str, data: dict[str, Any]) -> Any:
        return self._send("put", "dois/" + doi, data)


def credentials(settings: Settings) -> tuple[str, str, str]:
    """(API URL without credentials, username, password). Credentials written into
    ``datacite_url`` are taken out of it, so that no request, and no error message quoting its
    URL, carries them; the URL's user and password, when it has them, are the ones used."""
    url, user, password = split_credentials(settings.datacite_url)
    return url, user or settings.datacite_username, password or settings.datacite_password


def make_client(settings: Settings, timeout: float = 30.0) -> Client:
    url, username, password = credentials(settings)
    return Client(username, password, settings.facility_doi_prefix, url=url, timeout=timeout)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """30 s, 1 min, 2 min ... capped at 6 h, with +-20 % jitter so retries do not stampede."""
    base = min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    return base * (0.8 + 0.4 * (rng or random).random())


@dataclass(frozen=True)
class Call:
    """One registry call prepared from the catalogue (no session needed to run it)."""

    task_id: int
    publication_id: int
    doi: str
    target: DoiState
    data: dict[str, Any]


@dataclass
class Outcome:
    call: Call
    error: Exception | None = None

    @property
    def kind(self) -> failures.Kind:
        return failures.kind(self.error)


@dataclass
class SyncReport:
    done: int = 0
    retried: list[str] = field(default_factory=list)  # "doi: why"
    rejected: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # no published record yet
    stopped: str | None = None  # why the run stopped early (credentials)

    def describe(self) -> str:
        parts = [f"{self.done} DOI(s) synced"]
        if self.retried:
            parts.append(f"{len(self.retried)} to retry")
        if self.rejected:
            parts.append(f"{len(self.rejected)} rejected by DataCite")
        if self.waiting:
            parts.append(f"{len(self.waiting)} waiting for their landing page")
        if self.stopped:
            parts.append(f"stopped: {self.stopped}")
        return ", ".join(parts)


def _event(current: DoiState, target: DoiState) -> str | None:
    if target is DoiState.FINDABLE:
        return None if current is DoiState.FINDABLE else "publish"
    if target is DoiState.REGISTERED:
        if current is DoiState.FINDABLE:
            return "hide"
        return None if current is DoiState.REGISTERED else "register"
    return None


def prepare(
    session: Session, settings: Settings, tasks: Iterable[DoiTask]
) -> tuple[list[Call], list[tuple[DoiTask, str]]]:
    """Registry calls for ``tasks``; tasks that cannot run yet come back with the reason."""
    calls, waiting = [], []
    tasks = list(tasks)
    publications = {
        p.id: p
        for p in session.scalars(
            select(DataPublication).where(
                DataPublication.id.in_([task.publication_id for task in tasks])
            )
        )
    }
    dois = [p.doi for p in publications.values()]
    rows = session.execute(
        select(PublishedRecord.pid, PublishedMetadata.content)
        .join(PublishedMetadata, PublishedMetadata.record_id == PublishedRecord.id)
        .where(PublishedRecord.pid.in_(dois), PublishedMetadata.format == "datacite")
    )
    xml = {pid: content for pid, content in rows}
    for task in tasks:
        publication = publications[task.publication_id]
        target = publication.doi_target_state
        if target not in (DoiState.REGISTERED, DoiState.FINDABLE):
            task.status, task.done_at = DONE, None  # nothing to tell the registry
            continue
        content = xml.get(publication.doi)
        if content is None:
            waiting.append((task, f"{publication.doi}: its landing page is not published yet"))
            continue
        attributes: dict[str, Any] = {
            "doi": publication.doi,
            "url": settings.facility_base_url + landing_path(publication.doi),
            "xml": base64.b64encode(
                ('<?xml version="1.0" encoding="UTF-8"?>\n' + content).encode("utf-8")
            ).decode("ascii"),
        }
        event = _event(publication.doi_state, target)
        if event:
            attributes["event"] = event
        calls.append(
            Call(
                task.id,
                publication.id,
                publication.doi,
                target,
                {"type": "dois", "attributes": attributes},
            )
        )
    return calls, waiting


def _run(client: Registry, call: Call) -> Outcome:
    """PUT creates or updates (DataCite answers 201 or 200); a registry that answers 404 to
    a PUT of a new DOI gets a POST."""
    try:
        try:
            client.put_doi(call.doi, call.data)
        except RegistryAnswer as exc:
            if exc.status != 404:
                raise
            client.post_doi(call.data)
    except (RegistryAnswer, DataCiteError, HttpError, requests.RequestException, OSError) as exc:
        return Outcome(call, exc)
    return Outcome(call)


def sync_due(
    catalogue: Catalogue,
    settings: Settings,
    now: datetime,
    *,
    client: Registry | None = None,
    workers: int = 4,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Run every due task (up to ``limit``), ``workers`` registry calls at a time."""
    client = client or make_client(settings)
    report = SyncReport()
    handled = 0
    last_id = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while limit is None or handled < limit:
            size = BATCH if limit is None else min(BATCH, limit - handled)
            with catalogue.transaction() as session:
                tasks = session.scalars(
                    select(DoiTask)
                    .where(
                        DoiTask.status == PENDING,
                        DoiTask.next_attempt_at <= now,
                        DoiTask.id > last_id,
                    )
                    .order_by(DoiTask.id)
                    .limit(size)
                ).all()
                if not tasks:
                    break
                last_id = tasks[-1].id
                calls, waiting = prepare(session, settings, tasks)
                for task, why in waiting:
                    task.next_attempt_at = now + BACKOFF_FIRST
                    task.last_error = why
                    report.waiting.append(why)
            # Registry calls happen outside any database transaction: a slow DataCite never
            # holds locks in the catalogue.
            outcomes = list(pool.map(lambda call: _run(client, call), calls))
            with catalogue.transaction() as session:
                _record(session, outcomes, now, report, settings.datacite_url)
            handled += len(tasks)
            if progress:
                progress(len(tasks))
            if report.stopped:
                break
    return report


def _record(
    session: Session, outcomes: list[Outcome], now: datetime, report: SyncReport, url: str
) -> None:
    """Store the outcomes; a failure keeps a message for people (what failed, what to do) and
    logs the exception itself."""
    curators: list[int] | None = None
    # Two queries for the batch (at most BATCH rows each), not two per outcome.
    tasks = {
        t.id: t
        for t in session.scalars(
            select(DoiTask).where(DoiTask.id.in_([o.call.task_id for o in outcomes]))
        )
    }
    publications = {
        p.id: p
        for p in session.scalars(
            select(DataPublication).where(
                DataPublication.id.in_([o.call.publication_id for o in outcomes])
            )
        )
    }
    for outcome in outcomes:
        call = outcome.call
        task = tasks.get(call.task_id)
        publication = publications.get(call.publication_id)
        if task is None or publication is None:
            continue
        kind = outcome.kind
        if kind == "done":
            publication.doi_state = call.target
            if publication.registered_at is None:
                publication.registered_at = now
            # A change enqueued while the call was in flight re-armed the task: keep it.
            if publication.doi_target_state is call.target:
                task.status, task.done_at, task.last_error = DONE, now, None
            report.done += 1
            continue
        task.attempts += 1
        error: Exception = outcome.error  # type: ignore[assignment]
        task.last_error = failures.explain(error, url, call.doi)
        log.warning(
            "DataCite call for %s failed (%s): %s", call.doi, kind, failures.technical(error)
        )
        if kind == "rejected":
            task.status = REJECTED
            report.rejected.append(f"{call.doi}: {task.last_error}")
            if curators is None:
                curators = _curator_ids(session)
            for user_id in curators:
                session.add(
                    Notification(
                        user_id=user_id,
                        subject=f"DataCite rejected {call.doi}",
                        body=f"DataCite refused {call.doi}.\n\n{task.last_error}",
                        link="/portal/curator/",
                    )
                )
            continue
        task.next_attempt_at = now + backoff(task.attempts)
        report.retried.append(f"{call.doi}: {task.last_error}")
        if kind == "auth":
            report.stopped = task.last_error


def _curator_ids(session: Session) -> list[int]:
    from faircat.catalogue.models import UserRole

    return list(
        session.scalars(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_([Role.CURATOR, Role.ADMIN]))
            .distinct()
        )
    )
