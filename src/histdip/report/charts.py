"""The report's charts as inline SVG: the fit's curves and the threshold histogram.

Drawn here in Python, so the page needs no plotting library and fetches nothing. A
chart of the fit carries, as ``data-`` attributes, how a step maps to its x position,
so the page's script can move the marker of the step the slider shows.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

WIDTH, HEIGHT = 640, 210
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 24, 36


def _fmt(value):
    """A tick label: short, no trailing zeros."""
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{value:.4g}"


def log_ticks(lo, hi):
    """Tick values for a log axis over [lo, hi]: decades, or 1-2-5 when under two.

    >>> log_ticks(0.004, 0.2)
    [0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
    """
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    steps = (1,) if math.log10(hi / lo) > 2 else (1, 2, 5)
    ticks = [m * 10.0 ** e for e in range(first, last + 1) for m in steps]
    return [float(f"{t:.3g}") for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]


def linear_ticks(lo, hi, count=5):
    """About ``count`` round tick values over [lo, hi].

    >>> linear_ticks(0, 130)
    [0, 20, 40, 60, 80, 100, 120]
    """
    span = max(hi - lo, 1e-12)
    raw = span / count
    base = 10.0 ** math.floor(math.log10(raw))
    step = min((m * base for m in (1, 2, 2.5, 5, 10) if m * base >= 0.75 * raw), default=10 * base)
    start = math.ceil(lo / step) * step
    ticks = []
    value = start
    while value <= hi + 1e-9 * span:
        ticks.append(int(round(value)) if float(step).is_integer() else float(f"{value:.6g}"))
        value += step
    return ticks


class Frame:
    """A plot area: data to SVG coordinates, with the axes and their ticks.

    Parameters
    ----------
    x_range, y_range : (float, float)
    log_y : bool
        A logarithmic y axis (values must be positive).
    """

    def __init__(self, x_range, y_range, *, log_y=False, width=WIDTH, height=HEIGHT):
        self.x0, self.x1 = LEFT, width - RIGHT
        self.y0, self.y1 = height - BOTTOM, TOP
        self.xr, self.log_y = x_range, log_y
        self.yr = tuple(math.log10(v) for v in y_range) if log_y else y_range
        self.width, self.height = width, height

    def x(self, value):
        lo, hi = self.xr
        return self.x0 + (float(value) - lo) / max(hi - lo, 1e-12) * (self.x1 - self.x0)

    def y(self, value):
        lo, hi = self.yr
        v = math.log10(max(float(value), 1e-300)) if self.log_y else float(value)
        return self.y0 - (v - lo) / max(hi - lo, 1e-12) * (self.y0 - self.y1)

    def axes(self, x_label, y_label):
        """The frame, ticks and labels, as SVG elements."""
        parts = [f'<rect class="plot" x="{self.x0}" y="{self.y1}" width="{self.x1 - self.x0}" '
                 f'height="{self.y0 - self.y1}"/>']
        for t in linear_ticks(*self.xr):
            x = self.x(t)
            parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{self.y1}" y2="{self.y0}"/>'
                         f'<text class="tick" x="{x:.1f}" y="{self.y0 + 14}" text-anchor="middle">{_fmt(t)}</text>')
        lo, hi = (10 ** v for v in self.yr) if self.log_y else self.yr
        for t in (log_ticks(lo, hi) if self.log_y else linear_ticks(lo, hi, 4)):
            y = self.y(t)
            parts.append(f'<line class="grid" x1="{self.x0}" x2="{self.x1}" y1="{y:.1f}" y2="{y:.1f}"/>'
                         f'<text class="tick" x="{self.x0 - 5}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
        parts.append(f'<text class="label" x="{(self.x0 + self.x1) / 2:.0f}" y="{self.height - 4}" '
                     f'text-anchor="middle">{escape(x_label)}</text>')
        parts.append(f'<text class="label" transform="translate(13 {(self.y0 + self.y1) / 2:.0f}) rotate(-90)" '
                     f'text-anchor="middle">{escape(y_label)}</text>')
        return parts

    def polyline(self, xs, ys, cls):
        points = " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in zip(xs, ys))
        return f'<polyline class="{cls}" points="{points}"/>'

    def svg(self, parts, *, title, attrs=""):
        return (f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" role="img" '
                f'aria-label="{escape(title)}" {attrs}><title>{escape(title)}</title>{"".join(parts)}</svg>')


def _positive_range(series):
    values = np.concatenate([np.asarray(v, float) for _, v in series if len(v)] or [np.ones(1)])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 0.1, 1.0
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo * 1.05:
        lo, hi = lo / 1.5, hi * 1.5
    return lo / 1.15, hi * 1.15


def _thin_points(steps, values, most=800):
    """At most ``most`` points of a long curve (every k-th, the last kept)."""
    k = max(1, math.ceil(len(steps) / most))
    keep = list(range(0, len(steps), k))
    if keep and keep[-1] != len(steps) - 1:
        keep.append(len(steps) - 1)
    return [steps[i] for i in keep], [values[i] for i in keep]


def running_mean(values, window):
    """The mean of each value and the ``window - 1`` before it (fewer at the start).

    >>> running_mean([1.0, 3.0, 5.0, 7.0], 2)
    [1.0, 2.0, 4.0, 6.0]
    """
    v = np.asarray(values, np.float64)
    sums = np.concatenate([[0.0], np.cumsum(v)])
    i = np.arange(1, len(v) + 1)
    start = np.maximum(i - window, 0)
    return ((sums[i] - sums[start]) / (i - start)).tolist()


def curve_chart(curves, *, last_step, y_label, title, markers=(), level=None, chart_id):
    """A chart of curves against the step, log y, with step markers and a movable marker.

    Parameters
    ----------
    curves : list of (label, css_class, steps, values)
    last_step : int
        The x axis runs from 0 to this step.
    y_label, title : str
    markers : iterable of (step, text, css_class)
        Vertical lines at fixed steps (where the fit stopped, its best step).
    level : (float, str) or None
        A horizontal line (the stopping rule's level) and its label.
    chart_id : str
        The SVG's id; it carries ``data-x0``, ``data-x1`` and ``data-last`` for the
        page's marker of the shown step (``line.step-marker``).
    """
    drawn = [(s, v) for _, _, s, v in curves]
    lo, hi = _positive_range(drawn + ([([0], [level[0]])] if level else []))
    frame = Frame((0, max(last_step, 1)), (lo, hi), log_y=True)
    parts = frame.axes("step", y_label)
    if level is not None:
        y = frame.y(level[0])
        parts.append(f'<line class="level" x1="{frame.x0}" x2="{frame.x1}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="note" x="{frame.x1 - 4}" y="{y - 4:.1f}" text-anchor="end">{escape(level[1])}</text>')
    legend = []
    for label, cls, steps, values in curves:
        pairs = [(s, v) for s, v in zip(steps, values) if isinstance(v, (int, float)) and v > 0 and math.isfinite(v)]
        if pairs:
            xs, ys = _thin_points(*zip(*pairs))
            parts.append(frame.polyline(xs, ys, cls))
        if "raw" not in cls.split():  # a faint raw curve goes without a legend entry
            y = frame.y1 + 14 + 14 * len(legend)
            legend.append(f'<line class="{cls}" x1="{frame.x0 + 8}" x2="{frame.x0 + 28}" y1="{y - 4}" y2="{y - 4}"/>'
                          f'<text class="legend" x="{frame.x0 + 33}" y="{y}">{escape(label)}</text>')
    for step, text, cls in markers:
        x = frame.x(step)
        parts.append(f'<line class="{cls}" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.y1}" y2="{frame.y0}"/>'
                     f'<text class="note {cls}" x="{x - 3:.1f}" y="{frame.y1 - 6}" text-anchor="end">{escape(text)}</text>')
    parts.extend(legend)
    parts.append(f'<line class="step-marker" x1="{frame.x0}" x2="{frame.x0}" y1="{frame.y1}" y2="{frame.y0}"/>')
    attrs = (f'id="{chart_id}" data-x0="{frame.x0}" data-x1="{frame.x1}" data-last="{max(last_step, 1)}"')
    return frame.svg(parts, title=title, attrs=attrs)


def histogram_chart(grey, threshold, *, split=None, low=None, grey_label):
    """The histogram of the grey T is chosen on (log counts), T marked, the side above
    it shaded; with a learned ``split``, its probability of signal on a 0-1 axis.

    Parameters
    ----------
    grey : ndarray
    threshold : float
    split : histdip.prior.Split, optional
    low : float, optional
        The low T of a hysteresis pair.
    grey_label : str
        What the grey is (the x axis's label).
    """
    g = np.asarray(grey, np.float64).ravel()
    g = g[np.isfinite(g)]
    lo, hi = (float(v) for v in np.percentile(g, [0.05, 99.5])) if g.size else (0.0, 255.0)
    lo, hi = min(lo, threshold - 1.0), max(hi, threshold + 1.0)
    counts, edges = np.histogram(g[(g >= lo) & (g <= hi)], bins=160, range=(lo, hi))
    frame = Frame((lo, hi), (0.8, max(float(counts.max()) * 1.6, 10.0)), log_y=True)
    parts = frame.axes(grey_label, "pixels (log)")
    t = frame.x(threshold)
    parts.append(f'<rect class="above" x="{t:.1f}" y="{frame.y1}" width="{frame.x1 - t:.1f}" '
                 f'height="{frame.y0 - frame.y1}"/>')
    base = frame.y0
    bars = []
    for count, left, right in zip(counts, edges[:-1], edges[1:]):
        if count > 0:
            top = frame.y(count)
            bars.append(f"M{frame.x(left):.1f} {base}V{top:.1f}H{frame.x(right):.1f}V{base}")
    parts.append(f'<path class="bars" d="{"".join(bars)}"/>')
    if split is not None and split.levels is not None:
        levels = np.asarray(split.levels, float)
        post = np.asarray(split.gate(levels), float)  # the posterior as applied (nought below the floor)
        inside = (levels >= lo) & (levels <= hi)
        if inside.any():
            span = frame.y0 - frame.y1
            points = " ".join(f"{frame.x(a):.1f},{frame.y0 - b * span:.1f}" for a, b in zip(levels[inside], post[inside]))
            parts.append(f'<polyline class="posterior" points="{points}"/>'
                         f'<text class="note posterior-label" x="{frame.x1 - 4}" y="{frame.y1 + 26}" '
                         f'text-anchor="end">probability of signal (0 to 1)</text>')
    if low is not None and low < threshold:
        x = frame.x(low)
        parts.append(f'<line class="low" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.y1}" y2="{frame.y0}"/>')
    share = float(np.mean(g > threshold)) if g.size else 0.0
    parts.append(f'<text class="note" x="{frame.x1 - 4}" y="{frame.y1 + 40}" text-anchor="end">'
                 f'{100 * float(np.mean(g > hi)):.2f} % of pixels lie beyond the right edge</text>')
    parts.append(f'<line class="threshold" x1="{t:.1f}" x2="{t:.1f}" y1="{frame.y1}" y2="{frame.y0}"/>'
                 f'<text class="note threshold" x="{t + 4:.1f}" y="{frame.y1 + 12}">T = {threshold:.4g} '
                 f'({100 * share:.1f} % above)</text>')
    return frame.svg(parts, title=f"Histogram of the grey with T = {threshold:.4g}")


def brightness_chart(peaks, noise_sigma, *, min_snr=3.0):
    """How bright the counted objects are: a histogram of their peaks in noise sigma of
    the photo, on a log axis, the counter's floor (``min_snr``) marked. Beads of one
    kind form one group; light the signal keeps round them (flare, haze) forms another,
    fainter one, which ``histdip count --min-snr`` can leave out.

    Parameters
    ----------
    peaks : array_like
        Each object's peak intensity (:attr:`histdip.counts.Counts.table`).
    noise_sigma : float
        The photo's noise in the same units.
    """
    z = np.asarray(peaks, np.float64) / max(float(noise_sigma), 1e-12)
    z = z[np.isfinite(z) & (z > 0)]
    lo, hi = (min(float(z.min()), min_snr) / 1.2, float(z.max()) * 1.2) if z.size else (1.0, 100.0)
    edges = np.geomspace(lo, max(hi, lo * 2), 41)
    counts, _ = np.histogram(z, bins=edges)
    frame = Frame((np.log10(edges[0]), np.log10(edges[-1])), (0.0, max(float(counts.max(initial=0)) * 1.15, 1.0)))
    parts = frame.axes("object peak, noise sigma of the photo (log10)", "objects")
    bars = [f"M{frame.x(np.log10(a)):.1f} {frame.y0}V{frame.y(c):.1f}H{frame.x(np.log10(b)):.1f}V{frame.y0}"
            for c, a, b in zip(counts, edges[:-1], edges[1:]) if c > 0]
    parts.append(f'<path class="bars" d="{"".join(bars)}"/>')
    x = frame.x(np.log10(min_snr))
    parts.append(f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.y1}" y2="{frame.y0}"/>'
                 f'<text class="note threshold" x="{x + 4:.1f}" y="{frame.y1 + 12}">--min-snr {min_snr:g}</text>')
    return frame.svg(parts, title="How bright the counted objects are")
