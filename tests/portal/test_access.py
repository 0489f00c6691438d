"""Who sees what: experiments only for their people, the queue only for curators."""

from __future__ import annotations

from tests.portal.conftest import login, logout, post_form, text_of


def test_members_see_their_experiment_but_not_others(client, world):
    login(client, "pia")
    page = text_of(client.get(f"/portal/experiments/{world.embargoed}"))
    assert "Lysozyme soaks under embargo" in page
    assert "Embargoed" in page
    other = client.get(f"/portal/experiments/{world.other}")
    assert other.status_code == 404
    assert "secret" not in other.get_data(as_text=True)
    assert client.get("/portal/experiments/NOPE-1").status_code == 404


def test_a_public_experiment_portal_page_is_still_for_its_people_only(client, world):
    # Anyone may read public data on the site; requests and decisions stay with the team.
    login(client, "otto")
    assert client.get(f"/portal/experiments/{world.public}").status_code == 404


def test_only_the_pi_gets_request_forms(client, world):
    login(client, "paul")  # a participant
    page = text_of(client.get(f"/portal/experiments/{world.embargoed}"))
    assert "Participant" in page
    assert "Ask the curators" not in page
    assert 'action="/portal/experiments/' not in page


def test_a_participant_posting_a_request_gets_the_domain_refusal(client, world):
    login(client, "paul")
    url = f"/portal/experiments/{world.embargoed}"
    response = post_form(
        client, url, f"{url}/requests/withdrawal", {"withdrawal-justification": "Wrong sample"}
    )
    assert response.status_code == 422
    assert "only its principal investigator or a curator may" in text_of(response)


def test_the_review_queue_is_for_curators_only(client, world):
    login(client, "pia")
    response = client.get("/portal/curator/")
    assert response.status_code == 403
    assert "Not allowed" in text_of(response)
    assert "Review queue" not in text_of(client.get("/portal/"))


def test_curators_see_the_queue_and_any_experiment(client, world):
    login(client, "cure")
    assert "Nothing to review." in text_of(client.get("/portal/curator/"))
    assert client.get(f"/portal/experiments/{world.other}").status_code == 200
    assert "Review queue" in text_of(client.get("/portal/"))


def test_non_curators_cannot_post_decisions(client, world):
    login(client, "pia")
    url = f"/portal/experiments/{world.embargoed}"
    post_form(
        client,
        url,
        f"{url}/requests/early-release",
        {"early-release-justification": "Paper accepted"},
    )
    response = post_form(
        client,
        "/portal/requests/1",
        "/portal/requests/1/decision",
        {"comment": "self-approved", "approve": "Approve"},
    )
    assert response.status_code == 403
    assert "Pending" in text_of(client.get("/portal/requests/1"))


def test_requests_are_visible_to_the_team_and_not_to_outsiders(client, world):
    login(client, "pia")
    url = f"/portal/experiments/{world.embargoed}"
    post_form(
        client,
        url,
        f"{url}/requests/early-release",
        {"early-release-justification": "Paper accepted"},
    )
    logout(client)
    login(client, "cora")
    assert client.get("/portal/requests/1").status_code == 200
    logout(client)
    login(client, "otto")
    assert client.get("/portal/requests/1").status_code == 404
    assert client.get("/portal/requests/999").status_code == 404


def test_curators_see_doi_problems_with_datacites_message(client, world, catalogue):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from faircat.catalogue import outbox
    from faircat.catalogue.models import DataPublication, DoiTask, Investigation
    from faircat.catalogue.vocab import DoiState, PublicationKind

    login(client, "cure")
    assert "Every DOI is in sync with DataCite." in text_of(client.get("/portal/curator/"))
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).limit(1))
        publication = DataPublication(
            kind=PublicationKind.INVESTIGATION,
            investigation_id=inv.id,
            doi="10.80100/x.bad-1",
            title="t",
            licence="CC-BY-4.0",
            doi_target_state=DoiState.REGISTERED,
        )
        session.add(publication)
        task = outbox.enqueue(session, publication, "register", now)
        session.flush()
        task = session.get(DoiTask, task.id)
        task.status, task.attempts = "rejected", 1
        task.last_error = (
            "HTTP 422: xml: Missing child element(s). "
            "Expected is ( {http://datacite.org/schema/kernel-4}creators )."
        )
    page = text_of(client.get("/portal/curator/"))
    assert "10.80100/x.bad-1" in page and "rejected by DataCite" in page
    assert "Expected is ( {http://datacite.org/schema/kernel-4}creators )" in page
    assert "faircat doi retry 10.80100/x.bad-1" in page
