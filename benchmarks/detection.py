"""Bead detection, matching to a known bead list, and per-bead intensity linearity.

All functions are method-independent: the same detector with the same fixed settings
runs on every restored image, in the image's own units (the simulator's [0, 1] green
scale), so no method gets a detector tuned to it. The detector and the matching are
the library's (:mod:`histdip.detect`); this module fixes the quality benchmark's
settings and adds the linearity score.

* :func:`detect_beads` -- :func:`histdip.detect.detect_beads` (scale-normalised
  Laplacian of Gaussian) with the quality benchmark's :data:`DETECT_DEFAULTS`;
  ``threshold`` is an absolute LoG response.
* :func:`match_beads` -- one-to-one matching (Hungarian) of detections to true beads;
  a pair counts only if the centre distance is at most ``max(min_radius, bead radius +
  slack)`` pixels.
* :func:`detection_scores` -- precision, recall, F1 = 2TP / (2TP + FP + FN).
* :func:`bead_linearity` -- R^2 of the background-corrected integrated intensity of
  every true bead's disc in the output against the same quantity in the clean image.
"""

from __future__ import annotations

import numpy as np

from histdip import detect
from histdip.detect import detection_scores, match_beads

__all__ = ["DETECT_DEFAULTS", "bead_linearity", "bead_table_array", "detect_beads", "detection_scores",
           "disc_intensities", "match_beads", "r_squared"]

#: Fixed detector settings of the quality benchmark (sigma in px, absolute LoG response).
DETECT_DEFAULTS = dict(min_sigma=1.5, max_sigma=8.0, num_sigma=8, threshold=0.03, overlap=0.5)


def detect_beads(image, *, min_sigma=None, max_sigma=None, num_sigma=None, threshold=None,
                 overlap=None, border=2):
    """Bead centres ``(n, 3)`` as (y, x, radius) found by LoG on a 2-D image, with the
    settings of :data:`DETECT_DEFAULTS` where not given (linear scale spacing, as the
    quality benchmark's results were measured)."""
    s = dict(DETECT_DEFAULTS)
    for k, v in dict(min_sigma=min_sigma, max_sigma=max_sigma, num_sigma=num_sigma,
                     threshold=threshold, overlap=overlap).items():
        if v is not None:
            s[k] = v
    return detect.detect_beads(image, border=border, log_scale=False, **s)


def bead_table_array(beads):
    """(m, 3) array (y, x, radius) from a simulator bead table (structured array)."""
    if beads is None or len(beads) == 0:
        return np.zeros((0, 3))
    return np.stack([beads["y"], beads["x"], beads["radius"]], axis=1).astype(np.float64)


def disc_intensities(image, beads, *, grow=1.0, ring=(3.0, 6.0)):
    """Background-corrected integrated intensity of each bead's disc.

    Sum of ``image`` over the disc of radius ``radius + grow`` minus (disc area x median
    of the annulus ``radius + ring[0]`` .. ``radius + ring[1]``) -- the local background.
    """
    img = np.asarray(image, dtype=np.float64)
    h, w = img.shape
    out = []
    for y, x, r in np.asarray(beads, dtype=np.float64)[:, :3]:
        rr = r + ring[1] + 1
        y0, y1 = max(int(y - rr), 0), min(int(y + rr) + 2, h)
        x0, x1 = max(int(x - rr), 0), min(int(x + rr) + 2, w)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(yy - y, xx - x)
        patch = img[y0:y1, x0:x1]
        disc = d <= r + grow
        ann = (d >= r + ring[0]) & (d <= r + ring[1])
        bg = float(np.median(patch[ann])) if ann.any() else 0.0
        out.append(float(patch[disc].sum() - bg * disc.sum()))
    return np.array(out)


def r_squared(x, y):
    """R^2 of the least-squares line y = a x + b; 0 when the slope is negative (an
    inverted response is not linear in the sense wanted here); nan with fewer than 3
    points or constant x or y."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    r = np.corrcoef(x, y)[0, 1]
    return float(r * r) if r > 0 else 0.0


def bead_linearity(output, clean, beads, **kw):
    """R^2 of :func:`disc_intensities` of ``output`` against those of ``clean``."""
    b = bead_table_array(beads) if getattr(beads, "dtype", None) is not None and beads.dtype.names else beads
    if len(b) < 3:
        return float("nan")
    return r_squared(disc_intensities(clean, b, **kw), disc_intensities(output, b, **kw))
