"""Estimating Poisson-Gaussian noise from one image.

Model (Foi et al. 2008, "Practical Poissonian-Gaussian noise modeling and fitting for
single-image raw-data", IEEE TIP 17(10)): an observed pixel is

    z = gain * Poisson(y / gain) + offset' + N(0, sigma^2),   so   Var[z] = gain * (E[z] - offset) + sigma^2

in the image's own units (here [0, 1]). :func:`estimate_poisson_gaussian` fits that
line from the image itself; :func:`estimate_noise` is the estimate histdip uses (on the
image binned 2 x 2, so correlated camera noise is not missed), as a
:class:`~histdip.noise.PoissonGaussianNoise`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..tensors import block_mean

# Immerkaer (1996) noise filter: zero response to planar (and quadratic-saddle) signal;
# divided by 6 its squared taps sum to 1, so white noise keeps its variance.
_RESIDUAL_KERNEL = np.array([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]]) / 6.0


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


def estimate_noise(plane):
    """The noise of ``plane`` as a :class:`~histdip.noise.PoissonGaussianNoise`, from the
    image alone: histdip's one noise estimate.

    The Poisson-Gaussian line of :func:`estimate_poisson_gaussian` is fitted on the
    image binned 2 x 2 and scaled back to full resolution. Binning first matters:
    cameras that bin or interpolate (FMD's wide-field frames, demosaiced phone photos)
    leave noise correlated between neighbouring pixels, which a high-pass estimate at
    full resolution misses (``python -m benchmarks noise`` measures both on FMD's
    frames against their 50-frame averages). It is exact for
    white noise and close for noise interpolated 2x or blurred over sigma = 0.7 px;
    noise copied onto exact 2 x 2 blocks reads 4x too high and noise blurred over
    sigma = 1 px about 2x too low (tests/noise/test_estimate.py).

    Parameters
    ----------
    plane : ndarray, (H, W) or (H, W, C)
        A 3-D plane gets one model per channel (its parameters are then tuples).

    Returns
    -------
    PoissonGaussianNoise
    """
    from .models import PoissonGaussianNoise

    z = np.asarray(plane, dtype=np.float64)
    if z.ndim == 1:
        return estimate_trace_noise(z)
    if z.ndim == 3:
        parts = [estimate_noise(z[..., c]) for c in range(z.shape[-1])]
        return PoissonGaussianNoise(tuple(p.gain for p in parts), tuple(p.sigma for p in parts),
                                    tuple(p.offset for p in parts))
    if min(z.shape) >= 16:
        e = estimate_poisson_gaussian(block_mean(z, 2), clip_levels=())
        # The binned image's noise variance is a quarter of the pixels' (white noise):
        # gain and variance scale by 4, sigma by 2; the offset is a level and stays.
        return PoissonGaussianNoise(4.0 * e["gain"], 2.0 * e["sigma"], e["offset"])
    e = estimate_poisson_gaussian(z, clip_levels=())  # too small to bin and still estimate
    return PoissonGaussianNoise(e["gain"], e["sigma"], e["offset"])


#: Second-difference filter of a trace, scaled so that white noise keeps its variance.
_TRACE_RESIDUAL = np.array([1.0, -2.0, 1.0]) / np.sqrt(6.0)


def estimate_trace_noise(trace):
    """The white noise of a 1-D ``trace`` as a :class:`~histdip.noise.PoissonGaussianNoise`
    with no gain: a sensor's noise does not grow with its level the way photons' does.

    The sigma is the normalised MAD of the second differences of the trace binned by 2
    (times sqrt 2): steps and spikes are rare outliers the MAD ignores, a drifting
    baseline has no second difference, and binning first catches noise correlated
    between neighbouring samples (a sensor's anti-aliasing filter), as the 2 x 2
    binning of :func:`estimate_noise` does for a camera.

    >>> rng = np.random.default_rng(0)
    >>> float(round(estimate_trace_noise(np.linspace(0, 5, 20000) + 0.3 * rng.standard_normal(20000)).sigma, 2))
    0.3
    """
    from .models import PoissonGaussianNoise

    z = np.asarray(trace, dtype=np.float64).ravel()
    if z.size < 8:
        raise ValueError(f"need a trace of at least 8 samples, got {z.size}")
    factor = 2 if z.size >= 32 else 1
    if factor > 1:
        z = z[: z.size // 2 * 2].reshape(-1, 2).mean(axis=1)
    r = np.convolve(z, _TRACE_RESIDUAL, mode="valid")
    sigma = 1.4826 * float(np.median(np.abs(r - np.median(r)))) * np.sqrt(factor)
    return PoissonGaussianNoise(0.0, sigma, 0.0)


def noise_variance_map(plane, window=5):
    """Per-pixel noise variance of ``plane`` (same units squared), from the image alone:
    :func:`estimate_noise` evaluated at each pixel's local mean over ``window`` px.

    Returns
    -------
    ndarray, float64, the shape of ``plane``
    """
    return estimate_noise(plane).variance_map(plane, window)


def noise_sigma(image):
    """One noise standard deviation for ``image``: the RMS of :func:`noise_variance_map`.

    What a denoiser that assumes white Gaussian noise (BM3D, non-local means) needs. The
    wavelet estimate those peers usually take (``skimage.restoration.estimate_sigma``)
    reads only the finest scale, where JPEG, demosaicing and camera binning remove
    noise, and reads such noise several times too low (``python -m benchmarks noise``
    compares both with the true noise of FMD's frames).

    >>> rng = np.random.default_rng(0)
    >>> round(noise_sigma(0.5 + 0.05 * rng.standard_normal((128, 128))), 2)
    0.05
    """
    return float(np.sqrt(np.mean(noise_variance_map(image))))
