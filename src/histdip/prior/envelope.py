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
    """The smooth background of a 2-D image that bright sparse objects do not lift
    (:func:`trace_envelope`: a 1-D trace's).

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



def trace_envelope(trace, scale, *, noise=None, tolerance=TOLERANCE, rounds=ROUNDS):
    """The baseline of a 1-D trace under events that rise above it: the lower envelope
    of :func:`lower_envelope` along one axis.

    Samples more than ``tolerance`` noise deviations above the envelope are left out of
    the smoothing (a normalised convolution) rather than clipped to it: a recording's
    events can fill most of a short trace (a nanopore event is often 80 % of its
    record), and clipped values there, each ``tolerance`` deviations above the
    envelope, would lift it towards them. Started from a running minimum, below the
    baseline, each round raises the envelope to the mean of the samples it admits,
    which stops at the baseline's mean (within 0.06 noise deviations).

    Parameters
    ----------
    trace : ndarray, (L,)
        Any units; ``noise`` in the same.
    scale : float
        Gaussian sigma (samples) of the baseline's smoothness: longer than the events.
    noise, tolerance, rounds
        As :func:`lower_envelope`'s.

    Returns
    -------
    ndarray, float64, (L,)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0, 1, 600); x[60:540] += 15
    >>> bool(np.abs(trace_envelope(x, 400.0)).max() < 0.5)
    True
    """
    trace = np.asarray(trace, dtype=np.float64)
    if trace.ndim != 1 or trace.size < 2:
        raise InputError(f"a trace envelope takes a 1-D trace of 2 or more samples, got shape {trace.shape}")
    if not scale > 0:
        raise ConfigError(f"background scale must be > 0, got {scale}")
    from ..noise import estimate_noise

    if noise is None:
        noise = estimate_noise(trace)
    n = trace.size
    # Blocks of a sixteenth of the scale (a quarter in 2-D): a short trace needs blocks
    # short enough that a few hold only baseline.
    f = int(max(1, min(scale // 16, n // 64)))
    pad = (-n) % f
    small = np.pad(trace, (0, pad), mode="reflect" if n > pad else "edge").reshape(-1, f).mean(axis=1)
    sigma = scale / f

    def smooth(x):
        m = int(min(np.ceil(3 * sigma), x.size - 1))
        if m < 1:
            return ndimage.gaussian_filter1d(x, sigma, mode="nearest")
        padded = np.pad(x, m, mode="reflect", reflect_type="odd")
        return ndimage.gaussian_filter1d(padded, sigma, mode="nearest")[m:-m]

    width = max(3, int(round(2 * sigma)) | 1)
    env = smooth(ndimage.minimum_filter1d(small, min(width, small.size), mode="nearest"))
    # A mean of f samples has 1/f of their white-noise variance, but slow (1/f) noise
    # does not average away: the block means' own scatter (second differences, robust
    # to the few blocks an event's edge crosses) is the floor.
    scatter = 0.0
    if small.size >= 32:  # fewer blocks: an event's own blocks would set the scatter
        r = np.diff(small, 2) / np.sqrt(6.0)
        scatter = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    for _ in range(int(rounds)):
        sd = np.maximum(np.sqrt(np.maximum(noise.variance(env), 0.0) / f), scatter)
        keep = (small <= env + tolerance * sd).astype(np.float64)
        # Zeros beyond the ends: a repeated end block would outweigh the rest of a
        # trace shorter than the smoothing.
        weight = ndimage.gaussian_filter1d(keep, sigma, mode="constant")
        mean = ndimage.gaussian_filter1d(keep * small, sigma, mode="constant")
        # Far from any admitted sample the last envelope stands.
        env = np.where(weight > 1e-3, mean / np.maximum(weight, 1e-3), env)
    if f == 1:
        return env
    return np.interp(np.arange(n), (f - 1) / 2.0 + f * np.arange(small.size), env)
