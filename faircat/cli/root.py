"""The root ``faircat`` group: global options and the settings state its commands share.

Sub-commands live in the sibling modules and are registered on :data:`main` by
:mod:`faircat.cli` (``__init__.py``).
"""

from __future__ import annotations

import click

from faircat import __version__
from faircat.cli.tools import State


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="faircat")
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    envvar="FAIRCAT_CONFIG",
    help="Settings file (default: ./faircat.toml when present).",
)
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """faircat: FAIR data catalogue and publisher for photon and neutron facilities.

    Settings come from faircat.toml and FAIRCAT_* environment variables; see
    'faircat config show'.
    """
    ctx.obj = State(config_file)
