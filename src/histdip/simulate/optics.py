"""Optics of a smartphone fluorescence microscope: blur, flare and haze, background.

Units: fraction of the camera's full scale (1.0 = 255 DN in the green channel).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi


def blur(emission, psf_sigma):
    """Optical blur by a Gaussian point-spread function of ``psf_sigma`` px (0: none)."""
    if psf_sigma <= 0:
        return np.asarray(emission, dtype=np.float64).copy()
    return ndi.gaussian_filter(np.asarray(emission, dtype=np.float64), psf_sigma, mode="constant")


def _fan(dy, dx, angle, half_angle, length, width, power=1.0):
    """One flare spoke: a wedge ('fan') along ``angle`` opening at ``half_angle``.

    Along the axis it decays as exp(-(s / length) ** power) (power 1: a streak fading from
    the source; 2: a lobe of nearly even brightness with a soft end); across it is
    Gaussian with a width that grows linearly from ``width`` at the source.
    """
    ca, sa = np.cos(angle), np.sin(angle)
    along = dx * ca + dy * sa
    across = -dx * sa + dy * ca
    s = np.maximum(along, 0.0)
    spread = width + s * np.tan(half_angle)
    out = np.exp(-((s / length) ** power) - 0.5 * (across / spread) ** 2)
    out[along < 0] *= np.exp(-0.5 * (along[along < 0] / width) ** 2)
    return out


def _splat_line(canvas, y, x, weights):
    """Add ``weights`` at sub-pixel points (y, x) of ``canvas`` with bilinear splatting."""
    h, w = canvas.shape
    keep = (y >= 0) & (y < h - 1) & (x >= 0) & (x < w - 1)
    y, x, weights = y[keep], x[keep], weights[keep]
    iy, ix = y.astype(int), x.astype(int)
    fy, fx = y - iy, x - ix
    np.add.at(canvas, (iy, ix), weights * (1 - fy) * (1 - fx))
    np.add.at(canvas, (iy + 1, ix), weights * fy * (1 - fx))
    np.add.at(canvas, (iy, ix + 1), weights * (1 - fy) * fx)
    np.add.at(canvas, (iy + 1, ix + 1), weights * fy * fx)


class _Window:
    """The part of ``canvas`` within ``k`` px (Chebyshev) of an integer centre, or within
    the offsets ``box`` = (top, bottom, left, right) of it."""

    def __init__(self, shape, cy, cx, k, box=None):
        h, w = shape
        top, bottom, left, right = box if box is not None else (-k, k, -k, k)
        self.r0, self.r1 = max(cy + max(top, -k), 0), min(cy + min(bottom, k) + 1, h)
        self.c0, self.c1 = max(cx + max(left, -k), 0), min(cx + min(right, k) + 1, w)
        self.empty = self.r0 >= self.r1 or self.c0 >= self.c1
        self.cy, self.cx = cy, cx

    @property
    def slices(self):
        return slice(self.r0, self.r1), slice(self.c0, self.c1)

    def grid(self):
        """Offsets (dy, dx) of the window's pixels from the centre."""
        yy, xx = np.mgrid[self.r0:self.r1, self.c0:self.c1].astype(np.float64)
        return yy - self.cy, xx - self.cx


def add_flare(canvas, rng, y, x, radius, amplitude, length, halo_gain, halo_sigma, spokes,
              half_angle_range, fibres=0, hole=0.0, power=1.0):
    """Add the flare and haze of one bright source at (y, x) to ``canvas`` (in place).

    The pattern is the sum of

    * a broad anisotropic Gaussian halo (random orientation, axis ratio 0.45-0.9, centre
      pushed off the bead by up to 0.3 sigma, so the halo is lopsided), of peak
      ``halo_gain``;
    * ``spokes`` fans of random direction and opening angle, starting at the bead's edge
      with peak ``amplitude`` and decaying over ``length`` px as exp(-(s/length)**power)
      (the star-shaped streaks and triangular 'fan' lobes seen in the photos);
    * ``fibres`` thin, fainter streaks of 1-2 x min(``length``, 40) px (the fibrous
      texture of the haze).

    Each spoke starts at the point of the bead's edge facing its direction and nothing is
    drawn over the bead itself. ``hole`` > 0 (for a hidden source) fades streaks in as
    ``1 - exp(-s / hole)`` with the distance ``s`` from the source, so they do not meet
    in a bright point.
    Only the part inside the frame is computed; the random draws do not depend on it.
    """
    shape = canvas.shape
    cy, cx = int(round(y)), int(round(x))
    if halo_gain > 0:
        sigma_major = halo_sigma * rng.uniform(0.7, 1.4)
        ratio, ang = rng.uniform(0.45, 0.9), rng.uniform(0, np.pi)
        shift, sdir = rng.uniform(0, 0.3) * sigma_major, rng.uniform(0, 2 * np.pi)
        win = _Window(shape, cy, cx, int(3.5 * sigma_major + shift + 1))
        if not win.empty:
            yy, xx = win.grid()
            oy, ox = yy - shift * np.sin(sdir), xx - shift * np.cos(sdir)
            u = ox * np.cos(ang) + oy * np.sin(ang)
            v = -ox * np.sin(ang) + oy * np.cos(ang)
            canvas[win.slices] += halo_gain * np.exp(-0.5 * ((u / sigma_major) ** 2 + (v / (ratio * sigma_major)) ** 2))
    if amplitude <= 0:
        return
    width = 1.0 + 0.15 * radius
    draws = [(amplitude * rng.uniform(0.4, 1.0), rng.uniform(0, 2 * np.pi),
              np.deg2rad(rng.uniform(*half_angle_range)), length * rng.uniform(0.6, 1.4))
             for _ in range(int(spokes))]
    for amp, angle, alpha, ell in draws:
        # bounding box of the wedge out to exp(-6) of its peak (below 0.3 DN)
        far = 6.0 ** (1.0 / power) * ell
        reach = far + radius
        d, n = np.array([np.sin(angle), np.cos(angle)]), np.array([np.cos(angle), -np.sin(angle)])
        spread = 3.0 * (width + far * np.tan(alpha))
        corners = np.array([-3 * width * d + 3 * width * n, -3 * width * d - 3 * width * n,
                            reach * d + spread * n, reach * d - spread * n])
        lo, hi = np.floor(corners.min(axis=0) - radius - 1), np.ceil(corners.max(axis=0) + 1)
        win = _Window(shape, cy, cx, int(reach + 3 * width) + 1, (int(lo[0]), int(hi[0]), int(lo[1]), int(hi[1])))
        if win.empty:
            continue
        yy, xx = win.grid()
        rr = np.hypot(yy, xx)
        edge = np.maximum(rr - radius, 0.0)
        # the spoke starts at the point of the bead's edge that faces its direction
        fan = _fan(yy - radius * d[0], xx - radius * d[1], angle, alpha, ell, width, power)
        if hole > 0:
            fan *= 1.0 - np.exp(-edge / hole)
        if radius > 0:
            fan[rr < radius] = 0.0  # no streak over the bead itself
        canvas[win.slices] += amp * fan
    if fibres:
        sigma_f = 0.8
        flen = min(length, 40.0)
        draws = [(amplitude * rng.uniform(0.15, 0.5), rng.uniform(0, 2 * np.pi), flen * rng.uniform(1.0, 2.0))
                 for _ in range(int(fibres))]
        win = _Window(shape, cy, cx, int(radius + 10.0 * flen) + 4)
        if win.empty:
            return
        local = np.zeros((win.r1 - win.r0, win.c1 - win.c0))
        for amp, angle, ell in draws:
            s = np.arange(0.0, 5.0 * ell, 0.5)
            dist = radius + s
            weights = amp * np.exp(-s / ell) * 0.5 * np.sqrt(2 * np.pi) * sigma_f
            if hole > 0:
                weights = weights * (1.0 - np.exp(-s / hole))
            _splat_line(local, y - win.r0 + dist * np.sin(angle), x - win.c0 + dist * np.cos(angle), weights)
        canvas[win.slices] += ndi.gaussian_filter(local, sigma_f, mode="constant")


def haze_texture(rng, shape, strength, fine=3.0, coarse=25.0):
    """Multiplicative patchy texture of mean ~1 (1 +- ``strength``), clipped to [0.3, 3]."""
    if strength <= 0:
        return np.ones(shape)
    field = ndi.gaussian_filter(rng.standard_normal(shape), fine)
    field = field / (field.std() + 1e-12)
    patch = smooth_field(rng, shape, coarse)
    patch = patch / (patch.std() + 1e-12)
    return np.clip(1.0 + strength * (0.25 * field + patch), 0.3, 3.0)


def smooth_field(rng, shape, sigma):
    """White noise smoothed by a Gaussian of ``sigma`` px, computed on a coarse grid."""
    h, w = shape
    step = max(1, int(sigma // 4))
    small = rng.standard_normal((h // step + 2, w // step + 2))
    small = ndi.gaussian_filter(small, sigma / step, mode="reflect")
    field = ndi.zoom(small, step, order=1)[:h, :w]
    return field


def background(rng, shape, level, variation, texture=0.0, sigma_fraction=0.15, texture_sigma=6.0):
    """Uneven background: ``level`` x (1 + random tilt/vignetting + filtered noise + mottle).

    ``variation`` is the relative standard deviation of the large-scale part (about half
    from a random second-order polynomial, half from white noise smoothed with a
    Gaussian of ``sigma_fraction`` x the image's smaller side); ``texture`` that of a
    fine mottle (white noise smoothed by ``texture_sigma`` px, as seen in the photos).
    Never negative.
    """
    h, w = shape
    if level <= 0:
        return np.zeros(shape)
    yy, xx = np.mgrid[0:h, 0:w]
    u, v = 2 * yy / max(h - 1, 1) - 1, 2 * xx / max(w - 1, 1) - 1
    c = rng.normal(0, 1, size=5)
    poly = c[0] * u + c[1] * v + c[2] * u * u + c[3] * v * v + c[4] * u * v
    poly = (poly - poly.mean()) / (poly.std() + 1e-12)
    noise = smooth_field(rng, shape, sigma_fraction * min(h, w))
    noise = (noise - noise.mean()) / (noise.std() + 1e-12)
    rel = variation * (poly + noise) / np.sqrt(2.0)
    if texture > 0:
        mottle = ndi.gaussian_filter(rng.standard_normal(shape), texture_sigma, mode="reflect")
        rel = rel + texture * mottle / (mottle.std() + 1e-12)
    return np.maximum(level * (1.0 + rel), 0.0)
