"""Two workers at once on the same experiment or request (both backends, real transactions).

A double-clicked submit, or two members asking at the same moment, must store one pending
request; two curators deciding the same request at once must apply one decision. Each test
holds the first worker's transaction open while the second one runs, which is exactly the
window in which a check-then-write races.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue import requests
from faircat.catalogue.models import Investigation, ReleaseRequest, User
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import RequestStatus
from faircat.config import Settings
from faircat.errors import RequestError
from tests.workflow.helpers import NOW, build_world

LATER = NOW + timedelta(days=2)
HOLD = 0.5  # seconds the first transaction stays open after its write


def _world_ids(catalogue: Catalogue) -> dict[str, int]:
    with catalogue.transaction() as session:
        world = build_world(session)
        session.flush()
        return {
            "pi": world.pi.id,
            "coproposer": world.coproposer.id,
            "curator": world.curator.id,
            "curator2": world.curator2.id,
            "embargoed": world.embargoed.id,
        }


def _race(
    catalogue: Catalogue,
    first: Callable[[Session], Any],
    second: Callable[[Session], Any],
) -> tuple[Any, Any]:
    """Run ``first`` in a transaction held open for HOLD s after it returns, and ``second`` in
    its own transaction started meanwhile; the outcome (value or exception) of each."""
    written, started = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}

    def run_first() -> None:
        try:
            with catalogue.transaction() as session:
                outcomes["first"] = first(session)
                written.set()
                started.wait(10)
                time.sleep(HOLD)  # the second worker now runs its checks, or waits on a lock
        except Exception as exc:  # reported by the assertions below
            outcomes["first"] = exc
        finally:
            written.set()

    def run_second() -> None:
        written.wait(10)
        started.set()
        try:
            with catalogue.transaction() as session:
                outcomes["second"] = second(session)
        except Exception as exc:
            outcomes["second"] = exc

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes.get("first"), outcomes.get("second")


def _submit(ids: dict[str, int], actor: str) -> Callable[[Session], Any]:
    def submit(session: Session) -> ReleaseRequest:
        return requests.submit(
            session,
            actor=session.get_one(User, ids[actor]),
            investigation=session.get_one(Investigation, ids["embargoed"]),
            kind="extension",
            justification="The analysis needs another year",
            now=NOW,
            requested_date=datetime(2028, 6, 1, tzinfo=UTC),
        )

    return submit


def _pending(catalogue: Catalogue, investigation_id: int) -> int:
    with catalogue.transaction() as session:
        return session.scalar(
            select(func.count())
            .select_from(ReleaseRequest)
            .where(
                ReleaseRequest.investigation_id == investigation_id,
                ReleaseRequest.status == RequestStatus.PENDING,
            )
        )


def test_simultaneous_identical_submissions_store_one_request(catalogue: Catalogue) -> None:
    ids = _world_ids(catalogue)
    first, second = _race(catalogue, _submit(ids, "pi"), _submit(ids, "pi"))
    assert isinstance(first, ReleaseRequest), first
    assert isinstance(second, RequestError), second
    assert "already pending" in str(second) and f"#{first.id}" in str(second)
    assert _pending(catalogue, ids["embargoed"]) == 1


def test_a_conflicting_submission_at_the_same_time_is_refused(catalogue: Catalogue) -> None:
    ids = _world_ids(catalogue)

    def withdraw(session: Session) -> ReleaseRequest:
        return requests.submit(
            session,
            actor=session.get_one(User, ids["curator"]),
            investigation=session.get_one(Investigation, ids["embargoed"]),
            kind="withdrawal",
            justification="Sample mislabelled",
            now=NOW,
        )

    first, second = _race(catalogue, _submit(ids, "pi"), withdraw)
    assert isinstance(first, ReleaseRequest), first
    assert isinstance(second, RequestError), second
    assert "conflicts with pending request" in str(second)
    assert _pending(catalogue, ids["embargoed"]) == 1


@pytest.mark.parametrize("second_approves", [True, False])
def test_two_curators_deciding_at_once_apply_one_decision(
    catalogue: Catalogue, settings: Settings, second_approves: bool
) -> None:
    ids = _world_ids(catalogue)
    with catalogue.transaction() as session:
        request_id = _submit(ids, "pi")(session).id

    def decide(curator: str, approve: bool) -> Callable[[Session], Any]:
        def run(session: Session) -> RequestStatus:
            decided = requests.decide(
                session,
                curator=session.get_one(User, ids[curator]),
                request_id=request_id,
                approve=approve,
                comment=None if approve else "The funder wants the data out in 2027",
                now=LATER,
                settings=settings,
            )
            return decided.status

        return run

    first, second = _race(catalogue, decide("curator", True), decide("curator2", second_approves))
    assert first is RequestStatus.APPROVED, first
    assert isinstance(second, RequestError), second
    assert "already approved" in str(second)
    with catalogue.transaction() as session:
        req = session.get_one(ReleaseRequest, request_id)
        assert req.status is RequestStatus.APPROVED and req.curator_id == ids["curator"]
        inv = session.get_one(Investigation, ids["embargoed"])
        assert inv.release_date == datetime(2028, 6, 1, tzinfo=UTC)
