"""``faircat ingest``: NeXus/HDF5 files into the catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from faircat.cli.tools import State, pass_state, reports_errors


def _usable_cores() -> int:
    from faircat.catalogue.ingest import usable_cores

    return usable_cores()


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--checksum/--no-checksum",
    default=True,
    show_default=True,
    help="Compute SHA-256 of each file (streamed).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar (default: when stderr is a terminal).",
)
@click.option(
    "--readers",
    default=_usable_cores,  # called only when ingest runs: h5py is imported lazily
    show_default="one per CPU core",
    type=click.IntRange(min=0),
    help="Processes reading NeXus metadata while the database is written (0: inline). "
    "Reading HDF5 metadata is the costly part and scales with cores.",
)
@pass_state
@reports_errors
def ingest(
    state: State, paths: tuple[Path, ...], checksum: bool, progress: bool | None, readers: int
) -> None:
    """Ingest NeXus/HDF5 files or folders (recursive) into the catalogue.

    Each file is one transaction: a bad file is reported on one line and the batch goes on.
    Exit code 1 when some files failed.
    """
    from faircat.reporting import run_ingest

    catalogue = state.catalogue()
    report = run_ingest(catalogue, paths, checksum=checksum, readers=readers, progress=progress)
    if not report.ok:
        sys.exit(1)
