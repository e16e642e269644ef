"""Scene assembly: objects -> optics -> background -> camera, with recorded parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from .. import __version__
from ..errors import ConfigError
from . import camera, dim, objects, optics

#: Scene kinds accepted by :func:`simulate_scene`.
SCENE_KINDS = ("beads", "cells", "filaments", "empty")

#: Reference frame (H, W) of the real photos; default counts are per frame of this size.
FRAME = (1200, 900)

#: Bead classes, after the real photos (diameters in px; per-bead ranges).
BEAD_CLASSES = {
    # b, c, f, j: dozens of point-like beads with long star-shaped spokes
    "points": dict(diameter=(4.0, 6.0), n_frame=40, brightness=(0.6, 1.0), flare_gain=0.35,
                   flare_length=30.0, spokes=(4, 9), half_angle=(3.0, 12.0), fibres=(20, 45), flare_power=1.0,
                   halo_gain=0.15, halo_sigma=50.0),
    # e, h, i: hundreds of small beads, little flare
    "small": dict(diameter=(6.0, 8.0), n_frame=400, brightness=(0.25, 0.65), flare_gain=0.04,
                  flare_length=6.0, spokes=(0, 3), half_angle=(5.0, 20.0), fibres=(0, 0), flare_power=1.0,
                  halo_gain=0.03, halo_sigma=8.0),
    # d, g: ~20 beads of 23-32 px with triangular fans
    "medium": dict(diameter=(23.0, 32.0), n_frame=20, brightness=(0.5, 0.85), flare_gain=0.50,
                   flare_length=70.0, spokes=(5, 9), half_angle=(10.0, 30.0), fibres=(20, 40),
                   flare_power=2.0, halo_gain=0.15, halo_sigma=45.0),
    # a: ~57 large beads of ~44 px
    "large": dict(diameter=(40.0, 44.0), n_frame=57, brightness=(0.35, 0.75), flare_gain=0.30,
                  flare_length=35.0, spokes=(4, 8), half_angle=(5.0, 20.0), fibres=(5, 15), flare_power=1.5,
                  halo_gain=0.25, halo_sigma=40.0),
}

#: Mixture used by ``bead_size="mixed"`` (class: probability) and its default count.
MIXED = {"points": 0.3, "small": 0.45, "medium": 0.1, "large": 0.15}
MIXED_N_FRAME = 80

#: Parameters that are ranges drawn per object (never once per scene).
PER_OBJECT = ("brightness", "flare_gain", "flare_length", "flare_power", "spokes", "half_angle", "fibres", "halo_gain",
              "halo_sigma", "radius", "nucleus_gain", "length")

_PHONE = dict(
    psf_sigma=(1.0, 1.6), bead_dome=0.5, bg_level=(0.17, 0.40), bg_variation=(0.10, 0.30),
    bg_texture=(0.02, 0.06), flare_scale=1.0, haze_texture=0.35, n_ghosts_frame=3,
    photon_scale=1700.0, read_sigma=0.002, noise_corr=1.0, sharpen=(0.2, 0.5), sharpen_sigma=1.5,
    r_frac=(0.0, 0.45), r_signal=(0.0, 0.35), r_black=(0.0, 0.01),
    b_frac=(0.0, 0.03), b_signal=(0.0, 0.35), b_black=(0.0, 0.002),
    spill_knee=1.1, spill_gain=(0.5, 2.5), jpeg_quality=(85, 95), jpeg_subsampling="4:2:0",
    grey=False,
    # the dim regime (docs/simulator.md): off by default, so default scenes are unchanged
    haze_ratio=None, clip_fraction=0.0, clip_brightness=1.0,
)
_SCIENTIFIC = dict(
    psf_sigma=(1.0, 1.6), bg_level=(0.03, 0.08), bg_variation=(0.10, 0.30), bg_texture=0.0,
    photon_scale=150.0, read_sigma=0.01, noise_corr=0.0, sharpen=0.0, sharpen_sigma=2.0,
    jpeg_quality=None, grey=True,
)
DEFAULTS = {
    "beads": _PHONE,
    "empty": {**_PHONE, "n_ghosts_frame": 6},
    "cells": {**_SCIENTIFIC, "n_frame": 40, "radius": (20.0, 50.0), "brightness": (0.15, 0.35),
              "nucleus_gain": (0.2, 0.45)},
    "filaments": {**_SCIENTIFIC, "n_frame": 60, "length": (150.0, 600.0),
                  "brightness": (0.2, 0.6), "width": 0.8, "persistence": 150.0},
}
_STAGES = ("params", "objects", "flare", "texture", "background", "noise_g", "noise_r", "noise_b")


@dataclass
class Scene:
    """A simulated photo with its ground truth. Arrays are (H, W) = (rows, columns).

    Attributes
    ----------
    kind : str
    clean : ndarray float32 (H, W), in [0, 1]
        The ideal fluorescence signal: object emission blurred by the microscope's PSF,
        in the photo's green-channel units, with no background, haze, flare or noise
        and no saturation. A perfect restoration returns this.
    expected : ndarray float32 (H, W)
        Noise-free green channel: ``clip(background + haze + clean, 0, 1)``.
    noisy_rgb : ndarray uint8 (H, W, 3)
        The photo (after noise, colour, 8-bit quantisation and JPEG).
    noisy : ndarray float32 (H, W)
        Green channel of ``noisy_rgb`` in [0, 1].
    background, haze : ndarray float32 (H, W)
        The smooth uneven background and the flare/haze layer (green units).
    support : ndarray bool (H, W)
        Pixels inside the objects (bead discs, cell outlines, filament lines).
    beads : structured ndarray, fields y, x, radius, brightness, flare
        One row per bead (per cell for ``kind='cells'``; empty otherwise). ``brightness``
        is the emission level inside the disc, i.e. ``clean`` at the centre of a large
        bead; small beads peak lower after blur.
    params : dict
        Every parameter used, scene-level ranges resolved to the drawn values.
    """

    kind: str
    clean: np.ndarray = field(repr=False)
    expected: np.ndarray = field(repr=False)
    noisy_rgb: np.ndarray = field(repr=False)
    noisy: np.ndarray = field(repr=False)
    background: np.ndarray = field(repr=False)
    haze: np.ndarray = field(repr=False)
    support: np.ndarray = field(repr=False)
    beads: np.ndarray = field(repr=False)
    params: dict = field(repr=False)

    @property
    def shape(self):
        return self.clean.shape

    def signal_mask(self, grow=0):
        """Pixels inside the objects, grown (``grow`` > 0) or shrunk (< 0) by that many px."""
        if grow == 0 or not self.support.any():
            return self.support.copy()
        if grow > 0:
            return ndi.distance_transform_edt(~self.support) <= grow
        return ndi.distance_transform_edt(self.support) > -grow

    def background_mask(self, margin=10):
        """Pixels at least ``margin`` px away from every object (for CNR/SDNR background)."""
        if not self.support.any():
            return np.ones(self.shape, bool)
        return ndi.distance_transform_edt(~self.support) > margin

    def bead_records(self):
        """The bead table as a list of plain dicts."""
        return [{k: float(row[k]) for k in self.beads.dtype.names} for row in self.beads]


def _draw(rng, value):
    """Resolve a scene-level parameter: a (lo, hi) pair is drawn uniformly (ints inclusive)."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, float, np.integer, np.floating)) for v in value):
        lo, hi = value
        if hi < lo:
            raise ConfigError(f"range {value!r} has max < min")
        if all(isinstance(v, (int, np.integer)) for v in value):
            return int(rng.integers(lo, hi + 1))
        return float(rng.uniform(lo, hi))
    return value


def _bead_class_for(diameter):
    mean = float(np.mean(diameter))
    return "points" if mean < 6.5 else "small" if mean < 15 else "medium" if mean < 36 else "large"


def _bead_table(rng, shape, bead_size, n_beads, area, overrides):
    """Draw the beads: class, radius, brightness and flare settings of each."""
    if isinstance(bead_size, str):
        if bead_size == "mixed":
            names = list(MIXED)
            n = MIXED_N_FRAME * area if n_beads is None else n_beads
        elif bead_size in BEAD_CLASSES:
            names = [bead_size]
            n = BEAD_CLASSES[bead_size]["n_frame"] * area if n_beads is None else n_beads
        else:
            raise ConfigError(f"unknown bead_size {bead_size!r}; use mixed, "
                              f"{', '.join(BEAD_CLASSES)} or a (min, max) diameter in px")
        presets = {k: dict(BEAD_CLASSES[k]) for k in names}
    else:
        try:
            dmin, dmax = (float(v) for v in bead_size)
        except (TypeError, ValueError):
            raise ConfigError(f"bead_size must be a name or (min, max) diameter, got {bead_size!r}") from None
        if not 1.0 <= dmin <= dmax:
            raise ConfigError(f"bead diameters must satisfy 1 <= min <= max, got {bead_size!r}")
        preset = dict(BEAD_CLASSES[_bead_class_for((dmin, dmax))], diameter=(dmin, dmax))
        presets = {"custom": preset}
        n = preset["n_frame"] * area if n_beads is None else n_beads
    n = int(round(n))
    if n < 0:
        raise ConfigError(f"n_beads must be >= 0, got {n_beads}")
    for p in presets.values():
        p.update({k: v for k, v in overrides.items() if k in p})
    names = list(presets)
    weights = np.array([MIXED.get(k, 1.0) for k in names])
    cls = rng.choice(len(names), size=n, p=weights / weights.sum())
    rows = []
    for c in cls:
        p = presets[names[c]]
        radius = rng.uniform(*p["diameter"]) / 2.0
        brightness = rng.uniform(*p["brightness"])
        rows.append((0.0, 0.0, radius, brightness, p["flare_gain"] * rng.uniform(0.5, 1.5)))
    table = np.array(rows, dtype=objects.OBJECT_DTYPE) if rows else objects.empty_table()
    centres = objects.place_discs(rng, shape, table["radius"])
    table["y"], table["x"] = centres[:, 0], centres[:, 1]
    return table, [names[c] for c in cls], presets


def _flare_layer(rng, shape, table, classes, presets, ghosts, scale):
    """Sum of the flares of all beads plus ``ghosts`` (flares whose source is hidden)."""
    layer = np.zeros(shape)
    if scale <= 0:
        return layer
    sources = [(b["y"], b["x"], b["radius"], b["brightness"], b["flare"], presets[c], 0.0)
               for b, c in zip(table, classes)]
    for y, x, p in ghosts:
        # a hidden (out of view or out of focus) source: its streaks fade in over 10-25
        # px, so no point-like peak or ring marks the centre
        sources.append((y, x, 0.0, rng.uniform(*p["brightness"]),
                        p["flare_gain"] * rng.uniform(0.5, 1.5), p, rng.uniform(10.0, 25.0)))
    for y, x, r, bright, gain, p, hole in sources:
        optics.add_flare(
            layer, rng, y, x, r, scale * gain * bright, p["flare_length"],
            scale * p["halo_gain"] * bright * rng.uniform(0.5, 1.5), p["halo_sigma"],
            int(rng.integers(p["spokes"][0], p["spokes"][1] + 1)), p["half_angle"],
            int(rng.integers(p["fibres"][0], p["fibres"][1] + 1)), hole, p["flare_power"])
    return layer


def simulate_scene(kind="beads", shape=FRAME, seed=0, noise_level=1.0, bead_size="mixed",
                   n_beads=None, **params):
    """Simulate one fluorescence photo with a known clean image.

    Parameters
    ----------
    kind : {'beads', 'cells', 'filaments', 'empty'}
        ``'beads'``: smartphone photo of green beads with flare, haze, uneven background,
        Poisson-Gaussian noise, green-dominant colour and JPEG, calibrated on the
        paper's photos. ``'empty'``: the same photo with no bead (background, haze and
        'ghost' flares whose source is outside the view): ``clean`` is all zero.
        ``'cells'``, ``'filaments'``: grey scientific-camera images (no flare, no JPEG,
        R = G = B) of blobby nucleated cells or curvilinear filaments, noisier
        (about 150 photons at full scale).
    shape : (int, int)
        (H, W) = (rows, columns). Default (1200, 900), the size of the real photos.
    seed : int
        Seed of everything random. Each stage (objects, flare, background, noise per
        channel) has its own stream, so changing ``noise_level`` keeps the same objects.
    noise_level : float
        Multiplies the noise standard deviation (variance scales as its square); 1 is
        the calibrated level, 0 gives a noise-free photo (still quantised and JPEG'd).
    bead_size : {'mixed', 'points', 'small', 'medium', 'large'} or (min, max)
        Bead class, after the real photos: points 4-6 px diameter (b, c, f, j), small
        6-8 px (e, h, i), medium 23-32 px (d, g), large 40-44 px (a); 'mixed' draws
        each bead's class; a pair gives the diameter range in px.
    n_beads : int, optional
        Number of beads (cells / filaments for those kinds). Default: the class's
        count in a 1200 x 900 frame, scaled by the image area.
    **params
        Overrides of :data:`DEFAULTS` and of the per-bead settings of
        :data:`BEAD_CLASSES`. A (lo, hi) pair for a scene-level parameter is drawn
        uniformly per scene; see ``docs/simulator.md``. For the dim regime (beads):
        ``haze_ratio`` scales the haze layer's 99th percentile to that many times the
        median bead peak (:func:`histdip.simulate.bead_peaks`); ``clip_fraction`` of the beads, the
        brightest, are raised to peak at ``clip_brightness`` in ``clean``.

    Returns
    -------
    Scene
    """
    if kind not in SCENE_KINDS:
        raise ConfigError(f"unknown scene kind {kind!r}; use one of {', '.join(SCENE_KINDS)}")
    try:
        h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise ConfigError(f"shape must be (rows, columns), got {shape!r}") from None
    if h < 16 or w < 16:
        raise ConfigError(f"shape must be at least 16 x 16, got {shape!r}")
    if not np.isfinite(noise_level) or noise_level < 0:
        raise ConfigError(f"noise_level must be a finite number >= 0, got {noise_level!r}")
    if n_beads is not None and int(n_beads) < 0:
        raise ConfigError(f"n_beads must be >= 0, got {n_beads}")
    defaults = DEFAULTS[kind]
    bead_keys = set().union(*(p.keys() for p in BEAD_CLASSES.values()))
    unknown = set(params) - set(defaults) - bead_keys
    if unknown:
        raise ConfigError(f"unknown simulation parameter(s) for kind {kind!r}: {', '.join(sorted(unknown))}")
    rngs = dict(zip(_STAGES, (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(len(_STAGES)))))
    merged = {**defaults, **params}
    p = {k: (v if k in PER_OBJECT else _draw(rngs["params"], v)) for k, v in merged.items()}
    shape, area = (h, w), h * w / (FRAME[0] * FRAME[1])
    orng = rngs["objects"]

    classes, presets = [], {}
    if kind == "beads":
        table, classes, presets = _bead_table(orng, shape, bead_size, n_beads, area, params)
        emission, support = objects.render_discs(shape, table, p["bead_dome"])
        if dim.clip_brightest(table, optics.blur(emission, p["psf_sigma"]), p["clip_fraction"], p["clip_brightness"]):
            emission, support = objects.render_discs(shape, table, p["bead_dome"])
    elif kind == "cells":
        n = int(round(p["n_frame"] * area)) if n_beads is None else int(n_beads)
        emission, support, table = objects.render_cells(orng, shape, n, p["radius"], p["brightness"], p["nucleus_gain"])
    elif kind == "filaments":
        n = int(round(p["n_frame"] * area)) if n_beads is None else int(n_beads)
        emission, support, table = objects.render_filaments(orng, shape, n, p["length"], p["brightness"],
                                                            p["width"], p["persistence"])
    else:
        emission, support, table = np.zeros(shape), np.zeros(shape, bool), objects.empty_table()
    clean = np.clip(optics.blur(emission, p["psf_sigma"]), 0.0, 1.0)

    haze = np.zeros(shape)
    if kind in ("beads", "empty"):
        frng = rngs["flare"]
        n_ghosts = int(round(p["n_ghosts_frame"] * area))
        if kind == "empty" and p["n_ghosts_frame"] > 0:
            n_ghosts = max(n_ghosts, 1)  # an empty field always has some haze to resist
        # ghost flares: haze whose source is outside the view / out of focus; same
        # classes as the scene's beads ('points' and 'medium' for an empty scene)
        pool = list(presets.values()) or [
            {**BEAD_CLASSES[k], **{q: v for q, v in params.items() if q in bead_keys}} for k in ("points", "medium")]
        ghosts = [(frng.uniform(-0.1 * h, 1.1 * h), frng.uniform(-0.1 * w, 1.1 * w), pool[frng.integers(len(pool))])
                  for _ in range(n_ghosts)]
        haze = _flare_layer(frng, shape, table, classes, presets, ghosts, p["flare_scale"])
        haze = optics.blur(haze * optics.haze_texture(rngs["texture"], shape, p["haze_texture"]), p["psf_sigma"])
        if p["haze_ratio"] is not None:
            haze = dim.scale_haze(haze, clean, table, p["haze_ratio"])
    bg = optics.background(rngs["background"], shape, p["bg_level"], p["bg_variation"], p["bg_texture"])

    photons, read = camera.effective_noise(p["photon_scale"], p["read_sigma"], noise_level)
    green_lin = bg + haze + clean
    expected = np.clip(green_lin, 0.0, 1.0)
    green = green_lin + camera.noise_residual(rngs["noise_g"], expected, photons, read, p["noise_corr"])
    green = camera.sharpen(green, p["sharpen"], p["sharpen_sigma"])
    if p["grey"]:
        rgb = np.repeat(camera.to_uint8(green)[..., None], 3, axis=2)
        if p["jpeg_quality"] is not None:
            rgb = np.repeat(camera.jpeg_roundtrip(rgb[..., 0], p["jpeg_quality"])[..., None], 3, axis=2)
    else:
        spill = p["spill_gain"] * np.maximum(green_lin - p["spill_knee"], 0.0)
        planes = []
        for name in ("r", "b"):
            lin = (p[f"{name}_frac"] * bg + p[f"{name}_signal"] * clean
                   - p[f"{name}_black"] + spill)
            lin = np.clip(lin, 0.0, 1.0)
            lin = lin + camera.noise_residual(rngs[f"noise_{name}"], lin, photons, read, p["noise_corr"])
            planes.append(camera.sharpen(lin, p["sharpen"], p["sharpen_sigma"]))
        rgb = np.stack([camera.to_uint8(planes[0]), camera.to_uint8(green), camera.to_uint8(planes[1])], axis=2)
        rgb = camera.jpeg_roundtrip(rgb, p["jpeg_quality"], p["jpeg_subsampling"])

    record = {"histdip_version": __version__, "kind": kind, "shape": [h, w], "seed": int(seed),
              "noise_level": float(noise_level),
              "photons_effective": float(photons), "read_effective": float(read)}
    if kind == "beads":
        record.update(bead_size=bead_size if isinstance(bead_size, str) else [float(v) for v in bead_size],
                      bead_classes=presets,
                      bead_class_counts={k: classes.count(k) for k in presets})
    record["n_objects"] = int(len(table)) if kind != "filaments" else int(n)
    record.update(p)
    return Scene(kind=kind, clean=clean.astype(np.float32), expected=expected.astype(np.float32),
                 noisy_rgb=rgb, noisy=(rgb[..., 1] / 255.0).astype(np.float32),
                 background=bg.astype(np.float32), haze=haze.astype(np.float32),
                 support=support, beads=table, params=record)
