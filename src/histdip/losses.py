"""Data-fidelity losses between the forward-modelled output and the target.

``gaussian`` is the paper's plain MSE. ``poisson-gaussian`` compares both sides after
the generalised Anscombe transform (GAT), which turns Poisson-Gaussian noise of gain
``gain`` and read-noise ``sigma`` into noise of unit variance; the network's output
stays on the input's intensity scale, only the comparison happens in the stabilised
domain.
"""

from __future__ import annotations

import torch


def mse(prediction, target, weight=None):
    """Mean squared error, optionally restricted to pixels where ``weight`` is nonzero."""
    diff = (prediction - target) ** 2
    if weight is None:
        return diff.mean()
    return (diff * weight).sum() / weight.sum().clamp_min(1) / max(1, prediction.shape[1] // weight.shape[1])


def gat(x, gain, sigma, offset=0.0):
    """Generalised Anscombe transform of an image in its native units (torch or float).

    ``x`` is modelled as ``gain * Poisson(lambda) + N(offset, sigma^2)``; the result has
    approximately unit noise variance.
    """
    inner = gain * (x - offset) + 0.375 * gain**2 + sigma**2
    if isinstance(inner, torch.Tensor):
        return (2.0 / gain) * torch.sqrt(inner.clamp_min(0.0))
    import numpy as np

    return (2.0 / gain) * np.sqrt(np.maximum(inner, 0.0))


class Loss:
    """A configured data-fidelity loss ``loss(prediction, target, weight=None)``.

    Parameters
    ----------
    kind : {'gaussian', 'poisson-gaussian'}
    noise : dict, optional
        For ``poisson-gaussian``: ``gain``, ``sigma`` and ``offset`` in the units of the
        network's output ([0, 1] scaled intensity), e.g. from
        :func:`histdip.noise.estimate_poisson_gaussian`.
    """

    def __init__(self, kind="gaussian", noise=None):
        self.kind = kind
        self.noise = dict(noise or {})
        if kind == "poisson-gaussian" and not {"gain", "sigma"} <= set(self.noise):
            raise ValueError("poisson-gaussian loss needs noise parameters 'gain' and 'sigma'")

    def __call__(self, prediction, target, weight=None):
        if self.kind == "poisson-gaussian":
            g, s, o = self.noise["gain"], self.noise["sigma"], self.noise.get("offset", 0.0)
            prediction, target = gat(prediction, g, s, o), gat(target, g, s, o)
        return mse(prediction, target, weight)
