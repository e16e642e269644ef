"""Forward models: what the network's output must explain.

The paper fits the network's full-resolution output through a x4 Lanczos-2
downsampler (Ulyanov et al.'s ``Downsampler``: 16 x 16 kernel for phase 0.5, stride 4,
replication padding) to a x4-downscaled target, i.e. as a x4 super-resolution of the
masked photo. :class:`Identity` compares at full resolution (plain DIP denoising).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def lanczos_kernel_1d(factor, support=2, phase=0.5):
    """The 1-D Lanczos taps of Ulyanov et al.'s downsampler (normalised to sum 1).

    With ``phase=0.5`` the kernel has ``4 * factor`` taps for support 2 (16 for x4)
    and is centred between pixels, so the output grid is the input grid / factor.
    """
    width = 2 * support * factor + (0 if phase == 0.5 else 1)
    center = (2 * support * factor + 2) / 2.0
    taps = np.empty(width)
    for i in range(1, width + 1):
        d = abs(i + (0.5 if phase == 0.5 else 0.0) - center) / factor
        if d == 0:
            taps[i - 1] = 1.0
        else:
            taps[i - 1] = support * np.sin(np.pi * d) * np.sin(np.pi * d / support) / (np.pi**2 * d**2)
    return taps / taps.sum()


class Identity(nn.Module):
    """Compare the output with the target at the same resolution."""

    factor = 1
    #: How the forward model scales white-noise variance (see :class:`Downsample`).
    noise_scale = 1.0

    def forward(self, x):
        return x


class Downsample(nn.Module):
    """Separable anti-aliased downsampling by an integer factor, size-preserving / factor.

    Parameters
    ----------
    factor : int
    kernel : {'lanczos2', 'lanczos3', 'box'}
    """

    def __init__(self, factor=4, kernel="lanczos2"):
        super().__init__()
        self.factor = int(factor)
        if kernel == "box":
            taps = np.full(self.factor, 1.0 / self.factor)
        else:
            taps = lanczos_kernel_1d(self.factor, support=int(kernel[-1]))
        self.register_buffer("taps", torch.tensor(taps, dtype=torch.float32), persistent=False)
        # Ulyanov's preserve_size padding: (k - factor) / 2 for even k.
        self.pad = (len(taps) - self.factor) // 2 if len(taps) % 2 == 0 else (len(taps) - 1) // 2
        # White noise of variance v comes out with variance v * sum(k^2) per axis: a
        # noise model estimated on the photo must be rescaled before it is used on the
        # downsampled target.
        self.noise_scale = float(np.sum(np.square(taps)) ** 2)

    def forward(self, x):
        n, c, h, w = x.shape
        k = self.taps.to(dtype=x.dtype)
        y = F.pad(x, (self.pad,) * 4, mode="replicate").reshape(n * c, 1, h + 2 * self.pad, w + 2 * self.pad)
        y = F.conv2d(y, k.view(1, 1, -1, 1), stride=(self.factor, 1))
        y = F.conv2d(y, k.view(1, 1, 1, -1), stride=(1, self.factor))
        return y.reshape(n, c, y.shape[-2], y.shape[-1])


def build_physics(config):
    """The forward model described by a :class:`histdip.config.PhysicsConfig`."""
    if config.kind == "identity" or config.factor == 1:
        return Identity()
    return Downsample(config.factor, config.kernel)
