"""Previews of open datasets for the export: the cached default NXdata plot, or nothing."""

from __future__ import annotations

from pathlib import Path

from faircat.catalogue.nexus import NexusPlot, read_nexus
from faircat.catalogue.public import PreviewSource
from faircat.errors import IngestError
from faircat.publisher.preview import PreviewCache, PreviewError, preview_key, render_preview


class Previews:
    """Looks previews up by content key; renders (reading the file's plot) only on a miss."""

    def __init__(self, folder: Path) -> None:
        self.cache = PreviewCache(folder, render=self._render)

    @staticmethod
    def key(source: PreviewSource) -> str:
        """The content key of the preview: equal keys, equal PNGs."""
        return preview_key(source.key, NexusPlot(source.plot_path, "", ()))

    def get(self, source: PreviewSource) -> bytes | None:
        plot = NexusPlot(source.plot_path, "", ())
        return self.cache.get_or_render(source.nexus_path, plot, self.key(source))

    @staticmethod
    def _render(path: Path, _plot: NexusPlot) -> bytes:
        try:
            plot = read_nexus(path).plot
        except IngestError as exc:
            # The file may come back (a mount, a move): try again on the next export.
            raise PreviewError(path, exc.problem, retry=True) from None
        if plot is None:
            raise PreviewError(path, "no default NXdata plot")
        return render_preview(path, plot)
