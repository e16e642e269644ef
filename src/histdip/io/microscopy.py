"""Microscopy TIFFs with their metadata: :func:`read_microscopy`, :func:`probe_microscopy`
and :func:`write_microscopy`.

:func:`~histdip.io.read_image` reads one 2-D image; this module reads a whole OME-TIFF,
ImageJ hyperstack or tifffile-shaped TIFF, stacks included, and keeps what a microscope
recorded about it (:class:`MicroscopyMeta`): the axes, the pixel size of each axis in
µm, the channel names, the frame interval and which kind of file it was. Everything is
read by :mod:`tifffile` (``series[0].axes``, the OME-XML as a dict through
:func:`tifffile.xml2dict`, ``imagej_metadata``, the resolution tags) and written by it
again, as an OME-TIFF (``ome=True``) for an OME input, an ImageJ hyperstack
(``imagej=True``) for an ImageJ input, and a shaped TIFF (the axes in tifffile's own
metadata) otherwise, atomically (:func:`histdip.io.atomic.atomic_output`).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .atomic import atomic_output
from .pixel_size import read_pixel_size
from .write import encode_for_file

#: The kinds of file :func:`read_microscopy` tells apart.
KINDS = ("ome", "imagej", "plain")

#: Axes that make a file a stack: time, depth and (OME / ImageJ) channels. 'S', the
#: colour samples of a photo, does not: an RGB image stays one plane.
STACK_AXES = "TZC"

#: Length units to micrometres (OME's and ImageJ's spellings).
UNITS_UM = {"m": 1e6, "cm": 1e4, "mm": 1e3, "µm": 1.0, "μm": 1.0, "um": 1.0, "micron": 1.0, "microns": 1.0,
            "micrometer": 1.0, "micrometre": 1.0, "nm": 1e-3, "nanometer": 1e-3, "nanometre": 1e-3, "å": 1e-4}

#: Time units to seconds.
UNITS_S = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "min": 60.0, "h": 3600.0}

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


@dataclass(frozen=True)
class MicroscopyMeta:
    """What a microscopy TIFF says about its pixels.

    Attributes
    ----------
    axes : str
        One letter per array axis, tifffile's: ``T`` time, ``Z`` depth, ``C`` channel,
        ``Y``, ``X``, ``S`` colour samples (e.g. ``"TCYX"``, ``"ZYX"``, ``"YXS"``).
    kind : str
        ``'ome'``, ``'imagej'`` or ``'plain'``: which metadata the file carried, and
        the format :func:`write_microscopy` writes back.
    pixel_size : dict
        µm per pixel along ``X``, ``Y`` and ``Z`` where the file says (keys absent where
        it does not).
    channel_names : tuple of str or None
        One name per entry of the ``C`` axis, where the file names them.
    frame_interval : float or None
        Seconds between two entries of the ``T`` axis, where the file says.
    shape : tuple of int
        The array's shape.
    dtype : str
        The file's pixel type.
    """

    axes: str
    kind: str = "plain"
    pixel_size: dict = field(default_factory=dict)
    channel_names: tuple | None = None
    frame_interval: float | None = None
    shape: tuple = ()
    dtype: str = ""

    @property
    def is_stack(self):
        """Whether the file holds more than one plane along T, Z or C."""
        return any(a in STACK_AXES for a in self.axes)

    @property
    def spacing(self):
        """(dz, dy, dx) in µm where the file gives all three, else None: what a 3-D
        restoration reads its anisotropy from (:func:`histdip.volume.restore_volume`)."""
        sizes = tuple(self.pixel_size.get(axis) for axis in "ZYX")
        return sizes if all(s is not None and s > 0 for s in sizes) else None

    def replace(self, **changes):
        """A copy with ``changes`` (``axes=``, ``shape=`` ...)."""
        return dataclasses.replace(self, **changes)


def probe_microscopy(path):
    """The :class:`MicroscopyMeta` of a TIFF, reading no pixels; None for anything else.

    A file that is not a TIFF, or that tifffile cannot parse, gives None: the caller
    reads it as a 2-D image, whose reader explains what is wrong with it.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            if handle.read(4) not in _TIFF_MAGIC:
                return None
        import tifffile

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with tifffile.TiffFile(path) as tif:
                return _meta(tif, path)
    except Exception:  # probing decides a route only; read_image reports the real problem
        return None


def read_microscopy(path):
    """Read a microscopy TIFF, stacks included, with its metadata.

    Parameters
    ----------
    path : path-like
        An OME-TIFF, an ImageJ TIFF or any TIFF tifffile reads.

    Returns
    -------
    array : ndarray
        The first series at full resolution, axes as ``meta.axes`` (singleton axes
        dropped, as tifffile does). uint8, uint16 and float32 are kept; other integers,
        float16 and float64 become float32, bool uint8 0/255.
    meta : MicroscopyMeta

    Raises
    ------
    InputError
        One line: not a TIFF, corrupt, empty, NaN or Inf values, an unsupported pixel type.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    with open(path, "rb") as handle:
        if handle.read(4) not in _TIFF_MAGIC:
            raise InputError(f"{path}: not a TIFF file; stacks are read from OME-TIFF or ImageJ TIFF")
    import tifffile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with tifffile.TiffFile(path) as tif:
                meta = _meta(tif, path)
                array = tif.series[0].asarray()
    except MemoryError:
        raise InputError(f"{path}: stack too large to load into memory") from None
    except Exception as err:  # tifffile raises anything on a broken file
        text = " ".join(str(err).split())[:120] or type(err).__name__
        raise InputError(f"{path}: corrupt or truncated TIFF file ({text})") from None
    array = _native(path, np.asarray(array))
    return array, meta.replace(shape=tuple(array.shape), dtype=str(array.dtype))


def write_microscopy(path, array, meta, *, like_dtype=None, keep_dtype=False, overwrite=False, protect=()):
    """Write ``array`` with ``meta`` as the kind of file it came from, atomically.

    Parameters
    ----------
    path : path-like
        ``.tif`` / ``.tiff`` (an OME input is usually written as ``.ome.tif``).
    array : ndarray
        Axes as ``meta.axes``.
    meta : MicroscopyMeta
        ``kind`` picks the format: ``'ome'`` an OME-TIFF with the axes, physical sizes
        (µm) and channel names; ``'imagej'`` an ImageJ hyperstack with its resolution,
        unit, spacing and channel labels; ``'plain'`` a TIFF with tifffile's axes.
    like_dtype : dtype, optional
        The input's dtype, for ``keep_dtype``.
    keep_dtype : bool
        Round and clip to an integer ``like_dtype`` instead of writing float32.
    overwrite, protect
        As :func:`histdip.io.atomic.atomic_output`.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"{path}: a stack is written as TIFF; give a .tif or .ome.tif output")
    array = np.asarray(array)
    if array.ndim != len(meta.axes):
        raise InputError(f"cannot write an array of shape {array.shape} with axes {meta.axes}")
    data = _encode(array, meta.axes, like_dtype, keep_dtype)
    kwargs = _writer_kwargs(meta, data)
    import tifffile

    with atomic_output(path, overwrite=overwrite, protect=protect) as tmp:
        tifffile.imwrite(tmp, data, **kwargs)
    return path


def _meta(tif, path):
    series = tif.series[0]
    axes = series.axes
    if tif.is_ome:
        kind = "ome"
        sizes, names, interval = _from_ome(tif.ome_metadata)
    elif tif.is_imagej:
        kind = "imagej"
        sizes, names, interval = _from_imagej(tif.imagej_metadata or {}, tif.pages[0], axes, series.shape)
    else:
        kind = "plain"
        size = read_pixel_size(path)
        sizes, names, interval = ({"X": size, "Y": size} if size else {}), None, None
    if names is not None and ("C" not in axes or len(names) != series.shape[axes.index("C")]):
        names = None  # names that do not match the channels would label the wrong ones
    return MicroscopyMeta(axes=axes, kind=kind, pixel_size=sizes, channel_names=names, frame_interval=interval,
                          shape=tuple(series.shape), dtype=str(series.dtype))


def _microns(value, unit):
    factor = UNITS_UM.get(str(unit).strip().lower().replace("\\u00b5", "µ"))
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value * factor if factor and value > 0 and np.isfinite(value) else None


def _seconds(value, unit):
    factor = UNITS_S.get(str(unit).strip().lower())
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value * factor if factor and value > 0 else None


def _from_ome(xml):
    import tifffile

    image = tifffile.xml2dict(xml or "<OME/>").get("OME", {}).get("Image", {})
    image = image[0] if isinstance(image, list) else image
    pixels = (image or {}).get("Pixels", {}) or {}
    sizes = {}
    for axis in "XYZ":
        size = _microns(pixels.get(f"PhysicalSize{axis}"), pixels.get(f"PhysicalSize{axis}Unit", "µm"))
        if size:
            sizes[axis] = size
    channels = pixels.get("Channel", [])
    channels = [channels] if isinstance(channels, dict) else channels
    names = tuple(str(c.get("Name", "")) for c in channels)
    interval = _seconds(pixels.get("TimeIncrement"), pixels.get("TimeIncrementUnit", "s"))
    return sizes, (names if names and all(names) else None), interval


def _from_imagej(ij, page, axes, shape):
    unit = ij.get("unit") or ""
    sizes = {}
    if unit:
        x, y = page.resolution
        for axis, per_unit in (("X", x), ("Y", y)):
            size = _microns(1.0 / per_unit, unit) if per_unit and per_unit > 0 else None
            if size:
                sizes[axis] = size
        if "spacing" in ij and _microns(ij["spacing"], unit):
            sizes["Z"] = _microns(ij["spacing"], unit)
    names = None
    labels = ij.get("Labels")
    if labels and "C" in axes:
        # ImageJ labels each plane, channels fastest (TZC order): channel names are the
        # labels of the first C planes when every later plane repeats them.
        n = shape[axes.index("C")]
        if len(labels) % n == 0 and all(labels[i] == labels[i % n] for i in range(len(labels))):
            names = tuple(str(name) for name in labels[:n])
    interval = _seconds(ij.get("finterval"), ij.get("tunit", "s")) if ij.get("finterval") else None
    return sizes, names, interval


def _native(path, array):
    if array.dtype == object or np.issubdtype(array.dtype, np.complexfloating):
        raise InputError(f"{path}: unsupported pixel type {array.dtype}")
    if array.size == 0:
        raise InputError(f"{path}: image has no pixels (shape {array.shape})")
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if array.dtype not in (np.uint8, np.uint16, np.float32):
        array = array.astype(np.float32)
    if array.dtype == np.float32 and not np.isfinite(array).all():
        raise InputError(f"{path}: contains NaN or Inf pixel values; histdip needs finite intensities")
    return np.ascontiguousarray(array)


def _encode(array, axes, like_dtype, keep_dtype):
    # The 2-D writer's own rule (float32, or the input's integer type rounded and
    # clipped), applied plane by plane so stacks and single images agree.
    plane_ndim = 3 if axes.endswith("S") else 2
    planes = array.reshape((-1,) + array.shape[array.ndim - plane_ndim:])
    encoded = [encode_for_file(p, ".tif", like_dtype=like_dtype, keep_dtype=keep_dtype) for p in planes]
    return np.stack(encoded).reshape(array.shape)


def _writer_kwargs(meta, data):
    axes, sizes = meta.axes, meta.pixel_size
    photometric = "rgb" if axes.endswith("S") and data.shape[-1] in (3, 4) else "minisblack"
    kwargs = {"photometric": photometric}
    names = list(meta.channel_names) if meta.channel_names and "C" in axes and \
        len(meta.channel_names) == data.shape[axes.index("C")] else None
    if meta.kind == "ome":
        md = {"axes": axes}
        for axis in "XYZ":
            if axis in sizes:
                md[f"PhysicalSize{axis}"] = float(sizes[axis])
                md[f"PhysicalSize{axis}Unit"] = "µm"
        if names:
            md["Channel"] = {"Name": names}
        if meta.frame_interval:
            md["TimeIncrement"], md["TimeIncrementUnit"] = float(meta.frame_interval), "s"
        kwargs.update(ome=True, metadata=md)
    elif meta.kind == "imagej":
        md = {"axes": axes}
        if sizes:
            md["unit"] = "um"
        if "Z" in sizes:
            md["spacing"] = float(sizes["Z"])
        if meta.frame_interval:
            md["finterval"] = float(meta.frame_interval)
        if names:
            planes = int(np.prod([n for a, n in zip(axes, data.shape) if a in "TZC"]))
            md["Labels"] = [names[i % len(names)] for i in range(planes)]
        kwargs.update(imagej=True, metadata=md)
    else:
        kwargs.update(metadata={"axes": axes})
    if "X" in sizes:
        # Pixels per unit: µm for ImageJ (its 'unit'), centimetres for the others so that
        # any TIFF reader (and histdip.io.read_pixel_size) finds the scale.
        per_um = (1.0 / sizes["X"], 1.0 / sizes.get("Y", sizes["X"]))
        if meta.kind == "imagej":
            kwargs["resolution"] = per_um
        else:
            kwargs.update(resolution=(per_um[0] * 1e4, per_um[1] * 1e4), resolutionunit="CENTIMETER")
    return kwargs
