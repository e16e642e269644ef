"""Finding round objects (beads) in an image, and scoring detections against a known list.

Plain functions on NumPy arrays:

* :func:`detect_beads` -- multi-scale, scale-normalised Laplacian of Gaussian (LoG, as
  ``skimage.feature.blob_log``). The LoG ignores a constant offset and responds little
  to a background that is smooth on the scale of the beads, so it runs on a recording
  as well as on a background-subtracted image; one bead of any size from ~1 px to
  ``max_sigma * sqrt(2)`` px radius gives one response, and touching beads stay
  separate where a thresholded mask would merge them.
* :func:`match_beads` -- one-to-one matching (Hungarian) of detections to true beads.
* :func:`detection_scores` -- precision, recall and F1 of a detection.

The threshold is an absolute value of the scale-normalised LoG response, in the image's
own units: a blob of peak ``A`` above its surroundings responds with about ``A / 2``
at its best scale (a Gaussian blob exactly ``A / 2``, a flat disc up to ``0.74 A``).
``threshold_rel`` instead makes it a fraction of the strongest response in the image.

Where two blobs overlap, the one with the *stronger* response is kept (scikit-image's
``blob_log`` keeps the larger one). In a crowded field the LoG also answers at a large
scale to a whole cluster of beads, more weakly than to each bead at its own scale;
keeping the larger blob would replace the beads by the cluster.
"""

from __future__ import annotations

import numpy as np

__all__ = ["detect_beads", "detection_scores", "match_beads"]


def detect_beads(image, *, min_sigma=1.0, max_sigma=16.0, num_sigma=12, threshold=None,
                 threshold_rel=None, overlap=0.5, border=2, log_scale=True):
    """Centres and radii of the bright round objects of a grey image.

    Parameters
    ----------
    image : array_like, (H, W)
        Grey image, any real units (bright objects on a darker background).
    min_sigma, max_sigma : float
        Smallest and largest LoG scale, px. A disc of radius ``r`` answers best near
        ``sigma = r / sqrt(2)``: the defaults span radii of about 1.4 to 22 px.
    num_sigma : int
        Number of scales between the two.
    threshold : float, optional
        Least scale-normalised LoG response of a detection, in the image's units.
    threshold_rel : float, optional
        Least response as a fraction of the image's strongest response. With both
        given, the larger applies; with neither, ``threshold_rel=0.1``.
    overlap : float
        Of two blobs whose discs overlap by more than this fraction of the smaller
        one's area, the one with the weaker response is dropped.
    border : int
        Blobs whose centre lies within ``border`` px of the edge are dropped (the edge
        of a filtered image is its least reliable part).
    log_scale : bool
        Space the scales evenly on a log scale (else linearly), so that small beads
        get as fine a choice of scale as large ones.

    Returns
    -------
    ndarray, float64, (n, 3)
        One row per object, strongest first: y, x, radius (px; ``sigma * sqrt(2)``).

    Raises
    ------
    ValueError
        When ``image`` is not 2-D or the scales are not ``0 < min_sigma <= max_sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:48, :48]
    >>> img = np.exp(-((yy - 20) ** 2 + (xx - 30) ** 2) / 8.0)
    >>> detect_beads(img, threshold=0.1).round().tolist()
    [[20.0, 30.0, 3.0]]
    """
    from scipy import ndimage as ndi
    from skimage.feature import peak_local_max

    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"detect_beads needs a 2-D image, got shape {img.shape}")
    if not 0 < min_sigma <= max_sigma:
        raise ValueError(f"need 0 < min_sigma <= max_sigma, got {min_sigma} and {max_sigma}")
    if threshold is None and threshold_rel is None:
        threshold_rel = 0.1
    if np.ptp(img) == 0:  # a flat image: nothing, and no division by zero inside
        return np.zeros((0, 3))
    n = max(int(num_sigma), 1)
    sigmas = (np.geomspace if log_scale else np.linspace)(min_sigma, max_sigma, n)
    # -sigma^2 LoG: scale-normalised, bright blobs positive
    cube = np.stack([-(s * s) * ndi.gaussian_laplace(img, s) for s in sigmas], axis=-1)
    least = max(threshold if threshold is not None else -np.inf,
                threshold_rel * cube.max() if threshold_rel is not None else -np.inf)
    peaks = peak_local_max(cube, threshold_abs=least, footprint=np.ones((3, 3, 3)),
                           exclude_border=False)
    if peaks.size == 0:
        return np.zeros((0, 3))
    strength = cube[tuple(peaks.T)]
    order = np.argsort(-strength, kind="stable")
    blobs = np.column_stack([peaks[order, 0], peaks[order, 1],
                             sigmas[peaks[order, 2]] * np.sqrt(2.0)]).astype(np.float64)
    blobs = blobs[_keep_strongest(blobs, overlap)]
    h, w = img.shape
    keep = ((blobs[:, 0] >= border) & (blobs[:, 0] <= h - 1 - border)
            & (blobs[:, 1] >= border) & (blobs[:, 1] <= w - 1 - border))
    return blobs[keep]


def _overlap_fraction(y, x, r, ys, xs, rs):
    """Area shared by the disc (y, x, r) and each disc (ys, xs, rs), over the smaller area."""
    d = np.hypot(ys - y, xs - x)
    small = np.minimum(r, rs)
    out = np.zeros_like(d)
    inside = d <= np.abs(r - rs)
    out[inside] = 1.0
    part = (d < r + rs) & ~inside
    if part.any():
        dd, r2 = d[part], rs[part]
        a1 = r * r * np.arccos(np.clip((dd * dd + r * r - r2 * r2) / (2 * dd * r), -1, 1))
        a2 = r2 * r2 * np.arccos(np.clip((dd * dd + r2 * r2 - r * r) / (2 * dd * r2), -1, 1))
        tri = 0.5 * np.sqrt(np.clip((-dd + r + r2) * (dd + r - r2) * (dd - r + r2) * (dd + r + r2), 0, None))
        out[part] = (a1 + a2 - tri) / (np.pi * small[part] ** 2)
    return out


def _keep_strongest(blobs, overlap):
    """Which of ``blobs`` (strongest first) overlap no stronger kept blob by more than
    ``overlap``."""
    keep = np.zeros(len(blobs), bool)
    kept = []
    for i, (y, x, r) in enumerate(blobs):
        if kept:
            k = np.asarray(kept)
            if np.any(_overlap_fraction(y, x, r, blobs[k, 0], blobs[k, 1], blobs[k, 2]) > overlap):
                continue
        keep[i] = True
        kept.append(i)
    return keep


def _as_rows(points, columns):
    a = np.asarray(points, dtype=np.float64)
    return a.reshape(-1, a.shape[-1] if a.size else columns)


def match_beads(detected, truth, *, min_radius=3.0, slack=2.0):
    """Pair detections with true beads, one to one, nearest first.

    Parameters
    ----------
    detected : array_like, (n, >=2)
        Detections, y and x first (:func:`detect_beads`' rows).
    truth : array_like, (m, >=3)
        True beads: y, x, radius.
    min_radius, slack : float
        A detection may match a bead whose centre lies within
        ``max(min_radius, radius + slack)`` px of it.

    Returns
    -------
    pairs : list of (int, int)
        (detection index, bead index) of each match.
    tp, fp, fn : int
        Matches, unmatched detections, unmatched beads.

    Examples
    --------
    >>> match_beads([[10, 11], [40, 40]], [[10, 10, 2]])
    ([(0, 0)], 1, 1, 0)
    """
    from scipy.optimize import linear_sum_assignment

    det = _as_rows(detected, 3)
    tru = _as_rows(truth, 3)
    n, m = len(det), len(tru)
    if n == 0 or m == 0:
        return [], 0, n, m
    d = np.hypot(det[:, None, 0] - tru[None, :, 0], det[:, None, 1] - tru[None, :, 1])
    allowed = np.maximum(min_radius, tru[:, 2] + slack)[None, :]
    # a forbidden pair costs more than any allowed one, so the assignment never takes
    # it while an allowed one is left; it is dropped afterwards
    cost = np.where(d <= allowed, d, 1e6)
    rows, cols = linear_sum_assignment(cost)
    pairs = [(int(r), int(c)) for r, c in zip(rows, cols) if cost[r, c] < 1e6]
    tp = len(pairs)
    return pairs, tp, n - tp, m - tp


def detection_scores(detected, truth, **match_options):
    """Precision, recall and F1 of ``detected`` against ``truth`` (:func:`match_beads`).

    Returns
    -------
    dict
        tp, fp, fn (int); precision, recall, f1 (float). F1 = 2 TP / (2 TP + FP + FN);
        all three are 1 when both lists are empty.

    Examples
    --------
    >>> s = detection_scores([[10, 10], [30, 30]], [[10, 10, 3], [50, 50, 3]])
    >>> s["tp"], s["fp"], s["fn"], s["f1"]
    (1, 1, 1, 0.5)
    """
    _, tp, fp, fn = match_beads(detected, truth, **match_options)
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}
