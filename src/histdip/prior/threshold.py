"""The histogram threshold: T, the foreground mask and the masked target.

All thresholds live on the paper's grey scale, 0-255 BT.601 luma, whatever the input's
bit depth or the channel being fitted. The foreground mask is ``grey > T`` (strict), as
in the authors' code, and the background is hard-zeroed without rescaling the signal.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import filters

from ..errors import ConfigError, InputError, NoSignalError

_RULES = {
    "otsu": filters.threshold_otsu,
    "triangle": filters.threshold_triangle,
    "li": filters.threshold_li,
    "yen": filters.threshold_yen,
}


def threshold_value(grey, rule="otsu"):
    """The threshold T for a grey image on 0-255.

    Parameters
    ----------
    grey : ndarray
        Grey image on the 0-255 scale (:attr:`histdip.prior.Prior.grey`).
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
    >>> grey = np.r_[np.full(90, 10.0), np.full(10, 200.0)]
    >>> threshold_value(grey, "percentile:90") >= 10
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
    grey = np.asarray(grey, dtype=np.float64)
    if grey.size == 0:
        raise InputError("cannot threshold an empty image")
    if spec.startswith("percentile:"):
        return float(np.percentile(grey, float(spec.split(":", 1)[1])))
    if spec not in _RULES:
        raise ConfigError(f"unknown threshold rule {rule!r}; use a number 0-255, {', '.join(_RULES)} or percentile:P")
    if np.ptp(grey) == 0:
        return float(grey.flat[0])
    # Rules work on the 256-bin histogram, as the paper's hand choice did.
    return float(_RULES[spec](grey, nbins=256) if spec != "li" else _RULES[spec](grey))


def foreground_mask(grey, threshold, *, low=None, min_size=0, grow=0):
    """Binary signal mask ``grey > threshold`` (strict, as the paper's code).

    Parameters
    ----------
    grey : ndarray
        Grey image on 0-255 (:attr:`histdip.prior.Prior.grey`).
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
    grey = np.asarray(grey)
    mask = grey > threshold
    eight = np.ones((3, 3), dtype=bool)
    if low is not None and low < threshold and mask.any():
        # Keep the components of grey > low that hold a pixel above T (what
        # skimage.filters.apply_hysteresis_threshold does, with 8-connectivity here,
        # as the rest of the prior's labelling).
        labels, n = ndimage.label(grey > low, structure=eight)
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
