"""The calling convention every peer keeps, and its two halves: the input check and the
output rule.

Every peer in :mod:`benchmarks.peers` is::

    denoise_xxx(image, *, seed=0, **params) -> numpy.ndarray

* ``image``: a 2-D array (H, W), finite, real, intensities on [0, 1] (noise may take
  values a little outside; nothing is rescaled). Any real dtype; it is read as float64.
* returns a new float32 array of the same shape, clipped to [0, 1]; the input is not
  modified.
* ``seed`` makes stochastic peers reproducible; deterministic peers accept it only for a
  uniform call signature.
"""

from __future__ import annotations

import numpy as np

from histdip.errors import InputError
from histdip.validate import check_array

#: Widest intensity span a peer accepts. Noise takes [0, 1] data a little outside that
#: range; data beyond it are on another scale (0-255, camera counts), which the peers
#: would clip to a flat image without a word.
UNIT_SPAN = (-1.0, 2.0)

__all__ = ["UNIT_SPAN", "check_image", "finish"]


def check_image(image) -> np.ndarray:
    """Validate a peer input and return it as a C-contiguous float64 copy.

    The library's one validator (:func:`histdip.validate.check_array`) checks type,
    shape and finiteness; this adds what only peers ask: one plane of at least 2 x 2
    pixels on the [0, 1] scale.

    Raises
    ------
    histdip.InputError
        Not a finite real 2-D array of at least 2 x 2 pixels, or values outside
        :data:`UNIT_SPAN`.

    Examples
    --------
    >>> check_image(np.zeros((2, 3), np.uint8)).dtype
    dtype('float64')
    >>> check_image(np.full((4, 4), 255.0))
    Traceback (most recent call last):
    ...
    histdip.errors.InputError: peers take intensities on [0, 1]; this image spans [255, 255] (divide 8-bit data by 255)
    """
    arr = check_array(image, name="peer input", ndim=(2,), min_side=2)
    arr = np.array(arr, dtype=np.float64, order="C", copy=True)
    lo, hi = float(arr.min()), float(arr.max())
    if lo < UNIT_SPAN[0] or hi > UNIT_SPAN[1]:
        raise InputError(f"peers take intensities on [0, 1]; this image spans [{lo:.4g}, {hi:.4g}] "
                         "(divide 8-bit data by 255)")
    return arr


def finish(result, shape) -> np.ndarray:
    """Clip to [0, 1] and return float32 of the expected shape (the peer output rule)."""
    out = np.clip(np.asarray(result, dtype=np.float64), 0.0, 1.0).astype(np.float32)
    if out.shape != tuple(shape):  # a bug in a peer, not a user error
        raise AssertionError(f"peer returned shape {out.shape}, expected {shape}")
    return out
