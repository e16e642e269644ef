"""The three layers of a restoration with a learned split: signal, recording, background.

One fit gives the primary layer (:mod:`histdip.prior.primary`); the other two follow from
it and the background, so that the three always add up: recording = background + signal
(where the signal is not gated away).

* primary ``signal``: the fit is of the gated, background-removed recording; the
  recording is that signal on its background.
* primary ``recording``: the fit is of the recording as recorded; its background is the
  lower envelope of the fitted recording and its signal what the split learned on the
  fitted recording (whose noise is gone, so dim objects separate better) keeps above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .prior import learn_split, lower_envelope

#: The layers, in the order they are written.
LAYER_NAMES = ("signal", "recording", "background")


@dataclass(frozen=True, eq=False)
class Layers:
    """Signal, recording and background of one restoration, on [0, 1] (the fitted
    plane's shape), and the split that separated them."""

    signal: np.ndarray
    recording: np.ndarray
    background: np.ndarray
    split: object

    def __getitem__(self, name):
        return getattr(self, name)


def _per_plane(fn, a):
    return fn(a) if a.ndim == 2 else np.stack([fn(a[..., c]) for c in range(a.shape[-1])], -1)


def layers_from_signal(signal, background, split):
    """The :class:`Layers` of a fitted signal on the background it was removed from."""
    signal = np.asarray(signal, dtype=np.float32)
    return Layers(signal, (signal + background).astype(np.float32), np.asarray(background, np.float32), split)


def layers_from_recording(recording, scale, *, smooth=1.0):
    """The :class:`Layers` of a fitted recording: its background (lower envelope over
    ``scale`` px) and the signal the split learned on it keeps above that."""
    recording = np.asarray(recording, dtype=np.float64)
    background = _per_plane(lambda p: lower_envelope(p, scale), recording)
    above = recording - background
    grey = 255.0 * (above if above.ndim == 2 else above.mean(axis=-1))
    if smooth > 0:
        grey = ndimage.gaussian_filter(grey, smooth, mode="reflect")
    split = learn_split(grey)
    gate = split.gate(grey)
    signal = np.maximum(above, 0.0) * (gate if above.ndim == 2 else gate[..., None])
    return Layers(signal.astype(np.float32), recording.astype(np.float32), background.astype(np.float32), split)
