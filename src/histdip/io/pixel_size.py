"""The physical size of a pixel, from a TIFF's metadata: :func:`read_pixel_size`.

Looked for in this order: OME-XML (``PhysicalSizeX`` and its unit), ImageJ's metadata
(its ``unit`` with the X resolution tag), and the TIFF resolution tags when their unit
is the centimetre, or the inch at more than :data:`MAX_PRINT_PPI` pixels per inch. A
TIFF from a camera, a phone or an image editor carries 72, 96 or 300 pixels per inch:
a print size, not the specimen's scale, so those are not read as one.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Inch-based resolutions up to this many pixels per inch are print or screen settings.
MAX_PRINT_PPI = 1200.0

#: Length units to micrometres.
_MICRONS = {"m": 1e6, "cm": 1e4, "mm": 1e3, "um": 1.0, "µm": 1.0, "μm": 1.0, "micron": 1.0, "microns": 1.0,
            "micrometer": 1.0, "micrometre": 1.0, "nm": 1e-3, "nanometer": 1e-3, "nanometre": 1e-3}


def _microns(value, unit):
    factor = _MICRONS.get(str(unit).strip().lower().replace("\\u00b5", "µ"))
    if factor is None or not value or value <= 0:
        return None
    return float(value) * factor


def read_pixel_size(path):
    """The side of one pixel in micrometres, or None where the file does not say.

    Parameters
    ----------
    path : path-like
        Any image file; only TIFFs carry a pixel size that is read.

    Returns
    -------
    float or None
        The X pixel size, µm. Unreadable files and files that are not TIFFs give None.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return None
    if head[:2] not in (b"II", b"MM"):
        return None
    try:
        import tifffile

        with tifffile.TiffFile(path) as tif:
            return _from_ome(tif.ome_metadata) or _from_tags(tif.pages[0], tif.imagej_metadata)
    except Exception:  # metadata is a convenience: a file tifffile cannot parse has none
        return None


def _from_ome(xml):
    if not xml:
        return None
    pixels = re.search(r"<(?:\w+:)?Pixels\b[^>]*>", xml)
    if not pixels:
        return None
    size = re.search(r'PhysicalSizeX="([^"]+)"', pixels.group(0))
    unit = re.search(r'PhysicalSizeXUnit="([^"]+)"', pixels.group(0))
    try:
        return _microns(float(size.group(1)), unit.group(1) if unit else "µm") if size else None
    except ValueError:
        return None


def _from_tags(page, imagej):
    tags = page.tags
    if "XResolution" not in tags:
        return None
    num, den = tags["XResolution"].value
    per_unit = num / den if den else 0.0
    if per_unit <= 0:
        return None
    if imagej and imagej.get("unit"):
        return _microns(1.0 / per_unit, imagej["unit"])
    unit = int(tags["ResolutionUnit"].value) if "ResolutionUnit" in tags else 2
    if unit == 3:  # centimetre
        return 1e4 / per_unit
    if unit == 2 and per_unit > MAX_PRINT_PPI:  # inch
        return 25400.0 / per_unit
    return None
