"""Simulated 3-D bead volumes with a known clean volume and bead list: :func:`simulate_volume`.

A widefield z-stack of fluorescent beads: solid spheres placed in a (Z, Y, X) volume of
voxels ``spacing`` µm apart, blurred by a Gaussian point-spread function longer along
z than across (a widefield PSF's axial extent is about three times its lateral one),
on a haze (a smooth 2-D background, dimmer with depth, plus each bead's out-of-focus
light: the same beads blurred far wider), recorded as Poisson photon counts plus
Gaussian read noise on a camera offset, as a uint16 stack.

The clean volume is the beads' in-focus light in the recording's units above the
offset, without haze and noise: what a restoration's signal should be. The z step
(``spacing[0]``) sets how many planes the same beads span: at 0.1 µm a 0.3 µm bead is
7 planes deep, at 0.3 µm 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from ..errors import ConfigError
from .optics import background

#: One bead per row: centre in voxels, radius in µm, brightness (photons at its centre
#: before the blur).
BEAD_DTYPE = np.dtype([("z", "f8"), ("y", "f8"), ("x", "f8"), ("radius", "f8"), ("brightness", "f8")])


@dataclass(frozen=True, eq=False)
class Volume:
    """A simulated bead volume.

    Attributes
    ----------
    volume : ndarray, uint16, (Z, Y, X)
        The recording: offset + photons + read noise.
    clean : ndarray, float32, (Z, Y, X)
        The beads' light in the recording's units above the offset (no haze, no noise).
    haze : ndarray, float32, (Z, Y, X)
        The background light in the same units (no noise).
    beads : ndarray of :data:`BEAD_DTYPE`
        Every bead: centre (z, y, x) in voxels, radius in µm, brightness.
    spacing : tuple of float
        (dz, dy, dx) in µm.
    seed : int
    """

    volume: np.ndarray
    clean: np.ndarray
    haze: np.ndarray
    beads: np.ndarray
    spacing: tuple
    seed: int

    def bead_voxels(self):
        """The bead centres as an (n, 3) array of (z, y, x) in voxels."""
        return np.stack([self.beads["z"], self.beads["y"], self.beads["x"]], axis=1)


def simulate_volume(shape=(32, 128, 128), *, spacing=(0.1, 0.1, 0.1), seed=0, n_beads=40, radius=(0.15, 0.3),
                    brightness=(20.0, 60.0), psf_sigma=(0.25, 0.08), haze=8.0, defocus=4.0, read_sigma=2.0,
                    offset=100.0):
    """A bead volume and its clean volume.

    Parameters
    ----------
    shape : tuple of int
        (Z, Y, X) voxels.
    spacing : tuple of float
        (dz, dy, dx) in µm; a z step larger than the pixel is an anisotropic stack.
    seed : int
        Seeds every random draw: the same arguments give the same volume.
    n_beads : int
    radius, brightness : (low, high)
        Bead radius in µm and peak photons, drawn uniformly per bead.
    psf_sigma : (axial, lateral)
        Gaussian PSF sigmas in µm.
    haze : float
        Mean photons of the smooth background per voxel.
    defocus : float
        Each bead's out-of-focus light: the beads blurred ``defocus`` times wider, at a
        quarter of their light (a widefield stack's haze around its objects).
    read_sigma, offset : float
        Camera read noise and offset in counts.

    Returns
    -------
    Volume

    Raises
    ------
    ConfigError
        A shape that is not three positive sides, or a non-positive spacing.

    Examples
    --------
    >>> v = simulate_volume((8, 32, 32), n_beads=3, seed=1)
    >>> v.volume.shape, v.volume.dtype.name, len(v.beads)
    ((8, 32, 32), 'uint16', 3)
    """
    shape = tuple(int(n) for n in shape)
    spacing = tuple(float(s) for s in spacing)
    if len(shape) != 3 or min(shape) < 1:
        raise ConfigError(f"a volume needs three positive sides (Z, Y, X), got {shape}")
    if len(spacing) != 3 or min(spacing) <= 0:
        raise ConfigError(f"spacing needs three positive steps (dz, dy, dx) in µm, got {spacing}")
    rng = np.random.default_rng(seed)
    beads = _place(rng, shape, spacing, n_beads, radius, brightness)
    emission = _render(shape, spacing, beads)
    sigma_vox = (psf_sigma[0] / spacing[0], psf_sigma[1] / spacing[1], psf_sigma[1] / spacing[2])
    clean = ndi.gaussian_filter(emission, sigma_vox, mode="constant")
    glow = 0.25 * ndi.gaussian_filter(emission, tuple(defocus * s for s in sigma_vox), mode="constant")
    # A smooth 2-D field, dimmer deeper into the sample (scattering).
    field = background(rng, shape[1:], haze, 0.3)
    depth = np.linspace(1.0, 0.7, shape[0])[:, None, None]
    haze_volume = field[None] * depth + glow
    photons = rng.poisson(np.maximum(clean + haze_volume, 0.0)).astype(np.float64)
    recorded = offset + photons + rng.normal(0.0, read_sigma, shape)
    volume = np.clip(np.rint(recorded), 0, 65535).astype(np.uint16)
    return Volume(volume, clean.astype(np.float32), haze_volume.astype(np.float32), beads, spacing, int(seed))


def _place(rng, shape, spacing, n, radius, brightness):
    """``n`` beads inside the volume, apart from each other where space allows."""
    extent = (np.array(shape, float) - 1.0) * np.array(spacing)  # centres on the voxel grid
    table = np.zeros(n, BEAD_DTYPE)
    placed = []
    for i in range(n):
        r = rng.uniform(*radius)
        for _ in range(100):
            c = rng.uniform(0.0, 1.0, 3) * extent
            if not placed or np.min(np.linalg.norm(np.array(placed) - c, axis=1)) > 2.5 * radius[1]:
                break
        placed.append(c)
        table[i] = (c[0] / spacing[0], c[1] / spacing[1], c[2] / spacing[2], r, rng.uniform(*brightness))
    return table


def _render(shape, spacing, beads):
    """Solid spheres, their edge voxels partly covered (linear in the distance)."""
    out = np.zeros(shape)
    step = np.array(spacing)
    for bead in beads:
        centre = np.array([bead["z"], bead["y"], bead["x"]])
        reach = np.ceil((bead["radius"] + step) / step).astype(int)
        lo = np.maximum(np.floor(centre).astype(int) - reach, 0)
        hi = np.minimum(np.floor(centre).astype(int) + reach + 1, shape)
        if np.any(lo >= hi):
            continue
        grid = np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij")
        dist = np.sqrt(sum(((g - c) * s) ** 2 for g, c, s in zip(grid, centre, step)))
        cover = np.clip((bead["radius"] - dist) / min(spacing) + 0.5, 0.0, 1.0)
        region = tuple(slice(a, b) for a, b in zip(lo, hi))
        out[region] = np.maximum(out[region], bead["brightness"] * cover)
    return out
