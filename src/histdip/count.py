"""Counting beads on a restored signal: how many, where, how large and how bright.

Plain functions on NumPy arrays:

* :func:`count_objects` -- the objects of a background-removed grey signal: seeds from
  the one bead detector (:func:`histdip.detect.detect_beads`, a scale-normalised LoG),
  each seed's extent from a marker-controlled watershed (touching beads are split
  between their seeds), and per object its centroid, area, equivalent radius,
  integrated, mean and peak intensity and whether it touches saturated pixels;
* :func:`count_result` -- the same on a :class:`~histdip.Result`: its signal layer,
  with the photo's noise read from the result and the saturated pixels from the photo;
* :func:`signal_noise_sigma`, :func:`saturated_mask` -- what the threshold and the
  clipped flag need from the photo;
* :class:`Counts` and :func:`overlay` (from :mod:`histdip.counts`) -- the table of
  objects, and their outlines over the image as RGB for a PNG.

The threshold rule
------------------
A seed is kept where the LoG responds with at least ``0.5 * min_snr * noise_sigma``:
a bead that stands ``min_snr`` noise sigma above its surroundings responds with about
half its peak (a Gaussian blob exactly half, a flat disc up to 0.74), so the rule keeps
beads down to about ``min_snr`` sigma. ``noise_sigma`` is the noise of the *photo*, in
the signal's units: a restoration removes most of the noise, so the noise left on the
restored signal says nothing about how faint a real bead may be. On an image that
still holds the noise (a raw photo), the LoG's response to the noise alone can exceed
that; the threshold is then raised to ``log_z`` times the robust spread (1.4826 x the
median absolute deviation) of the finest-scale response over the image, which beads,
covering a small share of the pixels, hardly move. On a restored signal that spread is
near zero and the first rule applies. Nothing in either rule comes from a reference
image.

Extents
-------
Each seed floods the signal (smoothed over ``smooth`` px) downhill over the pixels
above ``extent_snr`` noise sigma; where two floods meet is the boundary between two
touching beads. An object then keeps its pixels at or above ``extent_fraction`` of its
own peak and within ``reach`` of its LoG radius of its seed, so flare fans and haze
joined to a bead are not added to it. A fixed fraction of its own peak cuts the same
share of every bead of one shape, so the integrated intensity stays proportional to
the bead's brightness.
"""

from __future__ import annotations


import numpy as np
from scipy import ndimage as ndi
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.measure import label as connected, regionprops_table
from skimage.segmentation import watershed

from .counts import COLUMNS, Counts, overlay
from .detect import detect_beads

__all__ = ["COLUMNS", "Counts", "count_objects", "count_result", "overlay", "saturated_mask",
           "signal_noise_sigma", "signal_plane"]

#: LoG scales per octave of radius (:func:`histdip.detect.detect_beads`' ``num_sigma``).
_SCALES_PER_OCTAVE = 3


def _as_signal(signal):
    img = np.asarray(signal)
    if img.ndim != 2:
        raise ValueError(f"count_objects needs a 2-D grey image, got shape {img.shape}")
    if not (np.issubdtype(img.dtype, np.number) or img.dtype == np.bool_):
        raise ValueError(f"count_objects needs a numeric image, got dtype {img.dtype}")
    img = img.astype(np.float64)
    if not np.all(np.isfinite(img)):
        raise ValueError("count_objects needs finite values; the image holds NaN or infinity")
    return img


def count_objects(signal, *, noise_sigma=None, min_snr=3.0, log_z=4.0, saturated=None, min_radius=1.4, max_radius=22.0,
                  extent_snr=1.0, extent_fraction=0.2, reach=1.5, smooth=1.0, merge=0.9, pixel_size=None):
    """Count, outline and measure the bright round objects of a signal.

    Parameters
    ----------
    signal : array_like, (H, W)
        The background-removed grey signal (histdip's signal layer), any real units.
        A recording with its background still in it is counted as well (the LoG ignores
        a smooth background), but its intensities then hold that background.
    noise_sigma : float, optional
        The photo's noise standard deviation in the signal's units
        (:func:`signal_noise_sigma`). Default: estimated from ``signal`` itself
        (:func:`histdip.noise.noise_sigma`), right for a raw recording and too low for
        a restored one.
    min_snr : float
        Faintest object kept, in noise sigma above its surroundings (module docstring).
    log_z : float
        The LoG's response must also stand this many times above its own noise on
        ``signal``: the robust spread of its finest-scale response (module docstring).
    saturated : array_like of bool, (H, W), optional
        Pixels at the photo's clip level (:func:`saturated_mask`); objects touching one
        are flagged ``clipped``.
    min_radius, max_radius : float
        Radii of the smallest and largest objects looked for, px.
    extent_snr : float
        Pixels below this many noise sigma belong to no object.
    extent_fraction : float
        An object keeps the pixels at or above this fraction of its own peak.
    reach : float
        An object keeps the pixels within ``max(reach * r, r + 3)`` px of its seed,
        ``r`` its LoG radius.
    smooth : float
        Gaussian sigma (px) of the smoothing the watershed floods; 0 for none.
    merge : float or None
        Two seeds' regions that meet where the signal stands at this share or more of
        the lower one's height (over the regions' floor) have no dip between them: they
        are one object (texture on a large bead, a seed on a bead's flank). None: every
        seed is an object.
    pixel_size : float, optional
        Side of a pixel, µm: gives the density per mm².

    Returns
    -------
    Counts
        ``integrated_intensity`` is the sum of ``signal`` over each object's region.
        On a background-removed signal that sum is linear in the object's brightness:
        no background is added to it, and the region is cut at a fixed share of the
        object's own peak.

    Raises
    ------
    ValueError
        When ``signal`` is not 2-D, not numeric or not finite, or an option is out of
        range.

    Examples
    --------
    >>> yy, xx = np.mgrid[:64, :64]
    >>> img = sum(100 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 8.0) for y, x in [(20, 20), (40, 44)])
    >>> counts = count_objects(img, noise_sigma=1.0)
    >>> counts.count, sorted(counts.table["x"].round().tolist())
    (2, [20.0, 44.0])
    """
    img = _as_signal(signal)
    if not 0 < min_radius <= max_radius:
        raise ValueError(f"need 0 < min_radius <= max_radius, got {min_radius} and {max_radius}")
    if min_snr <= 0 or not 0 <= extent_fraction < 1 or reach <= 0 or smooth < 0:
        raise ValueError("need min_snr > 0, 0 <= extent_fraction < 1, reach > 0 and smooth >= 0")
    if pixel_size is not None and not (np.isfinite(pixel_size) and pixel_size > 0):
        raise ValueError(f"pixel_size must be a positive number of micrometres, got {pixel_size}")
    if saturated is not None:
        saturated = np.asarray(saturated, dtype=bool)
        if saturated.shape != img.shape:
            raise ValueError(f"saturated mask is {saturated.shape}, signal is {img.shape}")
    source = "given"
    if noise_sigma is None:
        from .noise import noise_sigma as estimate

        noise_sigma, source = (estimate(img) if min(img.shape) >= 8 else 0.0), "estimated from the signal"
    noise_sigma = float(noise_sigma)
    if not (np.isfinite(noise_sigma) and noise_sigma >= 0):
        raise ValueError(f"noise_sigma must be a finite number >= 0, got {noise_sigma}")
    min_sigma = min_radius / np.sqrt(2)
    log_noise = _log_noise(img, min_sigma)
    threshold = max(0.5 * min_snr * noise_sigma, log_z * log_noise)
    settings = dict(min_snr=min_snr, log_z=log_z, min_radius=min_radius, max_radius=max_radius,
                    extent_snr=extent_snr, extent_fraction=extent_fraction, reach=reach, smooth=smooth,
                    merge=merge, noise_source=source, log_noise=log_noise)

    octaves = np.log2(max_radius / min_radius)
    seeds = detect_beads(img, min_sigma=min_sigma, max_sigma=max_radius / np.sqrt(2),
                         num_sigma=max(2, int(np.ceil(octaves * _SCALES_PER_OCTAVE)) + 1),
                         threshold=threshold, threshold_rel=1e-3, overlap=0.5, border=2)
    labels = np.zeros(img.shape, np.int32)
    if len(seeds):
        labels = _extents(img, seeds, noise_sigma, extent_snr, extent_fraction, reach, smooth, merge)
    ids = np.arange(1, int(labels.max()) + 1)
    table = {c: np.zeros(0) for c in COLUMNS}
    if len(ids):
        props = regionprops_table(labels, intensity_image=img, properties=("label", "centroid", "area"),
                                  extra_properties=())
        area = np.asarray(props["area"], np.int64)
        integrated = np.asarray(ndi.sum_labels(img, labels, ids), np.float64)
        clipped = (np.zeros(len(ids), bool) if saturated is None
                   else np.asarray(ndi.maximum(ndi.binary_dilation(saturated), labels, ids), bool))
        table = {"id": ids.astype(np.int64), "y": np.asarray(props["centroid-0"]),
                 "x": np.asarray(props["centroid-1"]), "area_px": area,
                 "equivalent_radius_px": np.sqrt(area / np.pi), "integrated_intensity": integrated,
                 "mean_intensity": integrated / area,
                 "peak_intensity": np.asarray(ndi.maximum(img, labels, ids), np.float64), "clipped": clipped}
    return Counts(table, labels, None if pixel_size is None else float(pixel_size), noise_sigma, threshold,
                  settings)


def _log_noise(img, sigma):
    """The robust spread (1.4826 MAD) of the scale-normalised LoG at scale ``sigma``."""
    response = -(sigma * sigma) * ndi.gaussian_laplace(img, sigma)
    return float(1.4826 * np.median(np.abs(response - np.median(response))))


def _extents(img, seeds, sigma, extent_snr, fraction, reach, smooth, merge):
    """The label image of the objects (module docstring, "Extents"), 1..count."""
    h, w = img.shape
    n = len(seeds)
    sy = np.clip(np.rint(seeds[:, 0]).astype(int), 0, h - 1)
    sx = np.clip(np.rint(seeds[:, 1]).astype(int), 0, w - 1)
    markers = np.zeros(img.shape, np.int32)
    markers[sy, sx] = np.arange(1, n + 1)
    flooded = ndi.gaussian_filter(img, smooth) if smooth > 0 else img
    # Every seed's own pixel is in the mask, so every seed gets a region.
    mask = (flooded > extent_snr * sigma) | (markers > 0)
    basins = watershed(-flooded, markers, mask=mask)
    peak = np.concatenate([[0.0], np.asarray(ndi.maximum(flooded, basins, np.arange(1, n + 1)), np.float64)])
    floor = np.concatenate([[0.0], np.asarray(ndi.minimum(flooded, basins, np.arange(1, n + 1)), np.float64)])
    group = _merge_without_dip(basins, flooded, peak, floor, merge) if merge is not None else np.arange(n + 1)
    group_peak = np.zeros(n + 1)
    np.maximum.at(group_peak, group, peak)
    radius = np.maximum(reach * seeds[:, 2], seeds[:, 2] + 3.0)
    yy, xx = np.indices(img.shape)
    own = np.maximum(basins - 1, 0)
    far = np.hypot(yy - seeds[own, 0], xx - seeds[own, 1]) > radius[own]
    dim = flooded < fraction * group_peak[group[basins]]
    labels = group[basins]
    labels[(basins > 0) & (far | dim) & (markers == 0)] = 0
    labels = _keep_seeded_parts(labels, np.where(markers > 0, group[markers], 0))
    # number the objects 1..count in the order of their first seed (strongest first)
    order = np.zeros(n + 1, np.int32)
    first = np.unique(group[1:], return_index=True)[1]
    order[group[1:][np.sort(first)]] = np.arange(1, len(first) + 1)
    return order[labels]


def _merge_without_dip(basins, flooded, peak, floor, level):
    """Per basin (index 0 the background), the basin its object is numbered by: two
    basins that meet where the signal stands at ``level`` or more of the lower one's
    height have no dip between them and are one object. Heights are over the higher of
    the two basins' floors (their lowest values: ~0 on a background-removed signal, the
    background on a recording); the strongest seed of an object names it."""
    n = len(peak) - 1
    keys, heights = [], []
    for a, b, fa, fb in ((basins[:, :-1], basins[:, 1:], flooded[:, :-1], flooded[:, 1:]),
                         (basins[:-1], basins[1:], flooded[:-1], flooded[1:])):
        meet = (a > 0) & (b > 0) & (a != b)
        keys.append(np.minimum(a[meet], b[meet]).astype(np.int64) * (n + 1) + np.maximum(a[meet], b[meet]))
        heights.append(np.minimum(fa[meet], fb[meet]))
    keys, heights = np.concatenate(keys), np.concatenate(heights)
    if keys.size == 0:
        return np.arange(n + 1)
    order = np.argsort(keys, kind="stable")
    keys, heights = keys[order], heights[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    i, j = np.divmod(keys[starts], n + 1)
    saddle = np.maximum.reduceat(heights, starts)  # the highest point where the two meet
    base = np.maximum(floor[i], floor[j])
    join = saddle - base >= level * (np.minimum(peak[i], peak[j]) - base)
    graph = coo_matrix((np.ones(int(join.sum())), (i[join], j[join])), shape=(n + 1, n + 1))
    part = connected_components(graph, directed=False)[1]
    first = np.full(part.max() + 1, n + 1)
    np.minimum.at(first, part, np.arange(n + 1))
    return first[part]


def _keep_seeded_parts(labels, markers):
    """Of each object, only the connected part that holds its seed (the cuts may leave
    islands of an object away from it)."""
    parts = connected(labels, background=0, connectivity=2)  # touching pixels of equal value
    keep = np.zeros(parts.max() + 1, bool)
    keep[parts[markers > 0]] = True
    keep[0] = False
    return np.where(keep[parts], labels, 0).astype(np.int32)


def saturated_mask(photo, *, level=None):
    """Pixels of ``photo`` at its clip level, in any channel: (H, W) bool.

    Parameters
    ----------
    photo : array_like, (H, W) or (H, W, C)
    level : float, optional
        Least value counted as clipped. Default: 98 % of an integer dtype's full scale
        (JPEG rounds a clipped 255 down a little), 0.98 for a float photo within [0, 1],
        none (nothing clipped) for other float data.

    >>> saturated_mask(np.array([[10, 255], [251, 0]], np.uint8)).tolist()
    [[False, True], [True, False]]
    """
    a = np.asarray(photo)
    if level is None:
        if np.issubdtype(a.dtype, np.integer):
            level = 0.98 * np.iinfo(a.dtype).max
        elif a.size and float(np.max(a)) <= 1.0:
            level = 0.98
        else:
            return np.zeros(a.shape[:2], bool)
    hit = a >= level
    return hit.any(axis=-1) if hit.ndim == 3 else hit


def signal_noise_sigma(*, noise=None, background=None, plane=None, scale=1.0):
    """The photo's noise sigma in the units of a signal on ``0 - scale``.

    With a noise model (``noise``, its ``to_dict()`` as a run record holds it) and the
    background layer, the model's standard deviation at the background's median level;
    else, with the recorded ``plane`` on [0, 1], :func:`histdip.noise.noise_sigma` of it
    (the RMS of its noise over the whole plane); else None.

    Parameters
    ----------
    noise : dict, optional
        ``model`` ``gaussian`` (``sigma``) or ``poisson-gaussian`` (``gain``,
        ``sigma``, ``offset``), on [0, 1]; per-channel lists are averaged.
    background : array_like, optional
        The background layer, in the signal's units.
    plane : array_like, optional
        The recorded plane the signal was restored from, on [0, 1].
    scale : float
        The signal's full scale: 255 for an 8-bit photo, 1 for a float one on [0, 1].

    >>> round(signal_noise_sigma(noise={"model": "gaussian", "sigma": 0.01},
    ...                          background=np.full((8, 8), 50.0), scale=255.0), 3)
    2.55
    """
    if noise is not None and background is not None and noise.get("model") in ("gaussian", "poisson-gaussian"):
        level = float(np.median(np.asarray(background, np.float64))) / scale
        var = float(np.mean(noise.get("sigma", 0.0))) ** 2
        if noise["model"] == "poisson-gaussian":
            light = max(level - float(np.mean(noise.get("offset", 0.0))), 0.0)
            var += float(np.mean(noise.get("gain", 0.0))) * light
        return float(np.sqrt(var)) * scale
    if plane is not None:
        from .noise import noise_sigma

        return float(noise_sigma(signal_plane(plane))) * scale
    return None


def count_result(result, photo, *, pixel_size=None, **options):
    """:func:`count_objects` on a :class:`~histdip.Result`: its signal layer.

    The threshold's noise sigma is the photo's (:func:`signal_noise_sigma`: the
    result's noise model at the median of its background layer, else read on the
    photo's fitted plane), and objects touching a saturated pixel of the photo
    (:func:`saturated_mask`) are flagged clipped.

    Parameters
    ----------
    result : histdip.Result
        A restoration with a learned split (the default), or any result: without
        layers, its image is counted as the signal.
    photo : array_like
        The photo that was restored.
    pixel_size : float, optional
        µm per pixel.
    **options
        Further options of :func:`count_objects`.
    """
    from .planes import read_planes

    planes = read_planes(photo, channel=result.config.channel, polarity=result.config.polarity)
    layers = result.layers
    signal = signal_plane(layers["signal"] if layers is not None else result.image)
    background = None if layers is None else signal_plane(layers["background"])
    noise = None if result.noise is None else result.noise.to_dict()
    sigma = signal_noise_sigma(noise=noise, background=background, plane=planes.recorded,
                               scale=planes.image.hi - planes.image.lo)
    options.setdefault("saturated", saturated_mask(photo))
    return count_objects(signal, noise_sigma=sigma, pixel_size=pixel_size, **options)


def signal_plane(image):
    """The grey plane that is counted: ``image`` itself, or the mean of its channels."""
    a = np.asarray(image, np.float64)
    return a if a.ndim == 2 else a.mean(axis=-1)
