"""Colour handling: grey conversion and choice of the channel that carries the signal.

Smartphone fluorescence photos are RGB, but the fluorescence of green beads lives almost
entirely in the green channel; the paper converts to grey with BT.601 luma.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError, InputError

#: BT.601 luma weights, as used by the paper (and PIL's ``convert("L")``).
BT601 = np.array([0.299, 0.587, 0.114])

#: Names accepted by :func:`select_channel`.
CHANNEL_NAMES = ("auto", "luma", "red", "green", "blue", "rgb")


def luma(image):
    """BT.601 luma of an RGB image; a 2-D image is returned unchanged (as float).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        C >= 3; extra channels (alpha) are ignored.

    Returns
    -------
    ndarray, shape (H, W), float64
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.float64)
    return image[..., :3].astype(np.float64) @ BT601


def auto_channel(image):
    """Index of the channel that carries the fluorescence.

    The channel with the largest spread between its median (the background) and its
    99.9th percentile (the brightest signal) wins; that is the green channel for the
    paper's photos, where red and blue are near zero.
    """
    image = np.asarray(image)
    n = min(image.shape[-1], 3)
    spread = [np.percentile(image[..., c], 99.9) - np.median(image[..., c]) for c in range(n)]
    return int(np.argmax(spread))


def select_channel(image, channel="auto"):
    """Reduce a colour image to the plane histdip works on.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    channel : {'auto', 'luma', 'red', 'green', 'blue', 'rgb'} or int or str of int
        ``'auto'`` picks the channel carrying the fluorescence (:func:`auto_channel`),
        ``'luma'`` is the paper's BT.601 grey, ``'rgb'`` keeps the three colour planes
        (the paper's network fits RGB). A grey image ignores this setting.

    Returns
    -------
    ndarray, shape (H, W) or (H, W, 3), float64
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.float64)
    if image.ndim != 3:
        raise InputError(f"expected a 2-D grey or 3-D colour image, got shape {image.shape}")
    spec = str(channel).lower()
    nch = image.shape[-1]
    if spec == "auto":
        return image[..., auto_channel(image)].astype(np.float64)
    if spec == "luma":
        if nch < 3:
            return image[..., 0].astype(np.float64)
        return luma(image)
    if spec == "rgb":
        if nch < 3:
            raise ConfigError(f"channel 'rgb' needs a colour image; this one has {nch} channel(s)")
        return image[..., :3].astype(np.float64)
    names = {"red": 0, "green": 1, "blue": 2}
    if spec in names:
        index = names[spec]
    elif spec.isdigit():
        index = int(spec)
    else:
        raise ConfigError(f"unknown channel {channel!r}; use one of {', '.join(CHANNEL_NAMES)} or an index")
    if index >= nch:
        raise ConfigError(f"channel {channel!r} asked for, but the image has only {nch} channel(s)")
    return image[..., index].astype(np.float64)
