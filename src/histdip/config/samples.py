"""Settings per kind of sample: what the default changes for filaments or cells.

The default learns the split of each recording into background and signal
(docs/decisions/signal-model.md) and needs none of these. They remain as overrides, each
a Yen threshold prior: ``beads``, for sparse, bright objects on a glowing background,
one Yen threshold on the rolling-ball-subtracted grey keeps the objects and drops the
glow and flare around them. Other samples break that prior in known ways
(docs/decisions/samples.md):

* ``filaments`` (sparse, on a dark field; a field full of them, a cytoskeleton, is
  ``cells``) fade along their length, and one T cuts their dim stretches: a hysteresis
  pair (Li's T as the low one) keeps the stretches joined to bright parts, and a closer
  fit (stop at 0.6 of the noise variance, waiting the long patience within 4x of it as
  an unthresholded fit does) recovers their width.
* ``cells`` fill much of the field with dim light around bright nuclei, which any
  threshold above the noise floor removes: fitted whole, without threshold or
  background subtraction, the recorded background kept.

``auto`` given by hand is the Yen prior with the choice between ``beads`` and ``cells``
left to the image at restore time (:func:`histdip.prior.choose_sample`); the default's
own ``sample='auto'`` is decided by the learned split instead.
"""

from __future__ import annotations

from ..errors import ConfigError
from .schema import SAMPLE_KINDS

#: Overrides on the default preset, per kind of sample.
SAMPLES = {
    "beads": {"threshold": "yen", "background": "rolling-ball"},
    "filaments": {"threshold": "yen", "background": "rolling-ball", "threshold_low": "li",
                  "stopping": {"level": 0.6, "near_level": 4.0}},
    "cells": {"threshold": 0.0, "background": "none"},
}


def sample_settings(sample, overrides=None):
    """``overrides`` on top of the settings of ``sample`` (nested sections merged).

    ``auto`` gives the ``beads`` settings until the image decides.

    >>> sample_settings("filaments", {"stopping": {"rule": "fixed"}})["stopping"]
    {'level': 0.6, 'near_level': 4.0, 'rule': 'fixed'}
    >>> sample_settings("cells", {"threshold": "otsu"})["threshold"]
    'otsu'
    """
    from .resolve import merge_settings

    spec = str(sample).strip().lower()
    if spec not in SAMPLE_KINDS:
        raise ConfigError(f"unknown sample {sample!r}; use one of {', '.join(SAMPLE_KINDS)}")
    return merge_settings(SAMPLES["beads" if spec == "auto" else spec], overrides or {})
