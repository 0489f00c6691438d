"""``faircat serve``: the portal and APIs under gunicorn (or Flask's development server)."""

from __future__ import annotations

import click

from faircat.cli.tools import State, pass_state, reports_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads per worker (gthread workers: connections are kept alive).",
)
@click.option("--dev", is_flag=True, help="Use Flask's single-process development server.")
@pass_state
@reports_errors
def serve(state: State, host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Serve the portal and APIs with gunicorn (the scheduler runs separately)."""
    from faircat.web.app import create_app

    app = create_app(state.settings)
    click.echo(f"faircat serving on http://{host}:{port}/")
    if dev:
        app.run(host=host, port=port, debug=False, use_reloader=False)
        return
    from faircat.web.server import serve as run_gunicorn

    run_gunicorn(app, host, port, workers, threads)
