"""``faircat mail send``: notification e-mail (:mod:`faircat.mail`)."""

from __future__ import annotations

import sys

import click

from faircat.cli.tools import State, now_option, parse_now, pass_state, reports_errors


@click.group()
def mail() -> None:
    """Notification e-mail."""


@mail.command("send")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1))
@now_option
@pass_state
@reports_errors
def mail_send(state: State, limit: int, now_text: str | None) -> None:
    """E-mail notifications not sent yet (exit code 1 when some failed; they are kept)."""
    from faircat.mail import send_pending

    catalogue = state.catalogue()
    report = send_pending(catalogue.sessions, state.settings, parse_now(now_text), limit=limit)
    click.echo(report.describe())
    if not report.ok:
        sys.exit(1)
