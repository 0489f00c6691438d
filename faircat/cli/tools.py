"""What every ``faircat`` command module shares: settings state, error reporting, dates.

Command modules import from here, never from :mod:`faircat.cli` itself (which imports them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

import click

from faircat.catalogue.store import Catalogue
from faircat.config import Settings, load_settings, mask_url
from faircat.errors import FaircatError, ValidationError

F = TypeVar("F", bound=Callable[..., Any])


class State:
    def __init__(self, config_file: str | None) -> None:
        self.config_file = config_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_file)
        return self._settings

    def catalogue(self, *, check: bool = True) -> Catalogue:
        catalogue = Catalogue.open(self.settings)
        if check:
            catalogue.check_schema()
        return catalogue


pass_state = click.make_pass_decorator(State)


def reports_errors(func: F) -> F:
    """Print a FaircatError as one line and exit with its code; bugs keep their traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FaircatError as exc:
            # A message may quote a URL given with its password (a settings value, an error
            # from a library): never printed.
            click.secho(f"Error: {mask_url(str(exc))}", fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def parse_datetime(value: str, what: str) -> datetime:
    """ISO 8601; a date alone means midnight UTC, a naive time is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"invalid {what} {value!r}: expected ISO 8601, e.g. 2025-05-10T08:00Z", field=what
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_now(now_text: str | None) -> datetime:
    """The ``--now`` option of the release and workflow commands: given, or the current time."""
    return parse_datetime(now_text, "now") if now_text else datetime.now(UTC)


now_option = click.option(
    "--now", "now_text", metavar="ISO", help="Act as of this date-time (default: now)."
)
