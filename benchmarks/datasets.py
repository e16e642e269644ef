"""The data the benchmarks measure on: where it lives, how it is read, and the quality
benchmark's dataset items, each with an independent reference.

:func:`data_root` finds the real data; :func:`read_image`, :func:`fmd_pairs` and
:func:`phone_photos` read it; :func:`load_items` turns dataset names into :class:`Item`
objects, each holding the image a method gets and what its output is scored against.

Datasets (names for ``datasets=``)
----------------------------------
``sim-beads`` (two noise levels), ``sim-cells``, ``sim-filaments``, ``sim-empty``
    :func:`histdip.simulate.simulate_scene` with the known clean image and bead list.
    Methods see the green plane (float, [0, 1]); references: ``clean`` (ideal signal,
    no background) and ``expected`` (noise-free photo incl. background).
``fmd``, ``w2s``, ``myxo``
    Real noisy / frame-averaged pairs from the data root (centre crops).
``phone``
    The paper's smartphone photos (crop around the beads): the paper's circular
    protocol (labelled) and reference-free CNR / SDNR on regions fixed from the paper's
    hand-threshold mask of the raw photo (signal = mask eroded 2 px, background = not
    (mask dilated 10 px)), identical for every method and for the raw photo.

Sizes (crop side, simulator size and seeds, which files) come from the ``settings``
argument, a :class:`benchmarks.quality.Settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from histdip.protocol import paper_mask

from . import detection as det

#: Environment variable naming the data root when no ``--data`` flag is given.
DATA_ENV = "HISTDIP_DATA"

ALL_DATASETS = ("sim-beads", "sim-cells", "sim-filaments", "sim-empty", "fmd", "w2s", "myxo", "phone")
QUICK_DATASETS = ("sim-beads", "sim-empty")
REAL_DATASETS = ("fmd", "w2s", "myxo", "phone")

#: The threshold the paper picked by hand for each smartphone photo (its mask and protocol use it).
PHONE_T = {"a": 125, "b": 152, "c": 50, "d": 143, "e": 62, "f": 75, "g": 150, "h": 59, "i": 80, "j": 148}


def data_root(flag=None):
    """The folder holding the real data (the one ``shared/data/README.md`` indexes).

    Parameters
    ----------
    flag : str or Path, optional
        The ``--data`` flag; wins when given.

    Returns
    -------
    Path
        ``flag``, else $HISTDIP_DATA, else ``shared/data`` beside the checkout (found
        from this file, so any current directory works).

    Raises
    ------
    SystemExit
        With a one-line message, when that folder does not exist.
    """
    if flag:
        path, how = Path(flag), "--data"
    elif os.environ.get(DATA_ENV):
        path, how = Path(os.environ[DATA_ENV]), f"${DATA_ENV}"
    else:
        path, how = Path(__file__).resolve().parents[1].parent / "shared" / "data", "the default"
    if not path.is_dir():
        raise SystemExit(f"benchmarks: data folder {path} ({how}) not found; give --data DIR or set {DATA_ENV}")
    return path


def read_image(path):
    """A PNG, JPEG or TIFF file as an ndarray in its own dtype."""
    if str(path).lower().endswith((".tif", ".tiff")):
        import tifffile

        return np.asarray(tifffile.imread(path))
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im)


def fmd_pairs(root, frames="all"):
    """The FMD test frames with their 50-frame averages, in name order.

    Parameters
    ----------
    root : Path
        The data root (:func:`data_root`).
    frames : {'all', 'first'}
        All 48 raw frames, or the 12 ``<configuration>_1`` frames.

    Returns
    -------
    list of (str, ndarray, ndarray)
        (frame name, raw uint8, gt uint8) per frame.
    """
    folder = Path(root) / "fmd-test-mix"
    paths = sorted((folder / "raw").glob("*_1.png" if frames == "first" else "*.png"))
    if not paths:
        raise SystemExit(f"benchmarks: no FMD frames under {folder / 'raw'}")
    return [(p.stem, read_image(p), read_image(folder / "gt" / p.name)) for p in paths]


def phone_photos(root, names=None):
    """The paper's smartphone photos, ``{name: uint8 RGB}`` (default: all ten, a to j)."""
    folder = Path(root) / "smartphone-beads"
    return {k: read_image(folder / f"{k}.png")[..., :3] for k in (names or PHONE_T)}


def phone_crop(photo, threshold, size):
    """A ``size`` px square of ``photo`` centred on its paper mask's centre of mass, so
    that the crop holds beads (whole photo where it is smaller).

    Returns
    -------
    (ndarray, int, int)
        The crop (contiguous) and its top-left corner (y0, x0).
    """
    from scipy import ndimage as ndi

    mask = paper_mask(photo, threshold)
    cy, cx = ndi.center_of_mass(mask) if mask.any() else (photo.shape[0] / 2, photo.shape[1] / 2)
    s = min(size, *photo.shape[:2])
    y0 = int(np.clip(round(cy - s / 2), 0, photo.shape[0] - s))
    x0 = int(np.clip(round(cx - s / 2), 0, photo.shape[1] - s))
    return np.ascontiguousarray(photo[y0:y0 + s, x0:x0 + s]), y0, x0


@dataclass
class Item:
    """One image to restore, with what its output is scored against."""

    dataset: str
    name: str
    image: np.ndarray            # what 2-D methods get: float [0, 1], (H, W) or RGB (H, W, 3)
    reference: np.ndarray | None = None   # float, same units as image (green plane for phone)
    data_range: float = 1.0
    reference_label: str = ""
    expected: np.ndarray | None = None
    beads: np.ndarray | None = None       # (m, 3) y, x, radius
    bead_table: np.ndarray | None = None
    # The paper's hand T (phone photos: its protocol's mask uses it); None: each method
    # keeps its own rule (the fast preset's Yen, the classical pipeline's Otsu).
    threshold: float | None = None
    photo: np.ndarray | None = None       # phone: uint8 RGB crop
    regions: tuple | None = None          # phone: (signal, background) masks
    empty: bool = False
    noise: str = ""


def _centre_crop(a, size):
    h, w = a.shape[:2]
    size = min(size, h, w)
    y0, x0 = (h - size) // 2, (w - size) // 2
    return a[y0:y0 + size, x0:x0 + size]


def bead_scene(size, seed, noise_level=1.0):
    """The benchmark's simulated bead scene: ``size`` px square, beads 5-12 px across,
    10 per 96 x 96 px (at least 4).

    Returns
    -------
    histdip.simulate.Scene
    """
    from histdip.simulate import simulate_scene

    n = max(4, int(round(10 * (size / 96) ** 2)))
    return simulate_scene("beads", shape=(size, size), seed=seed, noise_level=noise_level, bead_size=(5.0, 12.0),
                          n_beads=n)


def _sim_items(kind, settings):
    from histdip.simulate import simulate_scene

    s = settings.sim_size
    items = []
    for seed in settings.sim_seeds:
        if kind == "sim-beads":
            for level in (1.0, 2.0):
                sc = bead_scene(s, seed, level)
                items.append(_sim_item(kind, f"beads noise x{level:g} seed {seed}", sc, f"x{level:g}"))
        elif kind == "sim-empty":
            sc = simulate_scene("empty", shape=(s, s), seed=seed)
            items.append(_sim_item(kind, f"empty seed {seed}", sc, "x1", empty=True))
        else:
            k = kind.split("-", 1)[1]
            n = max(2, int(round((8 if k == "cells" else 6) * (s / 128) ** 2)))
            sc = simulate_scene(k, shape=(s, s), seed=seed, n_beads=n)
            items.append(_sim_item(kind, f"{k} seed {seed}", sc, "x1"))
    return items


def _sim_item(dataset, name, sc, noise, empty=False):
    beads = det.bead_table_array(sc.beads) if sc.kind in ("beads", "empty") else None
    return Item(dataset, name, sc.noisy.astype(np.float32), sc.clean.astype(np.float64), 1.0,
                "clean signal (simulator)", sc.expected.astype(np.float64), beads, sc.beads,
                empty=empty, noise=noise)


def _real_items(dataset, settings, root):
    items = []
    if dataset == "fmd":
        root = root / "fmd-test-mix"
        for f in settings.fmd_files:
            x = _centre_crop(read_image(root / "raw" / f"{f}.png"), settings.crop) / 255.0
            y = _centre_crop(read_image(root / "gt" / f"{f}.png"), settings.crop) / 255.0
            items.append(Item("fmd", f, x.astype(np.float32), y, 1.0, "mean of 50 frames"))
    elif dataset == "w2s":
        root = root / "w2s-8bit-subset"
        for p in settings.w2s_pairs:
            x = _centre_crop(read_image(root / "avg1" / f"input_avg1_{p}.tif"), settings.crop) / 255.0
            y = _centre_crop(read_image(root / "avg400" / f"target_avg400_{p}.tif"), settings.crop) / 255.0
            items.append(Item("w2s", p, x.astype(np.float32), y, 1.0,
                              "avg of 400 frames (min-max scaled separately: use affine-fair)"))
    elif dataset == "myxo":
        root = root / "nd-myxococcus-16bit"
        raw = read_image(root / "Noisy_images_avg1_16bit.png").astype(np.float64)
        tgt = read_image(root / "AVG_2mw_OD=0_Myxo_1mM Ferri in 240mM KNO3_CV_9_16bit_target.png").astype(np.float64)
        scale = 4096.0  # fixed: maps the 111..2651 counts into [0, 0.65] for every method
        peak = (tgt.max() - tgt.min()) / scale  # PSNR peak = target range, as in SOURCE.md
        x = np.clip(_centre_crop(raw, settings.crop) / scale, 0, 1)
        y = _centre_crop(tgt, settings.crop) / scale
        items.append(Item("myxo", "myxococcus", x.astype(np.float32), y, float(peak),
                          "average of >=32 frames (peak = target range)"))
    elif dataset == "phone":
        from scipy import ndimage as ndi

        for k, photo in phone_photos(root, settings.phone_images).items():
            t = PHONE_T[k]
            crop, y0, x0 = phone_crop(photo, t, settings.crop)
            mask = paper_mask(crop, t)
            sig = ndi.binary_erosion(mask, iterations=2)
            if not sig.any():
                sig = mask
            bg = ~ndi.binary_dilation(mask, iterations=10)
            items.append(Item("phone", f"{k} (T={t}, crop {crop.shape[0]} at y{y0} x{x0})",
                              (crop / 255.0).astype(np.float32), None, 1.0,
                              "CIRCULAR paper reference (photo x own mask, JPEG)", threshold=float(t),
                              photo=crop, regions=(sig, bg) if sig.any() and bg.any() else None))
    return items


def load_items(datasets, settings):
    """Every :class:`Item` of the named datasets, in order.

    The data root (:func:`data_root` of ``settings.data``) is looked for only when a
    real dataset is asked for: the simulated ones need none.

    Raises
    ------
    ValueError
        For an unknown dataset name.
    """
    items, root = [], None
    for d in datasets:
        if d.startswith("sim-") and d in ALL_DATASETS:
            items += _sim_items(d, settings)
        elif d in REAL_DATASETS:
            root = root or data_root(settings.data)
            items += _real_items(d, settings, root)
        else:
            raise ValueError(f"unknown dataset {d!r}; use {', '.join(ALL_DATASETS)}")
    return items
