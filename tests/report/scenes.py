"""A small bead photo for the report's tests (imported as ``tests.report.scenes``)."""

import numpy as np


def bead_photo(shape=(96, 128), n=12, seed=0):
    """A green phone-style photo, uint8 RGB: a sloping background, ``n`` Gaussian beads, noise."""
    rng = np.random.default_rng(seed)
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    grey = 30 + 20 * xx / w
    for _ in range(n):
        y, x = rng.uniform(8, h - 8), rng.uniform(8, w - 8)
        grey = grey + rng.uniform(80, 160) * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 8.0)
    grey = np.clip(grey + rng.normal(0, 5, shape), 0, 255)
    return np.rint(np.stack([0.15 * grey, grey, 0.1 * grey], -1)).astype(np.uint8)
