"""Samplers: the (input, target, weight) each fitting step sees.

:class:`WholeImage` gives the whole padded image every step (the paper's way);
:class:`RandomCrops` a batch of random crops, half of them centred on the foreground.
"""

from __future__ import annotations

import numpy as np
import torch


class WholeImage:
    """Every step sees the whole (padded) image: the paper's way."""

    def __init__(self, net_input, target, weight=None):
        self.net_input, self.target, self.weight = net_input, target, weight

    def __call__(self, step):
        return self.net_input, self.target, self.weight


class RandomCrops:
    """Each step sees ``batch`` random crops of ``size`` (high-resolution) pixels.

    Crops start on multiples of the forward model's ``factor`` so that the target crop
    (low resolution) lines up. The loss ignores a margin of the target crop where the
    forward model's padding sees the crop edge instead of the real neighbours; not
    where the crop edge is the image edge, which the target's own padding saw the same
    way (otherwise the image's outer pixels would never be fitted).

    ``foreground`` (a boolean mask of the padded image) and ``foreground_share`` centre
    that share of the crops on a random foreground pixel: on a sparse photo (0.4 % of
    pixels above T) uniform crops are nearly all background, and the network learns to
    output zero everywhere.
    """

    def __init__(self, net_input, target, size, batch, factor, margin, seed=0, foreground=None, foreground_share=0.0):
        self.net_input, self.target = net_input, target
        self.size, self.batch, self.factor = size, batch, factor
        self.rng = np.random.default_rng(seed)
        self.centres = None
        if foreground is not None and foreground_share > 0 and np.any(foreground):
            self.centres = np.argwhere(foreground)
        self.share = foreground_share
        h, w = net_input.shape[-2:]
        self.size_h, self.size_w = min(size, h), min(size, w)
        self.lo = self.size_h // factor, self.size_w // factor
        self.margin = min(margin, self.lo[0] // 4, self.lo[1] // 4)
        self._weights = {}

    def __call__(self, step):
        f = self.factor
        h, w = self.net_input.shape[-2:]
        ys = self._starts((h - self.size_h) // f + 1, self.lo[0]) * f
        xs = self._starts((w - self.size_w) // f + 1, self.lo[1]) * f
        if self.centres is not None:
            chosen = self.rng.random(self.batch) < self.share
            picks = self.centres[self.rng.integers(0, len(self.centres), self.batch)]
            cy = np.clip(picks[:, 0] - self.size_h // 2, 0, h - self.size_h) // f * f
            cx = np.clip(picks[:, 1] - self.size_w // 2, 0, w - self.size_w) // f * f
            ys, xs = np.where(chosen, cy, ys), np.where(chosen, cx, xs)
        inp = torch.cat([self.net_input[..., y : y + self.size_h, x : x + self.size_w] for y, x in zip(ys, xs)])
        tgt = torch.cat(
            [
                self.target[..., y // f : (y + self.size_h) // f, x // f : (x + self.size_w) // f]
                for y, x in zip(ys, xs)
            ]
        )
        return inp, tgt, torch.cat([self._weight(y, x) for y, x in zip(ys, xs)])

    def _starts(self, positions, crop):
        """``batch`` uniform crop starts (low-resolution units) out of ``positions``.

        Only a crop at the image edge fits the image's outer ``margin`` pixels (every
        other crop skips its margins); drawn from exactly the valid range, such a
        crop came up once in several hundred draws on a photo. The draw reaches a
        quarter crop past each side and is clipped: each edge position is drawn as
        often as a quarter crop's worth of inner positions together.
        """
        reach = max(1, (crop - 2 * self.margin) // 4) if positions > 1 else 0
        return np.clip(self.rng.integers(-reach, positions + reach, self.batch), 0, positions - 1)

    def _weight(self, y, x):
        """(1, 1, h, w) loss weight of the crop at (y, x): 0 on its inner margins."""
        h, w = self.net_input.shape[-2:]
        inner = (y > 0, y + self.size_h < h, x > 0, x + self.size_w < w)
        if inner not in self._weights:
            (lh, lw), m = self.lo, self.margin
            top, bottom, left, right = (m if side else 0 for side in inner)
            weight = torch.zeros((1, 1, lh, lw), device=self.target.device)
            weight[..., top : lh - bottom, left : lw - right] = 1
            self._weights[inner] = weight
        return self._weights[inner]


class TraceCrops:
    """Each step sees ``batch`` random crops of ``size`` samples of a trace (N, C, L).

    The 1-D form of :class:`RandomCrops`: crops start on multiples of the forward
    model's ``factor``; the loss skips ``margin`` target samples at a crop's inner ends
    (where the forward model's padding sees the crop's end, not the trace); and
    ``foreground_share`` of the crops are centred on a random ``foreground`` sample, so
    that a trace whose events are rare is not fitted on baseline alone.
    """

    def __init__(self, net_input, target, size, batch, factor, margin, seed=0, foreground=None, foreground_share=0.0):
        self.net_input, self.target = net_input, target
        self.batch, self.factor = batch, factor
        self.rng = np.random.default_rng(seed)
        n = net_input.shape[-1]
        self.size = min(size, n) // factor * factor
        self.lo = self.size // factor
        self.margin = min(margin, self.lo // 4)
        self.centres = None
        if foreground is not None and foreground_share > 0 and np.any(foreground):
            self.centres = np.flatnonzero(foreground)
        self.share = foreground_share
        self._weights = {}

    def __call__(self, step):
        f, n = self.factor, self.net_input.shape[-1]
        positions = (n - self.size) // f + 1
        xs = self.rng.integers(0, positions, self.batch) * f
        if self.centres is not None:
            chosen = self.rng.random(self.batch) < self.share
            picks = self.centres[self.rng.integers(0, len(self.centres), self.batch)]
            xs = np.where(chosen, np.clip(picks - self.size // 2, 0, n - self.size) // f * f, xs)
        inp = torch.cat([self.net_input[..., x : x + self.size] for x in xs])
        tgt = torch.cat([self.target[..., x // f : (x + self.size) // f] for x in xs])
        return inp, tgt, torch.cat([self._weight(x) for x in xs])

    def _weight(self, x):
        """(1, 1, l) loss weight of the crop at ``x``: 0 on its inner margins."""
        inner = (x > 0, x + self.size < self.net_input.shape[-1])
        if inner not in self._weights:
            weight = torch.zeros((1, 1, self.lo), device=self.target.device)
            weight[..., (self.margin if inner[0] else 0) : self.lo - (self.margin if inner[1] else 0)] = 1
            self._weights[inner] = weight
        return self._weights[inner]
