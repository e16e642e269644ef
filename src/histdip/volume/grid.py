"""The 3-D network's grid: anisotropy, padding to its multiple, crops and slabs.

:func:`plan_geometry` decides from the voxel spacing whether the network halves z at
each scale (and the forward model downsamples z) or keeps every plane; the rest moves
volumes between arrays and the network's padded (1, C, D, H, W) tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..tensors import pad_amounts, pad_axis

#: A z step at least this many times the pixel size keeps z: the network does not halve
#: it and the forward model does not downsample it. At twice the pixel, a bead that is
#: round in µm is half as deep in planes as it is wide in pixels: halving z four times
#: (the default network's four scales) would leave its coarsest scale one or two planes
#: deep, and a forward model that averages pairs of planes would ask the network to
#: invent detail between planes the microscope never sampled.
ANISOTROPY_LIMIT = 2.0


@dataclass(frozen=True)
class Geometry:
    """How the 3-D network sees a volume.

    Attributes
    ----------
    ratio : float or None
        z step over pixel size (None: the spacing is unknown, taken as isotropic).
    keep_z : bool
        Whether z is kept at every scale (stride (1, 2, 2)) and left alone by the
        forward model.
    stride : int or tuple of int
        The network's per-scale stride.
    axes : tuple of bool
        The forward model's downsampled axes.
    multiple : tuple of int
        Each padded side's multiple (z, y, x).
    reason : str
        The choice in words, for the run record.
    """

    ratio: float | None
    keep_z: bool
    stride: object
    axes: tuple
    multiple: tuple
    reason: str


def plan_geometry(shape, spacing, network, physics):
    """The :class:`Geometry` of a (Z, Y, X) volume of voxels ``spacing`` (dz, dy, dx) µm apart."""
    factor = physics.factor if physics.kind == "downsample" else 1
    lateral = math.lcm(network.multiple, factor)
    ratio = None
    if spacing is not None and all(s and s > 0 for s in spacing):
        ratio = float(spacing[0]) / float(np.sqrt(spacing[1] * spacing[2]))
    # A coarse z, or too few planes for the network's four halvings (padding 8 planes to
    # 32 would fit three times as much mirror as volume).
    few = shape[0] < network.multiple
    coarse = ratio is not None and ratio >= ANISOTROPY_LIMIT
    if coarse or few:
        why = (f"z step {ratio:.2g}x the pixel (>= {ANISOTROPY_LIMIT:g})" if coarse
               else f"{shape[0]} planes, fewer than the network's multiple {network.multiple}")
        return Geometry(ratio, True, (1, 2, 2), (False, True, True), (1, lateral, lateral),
                        f"anisotropic: {why}; z kept at every scale, forward model in-plane only")
    why = "spacing unknown, taken as isotropic" if ratio is None else f"z step {ratio:.2g}x the pixel"
    return Geometry(ratio, False, 2, (True, True, True), (lateral, lateral, lateral),
                    f"isotropic: {why}; z halved with y and x")


def volume_padding(shape, geometry):
    """((front, back), (top, bottom), (left, right)) mirror padding to ``geometry``'s multiples."""
    mz, mxy = geometry.multiple[0], geometry.multiple[1]
    front, back = pad_axis(shape[0], mz) if mz > 1 else (0, 0)
    t, b, l, r = pad_amounts(shape[1:], mxy)
    return (front, back), (t, b), (l, r)


def pad_volume(array, amounts):
    """Mirror-pad a (Z, Y, X) array (never crop)."""
    return np.pad(array, amounts, mode="symmetric")


def unpad_volume(array, amounts):
    """Undo :func:`pad_volume`."""
    return array[tuple(slice(a, n - b) for (a, b), n in zip(amounts, array.shape))]


def as_tensor(volume, device="cpu"):
    """(Z, Y, X) array -> (1, 1, Z, Y, X) float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))[None, None].to(device)


def as_volume(tensor):
    """(1, 1, Z, Y, X) tensor -> (Z, Y, X) float32 array."""
    return tensor.detach().float().cpu().numpy()[0, 0]


def crop_size(shape, geometry, patch_size):
    """(z, y, x) crop fitted each step: a quarter of ``patch_size`` across (at least two
    of the network's multiples), 16 planes deep, or two multiples where z is halved;
    never more than the padded volume. A 3-D step costs about three times a 2-D one per
    voxel (27 taps against 9): a 2-D crop's side as a cube would cost a hundred times
    a 2-D step."""
    side = max(2 * geometry.multiple[1], (patch_size or 128) // 4)
    depth = 2 * geometry.multiple[0] if not geometry.keep_z else 16
    return min(depth, shape[0]), min(side, shape[1]), min(side, shape[2])


class VolumeCrops:
    """Each step sees ``batch`` random (z, y, x) crops of the padded volume; a share of
    them centred on a foreground voxel (a sparse volume's uniform crops are nearly all
    background). Starts lie on the forward model's factors, so the target crop lines up;
    the loss skips ``margin`` target voxels at crop faces inside the volume, where the
    forward model's padding saw the crop's edge instead of its neighbours.
    """

    def __init__(self, net_input, target, size, batch, factors, margin, *, seed=0, foreground=None, share=0.5):
        self.net_input, self.target = net_input, target
        self.size, self.batch, self.factors = tuple(size), batch, tuple(factors)
        self.rng = np.random.default_rng(seed)
        self.centres = np.argwhere(foreground) if foreground is not None and share > 0 and foreground.any() else None
        self.share = share
        self.margin = tuple(min(margin, s // f // 4) if f > 1 else 0 for s, f in zip(self.size, self.factors))

    def __call__(self, step):
        full = self.net_input.shape[-3:]
        starts = np.stack([self.rng.integers(0, (n - s) // f + 1, self.batch) * f
                           for n, s, f in zip(full, self.size, self.factors)], axis=1)
        if self.centres is not None:
            chosen = self.rng.random(self.batch) < self.share
            picks = self.centres[self.rng.integers(0, len(self.centres), self.batch)]
            centred = np.stack([np.clip(picks[:, i] - self.size[i] // 2, 0, full[i] - self.size[i])
                                // self.factors[i] * self.factors[i] for i in range(3)], axis=1)
            starts = np.where(chosen[:, None], centred, starts)
        inputs, targets, weights = [], [], []
        for start in starts:
            hi = [slice(a, a + s) for a, s in zip(start, self.size)]
            lo = [slice(a // f, (a + s) // f) for a, s, f in zip(start, self.size, self.factors)]
            inputs.append(self.net_input[(..., *hi)])
            targets.append(self.target[(..., *lo)])
            weights.append(self._weight(start, full, targets[-1].shape[-3:]))
        return torch.cat(inputs), torch.cat(targets), torch.cat(weights)

    def _weight(self, start, full, low):
        weight = torch.ones((1, 1, *low), device=self.target.device)
        for axis, (a, s, n, m) in enumerate(zip(start, self.size, full, self.margin)):
            if m and a > 0:
                weight.narrow(2 + axis, 0, m).zero_()
            if m and a + s < n:
                weight.narrow(2 + axis, low[axis] - m, m).zero_()
        return weight


def probe_slices(weight, size, multiple):
    """(z, y, x) slices of a window at most ``size`` a side (multiples of ``multiple``)
    where ``weight`` sums highest: what the stopping rule watches."""
    slices = []
    for axis in range(3):
        n = weight.shape[axis]
        s = min(n, size[axis])
        s = max(multiple[axis], s - s % multiple[axis]) if s >= multiple[axis] else s
        profile = weight.sum(axis=tuple(a for a in range(3) if a != axis))
        sums = np.convolve(profile, np.ones(s), mode="valid")
        starts = np.arange(0, n - s + 1, multiple[axis])
        start = int(starts[np.argmax(sums[starts])]) if sums.any() else (n - s) // 2 // multiple[axis] * multiple[axis]
        slices.append(slice(start, start + s))
    return tuple(slices)


@torch.no_grad()
def predict_volume(model, net_input, geometry, *, max_voxels=2**22):
    """The model's output on the padded ``net_input``, in z-slabs with a halo where the
    volume has more than ``max_voxels`` voxels (a 3-D net's activations are 16 channels
    per voxel at the first scale)."""
    model.eval()
    depth = net_input.shape[2]
    plane = int(np.prod(net_input.shape[-2:]))
    if depth * plane <= max_voxels:
        return as_volume(model(net_input))
    step = geometry.multiple[0]
    halo = max(step, 8)
    slab = max(step, (max_voxels // plane - 2 * halo) // step * step)
    out = np.empty(net_input.shape[2:], np.float32)
    for z0 in range(0, depth, slab):
        z1 = min(depth, z0 + slab)
        a = max(0, (z0 - halo) // step * step)
        b = min(depth, -(-(z1 + halo) // step) * step)
        part = as_volume(model(net_input[:, :, a:b]))
        out[z0:z1] = part[z0 - a : z1 - a]
    return out
