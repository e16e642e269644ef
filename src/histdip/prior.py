"""The histogram threshold prior: separate fluorescence signal from the noise floor.

All thresholds live on the paper's grey scale, 0-255 BT.601 luma, whatever the input's
bit depth or the channel being fitted (:func:`gray_for_threshold`). The foreground mask is ``gray > T`` (strict), as in the
authors' code, and the background is hard-zeroed without rescaling the signal.
"""

from __future__ import annotations

import numpy as np
from skimage import filters

from .color import luma
from .errors import ConfigError, InputError, NoSignalError
from .intensity import to_unit

_RULES = {
    "otsu": filters.threshold_otsu,
    "triangle": filters.threshold_triangle,
    "li": filters.threshold_li,
    "yen": filters.threshold_yen,
}


def gray_for_threshold(image):
    """Grey image on 0-255 on which T is chosen: the paper's semantics.

    A colour image gives its BT.601 luma, whatever channel is then fitted, so a T read
    off the paper (or off ``histdip threshold``) means the same thing everywhere; a grey
    image is used as it is. The native scale (8-bit, 16-bit, float) is first mapped to
    [0, 1] by :func:`histdip.intensity.to_unit`.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, C)
        In its native intensity units.
    """
    return 255.0 * luma(to_unit(image))


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


def foreground_mask(gray, threshold):
    """Binary signal mask ``gray > threshold`` (strict, as the paper's code)."""
    return np.asarray(gray) > threshold


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


def threshold_report(gray, rule="otsu"):
    """T and the foreground fraction, as ``histdip threshold`` prints them."""
    t = threshold_value(gray, rule)
    return {"threshold": t, "foreground_fraction": float(np.mean(foreground_mask(gray, t)))}
