"""Figures for the command line: the threshold histogram and before/after panels.

Both functions draw on a private :class:`matplotlib.figure.Figure` with the Agg canvas
(no pyplot, no display needed, nothing left open) and write PNGs atomically through
:func:`histdip.io.atomic_output`, refusing to replace an existing file unless
``overwrite=True``.
"""

from __future__ import annotations

import textwrap

from pathlib import Path

import numpy as np

from .io import atomic_output

#: Percentiles mapped to black and white by :func:`display_stretch`.
STRETCH_PERCENTILES = (0.5, 99.5)


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path, overwrite, protect):
    path = Path(path)
    with atomic_output(path, overwrite=overwrite, protect=protect) as tmp:
        fig.savefig(tmp, format="png")
    return path


def histogram_plot(grey255, T, path, title=None, *, low=None, overwrite=False, protect=()):
    """256-bin histogram of a grey image on 0-255, log counts, with the threshold marked.

    Parameters
    ----------
    grey255 : ndarray
        Grey image on the 0-255 scale (:attr:`histdip.prior.Prior.grey`).
    T : float
        The threshold; pixels ``> T`` are foreground. Its line and the foreground
        fraction appear in the legend.
    path : path-like
        PNG to write.
    title : str, optional
    low : float, optional
        The lower T of a hysteresis pair (:func:`histdip.prior.foreground_mask`): marked
        with a dashed line.
    overwrite : bool
    protect : iterable of path-like
        Paths never to write (the inputs).

    Returns
    -------
    pathlib.Path
    """
    grey = np.asarray(grey255, dtype=np.float64).ravel()
    grey = grey[np.isfinite(grey)]
    counts, edges = np.histogram(grey, bins=256, range=(0.0, 256.0))
    fraction = float(np.mean(grey > T)) if grey.size else 0.0
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    # Empty bins would be -inf on a log axis: leave them out (NaN height).
    ax.bar(edges[:-1], np.where(counts > 0, counts, np.nan), width=1.0, align="edge", color="0.35", label="pixels")
    ax.set_yscale("log")
    ax.axvline(
        float(T),
        color="tab:red",
        linewidth=1.5,
        label=f"T = {float(T):.4g}  (foreground > T: {100 * fraction:.2f} %)",
    )
    ax.axvspan(float(T), 256, color="tab:green", alpha=0.08)
    if low is not None and low < T:
        ax.axvline(float(low), color="tab:red", linewidth=1.2, linestyle="--",
                   label=f"low T = {float(low):.4g}  (kept where joined to > T)")
    ax.set_xlim(0, 256)
    ax.set_ylim(bottom=0.8)
    ax.set_xlabel("grey level (0-255)")
    ax.set_ylabel("pixel count (log)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize=9)
    fig.tight_layout()
    return _save(fig, path, overwrite, protect)


def display_stretch(image, percentiles=STRETCH_PERCENTILES):
    """Map an image to [0, 1] for display: the given percentiles go to black and white.

    A colour image is stretched with one pair of limits across its channels (keeping its
    hue); a constant image becomes all black.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] not in (3, 4):
        image = image[..., 0]
    if image.ndim == 3:
        image = image[..., :3]
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return np.zeros(image.shape)
    lo, hi = np.percentile(finite, percentiles)
    if hi <= lo:
        hi = finite.max()
        lo = finite.min()
    if hi <= lo:
        return np.zeros(image.shape)
    return np.clip((np.nan_to_num(image, nan=lo) - lo) / (hi - lo), 0.0, 1.0)


def side_by_side(before, after, path, titles=("input", "restored"), *, overwrite=False, protect=()):
    """PNG with two images next to each other, each at display contrast.

    Each panel is stretched on its own (:func:`display_stretch`), since a restoration
    that zeroes the background changes the range. Grey images are drawn with a grey
    colour map, colour images as RGB. The panels may differ in size.

    Returns
    -------
    pathlib.Path
    """
    panels = [display_stretch(before), display_stretch(after)]
    height = max(p.shape[0] for p in panels)
    total_width = sum(p.shape[1] for p in panels)
    # About 8 inches wide, aspect kept, plus room for the titles: a run's summary is
    # longer than a panel is wide, so it is wrapped (about 12 characters of 10-point text
    # to the inch), not cut at the edge, and each of its lines gets a quarter inch.
    fig_w = 10.0
    titles = [textwrap.fill(t, width=int(12 * fig_w / 2)) for t in titles]
    lines = max(t.count("\n") + 1 for t in titles)
    fig_h = min(max(fig_w * height / max(total_width, 1) + 0.3 + 0.25 * lines, 2.5), 12.0)
    fig = _figure(fig_w, fig_h)
    for index, (panel, title) in enumerate(zip(panels, titles)):
        ax = fig.add_subplot(1, 2, index + 1)
        if panel.ndim == 2:
            ax.imshow(panel, cmap="gray", vmin=0.0, vmax=1.0, interpolation="antialiased")
        else:
            ax.imshow(panel, interpolation="antialiased")
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    fig.tight_layout()
    return _save(fig, path, overwrite, protect)
