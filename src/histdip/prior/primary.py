"""Which layer a restoration hands back first: the signal or the recording.

Every restoration with a learned split writes three layers: the signal (background
removed: the paper's output), the denoised recording (signal + background) and the
background. Which one is *primary* (the output file, what is scored) follows from the
background layer itself, not from how bright the objects are: the question is whether
there is a background to remove.

A phone photo's haze, flare and uneven illumination lift its whole field far above the
darkest level it recorded: a pedestal of many noise standard deviations that is optics,
not specimen, and the objects are what stands above it (primary: signal). A microscope
frame's darkest regions sit at the camera's black, and what a lower envelope finds above
that is the specimen's own dim light: removing it removes the specimen (primary:
recording). :func:`decide_primary` measures the pedestal as the median of a broad lower
envelope above the image's 0.1th percentile, in noise standard deviations, less the
3.09 that noise alone puts between its mean and its 0.1th percentile; a pedestal of
at least :data:`MIN_PEDESTAL` means a background to remove. A flat offset over the whole
field (no darker region anywhere) reads as no pedestal: removing it or not changes an
image by a constant, which no affine comparison sees; the pedestal is the part of the
background that varies over the field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .envelope import lower_envelope

#: Noise standard deviations by which the background must stand above the darkest
#: recorded level (beyond what the noise explains) to be a background to remove.
MIN_PEDESTAL = 1.0

#: How far below its mean the 0.1th percentile of Gaussian noise lies, in sigma.
_NOISE_FLOOR = 3.09


@dataclass(frozen=True)
class PrimaryChoice:
    """The primary layer and why.

    Attributes
    ----------
    primary : {'signal', 'recording'}
    reason : str
        One line for people.
    pedestal : float
        The background's height above the darkest recorded level, in noise sigma,
        beyond the noise's own reach.
    """

    primary: str
    reason: str
    pedestal: float


def background_pedestal(luma, noise, scale):
    """How far the broad background of ``luma`` stands above its darkest recorded level,
    in noise standard deviations, beyond the noise's own reach (see the module's text).

    >>> rng = np.random.default_rng(0)
    >>> from histdip.noise import GaussianNoise
    >>> dark = 0.02 + 0.01 * rng.standard_normal((128, 128))
    >>> round(background_pedestal(dark, GaussianNoise(0.01), 16.0)) <= 1
    True
    >>> hazy = dark + np.linspace(0.1, 0.4, 128)[None, :]  # uneven haze
    >>> background_pedestal(hazy, GaussianNoise(0.01), 16.0) > 5
    True
    """
    luma = np.asarray(luma, dtype=np.float64)
    broad = max(4.0 * float(scale), min(luma.shape) / 8.0)
    env = lower_envelope(luma, broad, noise=noise)
    level = float(np.median(env))
    sigma = float(np.sqrt(max(float(np.asarray(noise.variance(np.array([level]))).ravel()[0]), 1e-12)))
    return (level - float(np.percentile(luma, 0.1))) / sigma - _NOISE_FLOOR


def decide_primary(luma, noise, scale):
    """The :class:`PrimaryChoice` of an image from its grey ``luma`` (on [0, 1]), its
    noise model and the background's smoothing scale (px)."""
    pedestal = background_pedestal(luma, noise, scale)
    if pedestal >= MIN_PEDESTAL:
        return PrimaryChoice("signal", f"primary signal: the background stands {pedestal:.1f} noise sigma above the "
                             f"darkest recorded level (>= {MIN_PEDESTAL:g}): a background to remove", pedestal)
    return PrimaryChoice("recording", f"primary recording: the background stands {pedestal:.1f} noise sigma above "
                         f"the darkest recorded level (< {MIN_PEDESTAL:g}): what lies above it is the specimen's "
                         "own light", pedestal)
