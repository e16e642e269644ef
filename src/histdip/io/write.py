"""Writing arrays to image files: :func:`write_image`, and the conversion it applies
(:func:`encode_for_file`, :func:`display_range`).

The format follows the extension:

``.tif`` / ``.tiff``
    float32 by default, exactly the values computed. With ``keep_dtype=True`` and an
    integer ``like_dtype`` (the input's dtype), values are rounded and clipped to that
    dtype's range and written as that dtype.
``.png``
    8-bit, for viewing and sharing. Values are mapped from the input's scale:
    uint8 as is; uint16 divided by 257 (65535 -> 255); float through ``value_range``
    ``(lo, hi)`` -> 0-255 (default :func:`display_range` of the array: 0-1 if the data
    lie in [0, 1], 0-255 if they lie in [0, 255], otherwise their own min-max);
    all rounded and clipped. With ``keep_dtype=True`` and a uint16 grey input a 16-bit
    PNG is written instead.
``.jpg`` / ``.jpeg``
    Refused: JPEG is lossy, which defeats a restoration; write ``.tif`` or ``.png``.

Every write is atomic and refuses to clobber (:func:`histdip.io.atomic.atomic_output`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import HistdipError, InputError
from .atomic import atomic_output

#: Extensions :func:`write_image` writes (lower case).
WRITE_EXTENSIONS = (".tif", ".tiff", ".png")


def display_range(array):
    """The (lo, hi) of a float image's intensity scale, for 8-bit export.

    ``(0, 1)`` if all values lie in [0, 1], ``(0, 255)`` if they lie in [0, 255],
    otherwise the array's own ``(min, max)``. Integer arrays give their dtype's range.
    """
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        return float(info.min), float(info.max)
    finite = array[np.isfinite(array)] if array.size else array
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if lo >= 0 and hi <= 255:
        return 0.0, 255.0
    return lo, (hi if hi > lo else lo + 1.0)


def write_image(path, array, *, like_dtype=None, keep_dtype=False, overwrite=False, value_range=None, protect=()):
    """Write an image atomically; the format follows the extension.

    Parameters
    ----------
    path : path-like
        ``.tif``/``.tiff`` or ``.png`` (``.jpg`` is refused: lossy).
    array : ndarray, (H, W) or (H, W, C)
        Values on the input's intensity scale.
    like_dtype : dtype, optional
        The input's dtype: sets the scale of a PNG and the dtype of a ``keep_dtype`` TIFF.
        Defaults to ``array.dtype``.
    keep_dtype : bool
        TIFF: write ``like_dtype`` (rounded, clipped) instead of float32. PNG: write 16-bit
        for a uint16 grey input.
    overwrite : bool
        Replace an existing file.
    value_range : (float, float), optional
        For float data written to PNG: the intensities mapped to 0 and 255
        (default :func:`display_range` of ``array``).
    protect : iterable of path-like
        Paths never to write (the inputs), even with ``overwrite``.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext in (".jpg", ".jpeg"):
        raise InputError(f"{path}: will not write JPEG (lossy); use .tif for exact values or .png for viewing")
    if ext not in WRITE_EXTENSIONS:
        raise InputError(
            f"{path}: cannot write {ext or 'files without an extension'}; use .tif (exact values) or .png (8-bit)"
        )
    data = encode_for_file(array, ext, like_dtype=like_dtype, keep_dtype=keep_dtype, value_range=value_range)
    with atomic_output(path, overwrite=overwrite, protect=protect) as tmp:
        if ext in (".tif", ".tiff"):
            import tifffile

            photometric = "rgb" if data.ndim == 3 and data.shape[-1] == 3 else "minisblack"
            tifffile.imwrite(tmp, data, photometric=photometric)
        else:
            import imageio.v3 as iio

            iio.imwrite(tmp, data, extension=".png")
    return path


def encode_for_file(array, ext, *, like_dtype=None, keep_dtype=False, value_range=None):
    """The array exactly as :func:`write_image` stores it for extension ``ext``."""
    array = np.asarray(array)
    if array.ndim not in (2, 3) or array.size == 0:
        raise InputError(f"cannot write an image of shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number) and array.dtype != np.bool_:
        raise InputError(f"cannot write pixels of type {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise HistdipError("refusing to write: the result contains NaN or Inf values")
    like = np.dtype(like_dtype) if like_dtype is not None else array.dtype
    integer_like = np.issubdtype(like, np.integer)
    ext = ext.lower()
    if ext in (".tif", ".tiff"):
        if keep_dtype and integer_like:
            return _to_int(array, like)
        return array.astype(np.float32)
    # PNG
    if array.ndim == 3 and array.shape[-1] not in (3, 4):
        raise InputError(f"cannot write a {array.shape[-1]}-channel image as PNG; use .tif")
    if keep_dtype and like == np.uint16:
        if array.ndim == 3:
            raise InputError("16-bit colour PNG is not supported; use .tif to keep 16-bit colour")
        return _to_int(array, np.dtype(np.uint16))
    if like == np.uint8:
        return _to_int(array, np.dtype(np.uint8))
    if like == np.uint16:
        return _to_int(np.asarray(array, dtype=np.float64) / 257.0, np.dtype(np.uint8))
    if integer_like:
        lo, hi = np.iinfo(like).min, np.iinfo(like).max
    else:
        lo, hi = value_range if value_range is not None else display_range(array)
    scaled = (np.asarray(array, dtype=np.float64) - lo) * (255.0 / max(float(hi) - float(lo), 1e-12))
    return _to_int(scaled, np.dtype(np.uint8))


def _to_int(array, dtype):
    info = np.iinfo(dtype)
    return np.clip(np.rint(np.asarray(array, dtype=np.float64)), info.min, info.max).astype(dtype)
