"""The leash: a loss term that keeps a clipped network output within reach of [0, 1].

The fast network clips its output to [0, 1] with a straight-through gradient
(:class:`histdip.networks.SkipNet`). Behind that clip a pixel whose target is zero and
whose output is below zero sees no error and so no gradient: nothing stops the
unclipped output sinking far below zero. A thresholded target is zero on most of the
image, and a shared network moves every pixel together, so a dim signal's output can
sit at zero for a whole fit (the sweep's dimmest colour scenes did for 600 steps:
docs/decisions/fast-network.md).

The leash lets the unclipped output stray ``slack`` noise standard deviations outside
[0, 1] for free (the background may sit a little below zero and still come out exactly
zero), and beyond that pulls it back, never harder than a misfit of one standard
deviation pulls an output: a Huber penalty whose quadratic part spans one deviation.
Pulled back harder (a squared penalty on every pixel below zero), the fits of bright
scenes lost their way (docs/decisions/fast-network.md).
"""

from __future__ import annotations

import numpy as np
import torch


class Leash:
    """``leash(raw)``: the penalty on the unclipped output ``raw`` (N, C, ...).

    Parameters
    ----------
    sd : sequence of float
        The recording's noise standard deviation per output channel, in the output's
        units (one value serves every channel).
    slack : float
        How many ``sd`` the output may stray outside [0, 1] unpulled.
    scale : float or sequence of float
        Multiplies the penalty per channel, so that it is in the units of the data
        loss beside it: 1 for a plain MSE, ``1 / sd**2`` for a loss in units of the
        noise variance (after a variance-stabilising transform).
    """

    def __init__(self, sd, slack, *, scale=1.0):
        self.sd = np.atleast_1d(np.asarray(sd, dtype=np.float64))
        self.slack = float(slack)
        self.scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), self.sd.shape).copy()
        if not (np.all(np.isfinite(self.sd)) and np.all(self.sd > 0)):
            raise ValueError(f"the leash needs a positive noise deviation, got {self.sd.tolist()}")
        self._cache = None

    def _per_channel(self, raw):
        key = (raw.shape[1], raw.ndim, raw.dtype, raw.device)
        if self._cache is None or self._cache[0] != key:
            shape = (1, raw.shape[1]) + (1,) * (raw.ndim - 2)
            sd = np.broadcast_to(self.sd, (raw.shape[1],))
            scale = np.broadcast_to(self.scale, (raw.shape[1],))
            as_t = lambda a: torch.as_tensor(np.array(a), dtype=raw.dtype, device=raw.device).view(shape)  # noqa: E731
            self._cache = (key, as_t(sd), as_t(self.slack * sd), as_t(scale))
        return self._cache[1:]

    def __call__(self, raw):
        sd, slack, scale = self._per_channel(raw)
        # How far the output is beyond [-slack, 1 + slack]: zero inside.
        beyond = torch.relu(-slack - raw) + torch.relu(raw - 1.0 - slack)
        # Squared within one deviation, then linear with the slope it reached: the
        # gradient of a misfit of at most one deviation (d(x^2)/dx = 2x, as the MSE's).
        huber = torch.where(beyond < sd, beyond * beyond, 2.0 * sd * beyond - sd * sd)
        return (huber * scale).mean()
