"""The threshold mask of an image, as a restoration would use it, without fitting.

:func:`mask_preview` runs the first stages of a restoration
(:meth:`histdip.HistDip.prepare`, what ``histdip threshold`` shows), so the mask the
widget draws while T moves is the one the run will fit to. No Qt and no napari here:
the widget calls it in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..pipeline import HistDip

__all__ = ["MaskPreview", "mask_preview", "run_settings"]


@dataclass(frozen=True)
class MaskPreview:
    """The mask of one image at one T.

    Attributes
    ----------
    mask : ndarray of bool, (H, W)
        The foreground a restoration would fit (the learned split's, with T automatic).
    threshold : float
        T on the grey the mask was cut from (0-255).
    fraction : float
        The share of pixels in the mask.
    text : str
        One line for people: T, the grey it lives on, the foreground share.
    """

    mask: np.ndarray
    threshold: float
    fraction: float
    text: str


def run_settings(*, channel="auto", threshold=None, iterations=None, seed=0):
    """The :class:`~histdip.RestoreConfig` fields the widget's controls set.

    ``threshold`` None leaves T to histdip (the default's learned split); a number is
    the paper's T, ``grey > T`` on the raw BT.601 grey (:func:`histdip.config.resolve_config`).

    >>> run_settings(channel="green", threshold=143.0, seed=2)
    {'channel': 'green', 'seed': 2, 'threshold': 143.0}
    """
    settings = {"channel": channel, "seed": int(seed)}
    if threshold is not None:
        settings["threshold"] = float(threshold)
    if iterations is not None:
        settings["iterations"] = int(iterations)
    return settings


def mask_preview(image, *, channel="auto", threshold=None):
    """The mask a restoration of ``image`` would fit, and T.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, 3)
        The image in its own units.
    channel : str
        Which plane is restored (:data:`histdip.colour.CHANNEL_NAMES`).
    threshold : float or None
        The paper's T on the raw grey; None: histdip's own choice (the learned split).

    Returns
    -------
    MaskPreview

    Raises
    ------
    histdip.InputError, histdip.ConfigError
        An image or setting histdip cannot use, in one line.

    Examples
    --------
    >>> img = np.zeros((64, 64), np.uint8); img[20:30, 20:30] = 200
    >>> p = mask_preview(img, threshold=100)
    >>> p.threshold, round(p.fraction, 4)
    (100.0, 0.0244)
    """
    prep = HistDip(**run_settings(channel=channel, threshold=threshold)).prepare(image)
    # With T automatic, the mask the fit is guided by is the learned split's, even
    # where the recording is fitted whole (its own prior then keeps every pixel).
    prior = prep.split_prior if prep.split_prior is not None else prep.prior
    mask = np.asarray(prior.mask, dtype=bool)
    fraction = float(mask.mean())
    how = "auto: learned T" if prep.split_prior is not None else "T"
    text = f"{how} = {prior.threshold:.4g} on the {prior.describe_grey()}; foreground {100 * fraction:.1f} %"
    if prep.primary is not None:
        text += f"; output: {prep.config.primary}"
    return MaskPreview(mask, float(prior.threshold), fraction, text)
