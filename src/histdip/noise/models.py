"""Noise models: what the recording adds to the light, and what fitting it costs.

Each model is an immutable value with the same interface, so a forward model, a loss
and a stopping rule can take any of them:

* ``variance(mean)`` -- the noise variance of a pixel whose expected value is ``mean``;
* ``variance_map(plane, window)`` -- that, at each pixel's local mean;
* ``scaled(factor)`` -- the noise after a linear map that scales white-noise variance
  by ``factor`` (a downsampling forward model);
* ``in_units(factor)`` -- the same noise on the image multiplied by ``factor``;
* ``loss(prediction, target, weight)`` -- the data-fit loss on torch tensors: the
  negative log-likelihood up to an affine constant (MSE for Gaussian noise; MSE after
  the variance-stabilising transform for Poisson-Gaussian noise,
  :func:`~histdip.noise.vst.gat_centred`);
* ``sample(mean, rng)`` -- a noisy draw, for simulation and tests;
* ``to_dict()`` -- the parameters, for the run record.

Parameters of a model of a C-channel plane are tuples of C values, one per channel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from .vst import gat_centred


def weighted_mse(prediction, target, weight=None):
    """Mean squared error of torch tensors (N, C, H, W), over pixels where ``weight`` > 0.

    ``weight`` (N, 1, H, W) or (N, C, H, W) weighs each pixel; its sum, per channel,
    normalises.
    """
    diff = (prediction - target) ** 2
    if weight is None:
        return diff.mean()
    return (diff * weight).sum() / weight.sum().clamp_min(1) / max(1, prediction.shape[1] // weight.shape[1])


def _local_mean(plane, window):
    plane = np.asarray(plane, dtype=np.float64)
    size = (window, window) + (1,) * (plane.ndim - 2)
    return ndimage.uniform_filter(plane, size, mode="reflect")


@dataclass(frozen=True)
class GaussianNoise:
    """White Gaussian noise of standard deviation ``sigma``, the same at every level.

    Its loss is the plain MSE (the paper's), whatever ``sigma``: the NLL's scale does not
    change where its minimum lies.
    """

    sigma: float = 0.0

    def variance(self, mean):
        return np.broadcast_to(np.square(np.asarray(self.sigma, dtype=np.float64)), np.shape(mean)).copy()

    def variance_map(self, plane, window=5):
        return self.variance(np.asarray(plane, dtype=np.float64))

    def scaled(self, factor):
        return GaussianNoise(_scale(self.sigma, np.sqrt(factor)))

    def in_units(self, factor):
        return GaussianNoise(_scale(self.sigma, factor))

    def loss(self, prediction, target, weight=None):
        return weighted_mse(prediction, target, weight)

    def sample(self, mean, rng):
        mean = np.asarray(mean, dtype=np.float64)
        return mean + np.asarray(self.sigma) * rng.standard_normal(mean.shape)

    def to_dict(self):
        return {"model": "gaussian", **asdict(self)}


@dataclass(frozen=True)
class PoissonGaussianNoise:
    """``z = gain * Poisson((y - offset) / gain) + offset + N(0, sigma^2)``: shot noise
    that grows with the light, over a constant read noise.

    ``Var[z] = gain * (E[z] - offset) + sigma^2`` (never below ``sigma^2``), in the
    image's own units. :func:`histdip.noise.estimate_noise` reads it off one image.
    """

    gain: float = 0.0
    sigma: float = 0.0
    offset: float = 0.0

    def _params(self):
        return (np.asarray(self.gain, dtype=np.float64), np.asarray(self.sigma, dtype=np.float64),
                np.asarray(self.offset, dtype=np.float64))

    def variance(self, mean):
        return self._variance_in(np.array(mean, dtype=np.float64))

    def variance_map(self, plane, window=5):
        return self._variance_in(_local_mean(plane, window))

    def _variance_in(self, v):
        # In place on an array of our own: a 12 MP map is 92 MB, and each temporary
        # of the plain expression would be one more.
        gain, sigma, offset = self._params()
        v -= offset
        v *= gain
        np.maximum(v, 0.0, out=v)
        v += sigma**2
        return v

    def scaled(self, factor):
        return PoissonGaussianNoise(_scale(self.gain, factor), _scale(self.sigma, np.sqrt(factor)), self.offset)

    def in_units(self, factor):
        # k z = (k gain) Poisson(...) + k offset + N(0, (k sigma)^2)
        return PoissonGaussianNoise(_scale(self.gain, factor), _scale(self.sigma, factor), _scale(self.offset, factor))

    def loss(self, prediction, target, weight=None):
        if np.ndim(self.gain) == 0:
            return weighted_mse(gat_centred(prediction, self.gain, self.sigma, self.offset),
                                gat_centred(target, self.gain, self.sigma, self.offset), weight)
        import torch

        # One transform per channel, each with its own parameters.
        parts = list(zip(self.gain, self.sigma, self.offset))
        pred = torch.cat([gat_centred(prediction[:, c:c + 1], *p) for c, p in enumerate(parts)], dim=1)
        tgt = torch.cat([gat_centred(target[:, c:c + 1], *p) for c, p in enumerate(parts)], dim=1)
        return weighted_mse(pred, tgt, weight)

    def sample(self, mean, rng):
        gain, sigma, offset = self._params()
        mean = np.asarray(mean, dtype=np.float64)
        light = np.maximum(mean - offset, 0.0)
        shot = np.where(gain > 0, gain * rng.poisson(light / np.maximum(gain, 1e-12)), light)
        return shot + offset + sigma * rng.standard_normal(mean.shape)

    def to_dict(self):
        return {"model": "poisson-gaussian", **{k: _plain(v) for k, v in asdict(self).items()}}


def _scale(value, factor):
    if np.ndim(value) == 0:
        return float(value) * float(factor)
    return tuple(float(v) * float(factor) for v in value)


def _plain(value):
    return float(value) if np.ndim(value) == 0 else [float(v) for v in value]


#: Noise models by the name ``noise_model=`` uses for their loss.
NOISE_MODELS = {"gaussian": GaussianNoise, "poisson-gaussian": PoissonGaussianNoise}
