"""The planes of an image that histdip works on, read once: the stage after validation.

:func:`read_planes` maps a validated image to [0, 1] and takes from it the plane (or
planes) the network fits, as recorded, and the BT.601 grey that T is chosen on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .colour import auto_channel, luma, select_channel
from .validate import validate_image


@dataclass(frozen=True, eq=False)
class Planes:
    """An image's working planes, on [0, 1].

    Attributes
    ----------
    image : histdip.validate.Image
        The input, with its intensity scale.
    recorded : ndarray, (H, W) or (H, W, 3)
        The plane the network fits, as the camera recorded it (``channel``).
    luma : ndarray, (H, W) or None
        BT.601 grey: what T is chosen on, whatever plane is fitted (the paper's grey).
        For a grey image, the same array as ``recorded``. None once the threshold prior
        has used it (:meth:`without_luma`).
    channel : str
        The plane fitted: ``grey`` for a grey image, else the colour channel's name
        (``auto`` resolved), ``luma`` or ``rgb``.
    """

    image: object
    recorded: np.ndarray
    luma: np.ndarray
    channel: str

    @property
    def is_grey(self):
        return self.image.is_grey

    @property
    def shape(self):
        """(H, W)."""
        return self.recorded.shape[:2]

    def without_luma(self):
        """These planes without a colour image's grey, once the prior has been built from
        it: nothing after the prior reads it, and it is as large as the fitted plane."""
        return self if self.is_grey else replace(self, luma=None)


def read_planes(image, *, channel="auto"):
    """The :class:`Planes` of ``image`` (validated first unless it is already).

    Parameters
    ----------
    image : ndarray or histdip.validate.Image
    channel : str
        ``auto`` (the channel carrying the fluorescence), ``luma``, ``red``, ``green``,
        ``blue``, ``rgb`` or an index; a grey image ignores it
        (:func:`histdip.colour.select_channel`).

    >>> p = read_planes(np.full((16, 16, 3), 255, np.uint8), channel="green")
    >>> p.recorded.shape, round(float(p.luma.max()), 6), p.channel
    ((16, 16), 1.0, 'green')
    """
    image = validate_image(image)
    unit = image.to_unit()
    if image.is_grey:
        return Planes(image, unit, unit, "grey")
    recorded = select_channel(unit, channel)
    name = str(channel).lower()
    if name == "auto":
        index = auto_channel(unit)
        name = ("red", "green", "blue")[index] if index < 3 else str(index)
    return Planes(image, recorded, luma(unit), name)
