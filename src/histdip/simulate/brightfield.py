"""Simulated brightfield phone photos with a known clean image (:func:`simulate_brightfield`).

Dark, absorbing objects (beads, cells, parasites) on a bright, unevenly lit field,
recorded by the same cheap optics and camera as the fluorescence photos:

* **objects**: discs placed without overlap (:func:`.objects.place_discs`), each an
  absorbing sphere whose optical density follows its projected thickness
  (:func:`.objects.render_discs` with ``dome=1``); **Beer-Lambert** transmission
  ``exp(-OD)``, the optical density blurred by the PSF (:func:`.optics.blur`);
* **uneven illumination**: the field ``level x (1 + tilt/vignetting + smooth noise)``
  (:func:`.optics.background`);
* **defocus halo**: a bright ring just outside every object, the positive part of the
  difference between a wide and a narrow blur of its optical density;
* **camera**: Poisson-Gaussian noise (:func:`.camera.noise_residual`), a yellow colour
  cast with colour-dependent absorption, 8-bit quantisation and optional JPEG
  (:func:`.camera.jpeg_roundtrip`).

Units: fraction of the camera's full scale in the green channel (1.0 = 255 DN), the
plane every score is taken on. Every random path draws from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from .camera import effective_noise, jpeg_roundtrip, noise_residual, to_uint8
from .objects import OBJECT_DTYPE, place_discs, render_discs
from .optics import background, blur

#: The simulator's settings, each a value or a (lo, hi) range drawn per scene.
BRIGHTFIELD_DEFAULTS = dict(
    n_objects=(12, 30),          # objects per 256 x 256 px (scaled with the area)
    radius=(2.5, 9.0),           # px
    density=(0.25, 1.0),         # peak optical density at an object's centre (green)
    level=(0.70, 0.85),          # illumination at the field's mean (green)
    variation=(0.08, 0.18),      # relative spread of the uneven illumination
    halo=(0.05, 0.15),           # defocus ring's height, relative to the field
    psf_sigma=1.0,               # px
    photon_scale=120.0,          # photo-electrons at full scale (noise_level 1)
    read_sigma=0.01,
    jpeg_quality=90,             # None: no JPEG (a scientific camera's frame)
)

#: The yellow cast of the brightfield phone photos (mean RGB about 244/200/66), as
#: channel gains relative to green, and the objects' optical density per channel
#: relative to green (dark-red beads absorb green and blue more than red).
CAST = (1.2, 1.0, 0.33)
ABSORPTION = (0.5, 1.0, 1.0)

#: Settings drawn per object, not per scene.
PER_OBJECT = ("radius", "density")

#: The independent random streams of one scene.
_STAGES = ("params", "objects", "illumination", "noise_r", "noise_g", "noise_b")


@dataclass
class BrightfieldScene:
    """A simulated brightfield photo with its ground truth; arrays are (H, W).

    Attributes
    ----------
    clean : ndarray float32
        The noise-free green plane as the camera would record it without noise (the
        field times the objects' transmission, with the halo): what a perfect
        restoration of the photo returns.
    signal : ndarray float32
        The objects' contrast below the field, ``max(illumination - clean, 0)``: what a
        perfect signal layer returns.
    illumination : ndarray float32
        The uneven field without objects.
    halo : ndarray float32
        The defocus ring's light in ``clean`` (>= 0): ``clean - halo`` is the recording
        of an in-focus microscope, the objects' shadows alone.
    noisy_rgb : ndarray uint8, (H, W, 3)
        The photo (noise, colour cast, 8-bit, JPEG); ``noisy_grey`` when ``grey``.
    noisy : ndarray float32
        The green plane of the photo on [0, 1].
    support : ndarray bool
        Pixels inside the objects.
    beads : structured ndarray (:data:`histdip.simulate.OBJECT_DTYPE`)
        One row per object; ``brightness`` holds its peak optical density.
    params : dict
        Every setting used, ranges resolved to the drawn values.
    """

    clean: np.ndarray = field(repr=False)
    signal: np.ndarray = field(repr=False)
    illumination: np.ndarray = field(repr=False)
    halo: np.ndarray = field(repr=False)
    noisy_rgb: np.ndarray = field(repr=False)
    noisy: np.ndarray = field(repr=False)
    support: np.ndarray = field(repr=False)
    beads: np.ndarray = field(repr=False)
    params: dict = field(repr=False)

    kind = "brightfield"

    @property
    def shape(self):
        return self.clean.shape


def _draw(rng, value):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = value
        if isinstance(lo, int) and isinstance(hi, int):
            return int(rng.integers(lo, hi + 1))
        return float(rng.uniform(lo, hi))
    return value


def _span(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def halo_ring(density, sigma):
    """The defocus ring of an optical-density map: where a blur of ``2 sigma`` spreads
    it beyond a blur of ``sigma`` (just outside every object), >= 0."""
    return np.maximum(blur(density, 2.0 * sigma) - blur(density, sigma), 0.0)


def simulate_brightfield(shape=(256, 256), seed=0, *, noise_level=1.0, grey=False, **overrides):
    """A simulated brightfield phone photo and its clean image (see the module's text).

    Parameters
    ----------
    shape : (int, int)
        (H, W), at least 32 px a side.
    seed : int
        Seeds every random draw (settings, objects, illumination, noise per channel).
    noise_level : float
        Multiplies the noise standard deviation (0: no noise).
    grey : bool
        A grey frame (the green plane, no cast, no JPEG) instead of a colour photo.
    **overrides
        Any key of :data:`BRIGHTFIELD_DEFAULTS`: a value, or a (lo, hi) range.

    Returns
    -------
    BrightfieldScene

    Raises
    ------
    ConfigError
        An unknown setting or a shape under 32 px a side.

    >>> s = simulate_brightfield((64, 64), seed=1)
    >>> s.noisy_rgb.shape, bool(s.clean[s.support].mean() < s.illumination[s.support].mean())
    ((64, 64, 3), True)
    """
    unknown = set(overrides) - set(BRIGHTFIELD_DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown brightfield setting(s) {', '.join(sorted(unknown))}; "
                          f"use {', '.join(BRIGHTFIELD_DEFAULTS)}")
    h, w = (int(s) for s in shape)
    if min(h, w) < 32:
        raise ConfigError(f"a brightfield scene needs at least 32 x 32 px, got {h} x {w}")
    streams = dict(zip(_STAGES, np.random.default_rng(seed).spawn(len(_STAGES))))
    rng = streams["params"]
    p = {k: v if k in PER_OBJECT else _draw(rng, v) for k, v in {**BRIGHTFIELD_DEFAULTS, **overrides}.items()}
    p.update(noise_level=float(noise_level), grey=bool(grey), seed=int(seed), shape=(h, w))

    # Objects: optical density of absorbing spheres (projected thickness), Beer-Lambert.
    ro = streams["objects"]
    n = max(1, int(round(p["n_objects"] * h * w / 256.0 ** 2)))
    radii = ro.uniform(*_span(p["radius"]), n)
    table = np.zeros(n, dtype=OBJECT_DTYPE)
    table["y"], table["x"] = place_discs(ro, (h, w), radii, gap=3.0).T
    table["radius"] = radii
    table["brightness"] = ro.uniform(*_span(p["density"]), n)
    density, support = render_discs((h, w), table, dome=1.0)

    illumination = background(streams["illumination"], (h, w), p["level"], p["variation"])
    sigma = float(p["psf_sigma"])
    planes, cleans, rings = [], [], []
    for c in range(3):
        od = blur(density * ABSORPTION[c], sigma)
        field_c = illumination * CAST[c]
        ring = p["halo"] * halo_ring(density * ABSORPTION[c], max(sigma, 1.0))
        cleans.append(field_c * (np.exp(-od) + ring))
        rings.append(field_c * ring)
    photons, read = effective_noise(p["photon_scale"], p["read_sigma"], noise_level)
    for c, name in enumerate(("noise_r", "noise_g", "noise_b")):
        expected = np.clip(cleans[c], 0.0, 1.0)
        planes.append(to_uint8(expected + noise_residual(streams[name], expected, photons, read)))
    if grey:
        photo = planes[1]
    else:
        photo = jpeg_roundtrip(np.stack(planes, -1), p["jpeg_quality"])
    clean = np.clip(cleans[1], 0.0, 1.0).astype(np.float32)
    noisy = (photo if grey else photo[..., 1]).astype(np.float32) / 255.0
    return BrightfieldScene(clean=clean, signal=np.maximum(illumination - clean, 0.0).astype(np.float32),
                            illumination=illumination.astype(np.float32), halo=rings[1].astype(np.float32),
                            noisy_rgb=photo, noisy=noisy,
                            support=support, beads=table, params=p)
