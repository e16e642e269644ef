"""The objects counted on one image, as a table: :class:`Counts` (CSV and summary) and
:func:`overlay` (their outlines over the image, for a PNG). :mod:`histdip.count` finds
them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import find_boundaries

__all__ = ["COLUMNS", "Counts", "overlay"]

#: The columns of :attr:`Counts.table`, in CSV order.
COLUMNS = ("id", "y", "x", "area_px", "equivalent_radius_px", "integrated_intensity", "mean_intensity",
           "peak_intensity", "clipped")

@dataclass(frozen=True, eq=False)
class Counts:
    """The objects counted on one image.

    Attributes
    ----------
    table : dict of str to ndarray
        One entry per column of :data:`COLUMNS`, one row per object: ``id`` (the
        object's value in ``labels``, 1..n), ``y``, ``x`` (centroid of its region, px),
        ``area_px``, ``equivalent_radius_px`` (radius of the disc of that area),
        ``integrated_intensity`` (sum of the signal over the region), ``mean_intensity``
        and ``peak_intensity`` (mean and maximum there), ``clipped`` (the region touches
        a saturated pixel of the photo: its intensities are lower bounds).
    labels : ndarray, int32, (H, W)
        0 for the background, the object's id on its pixels.
    pixel_size : float or None
        Side of a pixel, micrometres.
    noise_sigma : float
        The noise sigma the threshold was set from, in the signal's units.
    threshold : float
        Least LoG response of a seed (module docstring, "The threshold rule").
    settings : dict
        The options of :func:`count_objects`, and where ``noise_sigma`` came from.
    """

    table: dict
    labels: np.ndarray = field(repr=False)
    pixel_size: float | None
    noise_sigma: float
    threshold: float
    settings: dict = field(default_factory=dict)

    @property
    def count(self):
        """The number of objects."""
        return int(len(self.table["id"]))

    @property
    def area_mm2(self):
        """The image's area in mm², or None without a pixel size."""
        if self.pixel_size is None:
            return None
        return self.labels.size * (self.pixel_size * 1e-3) ** 2

    @property
    def density_per_mm2(self):
        """Objects per mm² of the image, or None without a pixel size."""
        area = self.area_mm2
        return None if area is None else self.count / area

    def rows(self):
        """The table as a list of dicts, one per object (plain Python values)."""
        cols = [self.table[c].tolist() for c in COLUMNS]
        return [dict(zip(COLUMNS, values)) for values in zip(*cols)]

    def to_csv(self, path):
        """Write the table as CSV, one row per object, columns :data:`COLUMNS`.

        ``path`` is written as given (the command line stages it through
        :class:`histdip.io.OutputBatch`, which makes the write atomic and no-clobber).
        """
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for row in self.rows():
                writer.writerow([_csv_value(row[c]) for c in COLUMNS])
        return path

    def summary(self):
        """The counts in one dict (plain Python values, JSON-ready).

        Keys: count, clipped, pixel_size_um, area_mm2, density_per_mm2 (None without
        a pixel size), median_area_px, median_equivalent_radius_px,
        total_integrated_intensity, noise_sigma, threshold, settings.
        """
        t = self.table
        n = self.count
        return {
            "count": n,
            "clipped": int(np.count_nonzero(t["clipped"])),
            "pixel_size_um": self.pixel_size,
            "area_mm2": self.area_mm2,
            "density_per_mm2": self.density_per_mm2,
            "median_area_px": float(np.median(t["area_px"])) if n else None,
            "median_equivalent_radius_px": float(np.median(t["equivalent_radius_px"])) if n else None,
            "total_integrated_intensity": float(np.sum(t["integrated_intensity"])),
            "noise_sigma": self.noise_sigma,
            "threshold": self.threshold,
            "settings": dict(self.settings),
        }


def _csv_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def overlay(image, labels, *, clipped=None, ids=None, max_ids=200):
    """The objects' outlines drawn over ``image``: RGB uint8 for a PNG.

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
        Shown at display contrast (:func:`histdip.plotting.display_stretch`).
    labels : ndarray of int, (H, W)
        :attr:`Counts.labels`.
    clipped : array_like of bool, optional
        Per object (``labels`` value 1..n): outlined in red instead of yellow.
    ids : bool, optional
        Write each object's id beside it; default: where there are at most
        ``max_ids`` objects.

    Returns
    -------
    ndarray, uint8, (H, W, 3)
    """
    from .plotting import display_stretch

    labels = np.asarray(labels)
    base = display_stretch(image)
    rgb = np.repeat(base[..., None], 3, axis=2) if base.ndim == 2 else base[..., :3].copy()
    if rgb.shape[:2] != labels.shape:
        raise ValueError(f"labels are {labels.shape}, image is {rgb.shape[:2]}")
    edge = find_boundaries(labels, mode="inner")
    colour = np.array([1.0, 0.85, 0.0])
    rgb[edge] = colour
    if clipped is not None and np.any(clipped):
        bad = np.concatenate([[False], np.asarray(clipped, bool)])
        rgb[edge & bad[labels]] = (1.0, 0.15, 0.1)
    out = np.round(rgb * 255).astype(np.uint8)
    n = int(labels.max())
    if ids if ids is not None else 0 < n <= max_ids:
        out = _write_ids(out, labels, n)
    return out


def _write_ids(rgb, labels, n):
    from PIL import Image, ImageDraw

    picture = Image.fromarray(rgb)
    draw = ImageDraw.Draw(picture)
    for i, (y, x) in enumerate(ndi.center_of_mass(labels > 0, labels, np.arange(1, n + 1)), start=1):
        if np.isfinite(y):
            draw.text((float(x) + 3, float(y) - 5), str(i), fill=(0, 255, 255))
    return np.asarray(picture)
