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
"""

from __future__ import annotations

from .config import merge_settings
from .errors import ConfigError

#: Overrides on the fast preset, per kind of sample.
SAMPLES = {
    "beads": {},
    "filaments": {"threshold_low": "li", "stopping": {"level": 0.6}},
    "cells": {"threshold": 0.0, "background": "none"},
}


def sample_overrides(sample, overrides=None):
    """``overrides`` on top of the settings of ``sample`` (nested sections merged).

    >>> sample_overrides("filaments", {"stopping": {"rule": "fixed"}})["stopping"]
    {'level': 0.6, 'rule': 'fixed'}
    >>> sample_overrides("cells", {"threshold": "otsu"})["threshold"]
    'otsu'
    """
    spec = str(sample).strip().lower()
    if spec not in SAMPLES:
        raise ConfigError(f"unknown sample {sample!r}; use one of {', '.join(SAMPLES)}")
    return merge_settings(SAMPLES[spec], overrides or {})
