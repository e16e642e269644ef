"""Reading and writing images, with one-line errors and atomic, no-clobber writes.

Reading (:func:`read_image`)
----------------------------
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
* a fourth channel is taken to be alpha and dropped (RGBA -> RGB); a two-channel PNG
  (grey + alpha) becomes grey, while a two-channel TIFF keeps both planes (pick one with
  ``channel=0`` or ``1``, ``'auto'`` picks the brighter signal);
* bool images become uint8 0/255; float16 becomes float32; signed or 32-bit integer
  images become float32 with their values kept (histdip's native scales are uint8,
  uint16 and float).

Refused, with :class:`~histdip.errors.InputError` naming the file and the problem in one
line: a missing path, a folder, an empty file, a text or otherwise unrecognised file, a
truncated or corrupt PNG/JPEG/BMP/TIFF, an unsupported extension, an image with no
pixels or smaller than :data:`MIN_SIDE` x :data:`MIN_SIDE` pixels, float data with NaN
or Inf, and stacks: a 3-D array with more than four planes (z-stacks, time series) or
any array with more than three non-singleton axes. Stacks are not yet supported; save
the frame you want as its own file.

Writing (:func:`write_image`)
-----------------------------
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

Every write goes to a temporary file in the destination folder which is renamed over
the destination only once complete (:func:`atomic_output`), so a failure or an
interrupt never leaves a partial file. An existing destination is refused unless
``overwrite=True``, and a path listed in ``protect`` (the inputs) is refused even with
``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .errors import HistdipError, InputError

#: Extensions :func:`read_image` accepts (lower case).
READ_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
#: Extensions :func:`write_image` writes (lower case).
WRITE_EXTENSIONS = (".tif", ".tiff", ".png")
#: Smallest image side accepted by :func:`read_image`. Below 8 x 8 pixels there is no
#: histogram to speak of and every network scale would be padding.
MIN_SIDE = 8

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


# --------------------------------------------------------------------------- reading
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "TIFF":
                import tifffile

                array = tifffile.imread(path)
            else:
                import imageio.v3 as iio

                array = iio.imread(path)
    except InputError:
        raise
    except MemoryError:
        raise InputError(f"{path}: image too large to load into memory") from None
    except Exception as err:  # decoders raise anything: OSError, ValueError, SyntaxError...
        raise InputError(f"{path}: corrupt or truncated {kind} file ({_short(err)})") from None
    return _normalise(path, np.asarray(array), kind)


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
            f"{path}: is a {array.ndim}-D stack of shape {array.shape}; stacks are not yet supported "
            "(save one 2-D frame per file)"
        )
    if array.ndim == 3:
        if array.shape[-1] > 4:
            if 2 <= array.shape[0] <= 4 and min(array.shape[1:]) > 4:
                array = np.moveaxis(array, 0, -1)  # channel-first colour TIFF
            else:
                raise InputError(
                    f"{path}: is a stack of {array.shape[0]} frames of {array.shape[1]}x{array.shape[2]}; "
                    "stacks are not yet supported (save one 2-D frame per file)"
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


# --------------------------------------------------------------------------- writing
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


def check_output_path(path, *, overwrite=False, protect=(), folder_may_be_missing=False):
    """Refuse a destination that would clobber a file, an input or a folder.

    Parameters
    ----------
    path : path-like
    overwrite : bool
        Allow replacing an existing file.
    protect : iterable of path-like
        Paths that must never be written (the inputs), even with ``overwrite``.
    folder_may_be_missing : bool
        Accept a destination whose folder does not exist yet (it will be created).

    Raises
    ------
    InputError
    """
    path = Path(path)
    for other in protect:
        if _same_file(path, Path(other)):
            raise InputError(f"{path}: output would overwrite the input {other}; choose another output path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name for the output")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise InputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise InputError(f"{path}: {parent} is not a folder")
    if not parent.is_dir() and not folder_may_be_missing:
        raise InputError(f"{path}: output folder {parent} does not exist")
    return path


def _same_file(a, b):
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.abspath(a) == os.path.abspath(b)


@contextlib.contextmanager
def atomic_output(path, *, overwrite=False, protect=()):
    """Context manager yielding a temporary path to write; renamed onto ``path`` on success.

    The temporary file lives in the destination's folder (same file system, so the rename
    is atomic) and keeps the destination's extension, so writers that pick the format
    from the name still work. On any exception, including KeyboardInterrupt, the
    temporary file is removed and ``path`` is left as it was. Without ``overwrite`` the
    final step refuses to replace a file that appeared in the meantime.
    """
    path = Path(path)
    check_output_path(path, overwrite=overwrite, protect=protect)
    fd, tmp = _mkstemp(path, path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise HistdipError(f"{path}: nothing was written")
        _commit(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class OutputBatch:
    """Stage several output files, then put them all in place, or none.

    Use as a context manager: :meth:`stage` returns a temporary path to write each
    output to (it keeps the destination's extension); when the block ends normally every
    staged file is renamed onto its destination, and when it raises, every temporary file
    is removed and no destination is touched. Should one rename fail, the outputs already
    put in place by this batch are removed again.

    Destinations may lie in a folder that does not exist yet (e.g. a snapshots folder);
    it is created at commit time and removed again on failure if it stays empty.

    Examples
    --------
    >>> with OutputBatch(overwrite=False) as batch:          # doctest: +SKIP
    ...     write_image(batch.stage("out.tif"), result, overwrite=True)
    ...     config.save(batch.stage("out.json"))
    """

    def __init__(self, *, overwrite=False, protect=()):
        self.overwrite = overwrite
        self.protect = [Path(p) for p in protect]
        self._staged = []  # (tmp, final)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.discard()
        return False

    def check(self, path):
        """Check a destination now (before any work is spent on it)."""
        return check_output_path(path, overwrite=self.overwrite, protect=self.protect, folder_may_be_missing=True)

    def stage(self, path):
        """A temporary path to write ``path``'s content to."""
        path = Path(path)
        self.check(path)
        if any(_same_file(path, final) for _, final in self._staged):
            raise InputError(f"{path}: written twice in one run")
        folder = path.parent
        while not folder.is_dir():
            folder = folder.parent
        fd, tmp = _mkstemp(path, folder)
        os.close(fd)
        self._staged.append((Path(tmp), path))
        return Path(tmp)

    @property
    def destinations(self):
        return [final for _, final in self._staged]

    def discard(self):
        """Remove every staged temporary file; destinations are left alone."""
        for tmp, _ in self._staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._staged = []

    def commit(self):
        """Rename every staged file onto its destination (all or none)."""
        done, made_dirs = [], []
        try:
            for tmp, final in self._staged:
                if not tmp.exists() or tmp.stat().st_size == 0:
                    raise HistdipError(f"{final}: nothing was written")
            for tmp, final in self._staged:
                if not final.parent.is_dir():
                    missing = []
                    folder = final.parent
                    while not folder.exists():
                        missing.append(folder)
                        folder = folder.parent
                    final.parent.mkdir(parents=True, exist_ok=True)
                    made_dirs.extend(reversed(missing))
                _commit(tmp, final, self.overwrite)
                done.append(final)
        except BaseException:
            for final in done:
                with contextlib.suppress(OSError):
                    final.unlink()
            for folder in reversed(made_dirs):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        finally:
            self.discard()
        return done


def _mkstemp(path, folder):
    try:
        return tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=folder)
    except OSError as err:
        raise InputError(f"{path}: cannot write in {folder} ({err.strerror or err})") from None


def _commit(tmp, path, overwrite):
    # mkstemp creates files readable by the owner only; give the result the usual mode.
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):
        os.chmod(tmp, 0o666 & ~umask)
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: no clobbering, even in a race
    except FileExistsError:
        raise InputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)") from None
    except OSError:
        if path.exists():
            raise InputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)") from None
        os.replace(tmp, path)  # file system without hard links


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
