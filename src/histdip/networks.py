"""Ulyanov et al.'s "skip" encoder-decoder, as the HIST-DIP code configures it.

Per scale, going down: a skip branch (1x1 conv -> norm -> LeakyReLU) and a deeper
branch (3x3 stride-2 conv -> norm -> LReLU -> 3x3 conv -> norm -> LReLU -> next scale ->
bilinear x2 upsampling). Going up: concat(skip, deeper) -> norm -> 3x3 conv -> norm ->
LReLU -> 1x1 conv -> norm -> LReLU. Finally a 1x1 conv to the output channels and a
sigmoid. With 5 scales of 128 channels, 4-channel skips and 32 input channels this has
about 2.2 M parameters, the paper's network.
"""

from __future__ import annotations

import torch
from torch import nn


class ChannelNorm(nn.Module):
    """LayerNorm over the channels of each pixel (no spatial statistics).

    Unlike GroupNorm/InstanceNorm it does not depend on the rest of the image, so a
    network fitted on crops gives the same values on crops, tiles and the whole image;
    unlike BatchNorm it behaves the same in train and eval mode.
    """

    def __init__(self, channels, eps=1e-5, dims=2):
        super().__init__()
        shape = (1, channels) + (1,) * dims
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))
        self.eps = eps

    def forward(self, x):
        mean = x.mean(dim=1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=1, keepdim=True)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias


#: Per number of spatial axes: convolution, reflection padding, batch norm, and the
#: interpolation that ``upsample='bilinear'`` means there.
_LAYERS = {
    1: (nn.Conv1d, nn.ReflectionPad1d, nn.BatchNorm1d, "linear"),
    2: (nn.Conv2d, nn.ReflectionPad2d, nn.BatchNorm2d, "bilinear"),
    3: (nn.Conv3d, nn.ReflectionPad3d, nn.BatchNorm3d, "trilinear"),
}


def _norm(kind, channels, dims=2):
    if kind == "batch":
        return _LAYERS[dims][2](channels)
    if kind == "group":
        return nn.GroupNorm(1, channels)
    if kind == "channel":
        return ChannelNorm(channels, dims=dims)
    return nn.Identity()


def _conv(cin, cout, size, stride=1, padding="reflection", dims=2):
    conv, reflect = _LAYERS[dims][:2]
    pad = (size - 1) // 2
    if pad == 0:
        return conv(cin, cout, size, stride)
    if padding == "reflection":
        return nn.Sequential(reflect(pad), conv(cin, cout, size, stride))
    return conv(cin, cout, size, stride, padding=pad)


def _block(cin, cout, size, norm, padding, stride=1, dims=2):
    return [_conv(cin, cout, size, stride, padding, dims), _norm(norm, cout, dims), nn.LeakyReLU(0.2, inplace=True)]


class _Scale(nn.Module):
    """One scale of the skip network; ``inner`` is the next (coarser) scale or None."""

    def __init__(self, cin, down, up, skip, up_from_inner, inner, cfg, dims=2, stride=2):
        super().__init__()
        self.skip = nn.Sequential(*_block(cin, skip, 1, cfg.norm, cfg.padding, dims=dims)) if skip else None
        deeper = _block(cin, down, 3, cfg.norm, cfg.padding, stride=stride, dims=dims)
        deeper += _block(down, down, 3, cfg.norm, cfg.padding, dims=dims)
        self.deeper = nn.Sequential(*deeper)
        self.inner = inner
        mode = _LAYERS[dims][3] if cfg.upsample == "bilinear" else cfg.upsample
        linear = mode != "nearest"
        self.upsample = nn.Upsample(scale_factor=stride if isinstance(stride, tuple) else 2, mode=mode,
                                    align_corners=False if linear else None)
        merged = skip + up_from_inner
        self.merge = nn.Sequential(
            _norm(cfg.norm, merged, dims),
            *_block(merged, up, 3, cfg.norm, cfg.padding, dims=dims),
            *_block(up, up, 1, cfg.norm, cfg.padding, dims=dims),
        )

    def forward(self, x):
        y = self.deeper(x)
        if self.inner is not None:
            y = self.inner(y)
        y = self.upsample(y)
        if self.skip is not None:
            y = torch.cat([self.skip(x), y], dim=1)
        return self.merge(y)


class SkipNet(nn.Module):
    """The DIP skip network.

    Parameters
    ----------
    in_channels, out_channels : int
    config : histdip.config.NetworkConfig
    dims : {1, 2, 3}
        Spatial axes: a trace (N, C, L), an image (N, C, H, W) or a volume (N, C, D, H, W).
    stride : int or tuple of int
        Each scale's down-sampling per axis (2; a tuple such as ``(1, 2, 2)`` keeps
        a volume's coarse z). The input's sides must be multiples of ``stride`` to the
        number of scales.
    """

    def __init__(self, in_channels, out_channels, config, *, dims=2, stride=2):
        super().__init__()
        if dims not in _LAYERS:
            raise ValueError(f"dims must be 1, 2 or 3, got {dims!r}")
        if isinstance(stride, tuple) and len(stride) != dims:
            raise ValueError(f"stride needs one entry per axis ({dims}), got {stride!r}")
        self.config = config
        self.dims, self.stride = dims, stride
        self.in_channels, self.out_channels = in_channels, out_channels
        down, up, skip = config.channels_down, config.channels_up, config.channels_skip
        inner = None
        for i in reversed(range(len(down))):
            cin = in_channels if i == 0 else down[i - 1]
            up_from_inner = down[i] if i == len(down) - 1 else up[i + 1]
            inner = _Scale(cin, down[i], up[i], skip[i], up_from_inner, inner, config, dims, stride)
        self.body = inner
        self.head = _LAYERS[dims][0](up[0], out_channels, 1)
        self.sigmoid = config.sigmoid
        self.clamp = getattr(config, "clamp", False)

    def forward(self, x):
        return self.bound(self.unbounded(x))

    def unbounded(self, x):
        """The output before the sigmoid or the clip (what :class:`histdip.fit.leash.Leash`
        keeps within reach)."""
        return self.head(self.body(x))

    def bound(self, y):
        """``y`` from :meth:`unbounded` made the output: a sigmoid, the clip, or as it is."""
        if self.sigmoid:
            return torch.sigmoid(y)
        if self.clamp:
            # Straight-through clip: values in [0, 1], identity gradient.
            return y + (y.clamp(0.0, 1.0) - y).detach()
        return y


def count_parameters(module):
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
