"""Forward models: what the network's output must explain, with the noise of what it is
compared with.

The paper fits the network's full-resolution output through a x4 Lanczos-2
downsampler (Ulyanov et al.'s ``Downsampler``: 16 x 16 kernel for phase 0.5, stride 4,
replication padding) to a x4-downscaled target, i.e. as a x4 super-resolution of the
masked photo. :class:`Identity` compares at full resolution (plain DIP denoising).

Each forward model is linear and owns a noise model (:mod:`histdip.noise`): given the
noise of the recording, ``physics.noise`` is the noise of the target it produces, and
``physics.loss(output, target, weight)`` the data-fit loss there.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .noise import GaussianNoise


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


class LinearPhysics(nn.Module):
    """A linear forward model ``A`` with the noise model of its output.

    Parameters
    ----------
    recording_noise : noise model, optional
        The noise of the recording the target is made from (default: Gaussian of unknown
        sigma, whose loss is the plain MSE).
    """

    factor = 1
    #: How the forward model scales white-noise variance.
    noise_scale = 1.0

    def __init__(self, recording_noise=None):
        super().__init__()
        self.recording_noise = recording_noise or GaussianNoise()

    @property
    def noise(self):
        """The noise model of the target this forward model produces."""
        return self.recording_noise.scaled(self.noise_scale)

    def loss(self, output, target, weight=None):
        """The data-fit loss of ``A(output)`` against ``target`` under :attr:`noise`."""
        return self.noise.loss(self(output), target, weight)

    def adjoint(self, y, shape):
        """``A^T y`` for an input of ``shape`` (the gradient of ``<A x, y>``: A is linear)."""
        x = torch.zeros(shape, dtype=y.dtype, device=y.device, requires_grad=True)
        (grad,) = torch.autograd.grad((self(x) * y).sum(), x)
        return grad


class Identity(LinearPhysics):
    """Compare the output with the target at the same resolution."""

    def forward(self, x):
        return x


class Downsample(LinearPhysics):
    """Separable anti-aliased downsampling by an integer factor, size-preserving / factor.

    Parameters
    ----------
    factor : int
    kernel : {'lanczos2', 'lanczos3', 'box'}
    recording_noise : noise model, optional
        See :class:`LinearPhysics`; its variance shrinks by :attr:`noise_scale`.
    dims : {1, 2, 3}
        Spatial axes of what it takes: (N, C, L), (N, C, H, W) or (N, C, D, H, W).
    axes : tuple of bool, optional
        Which of the ``dims`` axes are downsampled (default all): a volume whose z step
        is already coarse keeps its planes, ``(False, True, True)``.
    """

    def __init__(self, factor=4, kernel="lanczos2", recording_noise=None, *, dims=2, axes=None):
        super().__init__(recording_noise)
        self.factor = int(factor)
        self.dims = int(dims)
        self.axes = tuple(bool(a) for a in axes) if axes is not None else (True,) * self.dims
        if len(self.axes) != self.dims or not any(self.axes):
            raise ValueError(f"axes needs {self.dims} entries, one of them true; got {axes!r}")
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
        self.noise_scale = float(np.sum(np.square(taps)) ** sum(self.axes))

    @property
    def factors(self):
        """The factor per spatial axis (1 where an axis is kept)."""
        return tuple(self.factor if a else 1 for a in self.axes)

    def forward(self, x):
        k = self.taps.to(dtype=x.dtype)
        if self.dims == 2 and all(self.axes):
            n, c, h, w = x.shape
            y = F.pad(x, (self.pad,) * 4, mode="replicate").reshape(n * c, 1, h + 2 * self.pad, w + 2 * self.pad)
            y = F.conv2d(y, k.view(1, 1, -1, 1), stride=(self.factor, 1))
            y = F.conv2d(y, k.view(1, 1, 1, -1), stride=(1, self.factor))
            return y.reshape(n, c, y.shape[-2], y.shape[-1])
        # Any other shape: one 1-D convolution along each downsampled axis in turn.
        y = x
        for axis, on in enumerate(self.axes, start=2):
            if on:
                y = self._along(y, axis, k)
        return y

    def _along(self, x, axis, k):
        moved = x.movedim(axis, -1)
        lead = moved.shape[:-1]
        flat = moved.reshape(-1, 1, moved.shape[-1])
        flat = F.pad(flat, (self.pad, self.pad), mode="replicate")
        out = F.conv1d(flat, k.view(1, 1, -1), stride=self.factor)
        return out.reshape(*lead, out.shape[-1]).movedim(-1, axis)


def build_physics(kind="downsample", factor=2, kernel="lanczos2", recording_noise=None, *, dims=2, axes=None):
    """The forward model of ``kind`` (``identity`` or ``downsample``; a factor of 1 is
    the identity), owning the noise of what it produces from ``recording_noise``;
    ``dims`` and ``axes`` as :class:`Downsample`'s.

    >>> build_physics("downsample", 4).noise_scale < 1, build_physics("downsample", 1).factor
    (True, 1)
    """
    if kind == "identity" or factor == 1:
        return Identity(recording_noise)
    return Downsample(factor, kernel, recording_noise, dims=dims, axes=axes)
