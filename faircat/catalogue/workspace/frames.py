"""Frames of a dataset's default NXdata plot as PNG images, fast enough for a frame slider.

The publisher's :func:`faircat.publisher.preview.render_preview` draws a figure with matplotlib
(axes, ticks, colour bar): right for a landing page, built once per release, but 0.1-0.3 s a
figure. A slider asks for a frame each time it moves, and detector frames are 4096 x 4096, so a
frame here is one read of that frame (bitshuffle/LZ4 and other filters through hdf5plugin), a
block-maximum reduction to the width shown (a single hot pixel or Bragg spot survives, which
resampling would drop), a colour scale from the 1st to 99.5th percentile (logarithmic when it
spans three decades, as the publisher does) and a palette PNG written by Pillow with a colour
bar and its two end values drawn beside the image. 1-D signals are left to the publisher's
renderer: a line needs axes to be read at all.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import h5py
import hdf5plugin  # noqa: F401  (registers bitshuffle, LZ4, Blosc... with HDF5 on import)
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from faircat.catalogue.nexus import NexusPlot
from faircat.errors import FaircatError

MAX_FRAME = 1 << 24  # elements read of one frame; larger frames are read with a stride
LOW, HIGH = 1.0, 99.5  # percentiles of the colour scale, as on the landing pages
LEVELS = 254  # palette entries of the colour map; 254 and 255 are white and black
WHITE, BLACK = 254, 255
BAR, GAP, LABELS = 14, 10, 76  # colour bar width, gaps and room for its labels, in pixels
SAMPLE = 1 << 18  # pixels the percentiles are computed from (a strided sample of the frame)
MIN_SIDE = 320  # smaller frames are enlarged by a whole factor (each value a block of pixels)


class PreviewError(FaircatError):
    """No frame can be drawn: names the file and the problem (for the log, not the client)."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class PlotShape:
    """What the page needs to lay out a preview: a line, or images and how many."""

    kind: Literal["line", "image"]
    title: str
    signal_label: str
    shape: tuple[int, ...]
    frames: int
    x_label: str = ""
    y_label: str = ""


def _text(obj: h5py.HLObject, name: str) -> str:
    value = obj.attrs.get(name)
    if isinstance(value, np.ndarray):
        value = value.flat[0] if value.size == 1 else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip() if value is not None else ""


def _label(obj: h5py.HLObject | None, name: str) -> str:
    if obj is None:
        return name
    label = _text(obj, "long_name") or name
    units = _text(obj, "units")
    return f"{label} ({units})" if units and units not in label else label


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r", locking=False)
    except OSError as exc:
        raise PreviewError(path, f"cannot open as HDF5 ({str(exc).splitlines()[0]})") from None


def _signal(handle: h5py.File, plot: NexusPlot, path: Path) -> tuple[h5py.Group, h5py.Dataset]:
    try:
        group = handle.get(plot.path)
        signal = group.get(plot.signal) if isinstance(group, h5py.Group) else None
    except (KeyError, RuntimeError, OSError):  # a broken or cyclic link
        signal = None
    if not isinstance(signal, h5py.Dataset) or signal.dtype.kind not in "biuf":
        raise PreviewError(path, f"no numeric signal {plot.signal} in {plot.path}")
    if signal.ndim == 0 or signal.size == 0:
        raise PreviewError(path, f"signal {plot.signal} is empty or a scalar")
    return group, signal


def _axis_label(group: h5py.Group, plot: NexusPlot, dim: int, ndim: int) -> str:
    axes = list(plot.axes)[-ndim:]
    axes = [""] * (ndim - len(axes)) + axes
    name = axes[dim]
    if not name or name == ".":
        return "pixel"
    try:
        found = group.get(name)
    except (KeyError, RuntimeError, OSError):
        found = None
    return _label(found if isinstance(found, h5py.Dataset) else None, name)


def _names(value: object) -> tuple[str, ...]:
    """``@axes`` as names: an array of strings, or one string ``"x:y"`` (NeXus before 2014)."""
    if value is None:
        return ()
    items = list(value.flat) if isinstance(value, np.ndarray) else [value]
    names = [i.decode("utf-8", "replace") if isinstance(i, bytes) else str(i) for i in items]
    if len(names) == 1:
        names = re.split(r"[:,\s]+", names[0])
    return tuple(n for n in (n.strip() for n in names) if n)


def plot_at(path: Path, plot_path: str) -> NexusPlot:
    """The NXdata group at ``plot_path`` (``Dataset.plot_path``): its signal and axes."""
    with _open(path) as handle:
        try:
            group = handle.get(plot_path)
        except (KeyError, RuntimeError, OSError):
            group = None
        if not isinstance(group, h5py.Group):
            raise PreviewError(path, f"no NXdata group at {plot_path}")
        signal, axes = _text(group, "signal"), _names(group.attrs.get("axes"))
        if not signal:  # NeXus before 2014: @signal=1 (and @axes) on the signal dataset
            for name in group:
                try:
                    member = group.get(name)
                except (KeyError, RuntimeError, OSError):  # a broken link: not the signal
                    continue
                if isinstance(member, h5py.Dataset) and _text(member, "signal") == "1":
                    signal, axes = name, _names(member.attrs.get("axes"))
                    break
        if not signal:
            raise PreviewError(path, f"the NXdata group at {plot_path} names no signal")
        return NexusPlot(plot_path, signal, axes)


def describe(path: Path, plot: NexusPlot) -> PlotShape:
    """The plot's shape, labels and frame count (reads attributes and headers only)."""
    with _open(path) as handle:
        group, signal = _signal(handle, plot, path)
        title = _text(group, "title") or _text(signal, "long_name") or plot.signal
        label = _label(signal, plot.signal)
        shape = tuple(int(n) for n in signal.shape)
        if signal.ndim == 1:
            return PlotShape("line", title, label, shape, 1, _axis_label(group, plot, 0, 1))
        return PlotShape(
            "image",
            title,
            label,
            shape,
            math.prod(shape[:-2]),
            x_label=_axis_label(group, plot, signal.ndim - 1, signal.ndim),
            y_label=_axis_label(group, plot, signal.ndim - 2, signal.ndim),
        )


def read_frame(path: Path, plot: NexusPlot, frame: int) -> np.ndarray:
    """Frame ``frame`` (0-based) of an image signal, strided when it exceeds MAX_FRAME."""
    with _open(path) as handle:
        _, signal = _signal(handle, plot, path)
        if signal.ndim < 2:
            raise PreviewError(path, "the signal is not an image")
        leading = signal.shape[:-2]
        if not 0 <= frame < math.prod(leading):
            raise IndexError(frame)
        index = tuple(int(i) for i in np.unravel_index(frame, leading)) if leading else ()
        height, width = signal.shape[-2:]
        step = max(1, math.ceil(math.sqrt(height * width / MAX_FRAME)))
        try:
            data = signal[(*index, slice(None, None, step), slice(None, None, step))]
        except (OSError, ValueError) as exc:  # a corrupt chunk, a filter that is not installed
            problem = f"cannot read frame {frame} ({str(exc).splitlines()[0]})"
            raise PreviewError(path, problem) from None
        return np.asarray(data)


def pool(image: np.ndarray, width_px: int) -> np.ndarray:
    """Block maxima so that the longer side is at most ``width_px`` (NaN only where a whole
    block is NaN).

    Row blocks first, as element-wise maxima of whole strided rows, then column blocks: three
    times faster than ``reshape(...).max(axis=(1, 3))``, whose reduction over short axes numpy
    does not vectorise (35 ms instead of 105 ms for a 4096 x 4096 frame)."""
    factor = math.ceil(max(image.shape) / width_px)
    if factor <= 1:
        return image
    height, width = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    if height == 0 or width == 0:
        return image[::factor, ::factor]
    image = image[:height, :width]
    maximum = np.fmax if image.dtype.kind == "f" else np.maximum
    rows = image[0::factor].copy()
    for offset in range(1, factor):
        maximum(rows, image[offset::factor], out=rows)
    blocks = rows[:, 0::factor].copy()
    for offset in range(1, factor):
        maximum(blocks, rows[:, offset::factor], out=blocks)
    return blocks


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    log: bool


def scale_of(image: np.ndarray) -> Scale:
    finite = image.ravel()
    if finite.size > SAMPLE:
        finite = finite[:: finite.size // SAMPLE]
    if finite.dtype.kind == "f":
        finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return Scale(0.0, 1.0, False)
    low, high = (float(v) for v in np.percentile(finite, [LOW, HIGH]))
    if high <= low:
        high = low + 1.0
    return Scale(low, high, low > 0 and high / low > 1e3)


def indices(image: np.ndarray, scale: Scale) -> np.ndarray:
    """Palette indices 0..LEVELS-1 (NaN: the lowest)."""
    values = image.astype(np.float32, copy=False)
    low, high = scale.low, scale.high
    with np.errstate(all="ignore"):
        if scale.log:
            values, low, high = np.log10(values), math.log10(low), math.log10(high)
        scaled = (values - low) * ((LEVELS - 1) / (high - low))
    return np.nan_to_num(np.clip(scaled, 0, LEVELS - 1), nan=0.0).astype(np.uint8)


@cache
def _palette() -> bytes:
    """viridis in LEVELS steps, then white and black (matplotlib is imported once, here)."""
    from matplotlib import colormaps

    colours = colormaps["viridis"](np.linspace(0, 1, LEVELS))[:, :3]
    rgb = np.round(colours * 255).astype(np.uint8)
    return rgb.tobytes() + bytes([255, 255, 255, 0, 0, 0])


@cache
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=12)


def _number(value: float) -> str:
    return f"{value:.4g}"


def png(image: np.ndarray, scale: Scale) -> bytes:
    """The frame, a colour bar and its end values, as a palette PNG."""
    height, width = image.shape
    bar_height = max(height, 60)
    canvas = np.full((bar_height, width + GAP + BAR + GAP + LABELS), WHITE, dtype=np.uint8)
    canvas[:height, :width] = indices(image, scale)
    ramp = np.linspace(LEVELS - 1, 0, bar_height).astype(np.uint8)
    canvas[:, width + GAP : width + GAP + BAR] = ramp[:, None]
    picture = Image.fromarray(canvas, mode="P")
    picture.putpalette(_palette())
    draw = ImageDraw.Draw(picture)
    left = width + GAP + BAR + 4
    draw.text((left, 0), _number(scale.high), fill=BLACK, font=_font())
    draw.text((left, bar_height - 14), _number(scale.low), fill=BLACK, font=_font())
    if scale.log:
        draw.text((left, bar_height // 2 - 7), "log", fill=BLACK, font=_font())
    buffer = io.BytesIO()
    # Level 1: a frame is drawn on every slider step; the palette keeps it small anyway.
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def render_frame(
    path: Path, plot: NexusPlot, frame: int, width_px: int = 800
) -> tuple[bytes, Scale]:
    """PNG of frame ``frame`` (0-based) at most ``width_px`` wide, and its colour scale."""
    data = read_frame(path, plot, frame)
    if data.dtype.kind == "b":
        data = data.astype(np.uint8)
    image = pool(data, width_px)
    scale = scale_of(image)
    # A small detector (or a strongly binned one) is shown with square pixels, not as a stamp.
    factor = max(1, min(8, MIN_SIDE // max(image.shape)))
    if factor > 1:
        image = np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
    return png(image, scale), scale
