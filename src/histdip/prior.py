"""The histogram threshold prior: separate fluorescence signal from the noise floor.

All thresholds live on the paper's grey scale, 0-255 BT.601 luma, whatever the input's
bit depth or the channel being fitted (:func:`gray_for_threshold`). The foreground mask is ``gray > T`` (strict), as in the
authors' code, and the background is hard-zeroed without rescaling the signal.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import filters

from .background import subtract_background
from .color import luma
from .errors import ConfigError, InputError, NoSignalError
from .intensity import to_unit

_RULES = {
    "otsu": filters.threshold_otsu,
    "triangle": filters.threshold_triangle,
    "li": filters.threshold_li,
    "yen": filters.threshold_yen,
}


def gray_for_threshold(image, background="none", radius=50.0):
    """Grey image on 0-255 on which T is chosen: the paper's semantics.

    A colour image gives its BT.601 luma, whatever channel is then fitted, so a T read
    off the paper (or off ``histdip threshold``) means the same thing everywhere; a grey
    image is used as it is. The native scale (8-bit, 16-bit, float) is first mapped to
    [0, 1] by :func:`histdip.intensity.to_unit`.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, C)
        In its native intensity units.
    background : {'none', 'rolling-ball', 'tophat'}
        Subtract this smooth background from the grey first
        (:func:`histdip.background.subtract_background`); T then lives on the
        background-subtracted scale. ``'none'`` is the paper's way.
    radius : float
        Background radius in pixels.
    """
    gray = luma(to_unit(image))
    if background != "none":
        gray = subtract_background(gray, background, radius)
    return 255.0 * gray


def threshold_value(gray, rule="otsu"):
    """The threshold T for a grey image on 0-255.

    Parameters
    ----------
    gray : ndarray
        Grey image on the 0-255 scale (see :func:`gray_for_threshold`).
    rule : float or str
        A number is a manual T (the paper's choice, made by eye from the histogram).
        ``'otsu'``, ``'triangle'``, ``'li'``, ``'yen'`` are scikit-image's automatic
        rules; ``'percentile:P'`` keeps the brightest ``100 - P`` percent.

    Returns
    -------
    float
        T on 0-255.

    Examples
    --------
    >>> import numpy as np
    >>> gray = np.r_[np.full(90, 10.0), np.full(10, 200.0)]
    >>> threshold_value(gray, "percentile:90") >= 10
    True
    """
    if isinstance(rule, (int, float, np.number)) and not isinstance(rule, bool):
        t = float(rule)
        if not 0 <= t <= 255:
            raise ConfigError(f"threshold T={t:g} is outside 0-255 (the paper's grey scale)")
        return t
    spec = str(rule).strip().lower()
    try:
        return threshold_value(float(spec))
    except ValueError:
        pass
    gray = np.asarray(gray, dtype=np.float64)
    if gray.size == 0:
        raise InputError("cannot threshold an empty image")
    if spec.startswith("percentile:"):
        return float(np.percentile(gray, float(spec.split(":", 1)[1])))
    if spec not in _RULES:
        raise ConfigError(f"unknown threshold rule {rule!r}; use a number 0-255, {', '.join(_RULES)} or percentile:P")
    if np.ptp(gray) == 0:
        return float(gray.flat[0])
    # Rules work on the 256-bin histogram, as the paper's hand choice did.
    return float(_RULES[spec](gray, nbins=256) if spec != "li" else _RULES[spec](gray))


def foreground_mask(gray, threshold, *, low=None, min_size=0, grow=0):
    """Binary signal mask ``gray > threshold`` (strict, as the paper's code).

    Parameters
    ----------
    gray : ndarray
        Grey image on 0-255 (see :func:`gray_for_threshold`).
    threshold : float
        T on the same scale.
    low : float, optional
        A second, lower T: hysteresis thresholding. Pixels above ``low`` are kept where
        they connect (8-connectivity) to a pixel above ``threshold``: dim parts of an
        object whose brightest parts pass T (a filament fading along its length, the
        dim body of a cell) are kept, isolated noise above ``low`` is not. A ``low`` at
        or above ``threshold`` changes nothing. None: one T (the paper).
    min_size : int
        Drop connected specks (8-connectivity) of fewer pixels: single noise peaks
        above T are not objects. 0 keeps all (the paper).
    grow : int
        Then dilate the mask by this many pixels (3 x 3 steps), so the rims of objects,
        softened by the optics below T, are not cut off. 0: the paper's mask.

    Examples
    --------
    >>> g = np.zeros((9, 9)); g[4, 4] = 200; g[0, 0] = 200; g[3:6, 3:6] += 100
    >>> int(foreground_mask(g, 50).sum()), int(foreground_mask(g, 50, min_size=2).sum())
    (10, 9)
    >>> int(foreground_mask(g, 50, min_size=2, grow=1).sum())
    25
    >>> g = np.zeros((5, 9)); g[2, 1:4] = [200, 60, 60]; g[2, 6:8] = 60
    >>> int(foreground_mask(g, 100).sum()), int(foreground_mask(g, 100, low=50).sum())
    (1, 3)
    """
    gray = np.asarray(gray)
    mask = gray > threshold
    eight = np.ones((3, 3), dtype=bool)
    if low is not None and low < threshold and mask.any():
        # Keep the components of gray > low that hold a pixel above T (what
        # skimage.filters.apply_hysteresis_threshold does, with 8-connectivity here,
        # as the rest of the prior's labelling).
        labels, n = ndimage.label(gray > low, structure=eight)
        keep = np.zeros(n + 1, dtype=bool)
        keep[np.unique(labels[mask])] = True
        keep[0] = False
        mask = keep[labels]
    if min_size > 1 and mask.any():
        labels, n = ndimage.label(mask, structure=eight)
        keep = np.bincount(labels.ravel()) >= min_size
        keep[0] = False
        mask = keep[labels]
    if grow > 0 and mask.any():
        mask = ndimage.binary_dilation(mask, structure=eight, iterations=int(grow))
    return mask


def masked_target(signal, mask, *, require_signal=True):
    """The paper's target: the signal with its background hard-zeroed.

    Parameters
    ----------
    signal : ndarray, (H, W) or (H, W, C)
    mask : ndarray of bool, (H, W)
    require_signal : bool
        Raise :class:`NoSignalError` when the mask is empty (nothing above T).
    """
    mask = np.asarray(mask, dtype=bool)
    if require_signal and not mask.any():
        raise NoSignalError("no pixel lies above the threshold: nothing to restore (lower T or check the image)")
    signal = np.asarray(signal)
    return signal * (mask[..., None] if signal.ndim == 3 else mask)


def threshold_report(gray, rule="otsu", low=None):
    """T (and the low T of a hysteresis pair) and the foreground fraction."""
    t = threshold_value(gray, rule)
    t_low = None if low is None else threshold_value(gray, low)
    return {"threshold": t, "threshold_low": t_low,
            "foreground_fraction": float(np.mean(foreground_mask(gray, t, low=t_low)))}



#: How ``background_radius='auto'`` chooses the rolling-ball radius (see
#: :func:`auto_background_radius`).
AUTO_RADIUS = {"first_pass": 50.0, "rule": "yen", "factor": 1.5, "smallest": 6.0, "largest": 64.0, "fallback": 25.0}


def object_radius(gray, threshold, *, min_size=4, percentile=90.0):
    """Radius in pixels of the larger objects above T.

    Each connected object of ``gray > threshold`` (specks under ``min_size`` pixels
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
    mask = foreground_mask(gray, threshold, min_size=min_size)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return None
    inscribed = ndimage.maximum(ndimage.distance_transform_edt(mask), labels, index=np.arange(1, n + 1))
    return float(np.percentile(inscribed, percentile))


def auto_background_radius(image, *, smooth=0.0):
    """Rolling-ball radius matched to the objects of ``image``.

    A first pass subtracts a generous background (50 px), thresholds with Yen's rule
    (on the grey smoothed by ``smooth``) and measures the objects
    (:func:`object_radius`); the radius is 1.5 times that, within 6-64 px (25 px
    when nothing is found). On simulated bead photos the best radius was 0.6-1.2
    bead diameters, and a fixed 25 px lost up to 12 dB against the clean signal on
    beads under 12 px (docs/results.md): a ball much larger than the beads leaves
    their flare and halo under them. The first pass always uses Yen's rule, whatever
    T the restoration then uses: it only measures the objects, and a lower T (Otsu's)
    lets haze blobs pass for large objects.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, C)
        In its native units.
    smooth : float
        Gaussian sigma applied to the grey before thresholding (as the restore does).
    """
    a = AUTO_RADIUS
    gray = gray_for_threshold(image, "rolling-ball", a["first_pass"])
    if smooth > 0:
        gray = ndimage.gaussian_filter(gray, smooth, mode="reflect")
    radius = object_radius(gray, threshold_value(gray, a["rule"]))
    if radius is None:
        return a["fallback"]
    return float(np.clip(a["factor"] * radius, a["smallest"], a["largest"]))
