"""Each request kind, submitted then approved: its effect on the catalogue, audit, DOI outbox and
notifications (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from faircat.catalogue import requests
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import DataPublication, DoiTask, ReleaseRequest
from faircat.catalogue.models.publication import publication_dataset
from faircat.catalogue.vocab import (
    DoiState,
    LifecycleState,
    PublicationKind,
    RequestKind,
    RequestStatus,
)
from tests.workflow.helpers import (
    NOW,
    audit_rows,
    count,
    notifications,
    register_experiment_doi,
)

LATER = NOW + timedelta(days=2)


def approve(session, world, req, settings, *, now=LATER, comment=None):
    return requests.decide(
        session,
        curator=world.curator,
        request_id=req.id,
        approve=True,
        comment=comment,
        now=now,
        settings=settings,
    )


def tasks(session):
    return {
        (t.publication_id, t.reason, t.status)
        for t in session.scalars(select(DoiTask).order_by(DoiTask.id))
    }


def test_submit_records_audits_and_notifies_every_curator(session, world):
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="early_release",
        justification="Paper accepted in Nature",
        now=NOW,
    )
    assert req.status is RequestStatus.PENDING
    assert req.kind is RequestKind.EARLY_RELEASE
    assert req.requester_id == world.pi.id and req.requested_date is None
    [event] = audit_rows(session, "request.submit")
    assert event.actor_id == world.pi.id and event.target_id == str(req.id)
    assert event.after["kind"] == "early_release" and event.after["investigation"] == "P100-1"
    sent = notifications(session, req.id)
    assert set(sent) == {"alice", "carol"}  # curators only: not the admin, not the requester
    note = sent["alice"]
    assert note.link == f"/portal/requests/{req.id}"
    assert f"#{req.id}" in note.subject and "P100-1" in note.subject
    assert "Paper accepted in Nature" in note.body and "Pia Martí" in note.body
    assert note.emailed_at is None and note.read_at is None


def test_early_release_on_approval_makes_the_experiment_public_and_its_doi_findable(
    session, world, settings
):
    doi = register_experiment_doi(session, world.embargoed)
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind=RequestKind.EARLY_RELEASE,
        justification="Paper out",
        now=NOW,
    )
    old = world.embargoed.release_date
    decided = approve(session, world, req, settings, comment="Congratulations")
    assert decided.status is RequestStatus.APPROVED
    assert decided.curator_id == world.curator.id and decided.decided_at == LATER
    assert decided.comment == "Congratulations"
    assert world.embargoed.release_date == LATER  # no date asked: on approval
    assert state_at(dates_of(world.embargoed), LATER) is LifecycleState.PUBLIC
    assert state_at(dates_of(world.embargoed), NOW) is LifecycleState.EMBARGOED
    assert doi.doi_target_state is DoiState.FINDABLE
    assert tasks(session) == {(doi.id, "release", "pending")}
    [event] = audit_rows(session, "request.approve")
    assert event.actor_id == world.curator.id
    assert event.before == {"status": "pending", "release_date": old.isoformat()}
    assert event.after["status"] == "approved"
    assert event.after["release_date"] == LATER.isoformat()
    assert event.after["doi_tasks"] == [doi.doi]
    note = notifications(session, req.id)["pia"]
    assert "approved" in note.subject
    assert f"release date is now {LATER.date().isoformat()}" in note.body
    assert "Congratulations" in note.body and note.link == f"/portal/requests/{req.id}"


def test_early_release_on_a_date_moves_the_release_there_and_updates_the_doi(
    session, world, settings
):
    doi = register_experiment_doi(session, world.embargoed)
    asked = datetime(2026, 9, 1, tzinfo=UTC)
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="early_release",
        justification="Paper out in September",
        now=NOW,
        requested_date=asked,
    )
    approve(session, world, req, settings)
    assert world.embargoed.release_date == asked
    assert doi.doi_target_state is DoiState.REGISTERED  # still embargoed until September
    assert tasks(session) == {(doi.id, "amend", "pending")}  # the Available date changed


def test_early_release_approved_after_the_asked_date_is_not_backdated(session, world, settings):
    asked = NOW + timedelta(days=1)
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="early_release",
        justification="x",
        now=NOW,
        requested_date=asked,
    )
    approve(session, world, req, settings, now=NOW + timedelta(days=10))
    assert world.embargoed.release_date == NOW + timedelta(days=10)


def test_extension_moves_the_release_date_later(session, world, settings):
    new_date = datetime(2029, 6, 1, tzinfo=UTC)
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="extension",
        justification="Patent pending",
        now=NOW,
        requested_date=new_date,
    )
    old = world.embargoed.release_date
    approve(session, world, req, settings)
    assert world.embargoed.release_date == new_date
    [event] = audit_rows(session, "request.approve")
    assert event.before["release_date"] == old.isoformat()
    assert event.after["release_date"] == new_date.isoformat()
    assert tasks(session) == set()  # no DOI registered yet: nothing to tell DataCite
    assert "release date is now 2029-06-01" in notifications(session, req.id)["pia"].body


def test_selection_defaults_list_members_in_role_order_and_every_dataset(session, world):
    defaults = requests.selection_defaults(session, world.embargoed)
    assert defaults["title"] == "Lysozyme"
    names = [c["full_name"] for c in defaults["creators"]]
    assert names == ["Pia Martí", "Cora Díaz", "Stu Dent"]  # PI, co-proposer, participant
    pia = defaults["creators"][0]
    assert pia["orcid"] == "0000-0002-1825-0097"
    assert pia["affiliation"] == "Universitat de Barcelona"
    assert pia["given_name"] == "Pia" and pia["family_name"] == "Martí"
    scans = sorted(d.id for d in world.embargoed.datasets)
    assert defaults["dataset_ids"] == scans


def test_selection_doi_creates_a_publication_with_creators_and_datasets(session, world, settings):
    payload = requests.selection_defaults(session, world.embargoed)
    chosen = sorted(d.id for d in world.embargoed.datasets if d.name != "scan3")
    payload.update(title="Lysozyme at 100 K", abstract="Two scans.", dataset_ids=chosen)
    payload["creators"] = [
        payload["creators"][0],
        {"given_name": "Ext", "family_name": "Ernal", "orcid": "https://orcid.org/0000-0001-5109-3700"},
    ]  # fmt: skip
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="selection_doi",
        justification="",
        now=NOW,
        payload=payload,
    )
    approve(session, world, req, settings)
    pub = session.get(DataPublication, req.publication_id)
    assert pub is not None and pub.kind is PublicationKind.SELECTION
    assert pub.doi == "10.80100/tls.p100-1-s1"
    assert pub.title == "Lysozyme at 100 K" and pub.abstract == "Two scans."
    assert pub.licence == settings.facility_licence
    assert pub.doi_target_state is DoiState.REGISTERED  # the experiment is still embargoed
    assert [(c.position, c.full_name, c.orcid) for c in pub.creators] == [
        (0, "Pia Martí", "0000-0002-1825-0097"),
        (1, "Ext Ernal", "0000-0001-5109-3700"),
    ]
    assert pub.creators[0].user_id == world.pi.id
    linked = session.scalars(
        select(publication_dataset.c.dataset_id).where(
            publication_dataset.c.publication_id == pub.id
        )
    )
    assert sorted(linked) == chosen
    assert tasks(session) == {(pub.id, "register", "pending")}
    [event] = audit_rows(session, "request.approve")
    assert event.after["publication"] == pub.doi and event.after["datasets"] == chosen
    assert pub.doi in notifications(session, req.id)["pia"].body

    second = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="selection_doi",
        justification="",
        now=NOW,
        payload=requests.selection_defaults(session, world.embargoed),
    )
    approve(session, world, second, settings)
    assert session.get(DataPublication, second.publication_id).doi == "10.80100/tls.p100-1-s2"


def test_selection_of_a_public_experiment_is_findable(session, world, settings):
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.public,
        kind="selection_doi",
        justification="",
        now=NOW,
        payload=requests.selection_defaults(session, world.public),
    )
    approve(session, world, req, settings)
    pub = session.get(DataPublication, req.publication_id)
    assert pub.doi_target_state is DoiState.FINDABLE
    assert pub.doi == "10.80100/tls.p200-1-s1"


def test_amendment_changes_the_publication_and_its_experiment(session, world, settings):
    pub = world.public_doi
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.public,
        kind="amendment",
        justification="Typo in the title",
        now=NOW,
        payload={"publication_id": pub.id, "title": "Lysozyme, corrected", "keywords": "MX"},
    )
    assert req.publication_id == pub.id
    assert req.payload == {"title": "Lysozyme, corrected", "keywords": "MX"}
    old_title = pub.title
    approve(session, world, req, settings)
    assert pub.title == "Lysozyme, corrected" and pub.keywords == "MX"
    assert world.public.title == "Lysozyme, corrected"  # the experiment record uses this row
    assert tasks(session) == {(pub.id, "amend", "pending")}
    [event] = audit_rows(session, "request.approve")
    assert event.before == {"status": "pending", "title": old_title, "keywords": None}
    assert event.after["title"] == "Lysozyme, corrected" and event.after["publication"] == pub.doi


def test_amendment_of_creators_replaces_them_in_order(session, world, settings):
    pub = world.public_doi
    creators = [
        {"full_name": "Pia Martí", "orcid": "0000-0002-1825-0097"},
        {"full_name": "Cora Díaz"},
    ]
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.public,
        kind="amendment",
        justification="Cora was missing",
        now=NOW,
        publication_id=pub.id,
        payload={"creators": creators},
    )
    approve(session, world, req, settings)
    session.flush()
    session.refresh(pub)
    assert [(c.position, c.full_name) for c in pub.creators] == [
        (0, "Pia Martí"),
        (1, "Cora Díaz"),
    ]
    assert pub.creators[0].orcid == "0000-0002-1825-0097"


def test_withdrawal_makes_a_tombstone_and_keeps_the_doi_registered(session, world, settings):
    pub = world.public_doi
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.public,
        kind="withdrawal",
        justification="Sample mix-up: the data are not what the title says",
        now=NOW,
    )
    approve(session, world, req, settings)
    assert world.public.withdrawn_at == LATER
    assert state_at(dates_of(world.public), LATER) is LifecycleState.WITHDRAWN
    assert pub.doi_target_state is DoiState.REGISTERED  # hidden, still resolving
    assert pub.withdrawn_at == LATER
    assert session.get(DataPublication, pub.id) is not None  # never deleted
    assert tasks(session) == {(pub.id, "withdraw", "pending")}
    [event] = audit_rows(session, "request.approve")
    assert event.before == {"status": "pending", "withdrawn_at": None, pub.doi: "findable"}
    assert event.after == {
        "status": "approved",
        "withdrawn_at": LATER.isoformat(),
        pub.doi: "registered",
    }
    assert "tombstone" in notifications(session, req.id)["pia"].body


def test_a_curator_may_request_on_behalf_of_the_pi(session, world, settings):
    req = requests.submit(
        session,
        actor=world.curator,
        investigation=world.embargoed,
        kind="early_release",
        justification="PI asked by phone",
        now=NOW,
    )
    assert set(notifications(session, req.id)) == {"carol"}  # not the submitting curator
    approve(session, world, req, settings)
    assert req.status is RequestStatus.APPROVED


def test_rejection_changes_nothing_but_tells_the_requester_why(session, world, settings):
    old = world.embargoed.release_date
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="extension",
        justification="More time",
        now=NOW,
        requested_date=datetime(2029, 1, 1, tzinfo=UTC),
    )
    requests.decide(
        session,
        curator=world.curator2,
        request_id=req.id,
        approve=False,
        comment="Funding agency requires release in 2028",
        now=LATER,
        settings=settings,
    )
    assert req.status is RequestStatus.REJECTED and req.curator_id == world.curator2.id
    assert world.embargoed.release_date == old
    [event] = audit_rows(session, "request.reject")
    assert event.before == {"status": "pending"} and event.after == {"status": "rejected"}
    assert event.comment == "Funding agency requires release in 2028"
    note = notifications(session, req.id)["pia"]
    assert "rejected" in note.subject and "Funding agency requires" in note.body
    # Once decided, a new request of the same kind may be submitted.
    again = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="extension",
        justification="Shorter, then",
        now=LATER,
        requested_date=datetime(2028, 6, 1, tzinfo=UTC),
    )
    assert again.status is RequestStatus.PENDING


def test_listings(session, world, settings):
    first = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="early_release",
        justification="",
        now=NOW,
    )
    second = requests.submit(
        session,
        actor=world.pi,
        investigation=world.public,
        kind="withdrawal",
        justification="wrong sample",
        now=NOW + timedelta(hours=1),
    )
    assert [r.id for r in requests.queue(session)] == [first.id, second.id]
    approve(session, world, first, settings)
    assert [r.id for r in requests.queue(session)] == [second.id]
    assert [r.id for r in requests.queue(session, "approved")] == [first.id]
    assert [r.id for r in requests.queue(session, None)] == [first.id, second.id]
    assert [r.id for r in requests.requests_for(session, world.embargoed)] == [first.id]
    assert requests.get_request(session, second.id) is second
    assert count(session, ReleaseRequest) == 2


def test_portal_notifications_are_listed_and_marked_read(session, world):
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="early_release",
        justification="",
        now=NOW,
    )
    [mine] = requests.notifications_for(session, world.curator, unread_only=True)
    assert mine.request_id == req.id
    other = notifications(session)["carol"]
    # Only one's own notifications can be marked read.
    assert requests.mark_read(session, world.curator, [mine.id, other.id], LATER) == 1
    assert mine.read_at == LATER and other.read_at is None
    assert requests.notifications_for(session, world.curator, unread_only=True) == []
    assert requests.notifications_for(session, world.curator) == [mine]


def test_form_style_values_are_normalised(session, world):
    """Web forms send strings: an id as text, blanks as "" or None."""
    req = requests.submit(
        session,
        actor=world.pi,
        investigation=world.embargoed,
        kind="selection_doi",
        justification="",
        now=NOW,
        payload={
            "title": "  Lysozyme  ",
            "abstract": None,
            "creators": [
                {
                    "full_name": "Pia Martí",
                    "user_id": str(world.pi.id),
                    "orcid": "",
                    "affiliation_ror": None,
                },
                {"given_name": "Cora", "family_name": "Díaz", "user_id": ""},
            ],
            "dataset_ids": [str(d.id) for d in world.embargoed.datasets],
        },
    )
    assert req.payload["title"] == "Lysozyme" and req.payload["abstract"] == ""
    first, second = req.payload["creators"]
    assert first["user_id"] == world.pi.id and first["orcid"] is None
    assert second["full_name"] == "Cora Díaz" and second["user_id"] is None
    assert req.payload["dataset_ids"] == [d.id for d in world.embargoed.datasets]
