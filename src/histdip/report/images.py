"""Images for the report page: display size, contrast, and data URIs to embed.

Everything the page shows is embedded in it as a ``data:`` URI, so the page opens
offline and fetches nothing. Photographic images (the input, the layers, the
snapshots) go in as JPEG, overlays with transparency (the mask, the counted objects'
outlines) as PNG. An image larger than :data:`MAX_SIDE` a side is shown downscaled; the
page says by how much (:func:`display_size`).
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image

#: Percentiles shown as black and white: the top one high, so sparse bright objects
#: keep their shape rather than saturate into discs.
STRETCH_PERCENTILES = (0.5, 99.9)

#: Longest side, in pixels, of the images embedded in the page.
MAX_SIDE = 1200

#: JPEG quality of the embedded photographic images.
JPEG_QUALITY = 88

#: The mask's colour (RGB) over the input.
MASK_COLOUR = (255, 64, 200)

#: The counted objects' outline colour (RGB); clipped objects are drawn in red.
OUTLINE_COLOUR = (255, 214, 0)
CLIPPED_COLOUR = (255, 40, 30)


def display_size(shape, max_side=MAX_SIDE):
    """(height, width, scale) of an image of ``shape`` as the page shows it.

    >>> display_size((900, 1200))
    (900, 1200, 1.0)
    >>> display_size((3000, 4000))
    (900, 1200, 0.3)
    """
    h, w = int(shape[0]), int(shape[1])
    scale = min(1.0, max_side / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale)), scale


def stretch_limits(image, percentiles=STRETCH_PERCENTILES):
    """The (low, high) levels shown as black and white: :data:`STRETCH_PERCENTILES` of
    the finite values of ``image``."""
    a = np.asarray(image, dtype=np.float64)
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(finite, percentiles))
    if hi <= lo:
        lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def to_display(image, size, limits=None, gamma=1.0):
    """``image`` as 8-bit for the page: resized to ``size`` (height, width), with
    ``limits`` (low, high; default :func:`stretch_limits` of the image) black and white.

    A grey image stays grey; a colour one keeps its first three channels, stretched
    with one pair of limits so its hue is kept. ``gamma`` below 1 lifts dim values
    (the counted image, whose faint objects would otherwise not show).
    """
    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3:
        a = a[..., :3] if a.shape[-1] >= 3 else a[..., 0]
    lo, hi = stretch_limits(a) if limits is None else limits
    unit = np.clip((np.nan_to_num(a, nan=lo) - lo) / (hi - lo), 0.0, 1.0) ** gamma
    picture = Image.fromarray(np.round(unit * 255).astype(np.uint8))
    if picture.size != (size[1], size[0]):
        picture = picture.resize((size[1], size[0]), Image.Resampling.LANCZOS)
    return np.asarray(picture)


def jpeg_uri(pixels, quality=JPEG_QUALITY):
    """A ``data:image/jpeg`` URI of 8-bit ``pixels`` (grey or RGB)."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buf, format="JPEG", quality=quality, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_uri(pixels):
    """A ``data:image/png`` URI of 8-bit ``pixels`` (grey, RGB or RGBA)."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def decode_uri(uri):
    """The pixels of a data URI made here (for tests and checks): an 8-bit array."""
    head, _, payload = uri.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise ValueError(f"not a base64 image data URI: {head[:40]!r}")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))))


def image_uri(image, size, limits=None, gamma=1.0):
    """:func:`to_display` then :func:`jpeg_uri`: a photographic image for the page."""
    return jpeg_uri(to_display(image, size, limits, gamma))


def _shrunk_share(mask, size):
    """The share of each display pixel that ``mask`` covers, in [0, 1]."""
    picture = Image.fromarray(np.asarray(mask, bool).astype(np.uint8) * 255)
    if picture.size != (size[1], size[0]):
        picture = picture.resize((size[1], size[0]), Image.Resampling.BOX)
    return np.asarray(picture, dtype=np.float64) / 255.0


def _edges(inside):
    """Pixels of ``inside`` with a 4-neighbour outside it."""
    padded = np.pad(inside, 1, mode="constant")
    core = padded[1:-1, 1:-1]
    return core & ~(padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])


def mask_overlay_uri(mask, size, colour=MASK_COLOUR):
    """A transparent PNG of ``mask`` at display ``size``: tinted inside, its edge solid."""
    share = _shrunk_share(mask, size)
    rgba = np.zeros(share.shape + (4,), np.uint8)
    rgba[..., :3] = colour
    alpha = 70.0 * share
    alpha[_edges(share >= 0.5)] = 230.0
    rgba[..., 3] = np.round(alpha).astype(np.uint8)
    return png_uri(rgba)


def outline_overlay_uri(labels, size, clipped=None):
    """A transparent PNG of the outlines of the labelled objects at display ``size``.

    ``clipped`` (one bool per object, ids 1..n) draws those objects' outlines red.
    """
    labels = np.asarray(labels)
    picture = Image.fromarray(labels.astype(np.int32), mode="I")
    if picture.size != (size[1], size[0]):
        picture = picture.resize((size[1], size[0]), Image.Resampling.NEAREST)
    small = np.asarray(picture)
    padded = np.pad(small, 1, mode="edge")
    differs = ((padded[:-2, 1:-1] != small) | (padded[2:, 1:-1] != small)
               | (padded[1:-1, :-2] != small) | (padded[1:-1, 2:] != small))
    edge = (small > 0) & differs
    rgba = np.zeros(small.shape + (4,), np.uint8)
    rgba[edge] = (*OUTLINE_COLOUR, 255)
    if clipped is not None and np.any(clipped):
        bad = np.concatenate([[False], np.asarray(clipped, bool)])
        rgba[edge & bad[small]] = (*CLIPPED_COLOUR, 255)
    return png_uri(rgba)


def thin_evenly(items, limit):
    """At most ``limit`` of ``items``, evenly spaced, the first and the last kept.

    >>> thin_evenly(list(range(10)), 4)
    [0, 3, 6, 9]
    """
    items = list(items)
    if len(items) <= limit:
        return items
    if limit <= 1:
        return items[-1:]
    picks = sorted({round(i * (len(items) - 1) / (limit - 1)) for i in range(limit)})
    return [items[i] for i in picks]


def snapshot_uris(snapshots, size, limits, budget):
    """Data URIs of the snapshot images, together at most ``budget`` characters.

    Each is tried at :data:`JPEG_QUALITY`, then at lower qualities and smaller sizes
    (the page stretches them over the same frame), until they fit.

    Returns
    -------
    (list of str, float)
        The URIs and the scale they were embedded at, relative to ``size``.
    """
    uris, scale = [], 1.0
    for quality, scale in ((JPEG_QUALITY, 1.0), (75, 1.0), (60, 0.75), (50, 0.5), (40, 0.35)):
        small = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
        uris = [jpeg_uri(to_display(a, small, limits), quality) for _, a in snapshots]
        if sum(len(u) for u in uris) <= budget:
            break
    return uris, scale


def percent(scale):
    """A display scale in words: ``'100 %'``, ``'30 %'``.

    >>> percent(0.3)
    '30 %'
    """
    return f"{math.floor(100 * scale + 0.5):d} %"
