"""The planes of an image that histdip works on, read once: the stage after validation.

:func:`read_planes` maps a validated image to [0, 1] and takes from it the plane (or
planes) the network fits, as recorded, and the BT.601 grey that T is chosen on.

With polarity ``dark`` (brightfield: dark objects on a bright field) both are inverted,
``1 - x``: every later stage sees bright objects on a dark field, as in fluorescence,
and :meth:`Planes.from_unit` inverts back the layers that are recordings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .colour import auto_channel, luma, select_channel
from .prior.polarity import read_polarity
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
    polarity : histdip.prior.polarity.PolarityChoice or None
        The polarity used and how it was found; None is bright (not asked).
        ``recorded`` and ``luma`` are inverted (``1 - x``) where it is dark.
    """

    image: object
    recorded: np.ndarray
    luma: np.ndarray
    channel: str
    polarity: object = None

    @property
    def is_dark(self):
        """True where the planes are inverted (polarity dark)."""
        return self.polarity is not None and self.polarity.is_dark

    def from_unit(self, unit, *, offset=True):
        """A working-plane array ``unit`` back on the image's scale, float32.

        ``offset=True``: a recording (the recorded plane, the background), inverted back
        where the planes were inverted. ``offset=False``: a difference (the signal: the
        objects' contrast above, or below, their background), which keeps no offset and
        stays >= 0 in either polarity.
        """
        if offset and self.is_dark:
            unit = 1.0 - np.asarray(unit)
        return self.image.from_unit(unit, offset=offset)

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


def read_planes(image, *, channel="auto", polarity="bright"):
    """The :class:`Planes` of ``image`` (validated first unless it is already).

    Parameters
    ----------
    image : ndarray or histdip.validate.Image
    channel : str
        ``auto`` (the channel carrying the fluorescence), ``luma``, ``red``, ``green``,
        ``blue``, ``rgb`` or an index; a grey image ignores it
        (:func:`histdip.colour.select_channel`).
    polarity : {'bright', 'dark', 'auto'}
        ``auto`` reads it from the grey (:func:`histdip.prior.polarity.read_polarity`);
        ``dark`` inverts the planes. The default ``bright`` asks nothing.

    >>> p = read_planes(np.full((16, 16, 3), 255, np.uint8), channel="green")
    >>> p.recorded.shape, round(float(p.luma.max()), 6), p.channel
    ((16, 16), 1.0, 'green')
    """
    image = validate_image(image)
    unit = image.to_unit()
    grey = unit if image.is_grey else luma(unit)
    choice = None if polarity == "bright" else read_polarity(grey, polarity)
    side = "dark" if choice is not None and choice.is_dark else "bright"
    if image.is_grey:
        recorded, name = unit, "grey"
    else:
        recorded = select_channel(unit, channel, polarity=side)
        name = str(channel).lower()
        if name == "auto":
            index = auto_channel(unit, polarity=side)
            name = ("red", "green", "blue")[index] if index < 3 else str(index)
    if side == "dark":
        recorded = 1.0 - recorded
        grey = recorded if image.is_grey else 1.0 - grey
    return Planes(image, recorded, grey, name, choice)
