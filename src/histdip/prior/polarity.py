"""Polarity: are the objects brighter than their background (fluorescence) or darker
(brightfield)?

Dark objects on a bright field are the mirror of bright objects on a dark field: with
polarity ``dark`` the pipeline inverts the working planes (``1 - x`` on the unit scale,
:func:`histdip.planes.read_planes`) so that the background envelope, the learned split
and the fit run unchanged, and inverts back the layers that are recordings.

``polarity='auto'`` reads it from the image (:func:`read_polarity`): **after removing a
smooth background (block medians, which neither bright nor dark sparse objects can
move), the tail of the residual that holds more mass beyond** :data:`K_SIGMA` **robust
noise sigma is the objects' side.** Nothing in it is fitted to particular images: the
median is symmetric, the noise sigma is the residual's own MAD, and the decision is
which of two sums is larger (a tie, e.g. a flat frame, reads as bright, the
fluorescence default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..errors import ConfigError

#: The values of ``polarity``.
POLARITIES = ("auto", "bright", "dark")

#: Robust noise sigmas beyond which a residual counts as an object's light (or shadow).
K_SIGMA = 3.0

#: The background's blocks are about this fraction of the image's shorter side (at
#: least :data:`MIN_BLOCK` px): larger than beads and cells, smaller than vignetting.
BLOCK_FRACTION = 1.0 / 12.0
MIN_BLOCK = 16

#: The residual is read on at most about this many pixels (a regular subsample): a
#: 12 MP photo decides as a 2 MP one does.
MAX_PIXELS = 2 ** 21


@dataclass(frozen=True)
class PolarityChoice:
    """The polarity used, and how it was found.

    Attributes
    ----------
    polarity : {'bright', 'dark'}
    reason : str
        One line for people.
    dark_share : float or None
        The dark tail's share of the residual mass beyond :data:`K_SIGMA` sigma (0-1);
        None where the polarity was given, not read.
    """

    polarity: str
    reason: str
    dark_share: float | None = None

    @property
    def is_dark(self):
        return self.polarity == "dark"

    def to_dict(self):
        return {"polarity": self.polarity, "polarity_reason": self.reason,
                "polarity_dark_share": None if self.dark_share is None else round(float(self.dark_share), 4)}


def _block_background(grey, block):
    # Block medians, bilinearly upsampled to the image's pixels.
    h, w = grey.shape
    nh, nw = max(1, h // block), max(1, w // block)
    bh, bw = h // nh, w // nw
    core = grey[: nh * bh, : nw * bw].reshape(nh, bh, nw, bw)
    medians = np.median(core.transpose(0, 2, 1, 3).reshape(nh, nw, -1), axis=-1)
    yy = np.clip((np.arange(h) - (bh - 1) / 2.0) / bh, 0, nh - 1)
    xx = np.clip((np.arange(w) - (bw - 1) / 2.0) / bw, 0, nw - 1)
    return ndimage.map_coordinates(medians, np.meshgrid(yy, xx, indexing="ij"), order=1, mode="nearest")


def tail_masses(grey, *, k=K_SIGMA):
    """(bright, dark): the residual's mass above and below ``k`` robust noise sigma.

    Parameters
    ----------
    grey : ndarray, (H, W)
        The image's grey (any scale).
    k : float
        The cut, in robust noise sigmas of the residual (1.4826 x its MAD).

    Returns
    -------
    (float, float)
        Sums of ``r - k s`` over pixels with ``r > k s`` and of ``-r - k s`` over pixels
        with ``r < -k s``, where ``r`` is the grey less its block-median background.

    >>> rng = np.random.default_rng(0)
    >>> field = 0.8 + 0.01 * rng.standard_normal((128, 128))
    >>> field[40:48, 40:48] -= 0.3  # a dark object
    >>> bright, dark = tail_masses(field)
    >>> bool(dark > bright)
    True
    """
    grey = np.asarray(grey, dtype=np.float64)
    if grey.ndim != 2:
        raise ConfigError(f"the polarity is read on a 2-D grey, got shape {grey.shape}")
    step = max(1, int(np.sqrt(grey.size / MAX_PIXELS)))
    grey = grey[::step, ::step]
    block = max(MIN_BLOCK // step, int(round(min(grey.shape) * BLOCK_FRACTION)), 2)
    residual = grey - _block_background(grey, block)
    sigma = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    if not sigma > 1e-9:  # a frame flat but for a few pixels: the mean deviation instead
        sigma = float(np.mean(np.abs(residual)))
        if not sigma > 1e-9:  # flat to rounding: no object on either side
            return 0.0, 0.0
    cut = k * sigma
    bright = float(np.sum(np.maximum(residual - cut, 0.0)))
    dark = float(np.sum(np.maximum(-residual - cut, 0.0)))
    return bright, dark


def read_polarity(grey, polarity="auto"):
    """The :class:`PolarityChoice` of an image from its grey (see the module's text).

    Parameters
    ----------
    grey : ndarray, (H, W)
        The BT.601 grey on [0, 1] (:attr:`histdip.planes.Planes.luma`), not inverted.
    polarity : {'auto', 'bright', 'dark'}
        A given polarity is returned as given.

    Raises
    ------
    ConfigError
        An unknown ``polarity``.
    """
    name = str(polarity).lower()
    if name not in POLARITIES:
        raise ConfigError(f"unknown polarity {polarity!r}; use one of {', '.join(POLARITIES)}")
    if name != "auto":
        kind = "dark objects on a bright field" if name == "dark" else "objects brighter than the background"
        return PolarityChoice(name, f"polarity {name} (given): {kind}")
    bright, dark = tail_masses(grey)
    total = bright + dark
    share = dark / total if total > 0 else 0.0
    chosen = "dark" if dark > bright else "bright"
    what = "dark objects on a bright field" if chosen == "dark" else "objects brighter than the background"
    return PolarityChoice(chosen, f"polarity {chosen} (auto): {100 * share:.0f}% of the light beyond {K_SIGMA:g} "
                          f"noise sigma of the smooth background lies below it: {what}", share)
