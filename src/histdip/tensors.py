"""Between arrays and the network: mirror padding to the network's multiple, block
means (binning) of the first two axes, and conversion between (H, W[, C]) arrays and
(1, C, H, W) tensors."""

from __future__ import annotations

import numpy as np
import torch


def pad_axis(n, multiple, margin=0):
    """(before, after) padding of at least ``margin`` a side that brings an axis of ``n``
    samples up to a multiple of ``multiple``, and to at least two multiples.

    >>> pad_axis(100, 16), pad_axis(5, 16)
    ((6, 6), (13, 14))
    """
    amount = (-(n + 2 * margin)) % multiple + 2 * margin
    # Under two multiples the network's coarsest scale would be 1 px, which its
    # reflection padding cannot pad: a tiny image is padded up to two.
    while n + amount < 2 * multiple:
        amount += multiple
    return amount // 2, amount - amount // 2


def pad_amounts(shape, multiple, margin=0):
    """(top, bottom, left, right) padding of at least ``margin`` a side that brings
    ``shape`` up to ``multiple`` (:func:`pad_axis` of each of the first two axes)."""
    return pad_axis(shape[0], multiple, margin) + pad_axis(shape[1], multiple, margin)


def pad(array, amounts):
    """Mirror-pad the first two axes (never crop: the user's pixels all stay)."""
    t, b, l, r = amounts
    widths = [(t, b), (l, r)] + [(0, 0)] * (array.ndim - 2)
    return np.pad(array, widths, mode="symmetric")


def unpad(array, amounts):
    """Undo :func:`pad` on the first two axes."""
    t, b, l, r = amounts
    h, w = array.shape[:2]
    return array[t : h - b, l : w - r]


def block_mean(array, factor):
    """The means of ``factor`` x ``factor`` blocks over the first two axes (binning); the
    rows and columns beyond the last whole block are dropped. Any further axes (colour
    channels) are kept.

    >>> block_mean(np.arange(16.0).reshape(4, 4), 2).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    a = np.asarray(array)
    h, w = (a.shape[0] // factor) * factor, (a.shape[1] // factor) * factor
    return a[:h, :w].reshape(h // factor, factor, w // factor, factor, *a.shape[2:]).mean(axis=(1, 3))


def to_tensor(array, device):
    """(H, W) or (H, W, C) float array -> (1, C, H, W) float32 tensor."""
    a = np.asarray(array, dtype=np.float32)
    a = a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)
    return torch.from_numpy(np.ascontiguousarray(a))[None].to(device)


def to_array(tensor):
    """(1, C, H, W) tensor -> (H, W) for one channel, else (H, W, C), float32."""
    a = tensor.detach().float().cpu().numpy()[0]
    return a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1)
