"""Restoring an image larger than memory: fit once on a crop, apply tile by tile.

:func:`restore_tiled` reads an OME-Zarr image (:mod:`histdip.io.omezarr`) and writes
its restoration as another, never holding either whole:

1. **The fit crop** (:func:`choose_fit_crop`): on a coarse preview of the image (the
   finest pyramid level no longer than :data:`PREVIEW_SIDE` a side, or level 0 read
   with a stride), the ``fit_size`` window holding the most light above its local
   surroundings; the first such window in row order, so the choice is deterministic.
2. **The fit**: :func:`histdip.fitted_model.fit_model` on that crop, with the settings
   given. Every global decision is made there, once: T, the background kind and its
   radius, the fitted colour channel, the sample settings and the signal gain.
3. **The tiles** (:func:`tile_windows`): tiles of ``tile`` pixels, each read with a
   ``halo`` of neighbours, run through :func:`histdip.fitted_model.apply_model` with the
   crop's decisions fixed (:func:`tile_config`), the halo cropped off and the tile
   written before the next is read.

Peak memory is that of the fit on the crop or of one haloed tile, whichever is
larger, plus one input chunk per dask worker: not the image's size.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import replace

import numpy as np
from scipy import ndimage

from .config import resolve_config
from .errors import ConfigError
from .fitted_model import apply_model, fit_model
from .io.omezarr import OmeZarrImage, OmeZarrWriter, open_omezarr
from .planes import read_planes
from .problem import padding_for
from .validate import Image, check_array, intensity_range

#: The preview the fit crop is chosen on is at most this many pixels a side.
PREVIEW_SIDE = 512

#: A background estimated on a tile's window matches the whole image's from this many
#: background radii of halo on (:func:`tile_halo`).
BACKGROUND_REACH = 6.0

#: BT.601 weights: the preview of a colour image is its grey, as T's grey is.
_BT601 = np.array([0.299, 0.587, 0.114])


def restore_tiled(source, sink, config=None, *, tile=1024, halo=64, fit_size=1024, progress=False,
                  overwrite=False, protect=(), **overrides):
    """Restore an OME-Zarr image tile by tile into another, in bounded memory.

    Parameters
    ----------
    source : path-like or OmeZarrImage
        The OME-Zarr image (:func:`histdip.io.omezarr.open_omezarr`).
    sink : path-like
        The OME-Zarr image to write (a ``.zarr`` folder): same axes, pixel size and
        channel names, float32 on the input's intensity scale, with a small pyramid.
    config : RestoreConfig, path or None
        Settings, as :func:`histdip.restore` takes them.
    tile : int
        Side of the tiles written, in pixels (rounded down to the network's multiple).
    halo : int
        Neighbours read on every side of a tile and cropped off again (rounded up to the
        network's multiple): 64 covers the default network's reach. Where a background
        is subtracted it is raised to :data:`BACKGROUND_REACH` background radii
        (:func:`tile_halo`), the reach of the background's estimate.
    fit_size : int
        Side of the crop the network is fitted on.
    progress : bool
        Show the fit's bar and a bar over the tiles.
    overwrite : bool
        Replace an existing ``sink``.
    protect : iterable of path-like
        Paths never written, even with ``overwrite`` (the input is always protected).
    **overrides
        Any :class:`~histdip.config.RestoreConfig` field.

    Returns
    -------
    dict
        The run record: the fit crop, T, iterations, stop reason, tiles and seconds
        (one entry per plane under ``planes`` when the image has t, z or channel axes,
        the first plane's also at the top level).

    Raises
    ------
    ConfigError
        ``method='threshold'`` (no network to apply), or ``input='noise'`` (a random
        code drawn per tile would not be the one fitted).
    InputError
        Not an OME-Zarr image, or a tile that is not a valid image (NaN...).

    Examples
    --------
    >>> record = restore_tiled("big.ome.zarr", "big_histdip.ome.zarr", iterations=100)  # doctest: +SKIP
    >>> record["fit_crop"], record["threshold"], record["tiles"]  # doctest: +SKIP
    """
    start = time.perf_counter()
    config = resolve_config(config, **overrides)
    if config.method == "threshold":
        raise ConfigError("method 'threshold' fits no network; tiled restoration fits one on a crop")
    if config.input != "image":
        raise ConfigError(f"input={config.input!r} draws a random code per tile shape; tiled restoration needs "
                          "input='image'")
    image = source if isinstance(source, OmeZarrImage) else open_omezarr(source)
    multiple = math.lcm(config.network.multiple, config.physics.factor)
    tile = max(multiple, int(tile) - int(tile) % multiple)
    halo = max(int(halo), 0)
    lo, hi = _intensity_scale(image.array)
    planes = plane_indices(image)
    out_axes, out_shape, names, colors = _output_layout(image, config)
    h, w = image.yx
    tiles = len(range(0, h, tile)) * len(range(0, w, tile))
    bar = _bar(tiles * len(planes), progress)
    records = []
    chunks = tuple(tile if a in ("y", "x") else 1 for a in out_axes)
    finished = False
    try:
        with OmeZarrWriter(sink, out_shape, out_axes, chunks, scale=image.scale, units=image.units,
                           channel_names=names, channel_colors=colors, version=image.version, overwrite=overwrite,
                           protect=[image.path, *protect]) as writer:
            for index in planes:
                records.append(_restore_plane(image, index, writer, config, (tile, halo, multiple), (lo, hi),
                                              fit_size, bar, progress))
        finished = True
    finally:
        if bar is not None:
            bar.close(None if finished else "interrupted")
    record = {**records[0], "planes": records} if len(records) > 1 else dict(records[0])
    record.update(tiles=sum(r["tiles"] for r in records), tile=tile, halo_asked=int(halo), fit_size=int(fit_size),
                  shape=list(image.shape), axes=list(image.axes), intensity_range=[lo, hi],
                  seconds=round(time.perf_counter() - start, 3))
    return record


def tile_halo(halo, config, multiple):
    """The halo a tile is read with: ``halo``, or :data:`BACKGROUND_REACH` times the
    background radius where that is more, rounded up to ``multiple``.

    A background subtracted per tile (``config``'s, its radius fixed) is estimated on the
    tile's window, and its estimate reaches several radii: the envelope's repeated
    smoothing made tiles differ from the whole image by 2% of the output's range at
    2.8 radii of halo, and by 0.3% from 5.6 radii on.
    """
    reach = 0.0
    if config.background != "none" and config.method != "dip" and config.background_radius != "auto":
        reach = BACKGROUND_REACH * float(config.background_radius)
    return -(-int(math.ceil(max(halo, reach))) // multiple) * multiple


def _restore_plane(image, index, writer, config, layout, scale, fit_size, bar, progress):
    start = time.perf_counter()
    tile, halo, multiple = layout
    read = plane_reader(image, index)
    h, w = image.yx
    level, factor, preview = _preview(image, index)
    y, x, ch, cw = choose_fit_crop(preview, factor, (h, w), fit_size)
    del preview
    crop = _as_image(read(y, y + ch, x, x + cw), scale)
    model = fit_model(crop, config, progress=progress)
    channel = read_planes(crop, channel=config.channel, polarity=model.fit_record.get("polarity", "bright")).channel
    del crop
    fixed = replace(model, config=tile_config(model, channel))
    halo = tile_halo(halo, fixed.config, multiple)
    windows = list(tile_windows((h, w), tile, halo, multiple, padding_for((h, w), config.network, config.physics)))
    out_index = {a: v for a, v in index.items() if not (a == "c" and image.is_rgb)}
    for core, window in windows:
        block = apply_model(fixed, _as_image(read_mirrored(read, window, (h, w)), scale))
        (y0, y1, x0, x1), (wy0, _, wx0, _) = core, window
        block = block[y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0]
        if block.ndim == 3:  # the three colour planes fitted together (channel='rgb')
            for c in range(block.shape[-1]):
                writer.write({**out_index, "c": c}, y0, x0, block[..., c])
        else:
            writer.write(out_index, y0, x0, block)
        if bar is not None:
            bar.update()
    rec = model.fit_record
    return {
        "plane": {a: int(v) for a, v in index.items()},
        "fit_crop": {"y": int(y), "x": int(x), "height": int(ch), "width": int(cw), "preview_level": level,
                     "preview_factor": [float(f) for f in factor]},
        "threshold": rec.get("threshold"),
        "iterations": rec.get("iterations"),
        "stop_reason": rec.get("stop_reason"),
        "background": fixed.config.background,
        "background_radius": fixed.config.background_radius,
        "channel": channel,
        "target_gain": rec.get("target_gain"),
        "fit": rec,
        "tile_config": fixed.config.to_dict(),
        "halo": halo,
        "tiles": len(windows),
        "seconds": round(time.perf_counter() - start, 3),
    }


def tile_config(model, channel):
    """The settings every tile is applied with: the fit's, its decisions fixed.

    The fit crop's T (a learned split's included), background kind and radius, and
    colour channel and polarity replace rules and ``auto`` values, so no tile chooses its own and
    each tile's input to the network is made as the crop's was. A recording fitted whole
    (``primary='recording'``) was fitted on the raw grey: T = 0, no background.
    """
    c, rec = model.config, model.fit_record
    radius = rec.get("background_radius")
    return c.replace(threshold=float(rec["threshold"]), threshold_low=rec.get("threshold_low"),
                     background=rec.get("background", c.background),
                     background_radius=c.background_radius if radius is None else float(radius),
                     channel=channel if channel != "grey" else c.channel, sample=None, primary="auto",
                     signal_gain="none", polarity=rec.get("polarity") or c.polarity)


def tile_windows(shape, tile, halo, multiple, amounts):
    """The tiles of an image of ``shape`` and the windows they are read with.

    Windows are taken from the image mirror-padded by ``amounts`` (the whole-image
    padding, :func:`histdip.problem.padding_for`) and start and end on multiples of
    ``multiple`` of that padded frame, so each window's pixels meet the network's scales
    where the whole image's would: away from its halo, a window's output is the whole
    image's.

    Yields
    ------
    ((y0, y1, x0, x1), (wy0, wy1, wx0, wx1))
        The tile and its window in image coordinates (a window may reach past the
        image edges, into the mirrored padding).

    >>> [c for c, _ in tile_windows((40, 20), 32, 16, 16, (4, 4, 6, 6))]
    [(0, 32, 0, 20), (32, 40, 0, 20)]
    >>> next(tile_windows((40, 20), 32, 16, 16, (4, 4, 6, 6)))[1]
    (-4, 44, -6, 26)
    """
    h, w = shape
    top, bottom, left, right = amounts
    for y0 in range(0, h, tile):
        y1 = min(h, y0 + tile)
        wy = _window(y0, y1, top, h + top + bottom, halo, multiple)
        for x0 in range(0, w, tile):
            x1 = min(w, x0 + tile)
            wx = _window(x0, x1, left, w + left + right, halo, multiple)
            yield (y0, y1, x0, x1), (wy[0], wy[1], wx[0], wx[1])


def _window(a, b, pad, padded, halo, multiple):
    lo = max(0, (a + pad - halo) // multiple * multiple)
    hi = min(padded, -(-(b + pad + halo) // multiple) * multiple)
    return lo - pad, hi - pad


def read_mirrored(read, window, shape):
    """The ``window`` (wy0, wy1, wx0, wx1) of an image of ``shape``, its parts beyond the
    edges mirrored as :func:`histdip.tensors.pad` mirrors the whole image."""
    wy0, wy1, wx0, wx1 = window
    h, w = shape
    block = read(max(wy0, 0), min(wy1, h), max(wx0, 0), min(wx1, w))
    widths = [(max(-wy0, 0), max(wy1 - h, 0)), (max(-wx0, 0), max(wx1 - w, 0))] + [(0, 0)] * (block.ndim - 2)
    return np.pad(block, widths, mode="symmetric") if any(sum(p) for p in widths) else block


def plane_indices(image):
    """One dict per 2-D plane of ``image``: the position on every axis but y and x (and
    but a colour photo's c, whose three channels are one plane)."""
    loop = [a for a in image.axes if a not in ("y", "x") and not (a == "c" and image.is_rgb)]
    sizes = [range(image.shape[image.axes.index(a)]) for a in loop]
    return [dict(zip(loop, values)) for values in itertools.product(*sizes)]


def plane_reader(image, index):
    """``read(y0, y1, x0, x1)``: a window of one plane of ``image`` as a NumPy array,
    (h, w), or (h, w, 3) for a colour photo. Only the chunks it touches are read."""
    array, axes = image.array, image.axes

    def read(y0, y1, x0, x1):
        where = tuple(slice(y0, y1) if a == "y" else slice(x0, x1) if a == "x" else
                      index[a] if a in index else slice(None) for a in axes)
        block = np.asarray(array[where])
        return np.moveaxis(block, 0, -1) if block.ndim == 3 else block

    return read


def choose_fit_crop(preview, factor, shape, fit_size):
    """The fit crop (y, x, height, width) in level-0 pixels.

    Parameters
    ----------
    preview : ndarray, (h, w)
        A coarse grey view of the plane.
    factor : (float, float)
        Level-0 pixels per preview pixel, down and across.
    shape : (int, int)
        Level 0's (height, width).
    fit_size : int
        The crop's side (the image's, where smaller).

    The crop holds the most light in objects: the preview's white top-hat (the light of
    structures narrower than half the window, above their surroundings) summed
    over the window. Haze, a bright background and the edges of either count for
    nothing. Ties go to the first window in row order.

    >>> p = np.zeros((50, 50)); p[30:34, 40:44] = 1.0
    >>> choose_fit_crop(p, (2.0, 2.0), (100, 100), 20)
    (48, 68, 20, 20)
    """
    h, w = shape
    ch, cw = min(int(fit_size), h), min(int(fit_size), w)
    fy, fx = factor
    wh = max(1, min(preview.shape[0], round(ch / fy)))
    ww = max(1, min(preview.shape[1], round(cw / fx)))
    p = np.asarray(preview, dtype=np.float32)
    excess = ndimage.white_tophat(p, size=max(3, max(wh, ww) // 2), mode="reflect")
    sums = np.pad(excess.cumsum(0, dtype=np.float64).cumsum(1), ((1, 0), (1, 0)))
    windows = sums[wh:, ww:] - sums[:-wh, ww:] - sums[wh:, :-ww] + sums[:-wh, :-ww]
    py, px = np.unravel_index(int(np.argmax(windows)), windows.shape)
    y = int(min(max(round(py * fy), 0), h - ch))
    x = int(min(max(round(px * fx), 0), w - cw))
    return y, x, ch, cw


def _preview(image, index):
    """(level, (fy, fx), grey): the finest pyramid level at most PREVIEW_SIDE a side, or
    the coarsest read with a stride."""
    h, w = image.yx
    iy, ix = image.axes.index("y"), image.axes.index("x")
    small = [i for i, lv in enumerate(image.levels) if max(lv.shape[iy], lv.shape[ix]) <= PREVIEW_SIDE]
    level = small[0] if small else len(image.levels) - 1
    array = image.levels[level]
    stride = max(1, math.ceil(max(array.shape[iy], array.shape[ix]) / PREVIEW_SIDE))
    where = tuple(slice(None, None, stride) if a in ("y", "x") else index[a] if a in index else slice(None)
                  for a in image.axes)
    grey = np.asarray(array[where], dtype=np.float32)
    if grey.ndim == 3:
        grey = np.tensordot(_BT601, grey[:3], axes=1)
    return level, (h / grey.shape[0], w / grey.shape[1]), grey


def _intensity_scale(array):
    """The whole image's (lo, hi), as :func:`histdip.validate.intensity_range` gives it:
    integers from their type, floats from a streamed min and max."""
    if array.dtype.kind in "iub":
        return intensity_range(np.zeros(1, array.dtype))
    import dask.array as da

    lo, hi = da.compute(array.min(), array.max())
    return intensity_range(np.array([float(lo), float(hi)]))


def _as_image(block, scale):
    # Every tile on the whole image's scale: a float tile's own range would differ.
    return Image(check_array(block, name="tile", min_side=1), *scale)


def _output_layout(image, config):
    """(axes, shape, channel names, colours) of the output."""
    shape, names, colors = list(image.shape), image.channel_names, image.channel_colors
    if image.is_rgb and str(config.channel).lower() != "rgb":
        # One plane is fitted: its channel is decided on the fit crop, so its name is
        # not known yet; the c axis keeps one entry.
        shape[image.axes.index("c")] = 1
        names, colors = ["restored"], None
    return image.axes, tuple(shape), names, colors


def _bar(total, progress):
    if not progress:
        return None
    from .progress import open_progress

    return open_progress(total, "tiles", "tile")
