"""Smooth background under fluorescence: estimated, so that it can be subtracted.

Smartphone fluorescence photos sit on an uneven glow (excitation leak, lens flare, haze)
that a single global threshold cannot separate from dim signal: a threshold low enough
to keep dim beads keeps the bright corner of the background too. Subtracting a smooth
background first, as ImageJ's "Subtract Background" does, makes one threshold fit the
whole field. :func:`auto_background_radius` sizes the ball to the objects.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import ConfigError, InputError
from .threshold import foreground_mask, threshold_value

METHODS = ("envelope", "rolling-ball", "tophat", "gaussian", "none")


def _rolling_ball(img, radius, smooth=2.0):
    """ImageJ-style rolling-ball background of a [0, 1] image.

    The ball has spatial radius ``radius`` pixels and intensity semi-axis
    ``radius / 255`` (what ImageJ's "Subtract Background" does on 8-bit data). The
    image is first smoothed with a Gaussian of sigma ``smooth`` (ImageJ smooths with a
    3x3 mean): a lower envelope of a noisy image sits several noise sigmas too low,
    and smoothing cuts that bias. As in ImageJ, large balls run on a shrunken image
    (block means here, factor 2 for radius 10-30, 4 for 30-100, 8 above) and the
    background is interpolated back up; it never exceeds the smoothed image.
    """
    from skimage.restoration import ellipsoid_kernel, rolling_ball

    sm = ndimage.gaussian_filter(img, smooth, mode="reflect") if smooth > 0 else img
    shrink = 1 if radius <= 10 else 2 if radius <= 30 else 4 if radius <= 100 else 8
    small = sm
    if shrink > 1:
        h, w = img.shape
        ph, pw = (-h) % shrink, (-w) % shrink
        padded = np.pad(sm, ((0, ph), (0, pw)), mode="edge")
        small = padded.reshape(padded.shape[0] // shrink, shrink,
                               padded.shape[1] // shrink, shrink).mean(axis=(1, 3))
    r = max(radius / shrink, 1.0)
    size = 2 * int(np.ceil(r)) + 1
    kernel = ellipsoid_kernel((size, size), radius / 255.0)
    bg = rolling_ball(small, kernel=kernel)
    if shrink > 1:
        # block centres sit at (shrink - 1) / 2 + shrink * k in full-resolution pixels
        yy = (np.arange(img.shape[0]) - (shrink - 1) / 2.0) / shrink
        xx = (np.arange(img.shape[1]) - (shrink - 1) / 2.0) / shrink
        grid = np.meshgrid(yy, xx, indexing="ij")
        bg = ndimage.map_coordinates(bg, grid, order=1, mode="nearest")
    return np.minimum(bg, sm)


def estimate_background(image, method="rolling-ball", radius=25.0):
    """Smooth background estimate of a 2-D image on [0, 1].

    Parameters
    ----------
    image : ndarray, (H, W)
        Intensities on [0, 1] (the rolling ball's height is scaled for that range).
    method : {'envelope', 'rolling-ball', 'tophat', 'gaussian', 'none'}
        ``'envelope'``: the noise-tolerant lower envelope of
        :func:`histdip.prior.lower_envelope`, smooth over ``radius`` px.
        ``'rolling-ball'``: ImageJ's rolling ball on the image smoothed with sigma 2
        (underscores are accepted: ``'rolling_ball'``). ``'tophat'``: grey opening with
        a disk of ``radius`` (the background of a white top-hat). ``'gaussian'``:
        Gaussian blur with sigma ``radius`` (includes some signal). ``'none'``: zeros.
    radius : float
        In pixels; choose it larger than the largest object that is signal.

    Returns
    -------
    ndarray, float64, (H, W)
        Never above the (smoothed) image for ``rolling-ball`` and ``tophat``.

    Examples
    --------
    >>> import numpy as np
    >>> ramp = np.tile(np.linspace(0.2, 0.4, 64), (64, 1))
    >>> img = ramp.copy(); img[30:34, 30:34] += 0.5
    >>> bg = estimate_background(img, radius=10)
    >>> bool(abs(bg[10, 10] - ramp[10, 10]) < 0.02 and img[32, 32] - bg[32, 32] > 0.4)
    True
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2 or min(img.shape, default=0) < 2:
        raise InputError(f"background estimation takes a 2-D image, got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        raise InputError("image contains NaN or infinite values")
    if not radius > 0:
        raise ConfigError(f"background radius must be > 0, got {radius}")
    name = (method or "none").replace("_", "-")
    if name == "envelope":
        from .envelope import lower_envelope

        return lower_envelope(img, float(radius))
    if name == "rolling-ball":
        return _rolling_ball(img, float(radius))
    if name == "tophat":
        from skimage.morphology import disk, opening

        return opening(img, disk(int(round(radius))))
    if name == "gaussian":
        return ndimage.gaussian_filter(img, sigma=float(radius), mode="reflect")
    if name == "none":
        return np.zeros_like(img)
    raise ConfigError(f"unknown background method {method!r}; use {', '.join(METHODS)}")


def subtract_background(image, method="rolling-ball", radius=25.0):
    """``image`` minus its background, clipped at 0; colour planes one at a time.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, C), on [0, 1]
    method, radius
        As :func:`estimate_background`.

    Returns
    -------
    ndarray, float64, same shape
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        return np.stack([subtract_background(img[..., c], method, radius) for c in range(img.shape[-1])], -1)
    return np.maximum(img - estimate_background(img, method, radius), 0.0)


#: How ``background_radius='auto'`` chooses the rolling-ball radius (see
#: :func:`auto_background_radius`).
AUTO_RADIUS = {"first_pass": 50.0, "rule": "yen", "factor": 1.5, "smallest": 6.0, "largest": 64.0, "fallback": 25.0}


def object_radius(grey, threshold, *, min_size=4, percentile=90.0):
    """Radius in pixels of the larger objects above T.

    Each connected object of ``grey > threshold`` (specks under ``min_size`` pixels
    dropped) is measured by the largest disc that fits inside it (the maximum of its
    distance transform): thin flare spokes and touching neighbours do not inflate it
    the way an area or a bounding box would. Returns that radius's ``percentile`` over
    the objects, or None when there is no object.

    Examples
    --------
    >>> yy, xx = np.mgrid[:64, :64]
    >>> g = 200.0 * ((np.hypot(yy - 20, xx - 20) < 6) | (np.hypot(yy - 45, xx - 40) < 6))
    >>> round(object_radius(g, 100.0), 1)
    6.0
    """
    mask = foreground_mask(grey, threshold, min_size=min_size)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return None
    inscribed = ndimage.maximum(ndimage.distance_transform_edt(mask), labels, index=np.arange(1, n + 1))
    return float(np.percentile(inscribed, percentile))


def auto_background_radius(luma, *, smooth=0.0):
    """Rolling-ball radius matched to the objects of an image, from its grey ``luma``.

    A first pass subtracts a generous background (50 px), thresholds with Yen's rule
    (on the grey smoothed by ``smooth``) and measures the objects
    (:func:`object_radius`); the radius is 1.5 times that, within 6-64 px (25 px
    when nothing is found): a ball much larger than the beads leaves their flare and
    halo under them (docs/decisions/background-radius.md). The first pass always uses Yen's rule, whatever
    T the restoration then uses: it only measures the objects, and a lower T (Otsu's)
    lets haze blobs pass for large objects.

    Parameters
    ----------
    luma : ndarray, (H, W)
        The image's BT.601 grey on [0, 1].
    smooth : float
        Gaussian sigma applied to the grey before thresholding (as the restore does).
    """
    a = AUTO_RADIUS
    grey = 255.0 * subtract_background(luma, "rolling-ball", a["first_pass"])
    if smooth > 0:
        grey = ndimage.gaussian_filter(grey, smooth, mode="reflect")
    radius = object_radius(grey, threshold_value(grey, a["rule"]))
    if radius is None:
        return a["fallback"]
    return float(np.clip(a["factor"] * radius, a["smallest"], a["largest"]))
