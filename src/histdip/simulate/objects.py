"""Fluorescent objects: bead discs, blobby cells, curvilinear filaments.

Every renderer returns the *emission* image (before optical blur, float64, values in
[0, 1]), the *support* (bool, pixels inside the objects) and a table of objects.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

#: dtype of the object table (``Scene.beads``): centre row/column, radius and emission
#: level (all in pixels / fraction of full scale), plus the flare gain given to the bead.
OBJECT_DTYPE = np.dtype([("y", "f8"), ("x", "f8"), ("radius", "f8"), ("brightness", "f8"),
                         ("flare", "f8")])


def empty_table():
    """An object table with no rows."""
    return np.zeros(0, dtype=OBJECT_DTYPE)


def place_discs(rng, shape, radii, gap=2.0, tries=200):
    """Centres for discs of the given radii, without overlap where space allows.

    Larger discs are placed first; each centre is drawn uniformly in the frame and
    redrawn (up to ``tries`` times) while it overlaps an already placed disc by less
    than ``gap`` pixels. If no free spot is found the last draw is kept, so crowded
    scenes still get all their beads. Returns an array (n, 2) of (y, x) in the input order.
    """
    h, w = shape
    radii = np.asarray(radii, dtype=float)
    centres = np.zeros((radii.size, 2))
    placed = []
    for i in np.argsort(-radii, kind="stable"):
        r = radii[i]
        for _ in range(tries):
            c = rng.uniform((0, 0), (h - 1, w - 1))
            if not placed:
                break
            p = np.array(placed)
            d = np.hypot(p[:, 0] - c[0], p[:, 1] - c[1])
            if np.all(d >= p[:, 2] + r + gap):
                break
        centres[i] = c
        placed.append((c[0], c[1], r))
    return centres


def render_discs(shape, table, dome=0.0):
    """Emission image of anti-aliased bead discs (overlapping beads take the max).

    The profile is ``brightness x ((1 - dome) + dome sqrt(1 - (d / radius)^2))``: 0 gives a
    flat disc, 1 the projected thickness of a uniformly fluorescent sphere; the centre is
    always at ``brightness``.
    """
    h, w = shape
    emission = np.zeros(shape)
    support = np.zeros(shape, bool)
    for bead in table:
        y, x, r, b = bead["y"], bead["x"], bead["radius"], bead["brightness"]
        y0, y1 = max(int(y - r - 2), 0), min(int(y + r + 3), h)
        x0, x1 = max(int(x - r - 2), 0), min(int(x + r + 3), w)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        dist = np.hypot(yy - y, xx - x)
        cover = np.clip(r + 0.5 - dist, 0.0, 1.0)  # linear edge = area coverage to ~1%
        if dome > 0:
            cover = cover * ((1.0 - dome) + dome * np.sqrt(np.clip(1.0 - (dist / r) ** 2, 0.0, 1.0)))
        emission[y0:y1, x0:x1] = np.maximum(emission[y0:y1, x0:x1], b * cover)
        support[y0:y1, x0:x1] |= dist <= r
    return emission, support


def _smooth_noise(rng, shape, sigma):
    field = ndi.gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return field / (field.std() + 1e-12)


def render_cells(rng, shape, n, radius_range, brightness_range, nucleus_gain_range):
    """Blobby cells: a lumpy cytoplasm with a brighter, textured nucleus inside.

    The outline is a circle whose radius is modulated by random low harmonics; the
    cytoplasm has a mild smooth texture and the nucleus (an ellipse, 35-50% of the cell
    radius, off centre) a granular chromatin-like texture.
    """
    h, w = shape
    emission = np.zeros(shape)
    support = np.zeros(shape, bool)
    table = empty_table()
    if n <= 0:
        return emission, support, table
    radii = rng.uniform(*radius_range, size=n)
    centres = place_discs(rng, shape, radii * 0.9, gap=0.0, tries=50)
    rows = []
    for (cy, cx), R in zip(centres, radii):
        level = rng.uniform(*brightness_range)
        m = int(np.ceil(R * 1.5)) + 2
        y0, y1, x0, x1 = max(int(cy) - m, 0), min(int(cy) + m + 1, h), max(int(cx) - m, 0), min(int(cx) + m + 1, w)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        dy, dx = yy - cy, xx - cx
        theta, rad = np.arctan2(dy, dx), np.hypot(dy, dx)
        outline = np.ones_like(theta)
        for k in range(2, 6):
            outline += rng.normal(0, 0.12 / k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        inside = np.clip(R * outline + 0.5 - rad, 0, 1)
        tex = 1 + 0.15 * _smooth_noise(rng, inside.shape, 4.0)
        cell = level * inside * tex
        # nucleus
        nr = R * rng.uniform(0.35, 0.5)
        off = rng.uniform(0, 0.25 * R), rng.uniform(0, 2 * np.pi)
        ny, nx = cy + off[0] * np.sin(off[1]), cx + off[0] * np.cos(off[1])
        ang, ecc = rng.uniform(0, np.pi), rng.uniform(0.7, 1.0)
        u = (yy - ny) * np.cos(ang) + (xx - nx) * np.sin(ang)
        v = -(yy - ny) * np.sin(ang) + (xx - nx) * np.cos(ang)
        nuc = np.clip(nr + 0.5 - np.hypot(u, v / ecc), 0, 1)
        chrom = np.clip(1 + 0.35 * _smooth_noise(rng, inside.shape, 1.5), 0.3, 2.0)
        cell += rng.uniform(*nucleus_gain_range) * nuc * chrom
        emission[y0:y1, x0:x1] = np.maximum(emission[y0:y1, x0:x1], cell)
        support[y0:y1, x0:x1] |= inside >= 0.5
        rows.append((cy, cx, R, level, 0.0))
    table = np.array(rows, dtype=OBJECT_DTYPE)
    return np.clip(emission, 0, 1), support, table


def render_filaments(rng, shape, n, length_range, brightness_range, width=0.8, persistence=150.0):
    """Curvilinear actin-like filaments.

    Each filament is a worm-like chain (persistence length ``persistence`` px) drawn as a
    line of Gaussian cross-section (sigma ``width`` px) whose peak is the filament's
    brightness; crossings add up and are clipped at 1.
    """
    h, w = shape
    density = np.zeros(shape)
    step = 0.5
    peak_norm = np.sqrt(2 * np.pi) * width  # line density -> peak of the Gaussian profile
    for _ in range(n):
        length = rng.uniform(*length_range)
        steps = int(length / step)
        turn = rng.normal(0, np.sqrt(step / persistence), size=steps)
        angle = rng.uniform(0, 2 * np.pi) + np.cumsum(turn)
        y = rng.uniform(0, h - 1) + np.cumsum(step * np.sin(angle))
        x = rng.uniform(0, w - 1) + np.cumsum(step * np.cos(angle))
        keep = (y >= 0) & (y <= h - 1) & (x >= 0) & (x <= w - 1)
        y, x = y[keep], x[keep]
        weight = rng.uniform(*brightness_range) * step * peak_norm
        iy, ix = np.floor(y).astype(int), np.floor(x).astype(int)
        fy, fx = y - iy, x - ix
        for oy, ox, wgt in ((0, 0, (1 - fy) * (1 - fx)), (1, 0, fy * (1 - fx)),
                            (0, 1, (1 - fy) * fx), (1, 1, fy * fx)):
            jy, jx = np.minimum(iy + oy, h - 1), np.minimum(ix + ox, w - 1)
            np.add.at(density, (jy, jx), weight * wgt)
    emission = np.clip(ndi.gaussian_filter(density, width), 0, 1)
    support = ndi.binary_dilation(density > 0, iterations=1)
    return emission, support, empty_table()
