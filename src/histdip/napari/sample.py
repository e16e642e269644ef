"""The bundled bead photo as napari sample data (File > Open Sample > histdip)."""

from __future__ import annotations

from importlib.resources import files

from ..io import read_image

__all__ = ["SAMPLE", "sample_beads"]

#: The bundled photo: the paper's ``d.png``, fluorescent beads through a phone
#: microscope (src/histdip/data/ATTRIBUTION.md).
SAMPLE = "sample_beads.png"


def sample_beads():
    """The bundled bead photo, one RGB image layer.

    Returns
    -------
    list of tuple
        ``[(data, meta, "image")]``, ``data`` (H, W, 3) uint8.
    """
    path = files("histdip") / "data" / SAMPLE
    return [(read_image(path), {"name": "sample_beads", "rgb": True}, "image")]
