"""Feeding the network: padding to the network's multiple, crops for each step, and
whole-image prediction (tiled when the image is large)."""

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


#: Order in which :func:`predict` adds the eight flips and quarter turns of the square:
#: the first two, four or eight form a group, so every ensemble is balanced.
DIHEDRAL_ORDER = (0, 4, 2, 6, 1, 5, 3, 7)


def dihedral(x, k):
    """The ``k``-th (0-7) flip/rotation of the last two axes: ``k // 4`` mirrors, ``k % 4`` quarter turns."""
    if k >= 4:
        x = x.flip(-1)
    return torch.rot90(x, k % 4, dims=(-2, -1))


def undo_dihedral(x, k):
    """Inverse of :func:`dihedral`."""
    x = torch.rot90(x, -(k % 4), dims=(-2, -1))
    return x.flip(-1) if k >= 4 else x


@torch.no_grad()
def predict(net, net_input, tile=None, overlap=64, multiple=32, ensemble=1):
    """Run ``net`` over the whole input, in overlapping tiles when ``tile`` is set.

    With ``ensemble`` > 1 (2, 4 or 8) the input is also flipped and turned, each result
    is turned back, and the mean is returned (a self-ensemble: the network is not
    equivariant, so its errors on the transformed inputs partly cancel). A quarter
    turn swaps height and width; both stay multiples of ``multiple``.
    """
    if ensemble > 1:
        total = None
        for k in DIHEDRAL_ORDER[:ensemble]:
            piece = undo_dihedral(predict(net, dihedral(net_input, k), tile, overlap, multiple), k)
            total = piece if total is None else total.add_(piece)
        return total.div_(ensemble)
    return _predict_tiles(net, net_input, tile, overlap, multiple)


def _predict_tiles(net, net_input, tile, overlap, multiple):
    """:func:`predict` for one orientation.

    Each tile keeps only the part of its output that lies at least ``overlap / 2``
    pixels from its inner edges, where the network saw real neighbours rather than its
    own padding; for a network whose receptive field fits in that margin, the result
    equals a whole-image pass. Tile sides are multiples of ``multiple`` so the
    network's scales line up.
    """
    h, w = net_input.shape[-2:]
    if tile is None or (h <= tile and w <= tile):
        return net(net_input)
    tile = max(multiple, tile - tile % multiple)
    overlap = min(overlap, tile // 2)
    half = overlap // 2
    out = None
    ys, xs = _starts(h, tile, tile - overlap), _starts(w, tile, tile - overlap)
    for y in ys:
        th = min(tile, h)
        for x in xs:
            tw = min(tile, w)
            piece = net(net_input[..., y : y + th, x : x + tw])
            if out is None:
                out = torch.empty((1, piece.shape[1], h, w), dtype=piece.dtype, device=net_input.device)
            y0 = 0 if y == ys[0] else half
            y1 = th if y == ys[-1] else th - half
            x0 = 0 if x == xs[0] else half
            x1 = tw if x == xs[-1] else tw - half
            out[..., y + y0 : y + y1, x + x0 : x + x1] = piece[..., y0:y1, x0:x1]
    return out


def _starts(length, tile, step):
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step)) + [length - tile]
    return sorted(set(starts))
