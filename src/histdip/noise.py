"""Poisson-Gaussian noise: estimation from one image and variance stabilisation.

Model (Foi et al. 2008, "Practical Poissonian-Gaussian noise modeling and fitting for
single-image raw-data", IEEE TIP 17(10)): an observed pixel is

    z = gain * Poisson(y / gain) + offset' + N(0, sigma^2),   so   Var[z] = gain * (E[z] - offset) + sigma^2

in the image's own units (here [0, 1]). :func:`estimate_poisson_gaussian` fits that
line from the image itself; :func:`gat` (generalised Anscombe transform) maps such data
to approximately unit-variance Gaussian noise and :func:`gat_inverse` is the
closed-form approximation of its exact unbiased inverse (Makitalo & Foi 2013).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

# Immerkaer (1996) noise filter: zero response to planar (and quadratic-saddle) signal;
# divided by 6 its squared taps sum to 1, so white noise keeps its variance.
_RESIDUAL_KERNEL = np.array([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]]) / 6.0
_SQRT_3_2 = float(np.sqrt(1.5))


def gat(x, gain, sigma, offset=0.0):
    """Generalised Anscombe transform of ``x`` (NumPy array, torch tensor or float).

    ``x`` is modelled as ``gain * Poisson(lambda) + offset + N(0, sigma^2)``; the result
    ``(2 / gain) * sqrt(gain * (x - offset) + 3/8 gain^2 + sigma^2)`` has approximately
    unit noise variance (exactly the classical Anscombe transform for gain 1, sigma 0).
    A tiny ``gain`` (pure Gaussian noise) degenerates gracefully: the transform tends
    to ``(x - offset) / sigma + const``.
    """
    gain = max(float(gain), 1e-12)
    inner = gain * (x - offset) + 0.375 * gain**2 + float(sigma) ** 2
    try:
        import torch

        if isinstance(inner, torch.Tensor):
            # Below a small floor the square root continues as its tangent line: a
            # network output that starts under the offset (all-dark at initialisation)
            # must still get a gradient, which a clamp would take away.
            floor = 0.1 * (0.375 * gain**2 + float(sigma) ** 2)
            root = torch.sqrt(inner.clamp_min(floor))
            linear = (inner - floor) / (2.0 * math.sqrt(floor)) + math.sqrt(floor)
            return (2.0 / gain) * torch.where(inner >= floor, root, linear)
    except ImportError:  # pragma: no cover - torch is a hard dependency
        pass
    return (2.0 / gain) * np.sqrt(np.maximum(inner, 1e-12))


def gat_inverse(d, gain, sigma, offset=0.0):
    """Closed-form approximation of the exact unbiased inverse of :func:`gat`.

    ``d`` is a denoised transformed value (an estimate of ``E[gat(x)]``); the result
    estimates ``E[x]``, not the biased algebraic inverse. In units normalised by
    ``gain`` (``s = sigma / gain``): ``I(D) = D^2/4 + sqrt(3/2)/4 D^-1 - 11/8 D^-2 +
    5/8 sqrt(3/2) D^-3 - 1/8 - s^2``, clipped at 0, then ``x = gain * I + offset``.
    """
    gain = max(float(gain), 1e-12)
    d = np.maximum(np.asarray(d, dtype=np.float64), 2.0 * np.sqrt(0.375))
    s2 = (float(sigma) / gain) ** 2
    inv = 0.25 * d * d + 0.25 * _SQRT_3_2 / d - 1.375 / (d * d) + 0.625 * _SQRT_3_2 / d**3 - 0.125 - s2
    return gain * np.maximum(inv, 0.0) + offset


def noise_residual(image):
    """High-pass residual whose variance equals the local noise variance on smooth areas."""
    return ndimage.convolve(np.asarray(image, dtype=np.float64), _RESIDUAL_KERNEL, mode="reflect")


def estimate_poisson_gaussian(image, n_bins=24, window=7, clip_levels=(0.0, 1.0), min_count=200):
    """Estimate ``gain``, ``sigma`` and ``offset`` of Poisson-Gaussian noise from one image.

    Method (after Foi et al. 2008, simplified): a high-pass residual (Immerkaer's 3x3
    filter, which removes planar signal and keeps white-noise variance) is paired with
    the local mean over a ``window`` x ``window`` box. Pixels on edges and texture (local
    gradient of the smoothed image large compared with the noise) and windows touching
    clipped values (``clip_levels``: exactly 0 or 1 in [0, 1] data) are left out. The
    rest are split into ``n_bins`` equal-count bins of local mean; in each bin the noise
    variance is the squared normalised MAD of the residual (robust to remaining edges).
    A weighted line ``var = gain * mean + c`` is then fitted (weights ``n / var^2``,
    the inverse variance of a variance estimate), with the gain clipped at >= 0.
    ``c >= 0`` gives ``sigma = sqrt(c)``, ``offset = 0``; ``c < 0`` (a dark level above
    zero, common on microscope cameras) gives ``sigma = 0`` and ``offset = -c / gain``.

    Parameters
    ----------
    image : ndarray (H, W), float in [0, 1] (or any units: the result is in the same)
    n_bins, window, min_count : int
    clip_levels : tuple of float
        Values that mark clipped pixels (set to () to keep every pixel).

    Returns
    -------
    dict with float ``gain``, ``sigma``, ``offset`` (same units as the image) and
    ``bins`` (list of (mean, variance, count), for diagnostics).
    """
    z = np.asarray(image, dtype=np.float64)
    if z.ndim == 3:
        z = z.mean(axis=-1)
    if z.ndim != 2 or min(z.shape) < 8:
        raise ValueError(f"need a 2-D image of at least 8x8 pixels, got shape {z.shape}")
    resid = noise_residual(z)
    mean = ndimage.uniform_filter(z, window, mode="reflect")
    valid = np.ones(z.shape, bool)
    valid[:1, :] = valid[-1:, :] = valid[:, :1] = valid[:, -1:] = False
    for level in clip_levels:
        hit = ndimage.maximum_filter((z == level).astype(np.uint8), window) > 0
        valid &= ~hit
    if valid.sum() < max(min_count, 8 * n_bins):
        valid = np.ones(z.shape, bool)
    # Global noise scale (robust) to decide what counts as an edge.
    scale = 1.4826 * np.median(np.abs(resid[valid]))
    smooth = ndimage.gaussian_filter(z, 1.5)
    grad = np.hypot(ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1)) / 8.0
    flat = valid & (grad < np.quantile(grad[valid], 0.7) + 0.0 * scale)
    if flat.sum() >= max(min_count, 8 * n_bins):
        valid = flat
    m, r = mean[valid], resid[valid]
    order = np.argsort(m, kind="stable")
    count = max(min_count, order.size // n_bins)
    bins = []
    for chunk in np.array_split(order, max(1, order.size // count)):
        if chunk.size < 16:
            continue
        rv = r[chunk]
        mad = 1.4826 * np.median(np.abs(rv - np.median(rv)))
        bins.append((float(m[chunk].mean()), float(mad * mad), int(chunk.size)))
    xs = np.array([b[0] for b in bins])
    vs = np.array([b[1] for b in bins])
    ns = np.array([b[2] for b in bins], dtype=np.float64)
    gain, c = _weighted_line(xs, vs, ns)
    if gain <= 0:
        gain, c = 0.0, float(np.average(vs, weights=ns)) if vs.size else 0.0
    if c >= 0:
        sigma, offset = float(np.sqrt(c)), 0.0
    else:
        sigma, offset = 0.0, float(-c / gain)
    return {"gain": float(gain), "sigma": sigma, "offset": offset, "bins": bins}


def _weighted_line(xs, vs, ns, rounds=3):
    if xs.size < 2 or np.ptp(xs) <= 0:
        return 0.0, float(vs.mean()) if vs.size else 0.0
    w = ns.copy()
    slope, icpt = 0.0, float(vs.mean())
    for _ in range(rounds):
        A = np.stack([xs, np.ones_like(xs)], axis=1) * np.sqrt(w)[:, None]
        slope, icpt = np.linalg.lstsq(A, vs * np.sqrt(w), rcond=None)[0]
        fitted = np.maximum(slope * xs + icpt, 1e-3 * max(vs.max(), 1e-20))
        w = ns / fitted**2
    return float(slope), float(icpt)


def _bin2(z):
    h, w = (z.shape[0] // 2) * 2, (z.shape[1] // 2) * 2
    return z[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def noise_variance_map(image, window=5):
    """Per-pixel noise variance of ``image`` (same units squared), from the image alone.

    The Poisson-Gaussian line of :func:`estimate_poisson_gaussian` is fitted on the
    image binned 2 x 2 and scaled back by 4, then evaluated at each pixel's local mean.
    Binning first matters: cameras that bin or interpolate (FMD's wide-field frames,
    demosaiced phone photos) leave noise correlated between neighbouring pixels, which
    a high-pass estimate at full resolution misses (on FMD wide-field it finds 7-11 %
    of the true variance; after binning 82-109 %; on confocal and two-photon frames
    83-122 %, see docs/benchmarks.md). It is exact for white noise and close for noise
    interpolated 2x or blurred over sigma = 0.7 px; noise copied onto exact 2 x 2 blocks
    reads 4x too high and noise blurred over sigma = 1 px about 2x too low
    (tests/test_stopping.py).

    Parameters
    ----------
    image : ndarray (H, W), float
    window : int
        Side of the box over which the local mean is taken.

    Returns
    -------
    ndarray (H, W), float64
    """
    z = np.asarray(image, dtype=np.float64)
    if z.ndim == 3:
        z = z.mean(axis=-1)
    if min(z.shape) >= 16:
        binned, factor = _bin2(z), 4.0
    else:  # too small to bin and still estimate
        binned, factor = z, 1.0
    e = estimate_poisson_gaussian(binned, clip_levels=())
    mean = ndimage.uniform_filter(z, window, mode="reflect")
    return factor * (np.maximum(e["gain"] * (mean - e["offset"]), 0.0) + e["sigma"] ** 2)


def noise_sigma(image):
    """One noise standard deviation for ``image``: the RMS of :func:`noise_variance_map`.

    What a denoiser that assumes white Gaussian noise (BM3D, non-local means) needs. The
    wavelet estimate those peers usually take (``skimage.restoration.estimate_sigma``)
    reads only the finest scale, where JPEG and demosaicing remove noise: on simulated
    phone bead scenes it reads 0.15x the true sigma, on FMD wide-field 0.34x; this one
    0.65x and 1.09x (docs/results.md, "Session 7").

    >>> rng = np.random.default_rng(0)
    >>> round(noise_sigma(0.5 + 0.05 * rng.standard_normal((128, 128))), 2)
    0.05
    """
    return float(np.sqrt(np.mean(noise_variance_map(image))))
