"""Noise: models of what the recording adds, their estimate from one image, and the
variance-stabilising transform.

* :mod:`.models` -- :class:`GaussianNoise`, :class:`PoissonGaussianNoise`;
* :mod:`.estimate` -- :func:`estimate_noise` (histdip's one estimate), its variance
  map and RMS sigma, and the underlying Foi et al. line fit;
* :mod:`.vst` -- :func:`gat` and :func:`gat_inverse`.
"""

from .estimate import (estimate_noise, estimate_poisson_gaussian, estimate_trace_noise, noise_residual, noise_sigma,
                       noise_variance_map)
from .models import NOISE_MODELS, GaussianNoise, PoissonGaussianNoise, weighted_mse
from .vst import gat, gat_centred, gat_inverse

__all__ = [
    "GaussianNoise",
    "NOISE_MODELS",
    "PoissonGaussianNoise",
    "estimate_noise",
    "estimate_poisson_gaussian",
    "estimate_trace_noise",
    "gat",
    "gat_centred",
    "gat_inverse",
    "noise_residual",
    "noise_sigma",
    "noise_variance_map",
    "weighted_mse",
]
