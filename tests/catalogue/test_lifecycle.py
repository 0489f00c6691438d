from datetime import UTC, datetime, timedelta

import pytest

from faircat.catalogue.lifecycle import (
    ApprovedChange,
    Dates,
    add_years,
    check_dates,
    check_extension,
    default_release_date,
    release_date_from,
    state_at,
)
from faircat.catalogue.vocab import LifecycleState, RequestKind
from faircat.errors import ValidationError

START = datetime(2022, 5, 10, 8, tzinfo=UTC)
END = datetime(2022, 5, 13, 8, tzinfo=UTC)
RELEASE = default_release_date(END, 3)


def test_release_date_is_end_plus_embargo():
    assert datetime(2025, 5, 13, 8, tzinfo=UTC) == RELEASE


def test_leap_day_end_releases_on_28_february():
    assert add_years(datetime(2024, 2, 29, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - timedelta(seconds=1), LifecycleState.SCHEDULED),
        (START, LifecycleState.ACTIVE),
        (END - timedelta(seconds=1), LifecycleState.ACTIVE),
        (END, LifecycleState.EMBARGOED),
        (RELEASE - timedelta(seconds=1), LifecycleState.EMBARGOED),
        (RELEASE, LifecycleState.PUBLIC),
    ],
)
def test_state_follows_the_dates(now, expected):
    assert state_at(Dates(START, END, RELEASE), now) is expected


def test_withdrawn_wins_from_the_withdrawal_on():
    withdrawn = RELEASE + timedelta(days=10)
    dates = Dates(START, END, RELEASE, withdrawn)
    assert state_at(dates, withdrawn - timedelta(seconds=1)) is LifecycleState.PUBLIC
    assert state_at(dates, withdrawn) is LifecycleState.WITHDRAWN


def test_approved_requests_move_the_release_date_in_decision_order():
    early = ApprovedChange(RequestKind.EARLY_RELEASE, datetime(2023, 1, 5, tzinfo=UTC))
    assert release_date_from(END, 3, [early]) == datetime(2023, 1, 5, tzinfo=UTC)
    extension = ApprovedChange(
        RequestKind.EXTENSION, datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 5, 13, tzinfo=UTC)
    )
    assert release_date_from(END, 3, [extension]) == datetime(2026, 5, 13, tzinfo=UTC)
    # an early release decided after the extension wins, whatever the list order
    later_early = ApprovedChange(RequestKind.EARLY_RELEASE, datetime(2024, 6, 1, tzinfo=UTC))
    assert release_date_from(END, 3, [later_early, extension]) == datetime(2024, 6, 1, tzinfo=UTC)


def test_early_release_never_postpones():
    late = ApprovedChange(
        RequestKind.EARLY_RELEASE,
        datetime(2023, 1, 1, tzinfo=UTC),
        datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert release_date_from(END, 3, [late]) == RELEASE


def test_end_before_start_is_refused_with_the_dates():
    with pytest.raises(ValidationError, match="before start"):
        check_dates(END, START)


def test_extension_past_retention_is_refused():
    check_extension(END, add_years(END, 5), 5)
    with pytest.raises(ValidationError, match="retention period"):
        check_extension(END, add_years(END, 5) + timedelta(days=1), 5)
