"""Bad requests and bad decisions are refused with a message naming the problem, and write
nothing (both backends)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from faircat.catalogue import requests
from faircat.catalogue.models import AuditEvent, DataPublication, Notification, ReleaseRequest
from faircat.catalogue.vocab import RequestStatus
from faircat.errors import (
    NotFoundError,
    PermissionDenied,
    RequestError,
    ValidationError,
)
from tests.workflow.helpers import NOW, count

LATER = NOW + timedelta(days=2)


def submit(session, world, **kwargs):
    values = dict(
        actor=world.pi,
        investigation=world.embargoed,
        kind="early_release",
        justification="because",
        now=NOW,
    )
    values.update(kwargs)
    return requests.submit(session, **values)


def decide(session, world, settings, req, **kwargs):
    values = dict(curator=world.curator, request_id=req.id, approve=True, comment=None, now=LATER)
    values.update(kwargs)
    return requests.decide(session, settings=settings, **values)


def refused(session, error, message, call):
    """``call()`` raises ``error`` matching ``message`` and writes no request, audit or mail."""
    before = [count(session, m) for m in (ReleaseRequest, AuditEvent, Notification)]
    with pytest.raises(error, match=message):
        call()
    assert [count(session, m) for m in (ReleaseRequest, AuditEvent, Notification)] == before


# -- who may ask, who may decide ---------------------------------------------------------------
@pytest.mark.parametrize("who", ["student", "coproposer", "contact", "outsider"])
def test_only_the_pi_or_staff_may_request(session, world, who):
    user = getattr(world, who)
    refused(
        session,
        PermissionDenied,
        f"{user.username} may not request an early release for experiment P100-1: only its "
        "principal investigator or a curator may",
        lambda: submit(session, world, actor=user),
    )


def test_a_pi_may_not_request_for_another_experiment(session, world):
    refused(
        session,
        PermissionDenied,
        "may not request",
        lambda: submit(session, world, investigation=world.other),
    )


@pytest.mark.parametrize("who", ["pi", "student", "outsider"])
def test_only_curators_and_admins_decide(session, world, settings, who):
    req = submit(session, world)
    user = getattr(world, who)
    refused(
        session,
        PermissionDenied,
        f"{user.username} may not decide release requests: only curators and admins may",
        lambda: decide(session, world, settings, req, curator=user),
    )
    assert req.status is RequestStatus.PENDING


def test_an_admin_may_decide(session, world, settings):
    req = submit(session, world)
    decide(session, world, settings, req, curator=world.admin)
    assert req.status is RequestStatus.APPROVED and req.curator_id == world.admin.id


# -- decisions ---------------------------------------------------------------------------------
def test_deciding_an_already_decided_request(session, world, settings):
    req = submit(session, world)
    decide(session, world, settings, req, now=datetime(2026, 6, 3, 9, 30, tzinfo=UTC))
    release = world.embargoed.release_date
    for approve in (True, False):
        refused(
            session,
            RequestError,
            re.escape(f"request #{req.id} was already approved by alice on 2026-06-03 09:30 UTC"),
            lambda approve=approve: decide(
                session, world, settings, req, curator=world.curator2, approve=approve,
                comment="no",
            ),
        )  # fmt: skip
    assert world.embargoed.release_date == release
    assert req.curator_id == world.curator.id


def test_a_rejection_needs_a_comment(session, world, settings):
    req = submit(session, world)
    for comment in (None, "   "):
        refused(
            session,
            RequestError,
            f"rejecting request #{req.id} needs a comment telling the requester why",
            lambda comment=comment: decide(
                session, world, settings, req, approve=False, comment=comment
            ),
        )
    assert req.status is RequestStatus.PENDING and req.decided_at is None


def test_deciding_an_unknown_request(session, world, settings):
    with pytest.raises(NotFoundError, match="request #999 does not exist"):
        requests.decide(
            session, curator=world.curator, request_id=999, approve=True, comment=None,
            now=LATER, settings=settings,
        )  # fmt: skip


def test_approval_checks_the_experiment_again(session, world, settings):
    """An extension asked while embargoed cannot be approved once the data are public."""
    req = submit(session, world, kind="extension", requested_date=datetime(2029, 1, 1, tzinfo=UTC))
    after_release = world.embargoed.release_date + timedelta(days=1)
    refused(
        session,
        RequestError,
        "P100-1 is public since 2028-01-12: an embargo can only be extended before the release",
        lambda: decide(session, world, settings, req, now=after_release),
    )
    assert req.status is RequestStatus.PENDING


# -- pending requests --------------------------------------------------------------------------
def test_a_second_pending_request_of_the_same_kind(session, world):
    first = submit(session, world)
    refused(
        session,
        RequestError,
        rf"request #{first.id} \(early release for P100-1, submitted by pia on 2026-06-01\) is "
        "already pending: wait for its decision",
        lambda: submit(session, world, now=NOW + timedelta(hours=1)),
    )


@pytest.mark.parametrize(
    ("first", "second", "label"),
    [
        ("early_release", "extension", "early release"),
        ("extension", "early_release", "embargo extension"),
    ],
)
def test_early_release_and_extension_cannot_be_pending_together(
    session, world, first, second, label
):
    dates = {"extension": datetime(2029, 1, 1, tzinfo=UTC), "early_release": None}
    pending = submit(session, world, kind=first, requested_date=dates[first])
    refused(
        session,
        RequestError,
        rf"conflicts with pending request #{pending.id} \({label} for P100-1, submitted by pia "
        r"on 2026-06-01\): wait for its decision or ask a curator to reject it",
        lambda: submit(session, world, kind=second, requested_date=dates[second]),
    )


def test_a_pending_withdrawal_blocks_other_requests(session, world):
    pending = submit(session, world, investigation=world.public, kind="withdrawal")
    refused(
        session,
        RequestError,
        rf"a DOI for a selection of datasets conflicts with pending request #{pending.id} "
        r"\(withdrawal",
        lambda: submit(
            session, world, investigation=world.public, kind="selection_doi",
            payload=requests.selection_defaults(session, world.public),
        ),
    )  # fmt: skip


# -- per kind ----------------------------------------------------------------------------------
def test_an_extension_past_the_retention_period(session, world):
    refused(
        session,
        ValidationError,
        r"an extension to 2030-06-01 is past the end of the retention period \(2030-01-12, 5 "
        r"years after the experiment\)",
        lambda: submit(
            session, world, kind="extension", requested_date=datetime(2030, 6, 1, tzinfo=UTC)
        ),
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"kind": "extension"},
            RequestError,
            "an extension needs the new release date",
        ),
        (
            {"kind": "extension", "requested_date": datetime(2027, 1, 1, tzinfo=UTC)},
            RequestError,
            "the new release date 2027-01-01 is not after the current release date 2028-01-12",
        ),
        (
            {"kind": "early_release", "requested_date": datetime(2028, 3, 1, tzinfo=UTC)},
            RequestError,
            "the requested date 2028-03-01 is not before the current release date 2028-01-12",
        ),
        (
            {"kind": "early_release", "requested_date": datetime(2026, 1, 1, tzinfo=UTC)},
            RequestError,
            "the requested date 2026-01-01 is in the past",
        ),
        (
            {"kind": "early_release", "requested_date": datetime(2026, 9, 1)},
            ValidationError,
            "the requested date must carry a timezone",
        ),
        ({"kind": "publish"}, ValidationError, "unknown request kind 'publish'"),
        (
            {"kind": "withdrawal", "requested_date": datetime(2027, 1, 1, tzinfo=UTC)},
            RequestError,
            "a withdrawal request takes no date",
        ),
        (
            {"kind": "early_release", "payload": {"title": "x"}},
            RequestError,
            "an early release request takes no metadata",
        ),
        (
            {"kind": "withdrawal", "justification": "  "},
            RequestError,
            "a withdrawal needs a justification",
        ),
    ],
)
def test_bad_dates_and_kinds(session, world, kwargs, error, message):
    refused(session, error, message, lambda: submit(session, world, **kwargs))


@pytest.mark.parametrize(
    ("experiment", "kind", "message"),
    [
        ("public", "early_release", "P200-1 is public since 2024-01-"),
        ("public", "extension", "an embargo can only be extended before the release"),
        ("active", "withdrawal", "P300-1 is active: only a public or embargoed experiment"),
    ],
)
def test_requests_that_do_not_fit_the_lifecycle(session, world, experiment, kind, message):
    extra = {"requested_date": datetime(2031, 1, 1, tzinfo=UTC)} if kind == "extension" else {}
    refused(
        session,
        RequestError,
        message,
        lambda: submit(
            session, world, investigation=getattr(world, experiment), kind=kind, **extra
        ),
    )


def test_a_withdrawn_experiment_takes_no_more_requests_from_its_pi(session, world):
    world.public.withdrawn_at = NOW - timedelta(days=1)
    refused(
        session,
        PermissionDenied,
        "pia may not request an embargo extension for experiment P200-1: it is withdrawn, only a "
        "curator may",
        lambda: submit(session, world, investigation=world.public, kind="extension"),
    )


def test_a_selection_with_datasets_of_another_experiment(session, world):
    payload = requests.selection_defaults(session, world.embargoed)
    foreign = world.other.datasets[0].id
    payload["dataset_ids"] = [*payload["dataset_ids"], foreign]
    refused(
        session,
        RequestError,
        f"datasets {foreign} belong to another experiment, not to P100-1: a selection may only "
        "hold datasets of its own experiment",
        lambda: submit(session, world, kind="selection_doi", payload=payload),
    )


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"title": " "}, RequestError, "a selection needs a title"),
        ({"creators": []}, RequestError, "at least one creator is needed"),
        ({"creators": [{"affiliation": "ALBA"}]}, RequestError, "creator 1 has no name"),
        ({"creators": [{"full_name": "X", "orcid": "0000-0002-1825-0098"}]}, ValidationError,
         "wrong check digit"),
        ({"creators": [{"full_name": "X", "email": "x@y.z"}]}, RequestError,
         r"creator 1: unknown fields \['email'\]"),
        ({"creators": [{"full_name": "X", "user_id": "x1"}]}, RequestError,
         "creator 1: invalid user id 'x1'"),
        ({"creators": [{"full_name": "X", "user_id": 99999}]}, NotFoundError,
         "creator 1: user 99999 does not exist"),
        ({"dataset_ids": []}, RequestError, "a selection needs at least one dataset"),
        ({"dataset_ids": [987654]}, NotFoundError, "datasets 987654 do not exist"),
        ({"doi": "10.1/x"}, RequestError, "unknown fields doi"),
    ],
)  # fmt: skip
def test_bad_selection_metadata(session, world, change, error, message):
    payload = {**requests.selection_defaults(session, world.embargoed), **change}
    refused(
        session,
        error,
        message,
        lambda: submit(session, world, kind="selection_doi", payload=payload),
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"payload": {"title": "New"}}, RequestError, "an amendment needs the publication"),
        ({"publication_id": 424242}, NotFoundError, "publication 424242 does not exist"),
        ({"public_doi": True, "payload": {"title": "Experiment P200"}}, RequestError,
         "nothing to amend in 10.80100/tls.p200-1"),
        ({"public_doi": True, "payload": {"licence": "MIT"}}, RequestError,
         "unknown fields licence"),
        ({"public_doi": True, "payload": {"title": ""}}, RequestError,
         "the title cannot be empty"),
    ],
)  # fmt: skip
def test_bad_amendments(session, world, kwargs, error, message):
    if kwargs.pop("public_doi", False):
        kwargs["publication_id"] = world.public_doi.id
    refused(
        session,
        error,
        message,
        lambda: submit(session, world, investigation=world.public, kind="amendment", **kwargs),
    )


def test_an_amendment_of_another_experiments_publication(session, world):
    stranger = DataPublication(
        kind="investigation", investigation_id=world.other.id, doi="10.80100/tls.p400-1",
        title="Other", licence="CC-BY-4.0",
    )  # fmt: skip
    session.add(stranger)
    session.flush()
    refused(
        session,
        RequestError,
        "publication 10.80100/tls.p400-1 does not belong to experiment P200-1",
        lambda: submit(
            session, world, investigation=world.public, kind="amendment",
            publication_id=stranger.id, payload={"title": "Mine now"},
        ),
    )  # fmt: skip
