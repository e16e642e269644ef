"""The recorded background as a lower envelope that sparse bright objects cannot lift.

Haze, flare and uneven illumination are smooth; fluorescent objects are bright and
sparse. :func:`lower_envelope` smooths the image, then again and again smooths the
image clipped from above at the current estimate plus ``tolerance`` noise standard
deviations: an object pokes through the clip and is cut off, while the background's own
noise, which stays within the tolerance, keeps the envelope at the background's mean
rather than at its noise minima (the Poisson tolerance of Sparse-SIM's and WBNS's
backgrounds; the idea, not their code). The noise is read from the image
(:func:`histdip.noise.estimate_noise`), so the tolerance follows the level.

It runs on block means of about a quarter of the smoothing scale, so a 12 MP photo
costs a fraction of a second.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import ConfigError, InputError
from ..tensors import block_mean

#: Noise standard deviations an image may rise above the envelope and still count as
#: background; 2 keeps the clipped mean of Gaussian noise within 0.01 sigma of its mean.
TOLERANCE = 2.0

#: Clip-and-smooth rounds; the envelope moves by less than 1% of the noise after these.
ROUNDS = 15


def _block_means(img, f):
    h, w = img.shape
    ph, pw = (-h) % f, (-w) % f
    padded = np.pad(img, ((0, ph), (0, pw)), mode="reflect" if min(h, w) > max(ph, pw) else "edge")
    return block_mean(padded, f)


def _upsample(small, f, shape):
    # block centres sit at (f - 1) / 2 + f * k in full-resolution pixels
    yy = (np.arange(shape[0]) - (f - 1) / 2.0) / f
    xx = (np.arange(shape[1]) - (f - 1) / 2.0) / f
    return ndimage.map_coordinates(small, np.meshgrid(yy, xx, indexing="ij"), order=1, mode="nearest")


def _smooth(x, sigma):
    # Point reflection at the edges continues a slope straight on: a plain mirror bends
    # a ramp into a V there, and the clip then drags the envelope down along the edges.
    m = int(min(np.ceil(3 * sigma), min(x.shape) - 1))
    if m < 1:
        return ndimage.gaussian_filter(x, sigma, mode="nearest")
    padded = np.pad(x, m, mode="reflect", reflect_type="odd")
    return ndimage.gaussian_filter(padded, sigma, mode="nearest")[m:-m, m:-m]


def lower_envelope(image, scale, *, noise=None, tolerance=TOLERANCE, rounds=ROUNDS):
    """The smooth background of a 2-D image that bright sparse objects do not lift.

    Parameters
    ----------
    image : ndarray, (H, W)
        Intensities on [0, 1].
    scale : float
        Gaussian sigma (px) of the background's smoothness; larger than the objects'
        radius, smaller than the haze's variations.
    noise : noise model, optional
        The image's noise (:func:`histdip.noise.estimate_noise`); estimated when None.
    tolerance : float
        How far above the envelope, in noise standard deviations, a pixel still counts
        as background.
    rounds : int
        Clip-and-smooth rounds.

    Returns
    -------
    ndarray, float64, (H, W)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ramp = np.tile(np.linspace(0.2, 0.4, 96), (96, 1))
    >>> img = ramp + 0.01 * rng.standard_normal(ramp.shape)
    >>> img[40:50, 40:50] += 0.5
    >>> bg = lower_envelope(img, 12.0)
    >>> bool(abs(bg[45, 45] - ramp[45, 45]) < 0.01 and abs(bg[10, 80] - ramp[10, 80]) < 0.01)
    True
    """
    from ..noise import estimate_noise

    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2 or min(img.shape, default=0) < 2:
        raise InputError(f"a background envelope takes a 2-D image, got shape {img.shape}")
    if not scale > 0:
        raise ConfigError(f"background scale must be > 0, got {scale}")
    if noise is None:
        noise = estimate_noise(img)
    f = int(max(1, min(scale // 4, min(img.shape) // 8)))
    small = _block_means(img, f)
    sigma = scale / f
    env = _smooth(small, sigma)
    for _ in range(int(rounds)):
        # The block mean of f x f pixels has 1/f^2 of the pixels' noise variance
        # (estimate_noise reads the noise of 2 x 2 bins, so short-range correlation is in it).
        sd = np.sqrt(np.maximum(noise.variance(env), 0.0)) / f
        env = _smooth(np.minimum(small, env + tolerance * sd), sigma)
    return env if f == 1 else _upsample(env, f, img.shape)
