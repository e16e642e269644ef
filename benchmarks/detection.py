"""Bead detection, matching to a known bead list, and per-bead intensity linearity.

All functions are method-independent: the same detector with the same fixed settings
runs on every restored image, in the image's own units (the simulator's [0, 1] green
scale), so no method gets a detector tuned to it.

* :func:`detect_beads` -- ``skimage.feature.blob_log`` (scale-normalised Laplacian of
  Gaussian). LoG removes a constant offset, so an uneven but smooth background does not
  trigger detections by itself; ``threshold`` is an absolute LoG response.
* :func:`match_beads` -- one-to-one matching (Hungarian, ``scipy.optimize.
  linear_sum_assignment``) of detections to true beads; a pair counts only if the centre
  distance is at most ``max(min_radius, bead radius + slack)`` pixels.
* :func:`detection_scores` -- precision, recall, F1 = 2TP / (2TP + FP + FN).
* :func:`bead_linearity` -- R^2 of the background-corrected integrated intensity of
  every true bead's disc in the output against the same quantity in the clean image.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

#: Fixed detector settings used for every method (sigma in px, absolute LoG response).
DETECT_DEFAULTS = dict(min_sigma=1.5, max_sigma=8.0, num_sigma=8, threshold=0.03, overlap=0.5)


def detect_beads(image, *, min_sigma=None, max_sigma=None, num_sigma=None, threshold=None,
                 overlap=None, border=2):
    """Bead centres ``(n, 3)`` as (y, x, radius) found by LoG on a 2-D image.

    Blobs whose centre lies within ``border`` px of the edge are dropped (a restored
    image's border is the least reliable part). Radius = sigma * sqrt(2).
    """
    from skimage.feature import blob_log

    s = dict(DETECT_DEFAULTS)
    for k, v in dict(min_sigma=min_sigma, max_sigma=max_sigma, num_sigma=num_sigma,
                     threshold=threshold, overlap=overlap).items():
        if v is not None:
            s[k] = v
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"detect_beads needs a 2-D image, got {img.shape}")
    blobs = blob_log(img, min_sigma=s["min_sigma"], max_sigma=s["max_sigma"],
                     num_sigma=int(s["num_sigma"]), threshold=s["threshold"], overlap=s["overlap"])
    if blobs.size == 0:
        return np.zeros((0, 3))
    blobs = blobs[:, :3].astype(np.float64)
    blobs[:, 2] *= np.sqrt(2.0)
    h, w = img.shape
    keep = ((blobs[:, 0] >= border) & (blobs[:, 0] <= h - 1 - border)
            & (blobs[:, 1] >= border) & (blobs[:, 1] <= w - 1 - border))
    return blobs[keep]


def match_beads(detected, truth, *, min_radius=3.0, slack=2.0):
    """Match detections ``(n, >=2)`` (y, x, ...) to true beads ``(m, >=3)`` (y, x, radius).

    Returns ``(pairs, tp, fp, fn)``; ``pairs`` is a list of (detection index, bead index).
    """
    det = np.asarray(detected, dtype=np.float64).reshape(-1, np.shape(detected)[-1] if np.size(detected) else 3)
    tru = np.asarray(truth, dtype=np.float64).reshape(-1, np.shape(truth)[-1] if np.size(truth) else 3)
    n, m = len(det), len(tru)
    if n == 0 or m == 0:
        return [], 0, n, m
    d = np.hypot(det[:, None, 0] - tru[None, :, 0], det[:, None, 1] - tru[None, :, 1])
    allowed = np.maximum(min_radius, tru[:, 2] + slack)[None, :]
    cost = np.where(d <= allowed, d, 1e6)
    rows, cols = linear_sum_assignment(cost)
    pairs = [(int(r), int(c)) for r, c in zip(rows, cols) if cost[r, c] < 1e6]
    tp = len(pairs)
    return pairs, tp, n - tp, m - tp


def detection_scores(detected, truth, **match_kw):
    """dict with tp, fp, fn, precision, recall, f1 (F1 = 1 when both sets are empty)."""
    _, tp, fp, fn = match_beads(detected, truth, **match_kw)
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


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
