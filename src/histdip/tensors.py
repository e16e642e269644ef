"""Between arrays and the network: mirror padding to the network's multiple, and
conversion between (H, W[, C]) arrays and (1, C, H, W) tensors."""

from __future__ import annotations

import numpy as np
import torch


def pad_amounts(shape, multiple, margin=0):
    """(top, bottom, left, right) padding of at least ``margin`` a side that brings
    ``shape`` up to ``multiple``."""
    h, w = shape[:2]
    ph, pw = (-(h + 2 * margin)) % multiple + 2 * margin, (-(w + 2 * margin)) % multiple + 2 * margin
    return ph // 2, ph - ph // 2, pw // 2, pw - pw // 2


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


def to_tensor(array, device):
    """(H, W) or (H, W, C) float array -> (1, C, H, W) float32 tensor."""
    a = np.asarray(array, dtype=np.float32)
    a = a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)
    return torch.from_numpy(np.ascontiguousarray(a))[None].to(device)


def to_array(tensor):
    """(1, C, H, W) tensor -> (H, W) for one channel, else (H, W, C), float32."""
    a = tensor.detach().float().cpu().numpy()[0]
    return a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1)
