"""Which way a trace's events go: above its baseline (``bright``) or below it
(``dark``, a nanopore's blockades).

Events are sparse and one-sided; the noise is symmetric. So the side where the trace
strays far (many noise standard deviations) from a local, robust level more often
than on the other side is the events' side. Two levels are compared: a running
median a few dozen samples wide (which short pulses, spikes and the edges of steps
poke out of) and, when that one cannot tell, the trace's overall median (which
sparse long steps leave at the baseline). A level whose strays are no more than noise
alone would give (a chance sample or two) does not decide.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: How far (noise standard deviations) a sample must stray to count.
STRAY = 4.0

#: Width (samples) of the short running median.
SHORT = 31

#: How much more one side must hold (as a share of both) to decide.
DECISIVE = 0.2

#: A level decides only where more than this many samples stray beyond
#: :data:`STRAY`: one chance sample of the noise must not decide a trace (chosen on
#: seeds 0, 1, 300 and 301, against 0 and 4; docs/traces.md).
MIN_STRAYS = 1


def _excess(d, sigma):
    above = np.clip(d - STRAY * sigma, 0, None).sum()
    below = np.clip(-d - STRAY * sigma, 0, None).sum()
    return above, below


def read_polarity(trace, sigma):
    """``'bright'`` or ``'dark'``: the side of the baseline where the events of
    ``trace`` lie, read from the trace (``sigma``: its noise standard deviation).

    >>> x = np.zeros(2000); x[500:520] -= 5.0; x[1500:1510] -= 4.0
    >>> read_polarity(x + np.random.default_rng(0).normal(0, 0.3, 2000), 0.3)
    'dark'
    """
    x = np.asarray(trace, dtype=np.float64)
    sigma = max(float(sigma), 1e-12)
    for level in (ndimage.median_filter(x, min(SHORT, x.size), mode="nearest"), np.median(x)):
        d = x - level
        above, below = _excess(d, sigma)
        total = above + below
        strays = int(np.count_nonzero(np.abs(d) > STRAY * sigma))
        if strays > MIN_STRAYS and abs(above - below) > DECISIVE * total:
            return "bright" if above > below else "dark"
    return "bright"
