"""Whole-image prediction with a fitted network: tiles for large images, and a
self-ensemble over flips and quarter turns."""

from __future__ import annotations

import torch


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


def predict_eval(model, net_input, *, tile=None, ensemble=1):
    """:func:`predict` in eval mode (BatchNorm's running statistics), leaving the
    network's mode as it was."""
    was_training = model.training
    model.eval()
    try:
        return predict(model, net_input, tile=tile, ensemble=ensemble)
    finally:
        model.train(was_training)


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
