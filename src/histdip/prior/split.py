"""The split of a background-removed recording into background and signal, learned
from its histogram: a two-class mixture whose background class is pinned by the data.

Below the recorded background (:mod:`.envelope`) there is only noise; above it, noise
and signal. So the background class of the histogram of ``d`` (the recording minus its
background, on the 0-255 grey) is read from its lower half alone, where no signal lies:
its centre from the mode, its width from the spread of the values below the centre,
its weight from twice their share. The signal class is everything the histogram holds
beyond that class. A grey level's probability of being signal is one minus the
background class's share of the pixels within one background width of it (a local false
discovery rate, counted where the excess is beyond counting noise); the gate is that probability,
never falling as the level rises. T is where it reaches one half, and the softness
``tau`` is the width of its rise (a logistic curve ``sigmoid((d - T) / tau)`` with the
same quartiles), both recorded with every result.

Why it cannot collapse: the background class is fixed by the values below the centre,
which signal never reaches, so the fit can neither widen it over the signal ("all
background") nor shrink it to nothing ("all signal"); and T is never below
:data:`MIN_T_SIGMA` background widths, where the noise alone would pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import ndimage
from scipy.special import erfc

#: T is at least this many background-class widths above its centre.
MIN_T_SIGMA = 3.0

#: Histogram bins per background-class width (the histogram spans the data).
BINS_PER_SIGMA = 4


@dataclass(frozen=True)
class Split:
    """A learned split of ``d`` (recording minus background, 0-255 grey).

    Attributes
    ----------
    threshold : float
        T: where a pixel is as likely signal as background.
    softness : float
        tau of the logistic curve with the gate's quartiles.
    centre, width : float
        The background class's centre and standard deviation.
    background_share : float
        The background class's weight (share of pixels).
    signal_share : float
        Mean of the gate over the image: the share of pixels that are signal.
    """

    threshold: float
    softness: float
    centre: float
    width: float
    background_share: float
    signal_share: float
    levels: np.ndarray = field(repr=False, default=None)
    posterior: np.ndarray = field(repr=False, default=None)

    def gate(self, d):
        """Each pixel's probability of being signal, in [0, 1]: the posterior of the
        learned mixture at its level (below T: never above the floor's)."""
        d = np.asarray(d, dtype=np.float64)
        g = np.interp(d, self.levels, self.posterior, left=0.0, right=float(self.posterior[-1]))
        return np.where(d < self.centre + MIN_T_SIGMA * self.width - self.softness, 0.0, g)

    def to_dict(self):
        return {"threshold": self.threshold, "softness": self.softness, "background_centre": self.centre,
                "background_width": self.width, "background_share": self.background_share,
                "signal_share": self.signal_share}


def _background_class(d):
    lo, hi = np.percentile(d, [1, 99])
    counts, edges = np.histogram(d, bins=256, range=(lo, max(hi, lo + 1e-6)))
    centres = 0.5 * (edges[1:] + edges[:-1])
    # Start from the mode of a lightly smoothed histogram (the background's level after
    # subtraction), then refine it as the median of a window around it, symmetric so that
    # the noise weighs both sides alike: a mode read off bins is off by a tenth of a width.
    centre = float(centres[np.argmax(ndimage.gaussian_filter1d(counts.astype(float), 2.0))])
    width = max((hi - lo) / 256, 1e-3)
    for _ in range(4):
        below = d[d < centre] - centre
        if below.size >= 16:
            width = max(float(np.sqrt(np.mean(below ** 2))), 1e-3)
        near = d[np.abs(d - centre) < 1.5 * width]
        if near.size >= 16:
            centre = float(np.median(near))
    below = d[d < centre]
    # Half the background class lies below its centre (signal never does).
    share = min(1.0, 2.0 * below.size / d.size)
    return centre, width, share


def learn_split(d, *, background=None):
    """The :class:`Split` of ``d``, the background-removed grey (0-255), as learned from
    its histogram.

    ``background``: a known (centre, width) of the background class, instead of
    reading them off the histogram's mode (a trace whose events fill most of it, as a
    nanopore's blockade fills its record, has its mode on the events); its share is
    then twice the share of ``d`` below the centre, as when it is read.

    >>> rng = np.random.default_rng(0)
    >>> d = rng.normal(0, 2, (128, 128)); d[:16, :16] += 40
    >>> s = learn_split(d)
    >>> bool(s.gate(d)[:16, :16].min() > 0.99), round(s.signal_share, 3)
    (True, 0.016)
    """
    d = np.asarray(d, dtype=np.float64)
    if background is None:
        centre, width, share = _background_class(d)
    else:
        centre, width = float(background[0]), max(float(background[1]), 1e-3)
        share = min(1.0, 2.0 * float(np.mean(d < centre)))
    top = max(float(d.max()), centre + 10 * width)
    # At most a few thousand bins: a nearly noise-free image must not spread its objects
    # so thin that no bin is significant.
    step = max(width / BINS_PER_SIGMA, (top - centre + 8 * width) / 4096)
    edges = np.arange(centre - 8 * width, top + step, step)
    counts, _ = np.histogram(d, bins=edges)
    lower = edges[:-1]
    # Counts in a window one background width wide round each level, observed and under
    # the background class (from the tail counts, which stay exact however sparse the
    # bins): local, so a noise pixel just above T is judged by its own level and not by
    # the bright objects far above it, yet wide enough to be counted reliably.
    tail = np.concatenate([np.cumsum(counts[::-1])[::-1], [0]]).astype(float)
    half = BINS_PER_SIGMA // 2
    idx = np.arange(lower.size)
    observed = tail[np.clip(idx - half, 0, lower.size)] - tail[np.clip(idx + half + 1, 0, lower.size)] + 1e-9
    cdf = 0.5 * erfc(-(edges - centre) / (width * math.sqrt(2.0)))
    expected = share * d.size * (cdf[np.clip(idx + half + 1, 0, lower.size)] - cdf[np.clip(idx - half, 0, lower.size)])
    # A level counts as holding signal only where the window exceeds the background class
    # by more than its counting noise (the far tail of pure noise does not); there, the
    # probability of signal is the share the background class does not explain.
    significant = observed - expected > 2.0 * np.sqrt(expected + 1.0)
    p = np.where(significant, np.clip(1.0 - expected / observed, 0.0, 1.0), 0.0)
    mids = lower  # the probability holds from each bin's lower edge up
    p[mids <= centre] = 0.0
    p = np.maximum.accumulate(p)  # more light above the background is never less signal
    floor = centre + MIN_T_SIGMA * width
    t = _crossing(mids, p, 0.5, floor)
    lo, hi = _crossing(mids, p, 0.25, floor - width), _crossing(mids, p, 0.75, t)
    softness = max((hi - lo) / (2 * math.log(3.0)), 1e-3)
    split = Split(float(t), float(softness), centre, width, share, 0.0, mids, p)
    return replace(split, signal_share=float(split.gate(d).mean()))


def _crossing(x, p, level, floor):
    above = np.nonzero((p >= level) & (x >= floor))[0]
    return float(x[above[0]]) if above.size else float(max(floor, x[-1]))


#: Extra smoothing scales (px) of the learned split: dim objects a few pixels wide rise
#: out of the noise only when averaged over their own size (a matched filter).
SPLIT_SCALES = (2.0, 4.0)


def learn_split_multiscale(grey, smooth):
    """(split, gate): the split learned on ``grey`` smoothed by ``smooth`` px, and the gate
    that is, per pixel, the largest of the gates learned at that scale and at
    :data:`SPLIT_SCALES` (each scale's background class read from its own histogram)."""
    scales = [s for s in (smooth, *SPLIT_SCALES) if s >= smooth]
    split, gate = None, None
    for scale in scales:
        g = ndimage.gaussian_filter(grey, scale, mode="reflect") if scale > 0 else grey
        sp = learn_split(g)
        if split is None:
            split, gate = sp, sp.gate(g)
        else:
            gate = np.maximum(gate, sp.gate(g))
    # T, softness and the background class are those of the finest scale; the share of
    # signal is the combined gate's.
    return replace(split, signal_share=float(gate.mean())), gate.astype(np.float32)
