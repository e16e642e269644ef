"""The phone camera: Poisson-Gaussian noise, colour, 8-bit quantisation and JPEG.

Units: fraction of full scale (1.0 = 255 DN).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage as ndi


def effective_noise(photon_scale, read_sigma, noise_level):
    """Photon scale and read noise after applying ``noise_level``.

    ``noise_level`` multiplies the noise standard deviation: the photon count per unit
    of full scale is divided by ``noise_level**2`` and the read noise multiplied by
    ``noise_level``, so the noise variance at every intensity scales as ``noise_level**2``.
    Returns ``(photons, read)``; ``photons`` is ``inf`` when ``noise_level`` is 0.
    """
    if noise_level <= 0:
        return np.inf, 0.0
    return photon_scale / noise_level ** 2, read_sigma * noise_level


def _correlation_gain(sigma):
    """Factor that restores unit variance to white noise smoothed by Gaussian ``sigma``."""
    delta = np.zeros((33, 33))
    delta[16, 16] = 1.0
    k = ndi.gaussian_filter(delta, sigma)
    return 1.0 / np.sqrt(np.sum(k ** 2))


def noise_residual(rng, expected, photons, read, corr_sigma=0.0):
    """Zero-mean Poisson-Gaussian noise for the noise-free image ``expected``.

    Per pixel the variance is ``expected / photons + read**2`` (shot noise of
    ``expected * photons`` photo-electrons plus Gaussian read noise). With
    ``corr_sigma > 0`` the noise is then smoothed by a Gaussian of that many pixels and
    rescaled so the per-pixel variance is unchanged (camera demosaicing, denoising and
    downscaling make phone noise spatially correlated).
    """
    expected = np.clip(np.asarray(expected, dtype=np.float64), 0.0, None)
    if not np.isfinite(photons):
        return np.zeros_like(expected)
    shot = rng.poisson(expected * photons) / photons - expected
    res = shot + rng.normal(0.0, read, size=expected.shape) if read > 0 else shot
    if corr_sigma > 0:
        res = ndi.gaussian_filter(res, corr_sigma, mode="reflect") * _correlation_gain(corr_sigma)
    return res


def sharpen(image, amount, sigma=2.0):
    """Unsharp masking as done by phone image processors: ``x + amount (x - G_sigma x)``.

    It leaves a dark rim around bright beads and anti-correlates the noise at a few
    pixels' lag, as in the real photos. ``amount`` 0 returns ``image`` unchanged.
    """
    if amount <= 0:
        return image
    return image + amount * (image - ndi.gaussian_filter(image, sigma, mode="reflect"))


def to_uint8(image):
    """Clip to [0, 1] and round to 8-bit."""
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def jpeg_roundtrip(rgb, quality, subsampling="4:2:0"):
    """Encode an 8-bit RGB (or grey) image as JPEG in memory with PIL and decode it."""
    if quality is None:
        return rgb
    buf = io.BytesIO()
    img = Image.fromarray(rgb)
    kwargs = {"quality": int(quality)}
    if img.mode == "RGB":
        kwargs["subsampling"] = subsampling
    img.save(buf, format="JPEG", **kwargs)
    buf.seek(0)
    with Image.open(buf) as dec:
        return np.asarray(dec.convert(img.mode)).copy()
