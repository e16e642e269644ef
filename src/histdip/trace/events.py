"""One event detector for every restoration: baseline subtracted, thresholded, runs
merged; and the matching of detected events with known ones.

:func:`detect_events` takes any trace (raw, filtered, restored), subtracts its baseline
(:func:`~histdip.trace.trace_baseline`), keeps the runs of samples more than
``threshold`` above it on the events' side, and reports each run's start, end, peak and
amplitude. :func:`match_events` pairs them with the true events and gives the F1.
"""

from __future__ import annotations

import numpy as np

from .restore import BASELINE_SCALE, trace_baseline

#: One row per detected event (samples, and the amplitude in the trace's units).
DETECTED_DTYPE = np.dtype([("start", "i8"), ("end", "i8"), ("peak", "i8"), ("amplitude", "f8")])

#: Runs at least this long report the 75th percentile of their samples as their
#: amplitude (a step's level, not its noisiest sample); shorter ones their peak.
LEVEL_RUN = 8


def runs(mask, merge_gap=0, min_length=1):
    """(start, end) of the runs of True in ``mask``, end inclusive; runs closer than
    ``merge_gap`` samples joined, runs shorter than ``min_length`` dropped."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    starts, ends = edges[::2], edges[1::2] - 1
    if merge_gap > 0 and starts.size > 1:
        keep = np.concatenate([[True], starts[1:] - ends[:-1] - 1 > merge_gap])
        starts, ends = starts[keep], np.concatenate([ends[:-1][keep[1:]], ends[-1:]])
    long = ends - starts + 1 >= min_length
    return starts[long], ends[long]


def detect_events(trace, threshold, *, polarity="bright", baseline=None, scale=BASELINE_SCALE, sigma=None,
                  merge_gap=3, min_length=2):
    """Events of ``trace``: runs above its baseline by more than ``threshold``.

    Parameters
    ----------
    trace : ndarray, (L,)
    threshold : float
        In the trace's units.
    polarity : {'bright', 'dark'}
    baseline : ndarray, optional
        The baseline to subtract; by default :func:`trace_baseline` of ``trace`` at
        ``scale`` with noise ``sigma`` (default: ``threshold / 4``).
    merge_gap, min_length : int
        Runs closer than ``merge_gap`` samples are one event; shorter than
        ``min_length`` samples none.

    Returns
    -------
    ndarray of DETECTED_DTYPE
    """
    x = np.asarray(trace, dtype=np.float64)
    sign = 1.0 if polarity == "bright" else -1.0
    if baseline is None:
        baseline = trace_baseline(x, sigma if sigma else threshold / 4.0, polarity, scale)
    d = sign * (x - baseline)
    starts, ends = runs(d > threshold, merge_gap, min_length)
    out = np.empty(starts.size, DETECTED_DTYPE)
    for i, (s, e) in enumerate(zip(starts, ends)):
        seg = d[s : e + 1]
        amp = np.quantile(seg, 0.75) if seg.size >= LEVEL_RUN else seg.max()
        out[i] = (s, e, s + int(np.argmax(seg)), amp)
    return out


def match_events(true, found, tolerance=5):
    """Pair detected events with true ones, one to one.

    A detected event matches a true one when its span overlaps the true span widened by
    ``tolerance`` samples on each side; of several, the closest centres pair first.

    Returns
    -------
    dict with ``tp``, ``fp``, ``fn``, ``f1``, ``pairs`` (list of (true index, found index))
    """
    pairs, used = [], set()
    candidates = []
    for i, t in enumerate(true):
        lo, hi = t["start"] - tolerance, t["end"] + tolerance
        hits = np.flatnonzero((found["end"] >= lo) & (found["start"] <= hi)) if len(found) else []
        for j in hits:
            gap = abs((t["start"] + t["end"]) / 2 - (found["start"][j] + found["end"][j]) / 2)
            candidates.append((gap, i, int(j)))
    matched_true = set()
    for _, i, j in sorted(candidates):
        if i not in matched_true and j not in used:
            pairs.append((i, j))
            matched_true.add(i)
            used.add(j)
    tp = len(pairs)
    fp, fn = len(found) - tp, len(true) - tp
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "f1": f1, "pairs": pairs}
