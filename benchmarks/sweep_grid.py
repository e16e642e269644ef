"""The scenes of the ``sweep`` benchmark: its fixed grid, and how each scene is made and
measured (object SNR, bins). The grid was written down before any result was looked at;
see :mod:`benchmarks.sweep` for the whole design.

Grid (:data:`GRID`, 18 scenes per seed, :data:`SCENE_SHAPE`)
-------------------------------------------------------------
Colour phone photos of beads (the main case: RGB uint8, JPEG, the calibrated phone
camera), a 4 x 3 crossing of target SNR x haze, with bead size, density and clipping
rotated so that each size and each density meets every SNR level and every haze level,
and each appears with and without clipping::

    name  SNR   haze  size    density  clip
    c00   2.1   none  small   sparse   -
    c01   2.1   1x    medium  sparse   -
    c02   2.1   3x    large   crowded  yes
    c10   4.2   none  medium  crowded  yes
    c11   4.2   1x    large   sparse   yes
    c12   4.2   3x    small   crowded  -
    c20   8.5   none  large   crowded  -
    c21   8.5   1x    small   crowded  yes
    c22   8.5   3x    medium  sparse   yes
    c30   19    none  small   sparse   yes
    c31   19    1x    medium  crowded  -
    c32   19    3x    large   sparse   -

Grey scientific-camera frames (``grey=True``, no JPEG; the simulator's scientific camera
for cells and filaments)::

    g0    2.1   none  medium  crowded  -      beads
    g1    8.5   1x    small   sparse   yes    beads
    f0    2.1                                 filaments
    f1    8.5                                 filaments
    k0    4.2                                 cells
    k1    19                                  cells

* **SNR** targets are the geometric centres of the bins :data:`SNR_BINS` ([1.5, 3),
  [3, 6), [6, 12), [12, 30]). A scene is made at the target by scaling its objects'
  brightness (:func:`make_scene`); the SNR is then *measured*, and scenes are binned by
  the measured median object SNR, not by the target.
* **Haze** (:data:`HAZE_LEVELS`): the simulator's ``haze_ratio``, the haze layer's 99th
  percentile over the median bead peak: none, 1x, 3x (flare round the beads, ghosts).
* **Bead diameters** (:data:`BEAD_SIZES`, px): small 2-6, medium 8-20, large 24-44
  (radius 1 to 22 px); brightness drawn per bead over a factor 2.
* **Density** (:data:`COUNTS`): beads per 256 x 320 px, scaled by area; cells and
  filaments :data:`OTHER_COUNTS`.
* **Clip**: the brightest ``max(10 %, one bead)`` of the beads are raised to peak at
  full scale in ``clean`` (the simulator's ``clip_fraction``, ``clip_brightness`` 1.0):
  over the background they saturate the photo. Their SNR lies above the bins; the
  scene's median SNR is that of the others.

Seeds: :data:`TUNING_SEEDS` for choosing anything (the classical variant), and
:data:`HELD_OUT_SEEDS` for reporting; scene ``k`` of the grid at seed ``s`` is simulated
with seed ``1000 s + k``, so the two sets never share a scene.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi

from histdip.simulate import bead_peaks, simulate_scene

#: Scene size (rows, columns) of the full sweep, and of ``--quick``.
SCENE_SHAPE = (256, 320)
QUICK_SHAPE = (96, 128)

#: Seeds for tuning anything, and the held-out seeds results are reported on.
TUNING_SEEDS = (0, 1)
HELD_OUT_SEEDS = (1000, 1001, 1002, 1003, 1004)

#: Object-SNR bins: median object peak over the noise sigma. The last one is closed.
SNR_BINS = ((1.5, 3.0), (3.0, 6.0), (6.0, 12.0), (12.0, 30.0))
SNR_TARGETS = (2.1, 4.2, 8.5, 19.0)

#: The simulator's ``haze_ratio`` for each haze level.
HAZE_LEVELS = {"none": 0.0, "1x": 1.0, "3x": 3.0}

#: Bead diameter ranges (px) and bead counts per 256 x 320 px (scaled by area).
BEAD_SIZES = {"small": (2.0, 6.0), "medium": (8.0, 20.0), "large": (24.0, 44.0)}
COUNTS = {("small", "sparse"): 40, ("small", "crowded"): 500, ("medium", "sparse"): 12,
          ("medium", "crowded"): 60, ("large", "sparse"): 5, ("large", "crowded"): 18}

#: Cells and filaments per 256 x 320 px (twice the simulator's default density).
OTHER_COUNTS = {"cells": 6, "filaments": 10}

#: Share of the beads raised to full scale in a clipped scene (at least one bead).
CLIP_FRACTION = 0.1

#: Relative brightness spread of the beads and filaments of one scene (scaled to the
#: SNR target; cells keep the simulator's cytoplasm and nucleus ranges, scaled).
SPREAD = {"beads": (0.5, 1.0), "filaments": (1 / 3, 1.0), "cells": (1.0, 1.0)}


@dataclass(frozen=True)
class SceneSpec:
    """One point of the grid.

    Attributes
    ----------
    name : str
    kind : {'beads', 'filaments', 'cells'}
    colour : bool
        A phone photo (RGB, JPEG) or a grey scientific-camera frame.
    snr : float
        Target median object SNR.
    haze, size, density : str or None
        Keys of :data:`HAZE_LEVELS`, :data:`BEAD_SIZES`, density (beads only).
    clip : bool
        Some beads above the camera's full scale.
    """

    name: str
    kind: str
    colour: bool
    snr: float
    haze: str | None = None
    size: str | None = None
    density: str | None = None
    clip: bool = False

    @property
    def group(self):
        """'colour beads', 'grey beads', 'filaments' or 'cells'."""
        if self.kind != "beads":
            return self.kind
        return "colour beads" if self.colour else "grey beads"


def _colour(name, snr, haze, size, density, clip):
    return SceneSpec(name, "beads", True, snr, haze, size, density, clip)


S0, S1, S2, S3 = SNR_TARGETS
GRID = (
    _colour("c00", S0, "none", "small", "sparse", False),
    _colour("c01", S0, "1x", "medium", "sparse", False),
    _colour("c02", S0, "3x", "large", "crowded", True),
    _colour("c10", S1, "none", "medium", "crowded", True),
    _colour("c11", S1, "1x", "large", "sparse", True),
    _colour("c12", S1, "3x", "small", "crowded", False),
    _colour("c20", S2, "none", "large", "crowded", False),
    _colour("c21", S2, "1x", "small", "crowded", True),
    _colour("c22", S2, "3x", "medium", "sparse", True),
    _colour("c30", S3, "none", "small", "sparse", True),
    _colour("c31", S3, "1x", "medium", "crowded", False),
    _colour("c32", S3, "3x", "large", "sparse", False),
    SceneSpec("g0", "beads", False, S0, "none", "medium", "crowded", False),
    SceneSpec("g1", "beads", False, S2, "1x", "small", "sparse", True),
    SceneSpec("f0", "filaments", False, S0),
    SceneSpec("f1", "filaments", False, S2),
    SceneSpec("k0", "cells", False, S1),
    SceneSpec("k1", "cells", False, S3),
)

#: The ``--quick`` subset (names of :data:`GRID`), run at :data:`QUICK_SHAPE`, one seed.
QUICK_NAMES = ("c01", "c21", "g0", "f1")


def snr_bin(value):
    """Index of the :data:`SNR_BINS` bin holding ``value``, or None outside them.

    >>> snr_bin(1.5), snr_bin(5.9), snr_bin(30.0), snr_bin(1.2)
    (0, 1, 3, None)
    """
    for i, (lo, hi) in enumerate(SNR_BINS):
        if lo <= value < hi or (i == len(SNR_BINS) - 1 and value == hi):
            return i
    return None


def bin_label(index):
    """'[1.5, 3)' and so on; 'outside' for None."""
    if index is None:
        return "outside"
    lo, hi = SNR_BINS[index]
    return f"[{lo:g}, {hi:g}" + ("]" if index == len(SNR_BINS) - 1 else ")")


def _sim_kwargs(spec, shape, scale):
    """simulate_scene's arguments for ``spec`` with the objects' brightness times ``scale``."""
    lo, hi = SPREAD[spec.kind]
    kw = dict(kind=spec.kind, shape=shape)
    area = shape[0] * shape[1] / (256 * 320)
    if spec.kind == "beads":
        n = max(3, int(round(COUNTS[(spec.size, spec.density)] * area)))
        kw.update(bead_size=BEAD_SIZES[spec.size], n_beads=n, brightness=(lo * scale, hi * scale),
                  haze_ratio=HAZE_LEVELS[spec.haze],
                  clip_fraction=max(CLIP_FRACTION, 1.0 / n) if spec.clip else 0.0)
        if not spec.colour:  # the simulator's scientific camera, as for cells and filaments
            kw.update(grey=True, jpeg_quality=None, bg_level=(0.03, 0.08), bg_texture=0.0,
                      photon_scale=150.0, read_sigma=0.01, noise_corr=0.0, sharpen=0.0)
    elif spec.kind == "cells":
        kw.update(n_beads=max(2, int(round(OTHER_COUNTS["cells"] * area))),
                  brightness=(0.15 * scale, 0.35 * scale), nucleus_gain=(0.2 * scale, 0.45 * scale))
    else:
        kw.update(n_beads=max(2, int(round(OTHER_COUNTS["filaments"] * area))), brightness=(lo * scale, hi * scale))
    return kw


def object_levels(scene):
    """Each object's peak in ``scene.clean``: per bead (:func:`histdip.simulate.bead_peaks`),
    or for cells and filaments one level, the median of ``clean`` over their support."""
    if scene.kind == "beads":
        return bead_peaks(scene.clean, scene.beads)
    support = scene.support if scene.support.any() else scene.clean > 0
    return np.array([float(np.median(scene.clean[support]))]) if support.any() else np.zeros(1)


def clipped_beads(scene):
    """Which beads saturate the camera: background + haze + clean >= 1 at their peak."""
    if scene.kind != "beads" or len(scene.beads) == 0:
        return np.zeros(len(scene.beads), bool)
    lin = scene.background + scene.haze + scene.clean
    return bead_peaks(lin, scene.beads) >= 1.0


def noise_sigma(scene, margin=5):
    """The noise sigma of the photo's green plane: std of ``noisy - expected`` over the
    pixels at least ``margin`` px from every object and below saturation."""
    resid = scene.noisy.astype(np.float64) - scene.expected
    keep = scene.background_mask(margin) & (scene.expected < 0.98)
    return float(resid[keep].std()) if keep.sum() > 100 else float(resid.std())


def local_sigmas(scene, inner=5.0, outer=15.0, fallback=None):
    """Per bead, the noise sigma in the annulus ``inner``-``outer`` px outside its disc
    (pixels nearer another bead left out); ``fallback`` (default :func:`noise_sigma`)
    where fewer than 30 pixels remain."""
    fallback = noise_sigma(scene) if fallback is None else fallback
    resid = scene.noisy.astype(np.float64) - scene.expected
    far = ndi.distance_transform_edt(~scene.support) > 3
    h, w = resid.shape
    out = np.full(len(scene.beads), fallback)
    for i, (y, x, r) in enumerate(zip(scene.beads["y"], scene.beads["x"], scene.beads["radius"])):
        m = int(r + outer) + 1
        y0, y1, x0, x1 = max(int(y) - m, 0), min(int(y) + m + 1, h), max(int(x) - m, 0), min(int(x) + m + 1, w)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(yy - y, xx - x) - r
        ring = (d >= inner) & (d <= outer) & far[y0:y1, x0:x1]
        if ring.sum() >= 30:
            out[i] = float(resid[y0:y1, x0:x1][ring].std())
    return out


def measure(scene):
    """The scene's measured SNR and what it rests on.

    Beads: each bead's SNR is its peak (:func:`object_levels`) over the noise sigma
    round it (:func:`local_sigmas`); the scene's SNR is their median. Cells and
    filaments: the median object level over :func:`noise_sigma`.

    Returns
    -------
    record : dict
        sigma (scene noise), level (median object peak: the scale of PSNR and of the
        artefacts), snr (median), snr_min, snr_max, bin, bead_bins (beads per bin),
        n_objects, n_clipped, haze_over_peak.
    snrs : ndarray
        Each object's SNR (one value for cells and filaments).
    """
    sigma = noise_sigma(scene)
    levels = object_levels(scene)
    if scene.kind == "beads" and len(scene.beads):
        clipped = clipped_beads(scene)
        snrs = levels / np.maximum(local_sigmas(scene, fallback=sigma), 1e-9)
    else:
        clipped = np.zeros(0, bool)
        snrs = levels / max(sigma, 1e-9)
    level = float(np.median(levels))
    snr = float(np.median(snrs))
    bead_bins = [int(sum(snr_bin(v) == b for v in snrs)) for b in range(len(SNR_BINS))]
    record = dict(sigma=sigma, level=level, snr=snr, snr_min=float(snrs.min()), snr_max=float(snrs.max()),
                  bin=snr_bin(snr), bead_bins=bead_bins, n_objects=int(scene.params.get("n_objects", 0)),
                  n_clipped=int(clipped.sum()),
                  haze_over_peak=float(np.percentile(scene.haze, 99) / level) if level > 0 else None)
    return record, snrs


def make_scene(spec, seed, shape=SCENE_SHAPE):
    """Simulate ``spec`` at its target SNR.

    A pilot scene at a dim trial brightness gives the noise sigma and the objects'
    peak per unit of brightness; the scene is then simulated again, same seed, with the
    brightness scaled to put the median object peak at ``spec.snr`` sigma. Objects,
    flare pattern and noise draws are the same in both (the simulator's streams are
    separate), and everything but the noise variance is linear in the brightness, so
    the measured SNR lands near the target; it is measured again all the same.

    Returns
    -------
    scene : histdip.simulate.Scene
    record : dict
        :func:`measure`'s record (``snr`` the measured median) plus the spec's fields
        (its target as ``snr_target``), simulator seed and brightness scale.
    snrs : ndarray
        Each object's SNR (:func:`measure`).
    """
    trial = 0.05
    pilot = simulate_scene(seed=seed, **_sim_kwargs(spec, shape, trial))
    per_unit = float(np.median(object_levels(pilot))) / trial
    scale = spec.snr * noise_sigma(pilot) / per_unit if per_unit > 0 else trial
    scene = simulate_scene(seed=seed, **_sim_kwargs(spec, shape, scale))
    measured, snrs = measure(scene)
    record = {**asdict(spec), "snr_target": spec.snr, "group": spec.group, "sim_seed": int(seed),
              "shape": list(shape), "scale": scale, **measured}
    return scene, record, snrs


def scene_seed(seed, index):
    """The simulator seed of grid scene ``index`` at sweep seed ``seed``."""
    return 1000 * int(seed) + int(index)
