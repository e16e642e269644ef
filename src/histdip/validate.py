"""The one check of every input array, called first by everything that takes an image.

:func:`validate_image` checks an image the pipeline will restore and returns it as an
:class:`Image`: the array with the intensity range that maps it to [0, 1].
:func:`check_array` is the same check for any function that takes arrays (metrics,
benchmark peers) with its own limits on shape. :func:`require_signal` refuses an image
with nothing in it to restore: blank, or overexposed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError, NoSignalError

#: Smallest image side histdip restores. Below 8 x 8 pixels there is no histogram to
#: speak of and every network scale would be padding.
MIN_SIDE = 8


def check_array(array, *, name="image", ndim=(2, 3), max_channels=4, min_side=1):
    """``array`` as an ndarray, or :class:`InputError` saying in one line what is wrong.

    Parameters
    ----------
    array : array_like
    name : str
        What the array is, for the message ("restored image", "reference"...).
    ndim : tuple of int
        Accepted numbers of axes: 2 is (H, W), 3 is (H, W, C).
    max_channels : int
        Largest C of a 3-D array.
    min_side : int
        Smallest accepted height and width.

    Examples
    --------
    >>> check_array(np.zeros((8, 8))).shape
    (8, 8)
    >>> check_array(np.full((8, 8), np.nan))
    Traceback (most recent call last):
    ...
    histdip.errors.InputError: image contains NaN or infinite values
    """
    try:
        array = np.asarray(array)
    except (TypeError, ValueError):  # ragged nested lists
        raise InputError(f"{name} is not a rectangular array of numbers") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise InputError(f"{name} has unsupported data type {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise InputError(f"{name} has unsupported data type {array.dtype}")
    if array.ndim not in ndim or (array.ndim == 3 and not 1 <= array.shape[-1] <= max_channels):
        shapes = " or ".join({2: "(H, W)", 3: f"(H, W, C<={max_channels})"}.get(n, f"{n}-D") for n in ndim)
        raise InputError(f"{name} must be {shapes}, got shape {array.shape}")
    if array.size == 0:
        raise InputError(f"{name} is empty (shape {array.shape})")
    if min(array.shape[:2]) < min_side:
        raise InputError(f"{name} is {array.shape[0]}x{array.shape[1]} pixels; at least "
                         f"{min_side}x{min_side} are needed")
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InputError(f"{name} contains NaN or infinite values")
        # The output is float32 on the input's scale: values or a span float32 cannot hold
        # would come back infinite.
        lo, hi = float(min(array.min(), 0.0)), float(array.max())
        if max(abs(lo), abs(hi), hi - lo) > FLOAT32_MAX:
            raise InputError(f"{name} has values from {lo:.3g} to {hi:.3g}, beyond what float32 holds "
                             f"({FLOAT32_MAX:.3g}); rescale it")
    return array


#: The largest float32: an image's values and span must stay below it.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def intensity_range(array):
    """(lo, hi) that map an image to [0, 1].

    Integers use their dtype's range (0-255, 0-65535); floats already inside [0, 1]
    stay as they are; other floats use [min(0, min), max], so a float image keeps its
    zero and its output comes back on the same scale.

    >>> intensity_range(np.zeros((2, 2), np.uint16))
    (0.0, 65535.0)
    >>> intensity_range(np.array([[0.0, 300.0]]))
    (0.0, 300.0)
    """
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        return float(min(info.min, 0)), float(info.max)
    if array.dtype == np.bool_:
        return 0.0, 1.0
    lo, hi = float(array.min()), float(array.max())
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    lo = min(lo, 0.0)
    # A constant image gets a scale of width 1, or wider where lo + 1 would equal lo.
    return lo, hi if hi > lo else lo + max(1.0, abs(lo) * 2.0**-20)


@dataclass(frozen=True, eq=False)
class Image:
    """An input that passed :func:`validate_image`, with its intensity scale.

    Attributes
    ----------
    array : ndarray, (H, W) or (H, W, C)
        The image as given, in its own units.
    lo, hi : float
        The intensities that map to 0 and 1 (:func:`intensity_range`).
    """

    array: np.ndarray
    lo: float
    hi: float

    @property
    def shape(self):
        return self.array.shape

    @property
    def is_grey(self):
        """True for a 2-D (H, W) image."""
        return self.array.ndim == 2

    def to_unit(self):
        """The image on [0, 1] (float64)."""
        return (np.asarray(self.array, dtype=np.float64) - self.lo) / (self.hi - self.lo)

    def from_unit(self, unit, *, offset=True):
        """``unit`` (on [0, 1]) back on the image's scale, float32.

        ``offset=False`` maps a difference (a background-subtracted result), which keeps
        no offset: 0 stays 0.
        """
        return (np.asarray(unit) * (self.hi - self.lo) + (self.lo if offset else 0.0)).astype(np.float32)


def validate_image(image):
    """Check an array can be restored and return it as an :class:`Image`.

    An :class:`Image` passes through unchanged, so a stage may call this on what it
    is given without checking twice.

    Raises
    ------
    InputError
        Unsupported data type, shape other than (H, W) or (H, W, C<=4) (a 4-D or 5-D
        array is a stack: :func:`histdip.restore_stack`), smaller than :data:`MIN_SIDE`
        a side, or NaN / infinite values.
    """
    if isinstance(image, Image):
        return image
    try:
        array = check_array(image, min_side=MIN_SIDE)
    except InputError:
        ndim = getattr(image, "ndim", 0)
        if ndim > 3:  # a stack given to the 2-D API: say where it goes
            raise InputError(f"image has {ndim} axes (shape {image.shape}); histdip.restore takes one (H, W) or "
                             "(H, W, C) image: restore a stack with histdip.restore_stack(array, axes)") from None
        raise
    lo, hi = intensity_range(array)
    return Image(array, lo, hi)


def require_signal(image):
    """Raise :class:`~histdip.errors.NoSignalError` for a blank frame (every pixel 0) or an
    overexposed one (every pixel at its integer type's maximum): neither holds anything
    to restore. Returns ``image``. Another uniform image is left to the threshold, whose
    error says which T nothing lies above.

    >>> require_signal(np.full((8, 8), 255, np.uint8))
    Traceback (most recent call last):
    ...
    histdip.errors.NoSignalError: every pixel is 255 (the most uint8 holds): the photo is overexposed, nothing to restore
    """
    array = image.array if isinstance(image, Image) else np.asarray(image)
    if array.size == 0 or not np.all(array == array[0, 0]):
        return image
    value = array[0, 0]
    shown = "/".join(f"{v:g}" for v in np.atleast_1d(value).astype(np.float64))
    if not np.any(value):
        raise NoSignalError("every pixel is 0: the image is blank, nothing to restore")
    if np.issubdtype(array.dtype, np.integer) and np.all(value == np.iinfo(array.dtype).max):
        raise NoSignalError(f"every pixel is {shown} (the most {array.dtype} holds): the photo is overexposed, "
                            "nothing to restore")
    return image
