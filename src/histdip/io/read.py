"""Reading image files into arrays: :func:`read_image`, with one-line errors.

Supported files: PNG, JPEG, BMP (through :mod:`imageio`) and TIFF (through
:mod:`tifffile`). The decoder is chosen from the file's first bytes, so a PNG saved
with a ``.tif`` name still reads; the extension must still be one of
:data:`READ_EXTENSIONS`.

The array comes back in the file's own dtype and units, shaped ``(H, W)`` (grey) or
``(H, W, C)`` (colour), with these normalisations:

* singleton axes are dropped: ``(1, H, W)`` and ``(H, W, 1)`` become ``(H, W)``;
* a TIFF stored channel-first, ``(C, H, W)`` with C = 2, 3 or 4 and both H and W larger
  than 4, is moved to channel-last ``(H, W, C)`` (ImageJ and many microscope programs
  write colour that way);
* a CMYK JPEG is converted to RGB (its fourth channel is black ink, not alpha);
* a fourth channel is taken to be alpha and dropped (RGBA -> RGB); a two-channel PNG
  (grey + alpha) becomes grey, while a two-channel TIFF keeps both planes (pick one with
  ``channel=0`` or ``1``, ``'auto'`` picks the brighter signal);
* bool images become uint8 0/255; float16 becomes float32; signed or 32-bit integer
  images become float32 with their values kept (histdip's native scales are uint8,
  uint16 and float).

Refused, with :class:`~histdip.errors.InputError` naming the file and the problem in one
line: a missing path, a folder, an empty file, a text or otherwise unrecognised file, a
truncated or corrupt PNG/JPEG/BMP/TIFF, a TIFF compressed with a codec that needs the
``imagecodecs`` package when it is not installed, an unsupported extension, a header
that declares more than :data:`MAX_PIXELS` pixels (checked before any pixel is decoded,
so a decompression bomb allocates nothing), an image with no pixels or smaller than
:data:`MIN_SIDE` x :data:`MIN_SIDE` pixels, float data with NaN or Inf, and stacks: a 3-D array with more than four planes (z-stacks, time series) or
any array with more than three non-singleton axes. Stacks whose axes are named (OME-TIFF,
ImageJ hyperstacks) are read by :func:`histdip.io.read_microscopy` and restored plane by
plane (:func:`histdip.restore_stack`); this reader takes one image.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..validate import MIN_SIDE  # re-exported: histdip.io.MIN_SIDE

#: Most pixels (height x width, times the frames of a stack) :func:`read_image` decodes:
#: 2**27, about 134 Mpx (11585 x 11585), below Pillow's own decompression-bomb limit.
#: Larger images are restored tile by tile from OME-Zarr (docs/omezarr.md).
MAX_PIXELS = 2**27

#: Extensions :func:`read_image` accepts (lower case).
READ_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),  # BigTIFF
    (b"MM\x00+", "TIFF"),
    (b"BM", "BMP"),
)
_EXPECTED = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP"}


def read_image(path):
    """Read an image file into a NumPy array in its native dtype.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    ndarray, shape (H, W) or (H, W, C)
        See the module docstring for the normalisations applied.

    Raises
    ------
    InputError
        One line naming the file and what is wrong with it.
    """
    path = Path(path)
    kind = _sniff(path)
    try:
        with warnings.catch_warnings(), decoder_messages() as said:
            warnings.simplefilter("ignore")
            array = _read_tiff(path, said) if kind == "TIFF" else _read_pillow(path)
    except InputError:
        raise
    except MemoryError:
        raise InputError(f"{path}: image too large to load into memory") from None
    except Exception as err:  # decoders raise anything: OSError, ValueError, SyntaxError...
        text = _short(err).strip("'\"") if isinstance(err, KeyError) else _short(err)  # KeyError quotes its text
        if "imagecodecs" in text:  # a valid file whose codec is an optional package
            raise InputError(f"{path}: cannot decode this {kind} ({text}); pip install imagecodecs") from None
        raise InputError(f"{path}: corrupt or truncated {kind} file ({text})") from None
    return _normalise(path, np.asarray(array), kind)


@contextlib.contextmanager
def decoder_messages():
    """Collect what tifffile logs while a file is opened, instead of printing it.

    tifffile logs a broken file's problems (``invalid offset to first page``) where
    other decoders raise them; with no logging configured Python prints them on stderr,
    beside histdip's own one-line error. Inside this block they go to the list it
    yields (for the error message), not to any handler.
    """
    said = []

    class _Collect(logging.Handler):
        def emit(self, record):
            said.append(record.getMessage())

    logger = logging.getLogger("tifffile")
    handler, propagate = _Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield said
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _read_tiff(path, said):
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if not len(tif.pages) or not tif.series:
            why = re.sub(r"^<[^>]*>\s*", "", said[-1]) if said else "it holds no image"
            raise InputError(f"{path}: corrupt TIFF file ({why})")
        series = tif.series[0]
        check_declared_size(path, [n for n, axis in zip(series.shape, series.axes) if axis != "S"])
        return tif.asarray()


def _read_pillow(path):
    import imageio.v3 as iio
    from PIL import Image

    try:
        with Image.open(path) as im:  # reads the header only
            (width, height), mode = im.size, im.mode
    except Image.DecompressionBombError as err:  # over twice Pillow's limit: its message has the count
        found = re.search(r"\((\d+) pixels\)", str(err))
        check_declared_size(path, None, int(found.group(1)) if found else None)
    check_declared_size(path, (height, width))
    return iio.imread(path, mode="RGB") if mode == "CMYK" else iio.imread(path)


def check_declared_size(path, shape, pixels=None):
    """Refuse, with an :class:`InputError`, a file whose header declares more than
    :data:`MAX_PIXELS` pixels: ``shape`` is what it declares, colour samples left out
    (None: Pillow refused it first, for more than twice its own limit, having counted
    ``pixels``). Called before anything is decoded or allocated."""
    if shape is not None:
        pixels = int(np.prod(shape, dtype=np.float64))
        if pixels <= MAX_PIXELS:
            return
    if shape is None:
        declared = "more than 179 Mpx" if pixels is None else f"{pixels / 1e6:.0f} Mpx"
    else:
        frames = int(np.prod(shape[:-2], dtype=np.float64))
        declared = (f"{shape[-1]}x{shape[-2]} pixels" + (f" in {frames} frames" if frames > 1 else "")
                    + f" ({pixels / 1e6:.0f} Mpx)")
    raise InputError(f"{path}: declares an image of {declared}, more than histdip reads into memory "
                     f"({MAX_PIXELS / 1e6:.0f} Mpx): a damaged header or a decompression bomb; restore a larger "
                     "image from OME-Zarr, tile by tile")


def _sniff(path):
    """Check the path and return the format named by the file's first bytes."""
    if not path.exists():
        if path.is_symlink():
            raise InputError(f"{path}: broken link (its target does not exist)")
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an image file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    ext = path.suffix.lower()
    if ext not in READ_EXTENSIONS:
        shown = ext or "(no extension)"
        raise InputError(
            f"{path}: unsupported file type {shown}; histdip reads {', '.join(e[1:].upper() for e in READ_EXTENSIONS)}"
        )
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror or err})") from None
    if size == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    expected = _EXPECTED[ext]
    if _looks_like_text(head):
        raise InputError(f"{path}: is a text file, not a {expected} image")
    raise InputError(f"{path}: not a {expected} image (unrecognised content)")


def _looks_like_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the 512 bytes.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _short(err):
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _normalise(path, array, kind):
    if array.dtype == object or np.issubdtype(array.dtype, np.complexfloating):
        raise InputError(f"{path}: unsupported pixel type {array.dtype}")
    if array.size == 0:
        raise InputError(f"{path}: image has no pixels (shape {array.shape})")
    # Drop singleton axes, but never H or W themselves (a 1-pixel-wide image is refused
    # below by size, not reshaped into something else).
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    while array.ndim > 2 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim > 3:
        raise InputError(
            f"{path}: is a {array.ndim}-D stack of shape {array.shape} whose axes are not named; save it as "
            "OME-TIFF or an ImageJ hyperstack (histdip restores those plane by plane), or one 2-D frame per file"
        )
    if array.ndim == 3:
        if array.shape[-1] > 4:
            if kind == "TIFF" and 2 <= array.shape[0] <= 4 and min(array.shape[1:]) > 4:
                array = np.moveaxis(array, 0, -1)  # channel-first colour TIFF; a PNG's frames are not colours
            else:
                raise InputError(
                    f"{path}: is a stack of {array.shape[0]} frames of {array.shape[1]}x{array.shape[2]}; "
                    "its axes are not named: save it as OME-TIFF or an ImageJ hyperstack (histdip restores those "
                    "plane by plane), or one 2-D frame per file"
                )
        channels = array.shape[-1]
        if channels == 4:
            array = array[..., :3]
        elif channels == 2 and kind != "TIFF":
            array = array[..., 0]
    if array.ndim < 2:
        raise InputError(f"{path}: not a 2-D image (shape {array.shape})")
    height, width = array.shape[:2]
    if height * width == 0:
        raise InputError(f"{path}: image has no pixels (shape {array.shape})")
    if height < MIN_SIDE or width < MIN_SIDE:
        raise InputError(
            f"{path}: image is only {width}x{height} pixels; histdip needs at least {MIN_SIDE}x{MIN_SIDE}"
        )
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype == np.float16:
        array = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.integer) and array.dtype not in (np.uint8, np.uint16):
        array = array.astype(np.float32)
    if np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array)
        if bad.any():
            nans = int(np.isnan(array).sum())
            infs = int(bad.sum()) - nans
            what = " and ".join(p for p in (f"{nans} NaN" if nans else "", f"{infs} Inf" if infs else "") if p)
            raise InputError(f"{path}: contains {what} pixel value(s); histdip needs finite intensities")
    return np.ascontiguousarray(array)
