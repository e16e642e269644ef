"""Intensity scales: mapping an image in its native units to [0, 1] and back."""

from __future__ import annotations

import numpy as np


def intensity_range(image):
    """(lo, hi) that map an image to [0, 1].

    Integers use their dtype's range (0-255, 0-65535); floats already inside [0, 1]
    stay as they are; other floats use [min(0, min), max], so a float image keeps its
    zero and its output comes back on the same scale.
    """
    image = np.asarray(image)
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        return float(min(info.min, 0)), float(info.max)
    if image.dtype == np.bool_:
        return 0.0, 1.0
    lo, hi = float(image.min()), float(image.max())
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    lo = min(lo, 0.0)
    return lo, hi if hi > lo else lo + 1.0


def to_unit(image):
    """The image mapped to [0, 1] by :func:`intensity_range` (float64)."""
    lo, hi = intensity_range(image)
    return (np.asarray(image, dtype=np.float64) - lo) / (hi - lo)
