"""The threshold prior as a pipeline stage: background, T and mask, from an image's planes.

:func:`threshold_prior` subtracts the background from the grey, chooses T on it and
builds the mask; the :class:`Prior` it returns gives the fitted signal and the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..config.schema import LEARNED
from ..errors import NoSignalError
from .background import auto_background_radius, estimate_background, subtract_background
from .envelope import lower_envelope
from .split import learn_split_multiscale
from .threshold import foreground_mask, masked_target, threshold_value


@dataclass(frozen=True, eq=False)
class Prior:
    """The threshold prior of one image.

    Attributes
    ----------
    grey : ndarray, (H, W)
        The grey T is chosen on, 0-255: BT.601 luma, background subtracted, smoothed.
    threshold, threshold_low : float, float or None
        T, and the low T of a hysteresis pair.
    mask : ndarray of bool, (H, W)
        The foreground: ``grey > T`` (with ``threshold_low``: hysteresis), specks
        dropped, grown.
    background : str
        The background subtracted (``none``, ``rolling-ball``, ``tophat``).
    background_radius : float or None
        Its radius in pixels (``auto`` resolved); None without a background.
    smooth : float
        The Gaussian sigma the grey was smoothed with.
    background_luma : ndarray, (H, W) or None
        For a grey image, its luma minus the background, on [0, 1], unsmoothed: the fitted
        signal itself. None for a colour image, whose fitted plane gets its own
        subtraction (:meth:`signal`); keeping it would hold one more image in memory.
    split : histdip.prior.Split or None
        The learned split (``threshold='learned'``); None for a given T or rule.
    gate : ndarray, (H, W) or None
        With a learned split, each pixel's probability of being signal: the target is
        the signal weighted by it rather than cut by the mask.
    envelope : ndarray, (H, W) or None
        With ``background='envelope'``, the grey's background on [0, 1] (for a grey
        image, the fitted plane's).
    """

    grey: np.ndarray
    threshold: float
    threshold_low: float | None
    mask: np.ndarray
    background: str
    background_radius: float | None
    smooth: float
    background_luma: np.ndarray | None
    split: object = None
    gate: np.ndarray | None = None
    envelope: np.ndarray | None = None

    @property
    def zeroes_recording(self):
        """Whether a target masked by this prior zeroes any light the camera recorded.

        T = 0 on the raw grey keeps every pixel above black: the masked target is the
        recording itself. Any T above 0, or a background subtracted, removes light.
        """
        return self.threshold > 0 or self.background != "none"

    def describe_grey(self):
        """What the grey is, in words (for messages and records)."""
        parts = ["BT.601 grey on 0-255"]
        if self.background != "none":
            parts.append(f"{self.background} background of {self.background_radius:.3g} px subtracted")
        if self.smooth > 0:
            parts.append(f"smoothed over {self.smooth:g} px")
        return ", ".join(parts)

    def plane_background(self, planes):
        """The background of the fitted plane(s) of ``planes``, on [0, 1] (zeros without
        one), each plane its own."""
        if self.background == "none":
            return np.zeros_like(planes.recorded)
        if planes.is_grey and self.envelope is not None:
            return self.envelope
        rec = planes.recorded
        if rec.ndim == 2:
            return estimate_background(rec, self.background, self.background_radius)
        return np.stack([estimate_background(rec[..., c], self.background, self.background_radius)
                         for c in range(rec.shape[-1])], -1)

    def signal(self, planes):
        """The fitted plane(s) of ``planes`` with the same background subtracted."""
        if self.background == "none":
            return planes.recorded
        if planes.is_grey:  # a grey image is its own luma: subtracted once
            return self.background_luma
        return subtract_background(planes.recorded, self.background, self.background_radius)

    def target(self, signal):
        """The paper's target: ``signal`` with everything outside the mask zeroed.

        Raises
        ------
        NoSignalError
            Nothing lies above T; the message says on which grey T was applied.
        """
        if not self.mask.any():
            hint = ("lower T; histdip threshold shows this grey's histogram" if self.background == "none" else
                    "lower T, or give --background none to threshold the raw grey as the paper does; "
                    "histdip threshold shows this grey's histogram")
            raise NoSignalError(f"no pixel lies above T = {self.threshold:.4g} on the {self.describe_grey()}: "
                                f"nothing to restore ({hint})")
        if self.gate is not None:
            gate = self.gate if signal.ndim == 2 else self.gate[..., None]
            return (signal * gate).astype(signal.dtype, copy=False)
        return masked_target(signal, self.mask)


def threshold_prior(planes, *, threshold="yen", threshold_low=None, background="none", background_radius="auto",
                    smooth=0.0, min_size=0, grow=0, noise=None):
    """The :class:`Prior` of ``planes``.

    Parameters
    ----------
    planes : histdip.planes.Planes
    threshold, threshold_low : float or str
        A number is T on the 0-255 grey; a name is a rule
        (:func:`histdip.prior.threshold_value`). ``threshold_low`` None: one T.
    background : {'none', 'rolling-ball', 'tophat'}
    background_radius : float or 'auto'
        ``auto``: :func:`histdip.prior.auto_background_radius`.
    smooth : float
        Gaussian sigma (px) of the grey T and the mask are taken on.
    min_size, grow : int
        :func:`histdip.prior.foreground_mask`'s speck size and growth.
    noise : noise model, optional
        The luma's noise (:func:`histdip.noise.estimate_noise`), for the envelope's
        tolerance; estimated from the luma when None.
    """
    radius = None
    luma = planes.luma
    envelope = None
    if background != "none":
        radius = background_radius
        if radius == "auto":
            radius = auto_background_radius(luma, smooth=smooth)
        radius = float(radius)
        if background == "envelope":
            envelope = lower_envelope(luma, radius, noise=noise)
            # Unclipped: the learned split reads the background's noise from the values
            # below it.
            luma = luma - envelope
        else:
            luma = subtract_background(luma, background, radius)
    grey = 255.0 * luma
    if smooth > 0:
        # The mask of a noisy grey has ragged edges and specks; T and the mask come from
        # a lightly smoothed grey (the fitted signal is not smoothed).
        grey = ndimage.gaussian_filter(grey, smooth, mode="reflect")
    split = gate = None
    if isinstance(threshold, str) and threshold.strip().lower() == LEARNED:
        split, gate = learn_split_multiscale(255.0 * luma, smooth)
        t, low = split.threshold, None
    else:
        t = threshold_value(grey, threshold)
        low = None if threshold_low is None else threshold_value(grey, threshold_low)
    mask = foreground_mask(grey, t, low=low, min_size=min_size, grow=grow)
    if envelope is not None:
        grey = np.maximum(grey, 0.0)  # the grey as histdip threshold shows it: light above the background
        luma = np.maximum(luma, 0.0)
    return Prior(grey, t, low, mask, background, radius, float(smooth), luma if planes.is_grey else None,
                 split, gate, envelope if planes.is_grey else None)
