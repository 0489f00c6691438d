"""Preview images of a NeXus file's default plot, and a cache keyed by content.

``render_preview`` reads only the datasets of the default NXdata group that the plot needs (the
signal and its axes) and, of an image stack, only the first frame: a 1 GB tomography scan costs
what one 2-D frame costs. A 1-D signal is drawn as a line against its axis (log y when the data
span more than three decades, log x too when the axis is positive and spans two, as SAXS I(q)
curves are shown), a 2-D frame as an image with a colour bar scaled to the 1st-99.5th percentile
(logarithmic when that range spans three decades), so one hot pixel does not black out the rest.

Drawing uses matplotlib's Agg canvas directly (no pyplot: no global figure state, safe in threads)
with matplotlib's default style whatever the user's matplotlibrc says, fixed margins, size and DPI,
and Pillow encodes the pixels (no ``Software`` or ``tIME`` chunk), so one input gives
byte-identical PNGs with given matplotlib and Pillow versions. The cost (~0.1-0.3 s a preview,
docs/perf-previews.md) is why the publisher goes through :class:`PreviewCache`, keyed by the data
file's content.

A file without a plottable default (no signal, empty, not numeric, all NaN, or a group or signal
behind a link that cannot be followed: a cycle, a dangling soft link, an external file that is
gone) raises :class:`PreviewError`; the publisher skips the preview and carries on.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
import secrets
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from PIL import Image

from faircat.catalogue.nexus import NexusPlot
from faircat.errors import FaircatError

log = logging.getLogger(__name__)

RENDER_VERSION = "1"  # bump when the drawing changes: old cache entries are then never hit
DPI = 100
ASPECT = 0.625  # height / width: 800 x 500 by default
MAX_READ = 1 << 24  # elements read of one dataset; larger ones are read with a stride
LOW, HIGH = 1.0, 99.5  # percentiles of the colour scale
PNG_LEVEL = 3


class PreviewError(FaircatError):
    """The file has no plottable default plot; names the file and the problem.

    ``retry`` is True when the problem may go away (the file cannot be opened right now), so a
    cache must not remember it.
    """

    exit_code = 65

    def __init__(self, path: object, problem: str, *, retry: bool = False) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem, self.retry = path, problem, retry


# -- reading ------------------------------------------------------------------------------------


def _text_attr(obj: h5py.HLObject, name: str) -> str | None:
    value = obj.attrs.get(name)
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return None
        value = value.flat[0]
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    return text or None


def _label(dataset: h5py.Dataset, name: str) -> str:
    """``@long_name``, else the dataset name, with ``(@units)``."""
    label = _text_attr(dataset, "long_name") or name
    units = _text_attr(dataset, "units")
    return f"{label} ({units})" if units and units not in label else label


def _numeric(dataset: h5py.Dataset) -> bool:
    return dataset.dtype.kind in "biuf"


def _read(dataset: h5py.Dataset, index: tuple[Any, ...] = ()) -> np.ndarray:
    """The selection in its own type (a uint16 frame stays 2 bytes a pixel until pooled), with a
    stride per axis when it would exceed MAX_READ elements."""
    shape = dataset.shape[len(index) :]
    size = math.prod(shape)
    step = 1
    if size > MAX_READ:
        step = math.ceil((size / MAX_READ) ** (1 / len(shape)))
    selection = index + tuple(slice(None, None, step) for _ in shape)
    data = np.asarray(dataset[selection])
    return data.astype(np.uint8) if data.dtype.kind == "b" else data


_LINK_ERRORS = (KeyError, RuntimeError, OSError)  # h5py's, for a link it cannot follow


def _member(group: h5py.Group, name: str, path: Path) -> h5py.HLObject | None:
    """``group[name]``, None when there is no such member; a PreviewError naming the link when
    one cannot be followed (h5py raises RuntimeError for a cycle: it would stop the export)."""
    error = None
    try:
        found = group.get(name)  # None for a dangling link too
    except _LINK_ERRORS as exc:
        found, error = None, (str(exc).splitlines() or [type(exc).__name__])[0]
    if found is not None:
        return found
    try:
        link = group.get(name, getlink=True)
    except _LINK_ERRORS:  # a broken link on the way there
        link = None
    where = name if name.startswith("/") else f"{group.name.rstrip('/')}/{name}"
    if isinstance(link, h5py.ExternalLink):  # the file may come back (a mount): retry
        text = f"{where} is an external link to {link.filename}:{link.path} that cannot be opened"
        raise PreviewError(path, text, retry=True)
    if isinstance(link, h5py.SoftLink):
        error = f"a soft link to {link.path} that cannot be followed: {error or 'no such object'}"
        raise PreviewError(path, f"{where} is {error}")
    if error is not None:
        raise PreviewError(path, f"{where} cannot be followed ({error})")
    return None


def _axis(group: h5py.Group, name: str | None, length: int) -> tuple[np.ndarray, str] | None:
    """Values and label of an axis dataset matching ``length`` points (or bin edges)."""
    try:
        axis = group.get(name) if name and name != "." else None
    except _LINK_ERRORS:  # a broken link: plotted against the index instead
        return None
    if not isinstance(axis, h5py.Dataset) or not _numeric(axis) or axis.ndim != 1:
        return None
    if axis.shape[0] not in (length, length + 1) or length > MAX_READ:
        return None
    values = np.asarray(axis[()], dtype=np.float64)
    if values.shape[0] == length + 1:  # histogram edges: plot at the bin centres
        values = (values[1:] + values[:-1]) / 2
    if not np.all(np.isfinite(values)):
        return None
    return values, _label(axis, name)


class _Plot:
    """What to draw, read from the file: a curve or an image, with labels."""

    def __init__(self, title: str, signal: np.ndarray, signal_label: str) -> None:
        self.title, self.signal, self.signal_label = title, signal, signal_label
        self.x: np.ndarray | None = None
        self.x_label = ""
        self.y: np.ndarray | None = None
        self.y_label = ""


def _load(path: Path, plot: NexusPlot) -> _Plot:
    try:
        handle = h5py.File(path, "r", locking=False)
    except FileNotFoundError:
        raise PreviewError(path, "no such file", retry=True) from None
    except PermissionError:
        raise PreviewError(path, "permission denied", retry=True) from None
    except OSError as exc:
        raise PreviewError(path, f"cannot open as HDF5 ({str(exc).splitlines()[0]})") from None
    with handle:
        group = _member(handle, plot.path, path)
        if not isinstance(group, h5py.Group):
            raise PreviewError(path, f"no NXdata group at {plot.path}")
        signal = _member(group, plot.signal, path)
        where = f"{plot.path.rstrip('/')}/{plot.signal}"
        if not isinstance(signal, h5py.Dataset):
            raise PreviewError(path, f"no signal dataset {where}")
        if not _numeric(signal):
            raise PreviewError(path, f"signal {where} is not numeric ({signal.dtype})")
        if signal.ndim == 0 or signal.size == 0:
            raise PreviewError(path, f"signal {where} is empty or a scalar {signal.shape}")
        title = _text_attr(group, "title") or _text_attr(signal, "long_name") or plot.signal
        index: tuple[int, ...] = ()
        if signal.ndim > 2:  # an image stack: the first frame only, never the whole stack
            title = f"{title} (frame 1 of {math.prod(signal.shape[:-2])})"
            index = (0,) * (signal.ndim - 2)
        try:
            data = _read(signal, index)
        except (OSError, ValueError) as exc:  # a corrupt chunk, a filter not installed
            raise PreviewError(path, f"cannot read {where} ({str(exc).splitlines()[0]})") from None
        if data.dtype.kind == "f" and not np.any(np.isfinite(data)):
            raise PreviewError(path, f"signal {where} has no finite values")
        result = _Plot(title, data, _label(signal, plot.signal))
        axes = list(plot.axes)[-signal.ndim :] if plot.axes else []
        axes = [None] * (signal.ndim - len(axes)) + axes  # type: ignore[list-item]
        if data.ndim == 1 and data.shape[0] == signal.shape[-1]:
            found = _axis(group, axes[-1], data.shape[0])
            if found:
                result.x, result.x_label = found
        elif data.ndim == 2 and data.shape == signal.shape[-2:]:  # unstrided: axes line up
            for attr, name, length in (
                ("x", axes[-1], data.shape[1]),
                ("y", axes[-2], data.shape[0]),
            ):
                found = _axis(group, name, length)
                if found:
                    setattr(result, attr, found[0])
                    setattr(result, f"{attr}_label", found[1])
        return result


# -- drawing ------------------------------------------------------------------------------------


@cache
def _matplotlib() -> Any:
    """Imported on first use: matplotlib costs ~0.3 s to import, which every CLI command would
    pay otherwise."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.figure import Figure

    return matplotlib, Figure, FigureCanvasAgg, Normalize, LogNorm


def _decades(values: np.ndarray) -> float:
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return 0.0
    return math.log10(positive.max() / positive.min())


def _pool(image: np.ndarray, width_px: int) -> np.ndarray:
    """Shrink a large frame by block maxima: a single-pixel Bragg spot survives, whereas
    resampling would drop it."""
    factor = math.ceil(max(image.shape) / width_px)
    if factor <= 1:
        return image
    height, width = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    if height == 0 or width == 0:
        return image
    blocks = image[:height, :width].reshape(height // factor, factor, width // factor, factor)
    if blocks.dtype.kind != "f":
        return blocks.max(axis=(1, 3))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN block stays NaN
        return np.nanmax(blocks, axis=(1, 3))


_PLOT_BOX = (0.11, 0.12, 0.85, 0.8)  # left, bottom, width, height as fractions of the figure
_IMAGE_BOX = (0.11, 0.12, 0.66, 0.8)
_COLORBAR_BOX = (0.8, 0.12, 0.025, 0.8)


def _draw(loaded: _Plot, width_px: int) -> bytes:
    matplotlib, figure_class, canvas_class, normalize, log_norm = _matplotlib()
    # the default style, not the user's matplotlibrc: the same bytes on every machine
    data = loaded.signal
    data = (data if data.ndim == 1 else _pool(data, width_px)).astype(np.float64, copy=False)
    with matplotlib.rc_context(matplotlib.rcParamsDefault):
        height_px = round(width_px * ASPECT)
        fig = figure_class(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
        canvas = canvas_class(fig)
        # fixed margins, not constrained layout: that measures every tick label and was 80% of
        # the drawing time; long labels are clipped rather than squeezing the plot
        ax = fig.add_axes(_PLOT_BOX if data.ndim == 1 else _IMAGE_BOX)
        ax.set_title(loaded.title)
        if data.ndim == 1:
            x = loaded.x if loaded.x is not None else np.arange(data.shape[0], dtype=np.float64)
            ax.plot(x, data, linewidth=1.0)
            ax.set_xlabel(loaded.x_label or "index")
            ax.set_ylabel(loaded.signal_label)
            if _decades(data) > 3 and np.nanmin(data) > 0:
                ax.set_yscale("log")
            elif _decades(data) > 3:  # zeros or negatives: symlog keeps them on the plot
                ax.set_yscale("symlog", linthresh=float(np.nanpercentile(np.abs(data), 10)) or 1)
            if loaded.x is not None and np.all(x > 0) and _decades(x) >= 2:
                ax.set_xscale("log")
        else:
            image = data
            finite = image[np.isfinite(image)]
            low, high = (float(v) for v in np.percentile(finite, [LOW, HIGH]))
            if high <= low:
                high = low + 1.0
            norm = log_norm(low, high) if low > 0 and high / low > 1e3 else normalize(low, high)
            extent = None
            if loaded.x is not None and loaded.y is not None:
                x, y = loaded.x, loaded.y
                extent = (float(x[0]), float(x[-1]), float(y[-1]), float(y[0]))
            shown = ax.imshow(
                image,
                cmap="viridis",
                norm=norm,
                extent=extent,
                aspect="auto",
                interpolation="nearest",
                origin="upper",
            )
            ax.set_xlabel(loaded.x_label or "pixel")
            ax.set_ylabel(loaded.y_label or "pixel")
            fig.colorbar(shown, cax=fig.add_axes(_COLORBAR_BOX), label=loaded.signal_label)
        canvas.draw()
        rgb = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[:, :, :3])
    # Pillow (a matplotlib dependency) encodes, not savefig: RGB rather than RGBA with a
    # constant alpha, and zlib level 3 rather than 6, a third of the time for 0-10% more bytes
    # (docs/perf-previews.md); it writes no Software or tIME chunk, so the bytes are stable.
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=PNG_LEVEL)
    return buffer.getvalue()


def render_preview(
    nexus_path: str | os.PathLike[str], plot: NexusPlot, *, width_px: int = 800
) -> bytes:
    """PNG of the default plot, ``width_px`` wide and ``0.625 * width_px`` high."""
    if not 100 <= width_px <= 4000:
        raise ValueError(f"width_px must be between 100 and 4000, not {width_px}")
    path = Path(nexus_path)
    loaded = _load(path, plot)
    return _draw(loaded, width_px)


# -- cache --------------------------------------------------------------------------------------

Renderer = Callable[[Path, NexusPlot], bytes]
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{1,127}$")


def preview_key(sha256: str, plot: NexusPlot, width_px: int = 800) -> str:
    """A cache key for the preview of ``plot`` in the file whose content hash is ``sha256``.

    Includes the renderer version and width, so a new drawing never serves stale images.
    """
    parts = (sha256, plot.path, plot.signal, *plot.axes, str(width_px), RENDER_VERSION)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class PreviewCache:
    """PNGs under ``folder/<key[:2]>/<key>.png``; ``<key>.none`` marks "nothing to plot".

    Keys are content keys (see :func:`preview_key`), so an entry never goes stale and nothing is
    ever invalidated; deleting the folder is always safe. Writes are atomic (temporary file and
    ``os.replace``), so two exports sharing the folder see a whole PNG or none.
    """

    def __init__(
        self, folder: str | os.PathLike[str], *, render: Renderer | None = None, width_px: int = 800
    ) -> None:
        self.folder = Path(folder)
        self.width_px = width_px
        self._render = render or (lambda path, plot: render_preview(path, plot, width_px=width_px))

    def _path(self, key: str, suffix: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"bad preview cache key {key!r}: use letters, digits, '-', '_', '.'")
        return self.folder / key[:2] / f"{key}{suffix}"

    def get_or_render(
        self, nexus_path: str | os.PathLike[str], plot: NexusPlot, key: str
    ) -> bytes | None:
        """The cached PNG, else render and store it; None when the file has nothing to plot."""
        png, none = self._path(key, ".png"), self._path(key, ".none")
        try:
            return png.read_bytes()
        except FileNotFoundError:
            pass
        if none.exists():
            return None
        try:
            data = self._render(Path(nexus_path), plot)
        except PreviewError as exc:
            log.info("no preview: %s", exc)
            if not exc.retry:
                _write_atomic(none, exc.problem.encode("utf-8") + b"\n")
            return None
        _write_atomic(png, data)
        return data


def _write_atomic(path: Path, data: bytes) -> None:
    # no fsync: a cache entry lost in a crash is rendered again, never half-read. 0666 less the
    # umask, like the site's files (mkstemp would make 0600): the cache may be shared.
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".tmp-{secrets.token_hex(8)}{path.suffix}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
