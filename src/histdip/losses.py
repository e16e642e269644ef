"""Data-fidelity losses between the forward-modelled output and the target.

``gaussian`` is the paper's plain MSE. ``poisson-gaussian`` compares both sides after
the generalised Anscombe transform (GAT), which turns Poisson-Gaussian noise of gain
``gain`` and read-noise ``sigma`` into noise of unit variance; the network's output
stays on the input's intensity scale, only the comparison happens in the stabilised
domain.
"""

from __future__ import annotations


from .noise import gat  # noqa: F401  (re-exported: histdip.losses.gat)


def mse(prediction, target, weight=None):
    """Mean squared error, optionally restricted to pixels where ``weight`` is nonzero."""
    diff = (prediction - target) ** 2
    if weight is None:
        return diff.mean()
    return (diff * weight).sum() / weight.sum().clamp_min(1) / max(1, prediction.shape[1] // weight.shape[1])


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
