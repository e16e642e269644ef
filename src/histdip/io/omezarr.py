"""OME-Zarr images larger than memory: read lazily, written tile by tile.

:func:`open_omezarr` opens an OME-Zarr image with ``ome_zarr.reader``: its level-0
array (a lazy dask array, read a window at a time), its axes, the pixel size of level 0
(the ``scale`` of its coordinate transformations) and the channel names of its
``omero`` metadata. :class:`OmeZarrWriter` writes an image with the same axes, pixel
size and channel names: level 0 is filled window by window into a chunked zarr array,
then ``ome_zarr.writer.write_image`` streams it, chunk by chunk, into the OME-Zarr
image with a small pyramid. Everything is written into a temporary folder beside the
destination, which is renamed into place only when complete (a ``.zarr`` image is a
folder); an existing destination is refused unless ``overwrite``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

#: Names of a colour (RGB) image's channels: a ``c`` axis of three so named is one
#: colour image, as a photo; any other ``c`` axis holds separate channels.
RGB_LABELS = (("r", "g", "b"), ("red", "green", "blue"))

#: The pyramid stops before a level's shorter side falls below this, and after
#: :data:`MAX_LEVELS` levels beyond level 0.
MIN_LEVEL_SIDE = 256
MAX_LEVELS = 4

_AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}


def is_omezarr_path(path):
    """Whether ``path`` names a Zarr store: a ``.zarr`` name, or a folder holding Zarr
    metadata (``.zgroup``, ``.zattrs`` or ``zarr.json``)."""
    path = Path(path)
    if path.suffix.lower() == ".zarr":
        return True
    return path.is_dir() and any((path / name).is_file() for name in (".zgroup", ".zattrs", "zarr.json"))


@dataclass(frozen=True, eq=False)
class OmeZarrImage:
    """An OME-Zarr image opened lazily (:func:`open_omezarr`).

    Attributes
    ----------
    path : pathlib.Path
    levels : list of dask.array.Array
        The resolution levels, largest first; ``levels[0]`` is the full image. Nothing
        is read until a window of one is computed.
    axes : tuple of str
        Axis names in array order, e.g. ``('c', 'y', 'x')``.
    units : dict
        Each spatial or time axis's unit, where the file gives one.
    scale : dict
        Level 0's pixel size per axis (1.0 where the file gives none).
    channel_names : list of str or None
        The ``omero`` channel labels, one per index of the ``c`` axis.
    channel_colors : list of str or None
        Their ``omero`` colours (hex), where given.
    version : str
        The OME-NGFF version of the file (``0.4``, ``0.5``).
    """

    path: Path
    levels: list
    axes: tuple
    units: dict
    scale: dict
    channel_names: list | None
    channel_colors: list | None
    version: str

    @property
    def array(self):
        """Level 0, the full-resolution image (lazy)."""
        return self.levels[0]

    @property
    def shape(self):
        return tuple(self.array.shape)

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def yx(self):
        """(height, width) of level 0."""
        return self.shape[self.axes.index("y")], self.shape[self.axes.index("x")]

    @property
    def is_rgb(self):
        """Whether the ``c`` axis is one colour photo's red, green and blue."""
        if "c" not in self.axes or self.shape[self.axes.index("c")] != 3 or not self.channel_names:
            return False
        return tuple(n.strip().lower() for n in self.channel_names) in RGB_LABELS


def open_omezarr(path):
    """Open the OME-Zarr image at ``path`` without reading its pixels.

    Raises
    ------
    InputError
        Not there, not an OME-Zarr image (no ``multiscales``), or no ``y`` and ``x``
        axes; one line naming the path.
    """
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Multiscales, Reader

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such OME-Zarr image")
    if not path.is_dir():
        raise InputError(f"{path}: not an OME-Zarr image (a .zarr image is a folder)")
    with _quiet_ome_zarr():
        try:
            location = parse_url(str(path))
            nodes = [] if location is None else list(Reader(location)())
        except Exception as err:  # zarr and ome-zarr raise many types for a bad store
            detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise InputError(f"{path}: cannot read as OME-Zarr ({detail})") from None
    node = next((n for n in nodes if n.load(Multiscales) is not None), None)
    if node is None or not node.data:
        raise InputError(f"{path}: not an OME-Zarr image (no multiscales metadata)")
    meta = node.metadata
    raw_axes = _raw_axes(location.root_attrs) or meta.get("axes") or []
    axes = tuple((a["name"] if isinstance(a, dict) else str(a)).lower() for a in raw_axes)
    if not axes:  # versions 0.1 and 0.2 have no axes: always t, c, z, y, x
        axes = ("t", "c", "z", "y", "x")[-node.data[0].ndim:]
    if "y" not in axes or "x" not in axes or len(axes) != node.data[0].ndim:
        raise InputError(f"{path}: needs y and x axes, has {', '.join(axes) or 'none'}")
    units = {a["name"].lower(): a["unit"] for a in raw_axes if isinstance(a, dict) and a.get("unit")}
    transforms = (meta.get("coordinateTransformations") or [None])[0] or []
    level0 = next((t["scale"] for t in transforms if t.get("type") == "scale"), None)
    scale = {a: float(s) for a, s in zip(axes, level0)} if level0 else dict.fromkeys(axes, 1.0)
    names = meta.get("channel_names")
    colors = [c.get("color") for c in location.root_attrs.get("omero", {}).get("channels", [])] or None
    return OmeZarrImage(path, list(node.data), axes, units, scale, list(names) if names else None, colors,
                        location.version)


def _raw_axes(attrs):
    # The reader's axes drop their units; the file's own list keeps them.
    multiscales = attrs.get("multiscales") or [{}]
    return multiscales[0].get("axes")


@contextlib.contextmanager
def _quiet_ome_zarr():
    # ome_zarr warns on every 0.4 file opened ("version mismatch") that it reads fine.
    logger = logging.getLogger("ome_zarr")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def pyramid_factors(height, width):
    """The pyramid's downsampling factors (2, 4, ...) for level 0 of ``height`` x
    ``width``: halvings while the shorter side stays at least :data:`MIN_LEVEL_SIDE`."""
    factors, f = [], 2
    while len(factors) < MAX_LEVELS and min(height, width) // f >= MIN_LEVEL_SIDE:
        factors.append(f)
        f *= 2
    return factors


class OmeZarrWriter:
    """Write an OME-Zarr image window by window; the output appears whole or not at all.

    Use as a context manager. :meth:`write` puts a block of level 0 in place (blocks
    aligned to ``chunks`` write whole chunks, so nothing is read back); when the block
    ends normally the pyramid is built from level 0 as stored and the image is renamed
    onto ``path``. When it raises, the temporary folder is removed and ``path`` is left
    as it was.

    Parameters
    ----------
    path : path-like
        The destination, a ``.zarr`` folder.
    shape : tuple of int
        Level 0's shape, in ``axes`` order.
    axes : sequence of str
        Axis names (``t``, ``c``, ``z``, ``y``, ``x``) in OME-Zarr order.
    chunks : tuple of int
        Level 0's chunks (1 along every axis but ``y`` and ``x`` is the usual choice).
    scale, units : dict, optional
        Level 0's pixel size and each axis's unit.
    channel_names, channel_colors : list of str, optional
        ``omero`` labels and colours, one per index of the ``c`` axis.
    version : str
        OME-NGFF version written: ``0.4`` (Zarr v2) or ``0.5`` (Zarr v3).
    overwrite : bool
        Replace an existing image at ``path``.
    protect : iterable of path-like
        Paths never written (the inputs), even with ``overwrite``.
    """

    def __init__(self, path, shape, axes, chunks, *, scale=None, units=None, channel_names=None,
                 channel_colors=None, version="0.5", overwrite=False, protect=()):
        self.path = check_zarr_output(path, overwrite=overwrite, protect=protect)
        self.shape, self.axes, self.chunks = tuple(shape), tuple(axes), tuple(chunks)
        self.scale = {a: float((scale or {}).get(a, 1.0)) for a in self.axes}
        self.units = {a: u for a, u in (units or {}).items() if a in self.axes}
        self.channel_names, self.channel_colors = channel_names, channel_colors
        self.version, self.overwrite = str(version), overwrite
        self._tmp = self._level0 = None
        self._low = self._high = None  # running min and max per channel: the omero window

    def __enter__(self):
        import zarr

        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent))
        self._level0 = zarr.create_array(str(self._tmp / "level0.zarr"), shape=self.shape, chunks=self.chunks,
                                         dtype="float32", fill_value=0.0, zarr_format=3)
        n = self.shape[self.axes.index("c")] if "c" in self.axes else 1
        self._low, self._high = np.full(n, np.inf), np.full(n, -np.inf)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._finish()
        finally:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
        return False

    def write(self, index, y, x, block):
        """Put ``block`` (``(h, w)`` float) at row ``y``, column ``x`` of the plane that
        ``index`` (a dict of the other axes' positions, e.g. ``{'c': 1}``) names."""
        block = np.asarray(block, dtype=np.float32)
        h, w = block.shape
        where = tuple(slice(y, y + h) if a == "y" else slice(x, x + w) if a == "x" else index.get(a, 0)
                      for a in self.axes)
        self._level0[where] = block
        c = index.get("c", 0)
        self._low[c] = min(self._low[c], float(block.min()))
        self._high[c] = max(self._high[c], float(block.max()))

    def _finish(self):
        import dask.array as da
        import zarr
        from ome_zarr.format import FormatV04, FormatV05
        from ome_zarr.writer import write_image

        fmt = FormatV04() if self.version == "0.4" else FormatV05()
        out = self._tmp / "image.zarr"
        group = zarr.open_group(str(out), mode="w", zarr_format=fmt.zarr_format)
        # Level 0 as stored, read back a chunk at a time: the pyramid never holds the image.
        level0 = da.from_zarr(self._level0)
        axes = [{"name": a, "type": _AXIS_TYPES.get(a, "custom")} for a in self.axes]
        h, w = self.shape[self.axes.index("y")], self.shape[self.axes.index("x")]
        write_image(level0, group, scale_factors=pyramid_factors(h, w), fmt=fmt, axes=axes,
                    scale=self.scale, axes_units=self.units or None,
                    storage_options={"chunks": self.chunks}, name=self.path.name, **self._omero())
        shutil.rmtree(self._tmp / "level0.zarr")
        _rename_into_place(out, self.path, self.overwrite)

    def _omero(self):
        if "c" not in self.axes:
            return {}
        n = self.shape[self.axes.index("c")]
        names = self.channel_names or [f"channel_{i}" for i in range(n)]
        channels = []
        for i in range(n):
            lo, hi = (float(self._low[i]), float(self._high[i])) if np.isfinite(self._low[i]) else (0.0, 1.0)
            channel = {"label": str(names[i]), "active": True,
                       "window": {"min": lo, "max": hi, "start": lo, "end": hi}}
            colors = self.channel_colors or []
            color = colors[i] if i < len(colors) else None
            channel["color"] = color if isinstance(color, str) and len(color) == 6 else "FFFFFF"
            channels.append(channel)
        return {"omero": {"channels": channels}}


def check_zarr_output(path, *, overwrite=False, protect=()):
    """Refuse a ``.zarr`` destination that is an input, lies inside one, is a file, or
    (without ``overwrite``) exists; its folder must exist.

    Raises
    ------
    InputError
    """
    path = Path(path)
    target = os.path.abspath(path)
    for other in protect:
        source = os.path.abspath(other)
        if target == source or target.startswith(source + os.sep) or source.startswith(target + os.sep):
            raise InputError(f"{path}: output would overwrite the input {other}; choose another output path")
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: exists and is not a folder; refusing to replace it with an OME-Zarr image")
    if path.exists() and not overwrite:
        raise InputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)")
    if not path.parent.is_dir():
        raise InputError(f"{path}: output folder {path.parent} does not exist")
    return path


def _rename_into_place(tmp, path, overwrite):
    # A folder cannot be renamed over a non-empty one: an old image is moved aside
    # first and removed only once the new one is in place.
    old = None
    if path.exists():
        if not overwrite:
            raise InputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)")
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.rename(path, old / "image.zarr")
    try:
        os.rename(tmp, path)
    except BaseException:
        if old is not None:
            os.rename(old / "image.zarr", path)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
