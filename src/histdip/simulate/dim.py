"""The dim regime's scene settings: beads raised to full scale, haze set against the
beads' peak, and each bead's peak after the blur (docs/simulator.md, "The dim regime").
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

__all__ = ["bead_discs", "bead_peaks", "clip_brightest", "scale_haze"]


def clip_brightest(table, blurred, fraction, peak):
    """Raise the brightest ``fraction`` of the beads (in place) so that each peaks at
    ``peak`` after the blur (``blurred``: the blurred emission); whether any was raised.

    No random draw is made, so the other beads, the flare pattern and the noise stay
    those of the same scene without it. A raised small bead emits more than ``peak``
    (the blur spreads it); its flare grows with its emission, as it would.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ConfigError(f"clip_fraction must lie in [0, 1], got {fraction!r}")
    if not peak > 0:
        raise ConfigError(f"clip_brightness must be > 0, got {peak!r}")
    n = int(round(fraction * len(table)))
    if n == 0:
        return False
    idx = np.argsort(-table["brightness"], kind="stable")[:n]
    now = bead_peaks(blurred, table[idx])
    table["brightness"][idx] *= np.where(now > 0, peak / np.maximum(now, 1e-12), 1.0)
    return True


def bead_peaks(clean, table):
    """Each bead's peak: the maximum of ``clean`` over its disc (at least the pixels
    within 1 px of its centre), i.e. its brightness after the blur of the optics.

    Parameters
    ----------
    clean : ndarray, (H, W)
    table : structured ndarray with fields y, x, radius (:attr:`Scene.beads`)

    Returns
    -------
    ndarray, float64, one value per bead (0 for a bead whose disc lies outside)
    """
    peaks = np.zeros(len(table))
    for i, window, disc in bead_discs(clean.shape, table, min_radius=1.0):
        peaks[i] = float(clean[window][disc].max())
    return peaks


def scale_haze(haze, clean, table, ratio):
    """``haze`` scaled so that its 99th percentile is ``ratio`` times the median bead
    peak of ``clean`` (0: no haze).

    The haze of a scene is linear in its flare amplitudes, so the scaled layer is the
    same pattern at the asked level relative to the beads.
    """
    if ratio < 0:
        raise ConfigError(f"haze_ratio must be >= 0, got {ratio!r}")
    if ratio == 0:
        return np.zeros_like(haze)
    if len(table) == 0:
        raise ConfigError("haze_ratio is relative to the beads' peak: it needs at least one bead")
    level = float(np.percentile(haze, 99))
    if level <= 0:
        return haze
    return haze * (ratio * float(np.median(bead_peaks(clean, table))) / level)


def bead_discs(shape, table, *, min_radius=1.0):
    """Each bead's disc in an image of ``shape``: ``(index, window, disc)``, where
    ``window`` is a (rows, columns) pair of slices round the bead and ``disc`` the
    bool mask, within that window, of the pixels at most ``max(radius, min_radius)``
    from its centre. Beads whose disc misses the image are skipped.

    Parameters
    ----------
    shape : (int, int)
    table : structured ndarray with fields y, x, radius (:attr:`Scene.beads`)
    min_radius : float
        The least radius a disc is given, px (so that a sub-pixel bead still has one).
    """
    h, w = shape
    for i, (y, x, r) in enumerate(zip(table["y"], table["x"], table["radius"])):
        r = max(float(r), min_radius)
        y0, y1 = max(int(np.floor(y - r)), 0), min(int(np.ceil(y + r)) + 1, h)
        x0, x1 = max(int(np.floor(x - r)), 0), min(int(np.ceil(x + r)) + 1, w)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        disc = np.hypot(yy - y, xx - x) <= r
        if disc.any():
            yield i, (slice(y0, y1), slice(x0, x1)), disc
