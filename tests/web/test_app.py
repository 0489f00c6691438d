"""The app factory: health check and the public home page (restricted titles never shown)."""

from datetime import timedelta

from faircat.catalogue.vocab import MemberRole
from faircat.web.app import create_app
from tests.catalogue import factories as f
from tests.catalogue.factories import NOW

SENTINEL = "SENTINEL-EMBARGOED-TITLE-7f3a"


def test_home_lists_public_experiments_only(catalogue):
    with catalogue.transaction() as session:
        f.instrument(session)
        f.user(session, "pi")
        f.investigation(session, "OLD", start=NOW - timedelta(days=4 * 365),
                        title="Public lysozyme structure", members=(("pi", MemberRole.PI),))
        f.investigation(session, "NEW", start=NOW - timedelta(days=30), title=SENTINEL,
                        members=(("pi", MemberRole.PI),))
    client = create_app(catalogue.settings).test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    page = client.get("/portal/").get_data(as_text=True)
    assert "Public lysozyme structure" in page
    assert SENTINEL not in page
    assert "1 public experiments" in page
