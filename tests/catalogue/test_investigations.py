"""Creating investigations and accounts: bad input gets a clear error and writes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from faircat.catalogue.accounts import (
    NewUser,
    add_user,
    authenticate_token,
    create_token,
    verify_password,
)
from faircat.catalogue.investigations import NewInvestigation, create_investigation
from faircat.catalogue.models import AuditEvent, Investigation, InvestigationMember, User
from faircat.catalogue.vocab import MemberRole, Role
from faircat.errors import DuplicateError, NotFoundError, ValidationError
from tests.catalogue import factories as f

START = datetime(2024, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def setup(catalogue):
    with catalogue.transaction() as session:
        f.instrument(session)
        f.user(session, "pi", orcid="0000-0002-1825-0097")
        f.user(session, "student")
    return catalogue


def new(**overrides):
    values = dict(
        proposal="2024031234",
        visit="1",
        title="Lysozyme",
        start=START,
        end=START + timedelta(days=2),
        instruments=["XALOC"],
        members=[("pi", MemberRole.PI), ("student", MemberRole.PARTICIPANT)],
    )
    values.update(overrides)
    return NewInvestigation(**values)


def count(catalogue, model):
    with catalogue.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_create_sets_release_date_members_and_audit(setup):
    with setup.transaction() as session:
        inv = create_investigation(session, new())
        assert inv.release_date == datetime(2027, 3, 3, 8, tzinfo=UTC)
        assert {m.role for m in inv.members} == {MemberRole.PI, MemberRole.PARTICIPANT}
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "investigation.create")
        ).one()
        assert audit.after["proposal"] == "2024031234"


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"end": START - timedelta(hours=1)}, ValidationError, "before start"),
        ({"instruments": ["NOPE"]}, NotFoundError, "unknown instrument 'NOPE'"),
        ({"members": [("ghost", MemberRole.PI)]}, NotFoundError, "user 'ghost' does not exist"),
        ({"proposal": "bad proposal"}, ValidationError, "invalid proposal"),
        (
            {"proposal": "<img src=x onerror=alert(1)>"},
            ValidationError,
            r"invalid proposal '<img src=x onerror=alert\(1\)>'",
        ),
        ({"proposal": "../../tmp/x"}, ValidationError, r"invalid proposal '\.\./\.\./tmp/x'"),
        ({"visit": "1/2"}, ValidationError, "invalid visit '1/2'"),
        ({"title": "  "}, ValidationError, "title is empty"),
        (
            {"members": [("pi", MemberRole.PI), ("pi", MemberRole.PARTICIPANT)]},
            DuplicateError,
            "listed twice",
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(setup, overrides, error, message):
    with pytest.raises(error, match=message), setup.transaction() as session:
        create_investigation(session, new(**overrides))
    assert count(setup, Investigation) == 0
    assert count(setup, InvestigationMember) == 0


def test_duplicate_proposal_visit(setup):
    with setup.transaction() as session:
        create_investigation(session, new())
    with (
        pytest.raises(DuplicateError, match="2024031234-1 already exists"),
        setup.transaction() as session,
    ):
        create_investigation(session, new(title="again"))
    with setup.transaction() as session:
        create_investigation(session, new(visit="2"))  # another visit is fine
    assert count(setup, Investigation) == 2


@pytest.mark.parametrize(
    ("user", "message"),
    [
        (NewUser("x1", "X", orcid="0000-0002-1825-0098"), "wrong check digit"),
        (NewUser("pi", "Again"), "user 'pi' already exists"),
        (NewUser("x2", "X", orcid="https://orcid.org/0000-0002-1825-0097"), "already belongs"),
        (NewUser("Bad Name", "X"), "invalid username"),
        (NewUser("x3", "X", email="not-an-email"), "invalid e-mail"),
    ],
)
def test_bad_accounts_are_refused(setup, user, message):
    before = count(setup, User)
    with pytest.raises(ValidationError, match=message), setup.transaction() as session:
        add_user(session, user)
    assert count(setup, User) == before


def test_passwords_are_hashed_and_verified(setup):
    with setup.transaction() as session:
        account = add_user(session, NewUser("ana", "Ana García", password="correct horse"))
        assert "correct horse" not in account.password_hash
        assert verify_password(account, "correct horse")
        assert not verify_password(account, "wrong")


def test_tokens_store_only_a_hash_and_expire(setup):
    with setup.transaction() as session:
        service = f.user(session, "ingest", Role.SERVICE)
        token, secret = create_token(session, service, "XALOC ingest", instrument="XALOC")
        assert secret not in token.token_hash and token.instrument_id is not None
        assert authenticate_token(session, secret).id == token.id
        with pytest.raises(ValidationError, match="invalid or revoked"):
            authenticate_token(session, secret + "x")
        _expiring, secret2 = create_token(
            session, service, "old", expires_at=datetime(2020, 1, 1, tzinfo=UTC)
        )
        with pytest.raises(ValidationError, match="expired"):
            authenticate_token(session, secret2)
        with pytest.raises(NotFoundError, match="instrument 'NOPE'"):
            create_token(session, service, "x", instrument="NOPE")


def test_an_investigation_that_would_share_a_doi_is_refused(setup):
    with setup.transaction() as session:
        create_investigation(session, new(proposal="ab-1", visit="2"))
    for proposal, visit in (("AB-1", "2"), ("ab", "1-2")):  # same DOI suffix: ab-1-2
        with (
            pytest.raises(DuplicateError, match="would have the DOI of investigation ab-1-2"),
            setup.transaction() as session,
        ):
            create_investigation(session, new(proposal=proposal, visit=visit))
    assert count(setup, Investigation) == 1


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("<b>X</b>", ValidationError, "invalid instrument name '<b>X</b>'"),
        ("../X", ValidationError, "invalid instrument name"),
        ("", ValidationError, "invalid instrument name ''"),
        ("XALOC", DuplicateError, "instrument 'XALOC' already exists"),
        ("xaloc", DuplicateError, "would share the public beamline page of 'XALOC'"),
        ("XALOC.", DuplicateError, "would share the public beamline page of 'XALOC'"),
    ],
)
def test_instrument_names_are_checked(setup, name, error, message):
    from faircat.catalogue.facility import add_instrument
    from faircat.catalogue.models import Instrument

    before = count(setup, Instrument)
    with pytest.raises(error, match=message), setup.transaction() as session:
        add_instrument(session, name, "Another beamline", ["mx"])
    assert count(setup, Instrument) == before


def test_instrument_names_as_facilities_write_them(setup):
    from faircat.catalogue.facility import add_instrument
    from faircat.catalogue.models import Instrument

    with setup.transaction() as session:
        add_instrument(session, "DIAMOND BEAMLINE I04", "I04 MX", ["mx"])
        add_instrument(session, "X.ALOC", "another page than XALOC's: x-aloc", ["mx"])
    assert count(setup, Instrument) == 3
