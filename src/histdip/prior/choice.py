"""The automatic choice of ``sample='auto'``: keep the threshold prior, or fit as cells.

One small interface, :func:`choose_sample`, returns the decision and its reason as a
:class:`SampleChoice`; the pipeline and ``histdip threshold`` call it and nothing else.

The rule now behind it: the threshold prior separates signal from the noise floor only
where the two are apart. It is kept (``beads``) when the grey above T averages at least
:data:`MIN_SNR` noise standard deviations, or :data:`MIN_SNR_PHOTO` on a colour photo
(:func:`histdip.colour.is_colour_photo`: a phone's, whose light between the beads is
flare and haze, not signal); else the image is fitted whole (``cells``). Why these
cuts, and what they cost: docs/decisions/samples.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..colour import is_colour_photo

#: Keep the threshold prior when the grey above T averages at least this many noise sigma.
MIN_SNR = 15.0

#: The same cut for a colour photo.
MIN_SNR_PHOTO = 6.0


@dataclass(frozen=True)
class SampleChoice:
    """What ``sample='auto'`` chose and why.

    Attributes
    ----------
    sample : {'beads', 'cells'}
    reason : str
        One line for people: the statistic, the cut and what the choice means.
    statistic : float
        The mean grey above T in noise standard deviations (:func:`foreground_snr`).
    colour_photo : bool or None
        Whether the image counted as a colour photo (None: not asked, the statistic
        cleared the grey cut).
    """

    sample: str
    reason: str
    statistic: float
    colour_photo: bool | None = None


def foreground_snr(grey, threshold, sigma):
    """Mean of ``grey`` above ``threshold``, in units of ``sigma``.

    ``grey`` is the grey on 0-255 that T is chosen on, ``sigma`` its noise before
    smoothing. Zero when nothing lies above T; infinite for a noise-free image.

    >>> grey = np.zeros((8, 8)); grey[:2, :2] = 51.0
    >>> foreground_snr(grey, 20.0, 2.55)
    20.0
    """
    grey = np.asarray(grey)
    above = grey[grey > threshold]
    if above.size == 0:
        return 0.0
    if not sigma > 0:
        return float("inf")
    return float(above.mean() / sigma)


def choose_sample(image, grey, threshold, sigma):
    """(sample, reason) for ``sample='auto'``, as a :class:`SampleChoice`.

    Parameters
    ----------
    image : ndarray
        The input as given (asked whether it is a colour photo, only when the statistic
        is under :data:`MIN_SNR`).
    grey : ndarray, (H, W)
        The grey on 0-255 that the default's T is chosen on.
    threshold : float
        That T.
    sigma : float
        The noise standard deviation of the image's grey on 0-255, before any background
        is subtracted (the noise follows the recorded levels).

    >>> g = np.zeros((32, 32)); g[:4, :4] = 100.0
    >>> choose_sample(g, g, 50.0, 4.0).sample, choose_sample(g, g, 50.0, 20.0).sample
    ('beads', 'cells')
    """
    snr = foreground_snr(grey, threshold, sigma)
    if snr >= MIN_SNR:
        return SampleChoice("beads", f"auto: objects above T average {snr:.1f} noise sigma (>= {MIN_SNR:g}): "
                            "threshold prior kept", snr)
    photo = is_colour_photo(image)
    if photo and snr >= MIN_SNR_PHOTO:
        return SampleChoice("beads", f"auto: a colour photo whose objects above T average {snr:.1f} noise sigma "
                            f"(>= {MIN_SNR_PHOTO:g} for a colour photo): threshold prior kept", snr, True)
    cut = f"< {MIN_SNR_PHOTO:g} for a colour photo" if photo else f"< {MIN_SNR:g}"
    return SampleChoice("cells", f"auto: objects above T average {snr:.1f} noise sigma ({cut}): T would cut dim "
                        "signal; fitted without threshold or background subtraction, the recorded background kept "
                        "(--sample beads or filaments zeroes it)", snr, photo)


def describe_rule():
    """The rule in one sentence, for help texts."""
    return (f"beads (threshold prior) where the objects above T stand >= {MIN_SNR:g} noise sigma above the "
            f"floor (>= {MIN_SNR_PHOTO:g} on a colour photo), else cells (whole image, no threshold)")
