"""Settings for a kind of sample: what the fast preset changes for filaments or cells.

The fast preset is tuned for the sparse, bright objects of the smartphone bead photos
the paper is about: one Yen threshold on the background-subtracted grey keeps the beads
and drops the glow and flare around them. Other samples break that prior in known ways
(measured on simulated scenes with a known clean image, docs/results.md):

* **filaments** (sparse, on a dark field; a field full of them, such as a cytoskeleton,
  is ``cells``) fade along their length, and Yen's T cuts their dim stretches (seeds
  12, 14, 16, 19 of the 128 px scenes). A hysteresis pair (Li's T as the low one)
  keeps the stretches joined to bright parts, and fitting closer to the image (stop at
  0.6 of the noise variance, not 1.0) recovers their width.
* **cells** fill much of the field with dim cytoplasm around bright nuclei: any
  threshold above the noise floor removes it. These fit the whole image (T = 0, no
  background subtracted): the DIP alone, with the fast preset's network and stopping
  rule, as on the FMD frames.

``beads`` is the fast preset itself. The settings are overrides on it, applied under
the caller's own (an explicit ``threshold=`` still wins), and the saved config holds the
resolved fields, so a result is reproduced without naming the sample again.

``auto`` (the fast preset's default) chooses between ``beads`` and ``cells`` from the
image, by how far the objects that Yen's T keeps stand above the noise
(:func:`choose_sample`). The threshold prior separates signal from the noise floor only
where the two are apart: on the paper's phone photos the objects above T average
23-104 noise standard deviations; on every real microscope frame in ../shared/data
(the 48 FMD frames, W2S, Myxococcus, Convallaria) at most 12.6, where T cuts through
dim signal that the fit without a threshold keeps (docs/results.md, "Session 8").
A colour photo (:func:`histdip.color.is_colour_photo`: a phone's, the paper's case)
keeps the prior down to :data:`AUTO_MIN_SNR_PHOTO`. There the light between the beads
is the phone's flare and haze, not signal; on simulated 1200 x 900 phone photos two to
four times noisier than the paper's the prior won at every statistic measured (6.1-16.3),
and lost from 5.5 down (docs/results.md, "Session 10").

``filaments`` is never chosen: it is for sparse filaments on a dark field, which the
statistic does not tell from a field of cells. Whether the light between dim objects
counts is the question: the simulator's clean image leaves it out, FMD's averages keep
it, and no output can suit both (docs/results.md, "Session 10").
"""

from __future__ import annotations

import numpy as np

from .color import is_colour_photo, luma
from .config import merge_settings
from .errors import ConfigError
from .intensity import to_unit
from .noise import noise_sigma

#: Overrides on the fast preset, per kind of sample.
SAMPLES = {
    "beads": {},
    "filaments": {"threshold_low": "li", "stopping": {"level": 0.6}},
    "cells": {"threshold": 0.0, "background": "none"},
}


#: ``sample='auto'`` keeps the threshold prior (``beads``) when the grey above Yen's T
#: averages at least this many noise standard deviations; below it, ``cells``. It lies in
#: the gap of the real images: every microscope frame in ../shared/data reads 12.6 or less
#: (FMD Confocal_MICE), every phone photo 23.5 or more (i.png). Simulated bead photos read
#: 21.5-52.9 at the calibrated noise; at twice it 19.3-25.1 at 1200 x 900, but 11.2-19.6
#: on 128 px crops, four of nine of which fall below (docs/results.md, "Session 8").
AUTO_MIN_SNR = 15.0

#: The cut for a colour photo (:func:`histdip.color.is_colour_photo`). Every microscope
#: frame at hand is grey; the colour images are phone photos, whose references (the
#: paper's protocol, the simulator's clean image) hold the beads only. On simulated
#: 1200 x 900 phone photos at 2-4x the calibrated noise (statistic 6.1-16.3) the prior
#: beat the fit without it in every scene measured; at 5.5 and below it lost PSNR
#: (docs/results.md, "Session 10").
AUTO_MIN_SNR_PHOTO = 6.0


def grey_noise_sigma(image):
    """Noise standard deviation of the luma of ``image``, on the 0-255 grey scale of T.

    :func:`histdip.noise.noise_sigma` of the unsmoothed grey, before any background is
    subtracted (the noise follows the recorded levels).
    """
    return 255.0 * noise_sigma(luma(to_unit(image)))


def foreground_snr(gray, threshold, sigma):
    """Mean of ``gray`` above ``threshold``, in units of ``sigma``.

    ``gray`` is the grey on 0-255 that T is chosen on (background-subtracted, lightly
    smoothed), ``sigma`` its noise before smoothing (:func:`grey_noise_sigma`). Zero when
    nothing lies above T; infinite for a noise-free image.

    >>> gray = np.zeros((8, 8)); gray[:2, :2] = 51.0
    >>> foreground_snr(gray, 20.0, 2.55)
    20.0
    """
    gray = np.asarray(gray)
    above = gray[gray > threshold]
    if above.size == 0:
        return 0.0
    if not sigma > 0:
        return float("inf")
    return float(above.mean() / sigma)


def choose_sample(snr, image=None):
    """(sample, reason) for ``sample='auto'`` from :func:`foreground_snr`.

    ``image``, when given, is checked for a colour photo (:func:`is_colour_photo`),
    which keeps the prior down to :data:`AUTO_MIN_SNR_PHOTO`; only when ``snr`` is below
    :data:`AUTO_MIN_SNR`, so a bright image costs nothing more.

    >>> choose_sample(23.5)[0], choose_sample(8.0)[0]
    ('beads', 'cells')
    >>> g, own = np.random.default_rng(0).random((2, 32, 32))
    >>> choose_sample(8.0, np.stack([own, g, own], -1))[0], choose_sample(8.0, np.stack([g, g, g], -1))[0]
    ('beads', 'cells')
    """
    if snr >= AUTO_MIN_SNR:
        return "beads", (f"auto: objects above T average {snr:.1f} noise sigma (>= {AUTO_MIN_SNR:g}): "
                         "threshold prior kept")
    photo = image is not None and is_colour_photo(image)
    if photo and snr >= AUTO_MIN_SNR_PHOTO:
        return "beads", (f"auto: a colour photo whose objects above T average {snr:.1f} noise sigma "
                         f"(>= {AUTO_MIN_SNR_PHOTO:g} for a colour photo): threshold prior kept")
    cut = f"< {AUTO_MIN_SNR_PHOTO:g} for a colour photo" if photo else f"< {AUTO_MIN_SNR:g}"
    return "cells", (f"auto: objects above T average {snr:.1f} noise sigma ({cut}): T would cut dim signal; "
                     "fitted without threshold or background subtraction, the recorded background kept "
                     "(--sample beads or filaments zeroes it)")


def sample_overrides(sample, overrides=None):
    """``overrides`` on top of the settings of ``sample`` (nested sections merged).

    >>> sample_overrides("filaments", {"stopping": {"rule": "fixed"}})["stopping"]
    {'level': 0.6, 'rule': 'fixed'}
    >>> sample_overrides("cells", {"threshold": "otsu"})["threshold"]
    'otsu'
    """
    spec = str(sample).strip().lower()
    if spec == "auto":  # the fast preset as it is, until the image decides
        spec = "beads"
    if spec not in SAMPLES:
        raise ConfigError(f"unknown sample {sample!r}; use auto or one of {', '.join(SAMPLES)}")
    return merge_settings(SAMPLES[spec], overrides or {})
