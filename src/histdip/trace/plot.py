"""The before/after figure of a restored trace: the raw trace in grey, the restored one
and its baseline over it, for the whole trace and for a window round its largest event."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Columns drawn at most (a file with more draws the first ones).
MAX_COLUMNS = 4

#: Samples of the zoomed window: at most this, and at most a fifth of the trace (a
#: window as long as the trace would only draw it again), at least :data:`MIN_ZOOM`.
ZOOM = 1500
MIN_ZOOM = 64

#: Points drawn at most per line: longer traces are drawn as min/max pairs per bin.
MAX_POINTS = 8000


def _thin(t, y):
    if y.size <= MAX_POINTS:
        return t, y
    bins = MAX_POINTS // 2
    edges = np.linspace(0, y.size, bins + 1).astype(int)
    lo = np.minimum.reduceat(y, edges[:-1])
    hi = np.maximum.reduceat(y, edges[:-1])
    tt = np.repeat(t[edges[:-1]], 2)
    return tt, np.column_stack([lo, hi]).ravel()


def trace_figure(raw, results, path, *, names=None, time=None, title=None):
    """Write the figure of ``raw`` (L, C) and its :class:`~histdip.trace.TraceResult` per
    column to the PNG ``path`` (written as it is: callers stage it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    raw = np.asarray(raw, dtype=np.float64).reshape(len(raw), -1)
    n = min(raw.shape[1], MAX_COLUMNS)
    t = np.arange(raw.shape[0]) if time is None else np.asarray(time, dtype=np.float64)
    fig = Figure(figsize=(12, 2.6 * n + 0.5), dpi=100)
    FigureCanvasAgg(fig)
    for c in range(n):
        r = results[c]
        name = names[c] if names else f"column {c + 1}"
        whole = fig.add_subplot(n, 2, 2 * c + 1)
        for y, colour, width, label in ((raw[:, c], "0.6", 0.5, "raw"), (r.restored, "tab:red", 0.9, "restored"),
                                        (r.baseline, "tab:blue", 0.9, "baseline")):
            whole.plot(*_thin(t, y), color=colour, lw=width, label=label)
        whole.set_title(f"{name}: {r.summary()}", fontsize=8)
        whole.legend(fontsize=7, loc="best")
        centre = int(np.argmax(np.abs(r.events)))
        width = min(raw.shape[0], max(MIN_ZOOM, min(ZOOM, raw.shape[0] // 5)))
        lo = max(0, min(centre - width // 2, raw.shape[0] - width))
        sl = slice(lo, lo + width)
        zoom = fig.add_subplot(n, 2, 2 * c + 2)
        zoom.plot(t[sl], raw[sl, c], color="0.6", lw=0.6)
        zoom.plot(t[sl], r.restored[sl], color="tab:red", lw=1.0)
        zoom.plot(t[sl], r.baseline[sl], color="tab:blue", lw=0.9)
        zoom.set_title("round the largest event", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(Path(path), format="png")
    return Path(path)
