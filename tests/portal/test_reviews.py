"""Curators decide with a comment; the requester reads the outcome in the portal."""

from __future__ import annotations

import re

from tests.portal.conftest import csrf_token, login, logout, post_form, text_of

JUSTIFICATION = "The beamtime was cut short; we need another year to process the data."


def _ask_for_extension(client, world):
    login(client, "pia")
    url = f"/portal/experiments/{world.embargoed}"
    response = post_form(
        client,
        url,
        f"{url}/requests/extension",
        {"extension-requested_date": "2030-01-15", "extension-justification": JUSTIFICATION},
    )
    assert response.status_code == 302
    logout(client)


def _decide(client, request_id, **data):
    url = f"/portal/requests/{request_id}"
    return post_form(client, url, f"{url}/decision", data)


def test_curator_approves_with_a_comment_and_the_requester_is_notified(client, world):
    _ask_for_extension(client, world)
    login(client, "cure")
    review = text_of(client.get("/portal/requests/1"))
    assert JUSTIFICATION in review
    assert "Approve" in review and "Reject" in review
    response = _decide(client, 1, comment="Granted: one more year.", approve="Approve")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/curator/"
    queue = text_of(client.get("/portal/curator/"))
    assert "Request approved; the requester has been notified." in queue
    assert "Nothing to review." in queue
    logout(client)

    login(client, "pia")
    dashboard = text_of(client.get("/portal/"))
    assert re.search(r"Notifications <span class=\"count\"[^>]*>1</span>", dashboard)
    assert 'Unread: </span> <a href="/portal/requests/1">Request #1 approved' in dashboard
    assert "Comment: Granted: one more year." in dashboard
    assert "2030-01-15" in dashboard  # the moved release date
    page = text_of(client.get("/portal/requests/1"))
    assert "Approved" in page and "Carla Curator" in page
    assert "Granted: one more year." in page
    assert 'name="approve"' not in page  # no decision form for the requester
    # Reading the request read its notification.
    assert "Unread:" not in text_of(client.get("/portal/"))


def test_rejecting_without_a_comment_is_refused_with_the_reason(client, world):
    _ask_for_extension(client, world)
    login(client, "cure")
    refused = _decide(client, 1, comment="", reject="Reject")
    assert refused.status_code == 422
    assert "rejecting request #1 needs a comment telling the requester why" in text_of(refused)
    assert "Pending" in text_of(client.get("/portal/requests/1"))
    rejected = _decide(
        client, 1, comment="Processing can happen under the current embargo.", reject="Reject"
    )
    assert rejected.status_code == 302
    logout(client)
    login(client, "pia")
    dashboard = text_of(client.get("/portal/"))
    assert "Request #1 rejected" in dashboard
    assert "Processing can happen under the current embargo." in dashboard
    assert "Rejected" in text_of(client.get(f"/portal/experiments/{world.embargoed}"))


def test_a_request_cannot_be_decided_twice(client, world, app):
    _ask_for_extension(client, world)
    login(client, "cure")
    page = client.get("/portal/requests/1").get_data(as_text=True)
    token = csrf_token(page)
    first = client.post(
        "/portal/requests/1/decision",
        data={"csrf_token": token, "comment": "ok", "approve": "Approve"},
    )
    assert first.status_code == 302
    # A second curator's tab, still showing the form, posts too.
    second = client.post(
        "/portal/requests/1/decision",
        data={"csrf_token": token, "comment": "no", "reject": "Reject"},
    )
    assert second.status_code == 422
    assert "request #1 was already approved by cure" in text_of(second)


def test_decisions_without_csrf_token_are_refused(client, world):
    _ask_for_extension(client, world)
    login(client, "cure")
    response = client.post("/portal/requests/1/decision", data={"approve": "Approve"})
    assert response.status_code == 400
    assert "Pending" in text_of(client.get("/portal/requests/1"))


def test_notifications_can_be_marked_read_one_or_all(client, world):
    for date in ("2030-01-15",):
        login(client, "pia")
        url = f"/portal/experiments/{world.embargoed}"
        post_form(
            client,
            url,
            f"{url}/requests/extension",
            {"extension-requested_date": date, "extension-justification": "x"},
        )
        post_form(
            client,
            url,
            f"{url}/requests/selection-doi",
            {
                "selection-doi-title": "Sel",
                "selection-doi-creators-0-full_name": "Pia",
                "selection-doi-dataset_ids": ["1"],
                "selection-doi-justification": "paper",
            },
        )
        logout(client)
    login(client, "cure")
    page = text_of(client.get("/portal/"))
    assert page.count("Unread:") == 2
    ids = re.findall(r'name="notification" value="(\d+)"', page)
    one = post_form(client, "/portal/", "/portal/notifications/read", {"notification": ids[0]})
    assert one.status_code == 302
    page = text_of(client.get("/portal/"))
    assert "Marked as read." in page
    assert page.count("Unread:") == 1
    post_form(client, "/portal/", "/portal/notifications/read", {"notification": ""})
    page = text_of(client.get("/portal/"))
    assert "All notifications read." in page
    assert "Unread:" not in page


def test_nobody_marks_someone_elses_notifications(client, world):
    _ask_for_extension(client, world)  # notifies the curator
    login(client, "otto")
    post_form(client, "/portal/", "/portal/notifications/read", {"notification": "1"})
    logout(client)
    login(client, "cure")
    assert "Unread:" in text_of(client.get("/portal/"))
