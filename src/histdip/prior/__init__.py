"""The histogram threshold prior: separate fluorescence signal from the noise floor.

* :mod:`.threshold` -- T (:func:`threshold_value`), the mask (:func:`foreground_mask`)
  and the paper's masked target;
* :mod:`.background` -- the smooth background under the signal
  (:func:`subtract_background`) and a radius sized to the objects;
* :mod:`.envelope` -- the recorded background as a noise-tolerant lower envelope;
* :mod:`.split` -- the background/signal split learned from the histogram
  (:func:`learn_split`, at several smoothings :func:`learn_split_multiscale`);
* :mod:`.primary` -- which layer a restoration hands back (:func:`decide_primary`);
* :mod:`.polarity` -- bright objects or dark ones (brightfield), read from the image
  (:func:`read_polarity`);
* :mod:`.choice` -- ``sample='auto'``: keep the prior or fit as cells
  (:func:`choose_sample`);
* :mod:`.stage` -- all of it as one pipeline stage (:func:`threshold_prior` ->
  :class:`Prior`).
"""

from .background import AUTO_RADIUS, auto_background_radius, estimate_background, object_radius, subtract_background
from .choice import MIN_SNR, MIN_SNR_PHOTO, SampleChoice, choose_sample, foreground_snr
from .envelope import lower_envelope
from .polarity import PolarityChoice, read_polarity
from .primary import PrimaryChoice, decide_primary
from .split import Split, learn_split, learn_split_multiscale
from .stage import Prior, threshold_prior
from .threshold import foreground_mask, masked_target, threshold_value

__all__ = [
    "AUTO_RADIUS",
    "PolarityChoice",
    "PrimaryChoice",
    "Split",
    "decide_primary",
    "read_polarity",
    "learn_split",
    "learn_split_multiscale",
    "lower_envelope",
    "MIN_SNR",
    "MIN_SNR_PHOTO",
    "Prior",
    "SampleChoice",
    "auto_background_radius",
    "choose_sample",
    "estimate_background",
    "foreground_mask",
    "foreground_snr",
    "masked_target",
    "object_radius",
    "subtract_background",
    "threshold_prior",
    "threshold_value",
]
