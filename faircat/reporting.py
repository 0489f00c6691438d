"""Progress bars and summaries for long batch work on the command line."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from faircat.catalogue.ingest import BatchReport, IngestResult, ingest_paths
from faircat.catalogue.nexus import iter_nexus_paths
from faircat.catalogue.store import Catalogue
from faircat.errors import IngestError


def progress_enabled(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


def run_ingest(
    catalogue: Catalogue,
    paths: Iterable[Path],
    *,
    checksum: bool = True,
    readers: int = 1,
    progress: bool | None = None,
) -> BatchReport:
    """Ingest with a progress bar; each failed file gets one line on stderr, then a summary."""
    files = list(iter_nexus_paths(paths))
    started = time.perf_counter()
    with tqdm(
        total=len(files),
        unit="file",
        disable=not progress_enabled(progress),
        file=sys.stderr,
        dynamic_ncols=True,
    ) as bar:

        def on_result(outcome: IngestResult | IngestError) -> None:
            if isinstance(outcome, IngestError):
                bar.write(f"FAILED {outcome}", file=sys.stderr)
            else:
                for warning in outcome.warnings:
                    bar.write(f"WARNING {outcome.path}: {warning}", file=sys.stderr)
            bar.update(1)

        report = ingest_paths(
            catalogue.engine, files, checksum=checksum, readers=readers, on_result=on_result
        )
    elapsed = time.perf_counter() - started
    rate = len(files) / elapsed if elapsed > 0 else 0.0
    print(
        f"ingested {len(files)} files in {elapsed:.1f} s ({rate:.0f} files/s): "
        f"{report.count('created')} created, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {len(report.errors)} failed"
        + (f" ({warned} read with warnings)" if (warned := report.warned) else ""),
        file=sys.stderr,
    )
    return report


def export_with_progress(export_site, catalogue: Catalogue, *, progress: bool | None = None,
                         **kwargs):  # type: ignore[no-untyped-def]
    """Run the export with a progress bar over the pages it writes."""
    with tqdm(total=0, unit="page", disable=not progress_enabled(progress), file=sys.stderr,
              dynamic_ncols=True) as bar:

        def on_page(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return export_site(catalogue, on_page=on_page, **kwargs)


@contextmanager
def page_progress(progress: bool | None = None) -> Iterator[Callable[[int, int], None]]:
    """An ``on_page(done, total)`` callback drawing a progress bar of pages written."""
    with tqdm(total=0, unit="page", disable=not progress_enabled(progress), file=sys.stderr,
              dynamic_ncols=True) as bar:

        def on_page(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield on_page
