"""Colour handling: grey conversion and choice of the channel that carries the signal.

Smartphone fluorescence photos are RGB, but the fluorescence of green beads lives almost
entirely in the green channel; the paper converts to grey with BT.601 luma.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError, InputError

#: BT.601 luma weights, as used by the paper (and PIL's ``convert("L")``).
BT601 = np.array([0.299, 0.587, 0.114])

#: Names accepted by :func:`select_channel`.
CHANNEL_NAMES = ("auto", "luma", "red", "green", "blue", "rgb")


def luma(image):
    """BT.601 luma of an RGB image; a 2-D image is returned unchanged (as float).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        Extra channels (alpha) are ignored; with fewer than 3 there is no RGB to weigh,
        and the grey is the first channel, as :func:`select_channel` takes ``'luma'``.

    Returns
    -------
    ndarray, shape (H, W), float64
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.float64)
    if image.shape[-1] < 3:
        return image[..., 0].astype(np.float64)
    return image[..., :3].astype(np.float64) @ BT601


def auto_channel(image, *, polarity="bright"):
    """Index of the channel that carries the signal.

    The channel with the largest spread between its median (the background) and its
    99.9th percentile (the brightest signal) wins; that is the green channel for the
    paper's photos, where red and blue are near zero. With ``polarity='dark'``
    (brightfield: dark objects on a bright field) the spread is the mirror one, from the
    0.1th percentile (the darkest object) up to the median: the channel the objects
    absorb most in, not the dimmest channel of a colour cast (the green of the yellow
    brightfield phone photos, whose dim blue plane would win the bright rule).
    """
    image = np.asarray(image)
    n = min(image.shape[-1], 3)
    if polarity == "dark":
        spread = [np.median(image[..., c]) - np.percentile(image[..., c], 0.1) for c in range(n)]
    else:
        spread = [np.percentile(image[..., c], 99.9) - np.median(image[..., c]) for c in range(n)]
    return int(np.argmax(spread))


def select_channel(image, channel="auto", *, polarity="bright"):
    """Reduce a colour image to the plane histdip works on.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    channel : {'auto', 'luma', 'red', 'green', 'blue', 'rgb'} or int or str of int
        ``'auto'`` picks the channel carrying the fluorescence (:func:`auto_channel`),
        ``'luma'`` is the paper's BT.601 grey, ``'rgb'`` keeps the three colour planes
        (the paper's network fits RGB). A grey image ignores this setting.
    polarity : {'bright', 'dark'}
        The objects' side, for ``'auto'`` (:func:`auto_channel`).

    Returns
    -------
    ndarray, shape (H, W) or (H, W, 3), float64
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.float64)
    if image.ndim != 3:
        raise InputError(f"expected a 2-D grey or 3-D colour image, got shape {image.shape}")
    spec = str(channel).lower()
    nch = image.shape[-1]
    if spec == "auto":
        return image[..., auto_channel(image, polarity=polarity)].astype(np.float64)
    if spec == "luma":
        if nch < 3:
            return image[..., 0].astype(np.float64)
        return luma(image)
    if spec == "rgb":
        if nch < 3:
            raise ConfigError(f"channel 'rgb' needs a colour image; this one has {nch} channel(s)")
        return image[..., :3].astype(np.float64)
    names = {"red": 0, "green": 1, "blue": 2}
    if spec in names:
        index = names[spec]
    elif spec.isdigit():
        index = int(spec)
    else:
        raise ConfigError(f"unknown channel {channel!r}; use one of {', '.join(CHANNEL_NAMES)} or an index")
    if index >= nch:
        raise ConfigError(f"channel {channel!r} asked for, but the image has only {nch} channel(s)")
    return image[..., index].astype(np.float64)


def own_content(image, channel, reference, levels=4096):
    """Share of the variance of ``image[..., channel]`` not fixed by ``image[..., reference]``.

    The variance of the channel within groups of pixels that share the reference
    channel's value (quantised to at most ``levels`` levels, and to at most one level
    per 32 pixels, so that a group is never a pixel or two), over its total variance: 0
    when the channel is a function of the reference (a grey frame saved as RGB, or
    exported through a lookup table), near 1 when it has noise and content of its own,
    as each colour plane of a camera photo has. 0 for a constant channel.

    >>> g = np.tile(np.arange(16.0), (64, 4))  # 16 grey levels
    >>> own_content(np.stack([0.5 * g, g, np.zeros_like(g)], -1), 0, 1)
    0.0
    """
    image = np.asarray(image, dtype=np.float64)
    c, r = image[..., channel].ravel(), image[..., reference].ravel()
    total = c.var()
    if not total > 0:
        return 0.0
    span = r.max() - r.min()
    levels = max(2, min(levels, c.size // 32))
    keys = np.zeros(r.size, np.int64) if span == 0 else np.round((r - r.min()) / span * (levels - 1)).astype(np.int64)
    n = np.bincount(keys)
    s = np.bincount(keys, c)
    s2 = np.bincount(keys, c * c)
    used = n > 0
    within = np.sum(s2[used] - s[used] ** 2 / n[used]) / c.size
    return float(np.clip(within / total, 0.0, 1.0))


def is_colour_photo(image, min_share=0.1):
    """Whether ``image`` is a colour photo: two or more colour planes with content of their own.

    A smartphone's photo of a fluorescence slide is one: its red and blue planes carry
    noise and background of their own beside the green fluorescence. A grey frame saved
    as RGB, a single channel stored in an RGB file, or a frame exported through a colour
    lookup table is not: there one plane fixes the other two (:func:`own_content` below
    ``min_share`` for both). A composite of several fluorescence channels counts as a
    colour photo.

    >>> g, own = np.random.default_rng(0).random((2, 32, 32))
    >>> is_colour_photo(np.stack([g, g, g], -1)), is_colour_photo(np.stack([own, g, 0.5 * own], -1))
    (False, True)
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] < 3:
        return False
    # A regular subsample of about 2^18 pixels decides as well as the whole photo, at
    # a fraction of the cost on a 12 MP one.
    step = max(1, int(np.sqrt(image.shape[0] * image.shape[1] / 2**18)))
    rgb = image[::step, ::step, :3]
    return min(max(own_content(rgb, c, r) for c in range(3) if c != r) for r in range(3)) >= min_share
